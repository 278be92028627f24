// RX DMA: prefetches RX descriptors, writes received frames into their buffers over AXI4 and writes the status back.
//
// Pipeline; each stage is a sub-block:
//   u_fetch     nic_dma_desc_fetch: up to 8 descriptors per burst from the fetch pointer towards RDT
//               -> descriptor FIFO (buffer addresses only: nic_dma_pkg::rx_desc_buf_addr)
//   u_collector nic_rx_collector: stream beats into 16-byte beats and write bursts while a
//               descriptor is at hand; a filled buffer or the frame end sends the descriptor to pc
//   u_writer    nic_rx_writer: one AW then its W beats at a time, data bursts or the write-back of
//               the pc head (priority once its data is answered); each answered write-back
//               advances RDH (in order: one AXI ID)
//   u_csum      nic_rx_csum: watches the stream, checks IP and TCP/UDP checksums (RXCSUM); the
//               result goes with the frame's last beat into its EOP descriptor's write-back
// Errors, RXEN=0: no new requests; a frame being taken is consumed to its end and dropped; the bursts
// in progress are completed and all responses awaited; queues are emptied before the engine runs
// again. After an error RDH is frozen.
module nic_rx_dma #(
  parameter int unsigned AxiId        = 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // queue registers
  input  logic                      rxen_i,
  input  logic [63:0]               rdba_i,
  input  logic [19:0]               rdlen_i,
  input  logic [15:0]               rdt_i,
  input  logic                      rdh_we_i,
  input  logic [15:0]               rdh_wdata_i,
  output logic [15:0]               rdh_o,
  input  logic [1:0]                bsize_i,   // 0: 2048, 1: 4096, 2: 8192, 3: 16384 bytes
  input  logic [1:0]                rdmts_i,   // 0: 1/2, 1: 1/4, 2 (and 3): 1/8 of the ring
  input  logic                      ipofl_i,   // RXCSUM.IPOFL: check IPv4 header checksums
  input  logic                      tuofl_i,   // RXCSUM.TUOFL: check TCP/UDP checksums
  // frame stream from the RX FIFO (complete frames, no gaps inside a frame)
  input  logic [63:0]               s_axis_tdata,
  input  logic [7:0]                s_axis_tkeep,
  input  logic                      s_axis_tvalid,
  output logic                      s_axis_tready,
  input  logic                      s_axis_tlast,
  input  logic                      s_axis_tflag,  // at tlast: CRC error -> errors.CE
  input  nic_dma_pkg::rx_vlan_t     s_axis_tvlan,  // at tlast: 802.1Q tag stripped -> status.VP, special
  // AXI4 master
  output nic_axi_pkg::req_t         m_axi_req_o,
  input  nic_axi_pkg::rsp_t         m_axi_rsp_i,
  // events (one-cycle pulses) and status
  output logic                      evt_rxt0_o,    // EOP descriptor written back
  output logic                      evt_rxdmt0_o,  // free descriptors dropped to the RDMTS threshold
  output logic                      evt_rnbc_o,    // a frame found no free descriptor (once per frame)
  output logic [3:0]                err_o,         // DMAERR RX_BADLEN, RX_HEAD, RX_TAIL, RX_BUSERR
  output logic                      stopped_o,
  // no descriptor fetch in flight or wanted, no frame being taken, nothing to write or retire, no
  // pulse, run/stop state settled (prefetched descriptors may wait for frames): with no stream
  // beat, AXI response or register write this block keeps its state
  output logic                      idle_o
);
  import nic_reg_pkg::*;
  import nic_dma_pkg::*;
  import nic_axi_pkg::*;

  // The datapath is written for 16-byte beats (one descriptor per beat) and 64-bit addresses.
  if (DataWidth != 128 || AddrWidth != 64) begin : gen_width_check
    $error("nic_rx_dma: only 128-bit data and 64-bit addresses are supported (nic_axi_pkg)");
  end
  if (AxiId >= (1 << IdWidth)) begin : gen_id_check
    $error("nic_rx_dma: AxiId does not fit nic_axi_pkg::IdWidth");
  end

  localparam int unsigned DescDepth = 16;
  localparam int unsigned DescCntW  = $clog2(DescDepth + 1);
  localparam int unsigned ErrBadlen = DMAERR_RX_BADLEN_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrHead   = DMAERR_RX_HEAD_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrTail   = DMAERR_RX_TAIL_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrBuserr = DMAERR_RX_BUSERR_LSB - DMAERR_RX_BADLEN_LSB;

  // ------------------------------------------------------------------------------------------------
  // Declarations
  logic        err_q, err_d, flush_q, flush_d;
  logic [3:0]  err_pulse_q, err_pulse_d;
  logic [15:0] rdh_q, rdh_d, fetch_ptr, use_ptr;

  logic [15:0] ring_n;
  logic        cfg_badlen, cfg_head, cfg_tail, cfg_err;
  logic        stop_req, run, drained, clear;
  logic        rd_err, wr_err;

  // descriptor fetch
  logic        ar_valid_q, ar_valid_d, ar_can_load;
  logic [63:0] ar_addr_q, ar_addr_d;
  logic [3:0]  ar_len_q, ar_len_d;
  logic [DescCntW-1:0] rd_out_q, rd_out_d;  // read bursts loaded and not yet returned (<= reserved descriptors)
  logic [63:0] fetch_addr;
  logic [3:0]  fet_n;
  logic [DescCntW-1:0] desc_res;
  logic        want_fetch, fetch_go;

  // descriptor FIFO (nic_sync_fifo), emptied by `clear`
  logic [DescCntW-1:0] desc_cnt;
  logic        desc_push, desc_pop, desc_empty, desc_clean;
  logic [59:0] desc_in, desc_head;

  // collector -> writer
  logic        wf_push, wf_full, bq_push, bq_full, pc_push, pc_full;
  rx_wbeat_t   wf_in;
  rx_burst_t   bq_in;
  rx_pc_t      pc_in;
  logic        in_frame, coll_quiet, coll_clean, csum_quiet;
  rx_csum_t    rx_csum;
  logic        wr_drained, wr_quiet, wr_clean;
  logic [63:0] aw_addr;
  logic [3:0]  aw_len;
  logic        aw_valid, w_valid, w_last;
  logic [127:0] w_data;
  logic [15:0] w_strb;

  // ------------------------------------------------------------------------------------------------
  // Configuration checks, run / flush control
  assign ring_n     = rdlen_i[19:4];
  assign cfg_badlen = (rdlen_i == '0) || (rdlen_i[6:0] != '0);
  assign cfg_head   = !cfg_badlen && ((rdh_q >= ring_n) ||
                      (!flush_q && (fetch_ptr >= ring_n || use_ptr >= ring_n)));
  assign cfg_tail   = !cfg_badlen && (rdt_i >= ring_n);
  assign cfg_err    = cfg_badlen || cfg_head || cfg_tail;

  assign stop_req = !rxen_i || err_q || cfg_err;
  assign run      = !stop_req && !flush_q;
  assign drained  = (rd_out_q == '0) && wr_drained && !in_frame;
  assign clear    = !run && drained;
  assign flush_d  = stop_req || (flush_q && !drained);

  assign rd_err = m_axi_rsp_i.r_valid && m_axi_rsp_i.r.resp[1];
  assign wr_err = m_axi_rsp_i.b_valid && m_axi_rsp_i.b.resp[1];

  always_comb begin
    err_pulse_d = '0;
    if (rxen_i && !err_q && cfg_err) begin
      err_pulse_d[ErrBadlen] = cfg_badlen;
      err_pulse_d[ErrHead]   = cfg_head;
      err_pulse_d[ErrTail]   = cfg_tail;
    end
    err_pulse_d[ErrBuserr] = rd_err || wr_err;
    err_d = rxen_i && (err_q || cfg_err || rd_err || wr_err);
  end

  // ------------------------------------------------------------------------------------------------
  // Descriptor fetch (only the buffer address is kept)
  assign ar_can_load = !ar_valid_q || m_axi_rsp_i.ar_ready;

  nic_dma_desc_fetch #(.DescDepth(DescDepth)) u_fetch (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear),
    .base_i (rdba_i), .ring_n_i (ring_n), .tail_i (rdt_i), .head_next_i (rdh_d),
    .head_we_i (rdh_we_i), .head_wdata_i (rdh_wdata_i),
    .ar_can_load_i (ar_can_load), .desc_pop_i (desc_pop),
    .want_o (want_fetch), .go_o (fetch_go), .addr_o (fetch_addr), .n_o (fet_n),
    .ptr_o (fetch_ptr), .res_o (desc_res)
  );

  always_comb begin
    ar_valid_d = ar_valid_q && !m_axi_rsp_i.ar_ready;
    ar_addr_d  = ar_addr_q;
    ar_len_d   = ar_len_q;
    if (fetch_go) begin
      ar_valid_d = 1'b1;
      ar_addr_d  = fetch_addr;
      ar_len_d   = fet_n - 4'd1;
    end
    rd_out_d = rd_out_q + DescCntW'(fetch_go) - DescCntW'(m_axi_rsp_i.r_valid && m_axi_rsp_i.r.last);
  end

  assign desc_push    = run && m_axi_rsp_i.r_valid;
  // the address is taken only with a push (0 otherwise, unread): no per-cycle copy of the R beat
  always_comb begin
    desc_in = '0;
    if (desc_push) desc_in = rx_desc_buf_addr(m_axi_rsp_i.r.data);
  end

  /* verilator lint_off PINCONNECTEMPTY */  // full: the fetch reserves room
  nic_sync_fifo #(.T(logic [59:0]), .Depth(DescDepth)) u_desc_fifo (
    .clk_i, .rst_ni, .clr_i (clear),
    .push_i (desc_push), .wdata_i (desc_in), .pop_i (desc_pop), .rdata_o (desc_head),
    .count_o (desc_cnt), .full_o (), .empty_o (desc_empty), .clean_o (desc_clean)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // ------------------------------------------------------------------------------------------------
  // Collector: stream -> 16-byte beats -> bursts; descriptors -> pc
  nic_rx_collector u_collector (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear),
    .ring_n_i (ring_n), .tail_i (rdt_i), .head_next_i (rdh_d),
    .head_we_i (rdh_we_i), .head_wdata_i (rdh_wdata_i), .bsize_i,
    .s_axis_tdata, .s_axis_tkeep, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast, .s_axis_tflag,
    .s_axis_tcsum (rx_csum), .s_axis_tvlan,
    .desc_valid_i (!desc_empty), .desc_i (desc_head), .desc_pop_o (desc_pop),
    .wf_full_i (wf_full), .wf_push_o (wf_push), .wf_o (wf_in),
    .bq_full_i (bq_full), .bq_push_o (bq_push), .bq_o (bq_in),
    .pc_full_i (pc_full), .pc_push_o (pc_push), .pc_o (pc_in),
    .evt_rnbc_o, .use_ptr_o (use_ptr), .in_frame_o (in_frame),
    .quiet_o (coll_quiet), .clean_o (coll_clean)
  );

  nic_rx_csum u_csum (
    .clk_i, .rst_ni, .ipofl_i, .tuofl_i,
    .s_axis_tdata, .s_axis_tkeep, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast,
    .csum_o (rx_csum), .quiet_o (csum_quiet)
  );

  // ------------------------------------------------------------------------------------------------
  // Writer: data bursts and write-backs; responses retire RDH
  nic_rx_writer u_writer (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear), .stopped_i (err_q),
    .base_i (rdba_i), .ring_n_i (ring_n), .tail_i (rdt_i), .rdmts_i,
    .head_we_i (rdh_we_i), .head_wdata_i (rdh_wdata_i), .head_o (rdh_q), .head_next_o (rdh_d),
    .wf_push_i (wf_push), .wf_i (wf_in), .wf_full_o (wf_full),
    .bq_push_i (bq_push), .bq_i (bq_in), .bq_full_o (bq_full),
    .pc_push_i (pc_push), .pc_i (pc_in), .pc_full_o (pc_full),
    .aw_valid_o (aw_valid), .aw_addr_o (aw_addr), .aw_len_o (aw_len), .aw_ready_i (m_axi_rsp_i.aw_ready),
    .w_valid_o (w_valid), .w_data_o (w_data), .w_strb_o (w_strb), .w_last_o (w_last),
    .w_ready_i (m_axi_rsp_i.w_ready), .b_valid_i (m_axi_rsp_i.b_valid), .b_err_i (m_axi_rsp_i.b.resp[1]),
    .evt_rxt0_o, .evt_rxdmt0_o,
    .drained_o (wr_drained), .quiet_o (wr_quiet), .clean_o (wr_clean)
  );

  // ------------------------------------------------------------------------------------------------
  // Registers
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      err_q       <= 1'b0;
      flush_q     <= 1'b1;
      err_pulse_q <= '0;
      ar_valid_q  <= 1'b0;
      ar_addr_q   <= '0;
      ar_len_q    <= '0;
      rd_out_q    <= '0;
    end else begin
      err_q       <= err_d;
      flush_q     <= flush_d;
      err_pulse_q <= err_pulse_d;
      ar_valid_q  <= ar_valid_d;
      ar_addr_q   <= ar_addr_d;
      ar_len_q    <= ar_len_d;
      rd_out_q    <= rd_out_d;
    end
  end

  // ------------------------------------------------------------------------------------------------
  // Outputs
  assign rdh_o     = rdh_q;
  assign err_o     = err_pulse_q;
  assign stopped_o = err_q;

  assign m_axi_req_o = '{
    aw:       '{id: IdWidth'(AxiId), addr: AddrWidth'(aw_addr), len: {4'd0, aw_len}, size: AxiSizeBeat,
                burst: AxiBurstIncr},
    pad_aw:   '0,
    pad_ar:   '0,
    aw_valid: aw_valid,
    w:        '{data: w_data, strb: w_strb, last: w_last},
    w_valid:  w_valid,
    b_ready:  1'b1,
    ar:       '{id: IdWidth'(AxiId), addr: AddrWidth'(ar_addr_q), len: {4'd0, ar_len_q}, size: AxiSizeBeat,
                burst: AxiBurstIncr},
    ar_valid: ar_valid_q,
    r_ready:  1'b1
  };

  // ------------------------------------------------------------------------------------------------
  // Idle: a fixed point of every register above and in the sub-blocks. Running, prefetched
  // descriptors may wait for a frame, but no fetch may be wanted (want_fetch depends on registers
  // only); stopped, the state must be what `clear` leaves.
  logic quiet, settled_run, settled_stop;
  assign quiet = !ar_valid_q && (rd_out_q == '0) && coll_quiet && csum_quiet && wr_quiet && (err_pulse_q == '0) &&
                 (err_q == (rxen_i && (err_q || cfg_err)));  // err_d without a bus error
  assign settled_run  = run && !want_fetch;
  assign settled_stop = stop_req && flush_q && (fetch_ptr == rdh_q) && (use_ptr == rdh_q) &&
                        (desc_res == '0) && desc_clean && coll_clean && wr_clean;
  assign idle_o = quiet && (settled_run || settled_stop) && !s_axis_tvalid;

  logic unused_ok;
  assign unused_ok = ^{m_axi_rsp_i.r.id, m_axi_rsp_i.b.id, m_axi_rsp_i.r.resp[0], m_axi_rsp_i.b.resp[0],
                       desc_cnt, rd_err};

  // ------------------------------------------------------------------------------------------------
  // Assertions (the sub-blocks check their own handshakes and FIFOs)
`ifndef SYNTHESIS
  logic        ar_stall_q;
  logic [63:0] ar_addr_past_q;
  logic [3:0]  ar_len_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) ar_stall_q <= 1'b0;
    else         ar_stall_q <= ar_valid_q && !m_axi_rsp_i.ar_ready;
    ar_addr_past_q <= ar_addr_q;
    ar_len_past_q  <= ar_len_q;
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_addr_q == ar_addr_past_q && ar_len_q == ar_len_past_q)
        else $error("nic_rx_dma: AR changed before arready");
      assert (!(m_axi_rsp_i.r_valid && rd_out_q == '0)) else $error("nic_rx_dma: R beat without request");
      if (run) assert (rdh_q < ring_n && fetch_ptr < ring_n && use_ptr < ring_n && rdt_i < ring_n)
        else $error("nic_rx_dma: ring pointer out of range while running");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_bad_len: cover property (@(posedge clk_i) disable iff (!rst_ni) rxen_i && !err_q && cfg_badlen);
  cov_bad_head: cover property (@(posedge clk_i) disable iff (!rst_ni) rxen_i && !err_q && cfg_head);
  cov_bad_tail: cover property (@(posedge clk_i) disable iff (!rst_ni) rxen_i && !err_q && cfg_tail);
  cov_read_bus_error: cover property (@(posedge clk_i) disable iff (!rst_ni) rd_err);
  cov_write_bus_error: cover property (@(posedge clk_i) disable iff (!rst_ni) wr_err);
  cov_disabled_mid_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) !run && in_frame);
`endif
  // ==== end cover points ====
endmodule
