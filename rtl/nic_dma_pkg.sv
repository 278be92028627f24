// Types shared by the DMA sub-blocks, and the one place each engine decodes a descriptor.
package nic_dma_pkg;
  import nic_reg_pkg::*;

  localparam int unsigned FetchBurst   = 8;      // descriptors per fetch burst, at most
  localparam logic [20:0] MaxFrameLen  = 21'(MaxTxFrame);  // TX: longest frame the MAC sends (bytes, from the JSON)
  localparam logic [2:0]  AxiSizeBeat  = 3'd4;   // 16 bytes per beat
  localparam logic [1:0]  AxiBurstIncr = 2'b01;

  // ---------------------------------------------------------------------------------------------
  // TX: a prefetched descriptor (what the engine keeps of the 16 bytes it read)
  typedef struct packed {
    logic [63:0] addr;
    logic [19:0] len;
    logic        eop;
    logic        rs;
    logic        ide;
    logic [15:0] idx;
  } tx_desc_t;

  // Descriptor decode: the only place the TX engine reads descriptor fields, through the
  // generated descriptor struct (rtl/regs/nic_regs.json). The offload fields are not used yet.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic tx_desc_t tx_desc_decode(logic [127:0] raw, logic [15:0] idx);
    tx_desc_t d;
    nic_tx_desc_t r;
    r = nic_tx_desc_t'(raw);
    d.addr = r.buff_addr;
    d.len  = r.length;
    d.eop  = r.cmd.eop;
    d.rs   = r.cmd.rs;
    d.ide  = r.cmd.ide;
    d.idx  = idx;
    return d;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // TX write-back: one beat at the descriptor, only the status byte (DD) enabled
  localparam logic [127:0] TxWbData = 128'(1) << TXDESC_STATUS_DD_BIT;
  localparam logic [15:0]  TxWbStrb = 16'(1) << (TXDESC_STATUS_BIT / 8);

  // TX: one read burst's worth of bytes for the packer
  typedef struct packed {
    logic [4:0] nbeats;   // 0: frame end without data
    logic [3:0] lo;       // first valid byte of the first beat
    logic [4:0] hi;       // one past the last valid byte of the last beat (1..16)
    logic       eof;      // the frame ends after this segment
    logic       discard;  // (frame end without data) the frame is dropped
  } tx_seg_t;

  // TX: a descriptor whose reads are all requested, waiting for its data (and write-back)
  typedef struct packed {
    logic        has_data;
    logic        rs;
    logic        ide;
    logic [15:0] idx;
  } tx_pc_t;

  // ---------------------------------------------------------------------------------------------
  // RX: descriptor decode, the only place the RX engine reads descriptor fields: the buffer
  // address in 16-byte units (its low 4 bits are ignored)
  /* verilator lint_off UNUSEDSIGNAL */  // the fields these functions do not touch
  function automatic logic [59:0] rx_desc_buf_addr(logic [127:0] raw);
    nic_rx_desc_t r;
    r = nic_rx_desc_t'(raw);
    return r.buff_addr[63:4];
  endfunction

  // RX: one 16-byte beat to write (data at bit 0: copied without shifts)
  typedef struct packed {
    logic [15:0]  strb;
    logic [127:0] data;
  } rx_wbeat_t;

  // RX: one write burst of buffer data
  typedef struct packed {
    logic [59:0] addr;   // beat address (byte address / 16)
    logic [3:0]  len;    // beats - 1
    logic        last;   // last burst of its descriptor
  } rx_burst_t;

  // RX: a filled buffer waiting for its write-back
  typedef struct packed {
    logic [15:0] idx;
    logic [14:0] len;
    logic        eop;
    logic        ce;
  } rx_pc_t;

  // RX write-back: descriptor bytes 8..15 (length, status, errors); bytes 0..7 are not written
  function automatic logic [63:0] rx_desc_wb_hi(rx_pc_t pc);
    nic_rx_desc_t w;
    w = '0;
    w.length    = 16'(pc.len);
    w.status.dd  = 1'b1;
    w.status.eop = pc.eop;
    w.errors.ce  = pc.ce;
    return w[127:64];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
endpackage
