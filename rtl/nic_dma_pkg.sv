// Types shared by the DMA sub-blocks, and the one place each engine decodes a descriptor.
package nic_dma_pkg;
  import nic_reg_pkg::*;

  localparam int unsigned FetchBurst   = 8;      // descriptors per fetch burst, at most
  localparam logic [20:0] MaxFrameLen  = 21'(MaxTxFrame);  // TX: longest frame the MAC sends (bytes, from the JSON)
  localparam logic [20:0] MaxTsoPay    = 21'd65536;         // TX: longest TSO payload (PAYLEN; chain = HDRLEN + this)
  localparam logic [2:0]  AxiSizeBeat  = 3'd4;   // 16 bytes per beat
  localparam logic [1:0]  AxiBurstIncr = 2'b01;

  // ---------------------------------------------------------------------------------------------
  // Checksum offload (nic_tx_csum, nic_rx_csum): ones' complement sums kept as plain 32-bit sums of
  // 16-bit words aligned at even frame offsets (a frame of at most 16 KiB cannot overflow them).

  // The words of one 64-bit stream beat at frame offset `off` whose bytes lie in [lo, hi) and in
  // tkeep, the two bytes at `skip` left out when skip_en.
  function automatic logic [19:0] csum_beat(logic [63:0] data, logic [7:0] keep, logic [13:0] off,
                                            logic [16:0] lo, logic [16:0] hi, logic skip_en,
                                            logic [16:0] skip);
    logic [19:0] s;
    logic [16:0] p, o, sk1;
    o   = 17'(off);
    sk1 = skip + 17'd1;
    s   = '0;
    // The common beats decided at once (the same sum as the byte walk below): all eight bytes
    // outside [lo, hi), or all eight inside it with none left out (four whole words).
    if (o >= hi || o + 17'd8 <= lo) begin
      s = '0;
    end else if (keep == 8'hFF && o >= lo && o + 17'd8 <= hi &&
                 (!skip_en || ((skip < o || skip > o + 17'd7) && (sk1 < o || sk1 > o + 17'd7)))) begin
      s = 20'({data[7:0], data[15:8]}) + 20'({data[23:16], data[31:24]}) +
          20'({data[39:32], data[47:40]}) + 20'({data[55:48], data[63:56]});
    end else begin
      for (int i = 0; i < 8; i++) begin
        p = o + 17'(i);
        if (keep[i] && p >= lo && p < hi && !(skip_en && (p == skip || p == sk1)))
          s = s + ((i % 2 == 0) ? {4'd0, data[8*i +: 8], 8'd0} : {12'd0, data[8*i +: 8]});
      end
    end
    return s;
  endfunction

  // End-around-carry fold of such a sum to 16 bits.
  function automatic logic [15:0] csum_fold(logic [31:0] s);
    logic [16:0] f;
    f = {1'b0, s[15:0]} + {1'b0, s[31:16]};
    f = {1'b0, f[15:0]} + {16'd0, f[16]};
    return f[15:0] + {15'd0, f[16]};
  endfunction

  // ---------------------------------------------------------------------------------------------
  // TX: the checksum part of a context descriptor (82597EX IPCSS/IPCSO/IPCSE, TUCSS/TUCSO/TUCSE;
  // an end of 0 means "to the end of the frame")
  typedef struct packed {
    logic [7:0]  ipcss;
    logic [7:0]  ipcso;
    logic [15:0] ipcse;
    logic [7:0]  tucss;
    logic [7:0]  tucso;
    logic [15:0] tucse;
  } tx_csum_ctx_t;

  // TX: the segmentation part of a context descriptor (82597EX TSE, IP, HDRLEN, MSS, PAYLEN)
  typedef struct packed {
    logic        tse;     // the context is for TCP segmentation
    logic        ip;      // IPv4 (else IPv6)
    logic [7:0]  hdrlen;  // bytes replicated at the start of every segment
    logic [15:0] mss;     // payload bytes per segment
    logic [19:0] paylen;  // payload bytes of the whole chain
  } tx_tso_ctx_t;

  // TX: the offload options of one frame, taken from its first descriptor with data (POPTS, TSE)
  // and the context loaded at that point
  typedef struct packed {
    logic         vle;    // insert an 802.1Q tag after the source MAC (nic_tx_vlan): data CMD.VLE
    logic [15:0]  vlan;   // ... its TCI (the descriptor's VLAN field)
    logic         tso;    // cut into segments (nic_tx_tso): data TSE and a TSE context
    tx_tso_ctx_t  tso_ctx;
    logic         ixsm;   // insert the IP header checksum
    logic         txsm;   // insert the TCP/UDP checksum
    tx_csum_ctx_t ctx;
  } tx_opt_t;

  // TX: the checksums to write into a stored frame before it is committed (nic_frame_fifo patch
  // port): {TCP/UDP, IP} enables, byte offsets and values (written big-endian at the offset)
  typedef struct packed {
    logic [1:0]  en;
    logic [15:0] off;
    logic [31:0] val;
  } tx_patch_t;

  // VLAN insertion and stripping (nic_tx_vlan, nic_rx_vlan) move the rest of a frame by 4 bytes:
  // an output beat is 4 bytes held from before (carry) and the lower 4 of `data`. A last input
  // beat of at most 4 bytes ends the frame in it; a longer one leaves its upper nkeep - 4 bytes
  // (the next carry) for one more beat, with vlan_tail_keep.
  typedef struct packed {
    logic [63:0] data;
    logic [7:0]  keep;
    logic        last;   // the frame ends with this beat
    logic        extra;  // one more beat follows, with ex_n bytes
    logic [2:0]  ex_n;
  } vlan_beat_t;

  function automatic vlan_beat_t vlan_shift(logic [31:0] carry, logic [31:0] data, logic [3:0] nkeep,
                                            logic last);
    vlan_beat_t b;
    b.data  = {data, carry};
    b.last  = last && nkeep <= 4'd4;
    b.keep  = b.last ? 8'hFF >> (4'd4 - nkeep) : 8'hFF;
    b.extra = last && nkeep > 4'd4;
    b.ex_n  = 3'(nkeep - 4'd4);
    return b;
  endfunction

  function automatic logic [7:0] vlan_tail_keep(logic [2:0] n);
    return 8'hFF >> (4'd8 - 4'(n));
  endfunction

  // TX: a prefetched descriptor (what the engine keeps of the 16 bytes it read)
  // (the offload members sit above the others, whose bit positions the block tests use)
  typedef struct packed {
    logic         vle;     // data descriptor: insert the VLAN tag (CMD.VLE)
    logic [15:0]  vlan;    // data descriptor: the tag's TCI (VLAN)
    logic         tse;     // data descriptor: TCP segmentation (CMD.TSE)
    tx_tso_ctx_t  tso_ctx; // context descriptor: its segmentation fields
    logic         is_ctx;  // a context descriptor: no data, loads ctx
    logic         ixsm;
    logic         txsm;
    tx_csum_ctx_t ctx;
    logic [63:0]  addr;
    logic [19:0]  len;
    logic         eop;
    logic         rs;
    logic         ide;
    logic [15:0]  idx;
  } tx_desc_t;

  // Descriptor decode: the only place the TX engine reads descriptor fields, through the
  // generated descriptor structs (rtl/regs/nic_regs.json). DTYP = CONTEXT is a context
  // descriptor, any other type a data descriptor. The context's TCP bit and IFCS are not used
  // (TSO is always TCP; the FCS is always appended).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic tx_desc_t tx_desc_decode(logic [127:0] raw, logic [15:0] idx);
    tx_desc_t d;
    nic_tx_desc_t r;
    nic_tx_ctx_desc_t c;
    r = nic_tx_desc_t'(raw);
    c = nic_tx_ctx_desc_t'(raw);
    d.is_ctx = (32'(r.dtyp) == TXCTXDESC_DTYP_CONTEXT);
    d.addr   = r.buff_addr;
    d.len    = r.length;
    d.eop    = r.cmd.eop;
    d.rs     = d.is_ctx ? c.cmd.rs : r.cmd.rs;
    d.ide    = d.is_ctx ? c.cmd.ide : r.cmd.ide;
    d.ixsm   = r.popts.ixsm;
    d.txsm   = r.popts.txsm;
    d.ctx    = '{ipcss: c.ipcss, ipcso: c.ipcso, ipcse: c.ipcse,
                 tucss: c.tucss, tucso: c.tucso, tucse: c.tucse};
    d.tse    = r.cmd.tse;
    d.vle    = r.cmd.vle;
    d.vlan   = r.vlan;
    d.tso_ctx = '{tse: c.cmd.tse, ip: c.cmd.ip, hdrlen: c.hdrlen, mss: c.mss, paylen: c.paylen};
    d.idx    = idx;
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

  // RX: the checksum offload result of a frame (nic_rx_csum), reported on its EOP descriptor
  typedef struct packed {
    logic ixsm;
    logic ipcs;
    logic tcpcs;
    logic ipe;
    logic tcpe;
  } rx_csum_t;

  // RX: the 802.1Q tag stripped from a frame (nic_rx_vlan, CTRL0.VME), reported on its EOP descriptor
  typedef struct packed {
    logic        vp;     // a tag was stripped
    logic [15:0] tci;    // its TCI (PCP, DEI, VID) for the descriptor's SPECIAL field
  } rx_vlan_t;

  // RX: a filled buffer waiting for its write-back (vlan and csum above the members the block
  // tests use)
  typedef struct packed {
    rx_vlan_t    vlan;
    rx_csum_t    csum;
    logic [15:0] idx;
    logic [14:0] len;
    logic        eop;
    logic        ce;
  } rx_pc_t;

  // RX write-back: descriptor bytes 8..15 (length, status, errors, special); bytes 0..7 are not written
  function automatic logic [63:0] rx_desc_wb_hi(rx_pc_t pc);
    nic_rx_desc_t w;
    w = '0;
    w.length    = 16'(pc.len);
    w.status.dd  = 1'b1;
    w.status.eop = pc.eop;
    w.errors.ce  = pc.ce;
    w.status.ixsm  = pc.csum.ixsm;
    w.status.ipcs  = pc.csum.ipcs;
    w.status.tcpcs = pc.csum.tcpcs;
    w.errors.ipe   = pc.csum.ipe;
    w.errors.tcpe  = pc.csum.tcpe;
    w.status.vp    = pc.vlan.vp;
    w.special      = pc.vlan.tci;
    return w[127:64];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
endpackage
