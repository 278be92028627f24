// RX DMA: prefetches RX descriptors, writes received frames into their buffers over AXI4 and writes the status back.
//
// Pipeline:
//   fetch     up to 8 descriptors per burst from fetch_ptr towards RDT -> descriptor FIFO (buffer
//             addresses only; low 4 bits ignored)
//   collector takes stream beats while a descriptor is at hand, pairs them into 16-byte beats in the
//             W FIFO and cuts bursts (16 beats, 4 KiB boundary, buffer full, frame end) into the
//             burst queue; a filled buffer or the frame end sends the descriptor to pc
//   writer    one AW then its W beats at a time: data bursts from the burst queue, or the write-back
//             of the pc head once all its data bursts are answered (priority)
//   retire    each write-back response advances RDH (in order: one AXI ID)
// Errors, RXEN=0: no new requests; a frame being taken is consumed to its end and dropped; the bursts
// in progress are completed and all responses awaited; queues are emptied before the engine runs
// again. After an error RDH is frozen.
module nic_rx_dma #(
  parameter int unsigned AxiDataWidth = 128,
  parameter int unsigned AxiIdWidth   = 4,
  parameter int unsigned AxiAddrWidth = 64,
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
  // frame stream from the RX FIFO (complete frames, no gaps inside a frame)
  input  logic [63:0]               s_axis_tdata,
  input  logic [7:0]                s_axis_tkeep,
  input  logic                      s_axis_tvalid,
  output logic                      s_axis_tready,
  input  logic                      s_axis_tlast,
  input  logic                      s_axis_tflag,  // at tlast: CRC error -> errors.CE
  // AXI4 master
  output logic [AxiIdWidth-1:0]     m_axi_awid,
  output logic [AxiAddrWidth-1:0]   m_axi_awaddr,
  output logic [7:0]                m_axi_awlen,
  output logic [2:0]                m_axi_awsize,
  output logic [1:0]                m_axi_awburst,
  output logic                      m_axi_awvalid,
  input  logic                      m_axi_awready,
  output logic [AxiDataWidth-1:0]   m_axi_wdata,
  output logic [AxiDataWidth/8-1:0] m_axi_wstrb,
  output logic                      m_axi_wlast,
  output logic                      m_axi_wvalid,
  input  logic                      m_axi_wready,
  input  logic [AxiIdWidth-1:0]     m_axi_bid,
  input  logic [1:0]                m_axi_bresp,
  input  logic                      m_axi_bvalid,
  output logic                      m_axi_bready,
  output logic [AxiIdWidth-1:0]     m_axi_arid,
  output logic [AxiAddrWidth-1:0]   m_axi_araddr,
  output logic [7:0]                m_axi_arlen,
  output logic [2:0]                m_axi_arsize,
  output logic [1:0]                m_axi_arburst,
  output logic                      m_axi_arvalid,
  input  logic                      m_axi_arready,
  input  logic [AxiIdWidth-1:0]     m_axi_rid,
  input  logic [AxiDataWidth-1:0]   m_axi_rdata,
  input  logic [1:0]                m_axi_rresp,
  input  logic                      m_axi_rlast,
  input  logic                      m_axi_rvalid,
  output logic                      m_axi_rready,
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

  if (AxiDataWidth != 128) begin : gen_width_check
    $error("nic_rx_dma: only AxiDataWidth = 128 is supported");
  end

  localparam int unsigned DescDepth = 16;
  localparam int unsigned WDepth    = 32;  // two full bursts: one being written, one collecting
  localparam int unsigned BqDepth   = 8;
  localparam int unsigned PcDepth   = 16;
  localparam int unsigned TagDepth  = 16;  // write bursts loaded and not yet answered
  localparam logic [2:0]  AxiSize   = 3'd4;
  localparam logic [1:0]  AxiIncr   = 2'b01;
  localparam int unsigned ErrBadlen = DMAERR_RX_BADLEN_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrHead   = DMAERR_RX_HEAD_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrTail   = DMAERR_RX_TAIL_LSB - DMAERR_RX_BADLEN_LSB;
  localparam int unsigned ErrBuserr = DMAERR_RX_BUSERR_LSB - DMAERR_RX_BADLEN_LSB;

  typedef struct packed {
    logic [127:0] data;
    logic [15:0]  strb;
  } wbeat_t;

  typedef struct packed {
    logic [59:0] addr;   // beat address (byte address / 16)
    logic [3:0]  len;    // beats - 1
    logic        last;   // last burst of its descriptor
  } burst_t;

  typedef struct packed {
    logic [15:0] idx;
    logic [14:0] len;
    logic        eop;
    logic        ce;
  } pc_t;

  typedef struct packed {
    logic is_wb;
    logic last;   // data burst: last of its descriptor
    logic eop;    // write-back: of an EOP descriptor
  } tag_t;

  typedef enum logic [1:0] {
    WeIdle,
    WeAw,
    WeW
  } we_state_e;

  // ------------------------------------------------------------------------------------------------
  // Declarations
  logic        err_q, err_d, flush_q, flush_d;
  logic [3:0]  err_pulse_q, err_pulse_d;
  logic [15:0] rdh_q, rdh_d, fetch_ptr_q, fetch_ptr_d, use_ptr_q, use_ptr_d;
  logic        evt_rxt0_q, evt_rxt0_d, evt_rxdmt0_q, evt_rxdmt0_d, evt_rnbc_q, evt_rnbc_d;

  logic [15:0] ring_n;
  logic        cfg_badlen, cfg_head, cfg_tail, cfg_err;
  logic        stop_req, run, drained, clear;
  logic        rd_err, wr_err;

  // descriptor fetch
  logic        ar_valid_q, ar_valid_d, ar_can_load;
  logic [63:0] ar_addr_q, ar_addr_d;
  logic [3:0]  ar_len_q, ar_len_d;
  logic [4:0]  rd_out_q, rd_out_d;  // read bursts loaded and not yet returned
  logic [15:0] avail_to_end, fet_n16;
  logic [63:0] fetch_addr;
  logic [8:0]  fetch_to4k;
  logic [4:0]  desc_free;
  logic [3:0]  fet_n;
  logic        want_fetch, fetch_go;

  // FIFOs
  logic [59:0] desc_mem_q [DescDepth];
  logic [3:0]  desc_wp_q, desc_rp_q;
  logic [4:0]  desc_cnt_q, desc_res_q, desc_res_d;
  logic        desc_push, desc_pop;
  logic [59:0] desc_head;

  wbeat_t      wf_mem_q [WDepth];
  logic [4:0]  wf_wp_q, wf_rp_q;
  logic [5:0]  wf_cnt_q;
  logic        wf_push, wf_pop;
  wbeat_t      wf_in, wf_head;

  burst_t      bq_mem_q [BqDepth];
  logic [2:0]  bq_wp_q, bq_rp_q;
  logic [3:0]  bq_cnt_q;
  logic        bq_push, bq_pop;
  burst_t      bq_in, bq_head;

  pc_t         pc_mem_q [PcDepth];
  logic [3:0]  pc_wp_q, pc_rp_q;
  logic [4:0]  pc_cnt_q;
  logic        pc_push, pc_pop;
  pc_t         pc_in, pc_head;

  tag_t        tag_mem_q [TagDepth];
  logic [3:0]  tag_wp_q, tag_rp_q;
  logic [4:0]  tag_cnt_q;
  logic        tag_push, tag_pop;
  tag_t        tag_in, tag_head;

  // collector
  logic        in_frame_q, in_frame_d, have_desc_q, have_desc_d, half_q, half_d;
  logic        burst_open_q, burst_open_d, rnbc_done_q, rnbc_done_d;
  logic [59:0] wr_addr_q, wr_addr_d, burst_addr_q, burst_addr_d, beat_addr, burst_start;
  logic [4:0]  burst_cnt_q, burst_cnt_d, burst_cnt_n;
  logic [14:0] buf_len_q, buf_len_d, buf_len_n, bsize_bytes;
  logic [63:0] lo_data_q, lo_data_d;
  logic [7:0]  lo_strb_q, lo_strb_d;
  logic [3:0]  nbytes;
  logic        st_hs, take, buf_full, end_desc, push_beat, close_burst, space_ok, desc_ok;

  // writer
  we_state_e   we_state_q, we_state_d;
  logic [63:0] aw_addr_q, aw_addr_d;
  logic [3:0]  aw_len_q, aw_len_d;
  logic        we_is_wb_q, we_is_wb_d;
  logic [4:0]  we_rem_q, we_rem_d;
  logic [63:0] wb_data_q, wb_data_d;    // descriptor bytes 8..15
  logic [4:0]  data_done_q, data_done_d;
  logic        wb_go, burst_go;

  // retirement
  logic [15:0] rdh_inc, free_after, thr;
  logic        retire;

  // ------------------------------------------------------------------------------------------------
  // Configuration checks, run / flush control
  assign ring_n     = rdlen_i[19:4];
  assign cfg_badlen = (rdlen_i == '0) || (rdlen_i[6:0] != '0);
  assign cfg_head   = !cfg_badlen && ((rdh_q >= ring_n) ||
                      (!flush_q && (fetch_ptr_q >= ring_n || use_ptr_q >= ring_n)));
  assign cfg_tail   = !cfg_badlen && (rdt_i >= ring_n);
  assign cfg_err    = cfg_badlen || cfg_head || cfg_tail;

  assign stop_req = !rxen_i || err_q || cfg_err;
  assign run      = !stop_req && !flush_q;
  assign drained  = (rd_out_q == '0) && (tag_cnt_q == '0) && (we_state_q == WeIdle) && !in_frame_q;
  assign clear    = !run && drained;
  assign flush_d  = stop_req || (flush_q && !drained);

  assign rd_err = m_axi_rvalid && m_axi_rresp[1];
  assign wr_err = m_axi_bvalid && m_axi_bresp[1];

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
  assign ar_can_load = !ar_valid_q || m_axi_arready;

  always_comb begin
    avail_to_end = (rdt_i >= fetch_ptr_q) ? (rdt_i - fetch_ptr_q) : (ring_n - fetch_ptr_q);
    fetch_addr   = {rdba_i[63:4], 4'd0} + {44'd0, fetch_ptr_q, 4'd0};
    fetch_to4k   = 9'd256 - {1'b0, fetch_addr[11:4]};
    desc_free    = 5'(DescDepth) - desc_res_q;
    fet_n16      = (avail_to_end < 16'd8) ? avail_to_end : 16'd8;
    want_fetch   = run && (fetch_ptr_q != rdt_i) && ({11'd0, desc_free} >= fet_n16);
    if ({7'd0, fetch_to4k} < fet_n16) fet_n16 = {7'd0, fetch_to4k};
    fet_n        = fet_n16[3:0];
    fetch_go     = want_fetch && ar_can_load;

    ar_valid_d = ar_valid_q && !m_axi_arready;
    ar_addr_d  = ar_addr_q;
    ar_len_d   = ar_len_q;
    if (fetch_go) begin
      ar_valid_d = 1'b1;
      ar_addr_d  = fetch_addr;
      ar_len_d   = fet_n - 4'd1;
    end
    rd_out_d = rd_out_q + 5'(fetch_go) - 5'(m_axi_rvalid && m_axi_rlast);

    fetch_ptr_d = fetch_ptr_q;
    if (fetch_go) begin
      fetch_ptr_d = fetch_ptr_q + 16'(fet_n);
      if (fetch_ptr_d == ring_n) fetch_ptr_d = '0;
    end
    desc_res_d = desc_res_q + (fetch_go ? 5'(fet_n) : 5'd0) - 5'(desc_pop);
    if (clear) begin
      fetch_ptr_d = rdh_d;
      desc_res_d  = '0;
    end
    if (rdh_we_i) fetch_ptr_d = rdh_wdata_i;  // only meaningful while the queue is idle
  end

  assign m_axi_rready = 1'b1;
  assign desc_push    = run && m_axi_rvalid;

  // ------------------------------------------------------------------------------------------------
  // Collector: stream -> 16-byte beats -> bursts; descriptors -> pc
  assign desc_head   = desc_mem_q[desc_rp_q];
  assign bsize_bytes = 15'd2048 << bsize_i;

  always_comb begin
    nbytes = 4'd0;
    for (int unsigned i = 0; i < 8; i++) nbytes = nbytes + 4'(s_axis_tkeep[i]);

    space_ok = (wf_cnt_q != 6'(WDepth)) && (bq_cnt_q != 4'(BqDepth)) && (pc_cnt_q != 5'(PcDepth));
    desc_ok  = have_desc_q || (desc_cnt_q != '0);
    // while stopped, a frame already begun is consumed to its end and dropped
    s_axis_tready = run ? (desc_ok && space_ok) : in_frame_q;
    st_hs = s_axis_tvalid && s_axis_tready;
    take  = run && st_hs;

    beat_addr   = have_desc_q ? wr_addr_q : desc_head;
    buf_len_n   = buf_len_q + 15'(nbytes);
    // BSIZE is a multiple of 16 and only a frame's last beat is partial: a buffer fills on a full beat
    buf_full    = (buf_len_n == bsize_bytes);
    end_desc    = s_axis_tlast || buf_full;
    push_beat   = half_q || end_desc;
    burst_cnt_n = (burst_open_q ? burst_cnt_q : 5'd0) + 5'd1;
    burst_start = burst_open_q ? burst_addr_q : beat_addr;
    close_burst = (burst_cnt_n == 5'd16) || (beat_addr[7:0] == 8'hFF) || end_desc;

    wf_in.data = half_q ? {s_axis_tdata, lo_data_q} : {64'd0, s_axis_tdata};
    wf_in.strb = half_q ? {s_axis_tkeep, lo_strb_q} : {8'd0, s_axis_tkeep};
    wf_push    = take && push_beat;
    bq_in      = '{addr: burst_start, len: 4'(burst_cnt_n - 5'd1), last: end_desc};
    bq_push    = take && push_beat && close_burst;
    pc_in      = '{idx: use_ptr_q, len: buf_len_n, eop: s_axis_tlast, ce: s_axis_tlast && s_axis_tflag};
    pc_push    = take && end_desc;
    desc_pop   = take && !have_desc_q;

    in_frame_d   = st_hs ? !s_axis_tlast : in_frame_q;
    have_desc_d  = have_desc_q;
    half_d       = half_q;
    burst_open_d = burst_open_q;
    burst_addr_d = burst_addr_q;
    burst_cnt_d  = burst_cnt_q;
    buf_len_d    = buf_len_q;
    wr_addr_d    = wr_addr_q;
    lo_data_d    = lo_data_q;
    lo_strb_d    = lo_strb_q;
    use_ptr_d    = use_ptr_q;
    if (take) begin
      have_desc_d = !end_desc;
      buf_len_d   = end_desc ? 15'd0 : buf_len_n;
      half_d      = !push_beat;
      wr_addr_d   = push_beat ? beat_addr + 60'd1 : beat_addr;
      if (!push_beat) begin
        lo_data_d = s_axis_tdata;
        lo_strb_d = s_axis_tkeep;
      end else begin
        burst_open_d = !close_burst;
        burst_addr_d = burst_start;
        burst_cnt_d  = close_burst ? 5'd0 : burst_cnt_n;
      end
      if (end_desc) begin
        use_ptr_d = use_ptr_q + 16'd1;
        if (use_ptr_d == ring_n) use_ptr_d = '0;
      end
    end
    if (clear) begin
      have_desc_d  = 1'b0;
      half_d       = 1'b0;
      burst_open_d = 1'b0;
      burst_cnt_d  = '0;
      buf_len_d    = '0;
      use_ptr_d    = rdh_d;
    end
    if (rdh_we_i) use_ptr_d = rdh_wdata_i;

    // RNBC: the frame needs a descriptor and every one up to RDT is in use
    evt_rnbc_d  = run && s_axis_tvalid && !desc_ok && (use_ptr_q == rdt_i) && !rnbc_done_q;
    rnbc_done_d = (st_hs && s_axis_tlast) ? 1'b0 : (rnbc_done_q || evt_rnbc_d);
  end

  // ------------------------------------------------------------------------------------------------
  // Writer: one AW, then its W beats
  assign wf_head  = wf_mem_q[wf_rp_q];
  assign bq_head  = bq_mem_q[bq_rp_q];
  assign pc_head  = pc_mem_q[pc_rp_q];
  assign tag_head = tag_mem_q[tag_rp_q];

  always_comb begin
    wb_go    = run && (we_state_q == WeIdle) && (tag_cnt_q != 5'(TagDepth)) &&
               (pc_cnt_q != '0) && (data_done_q != '0);
    burst_go = run && (we_state_q == WeIdle) && (tag_cnt_q != 5'(TagDepth)) && !wb_go &&
               (bq_cnt_q != '0);
    pc_pop   = wb_go;
    bq_pop   = burst_go;
    tag_push = wb_go || burst_go;
    tag_in   = wb_go ? '{is_wb: 1'b1, last: 1'b0, eop: pc_head.eop}
                     : '{is_wb: 1'b0, last: bq_head.last, eop: 1'b0};

    we_state_d = we_state_q;
    aw_addr_d  = aw_addr_q;
    aw_len_d   = aw_len_q;
    we_is_wb_d = we_is_wb_q;
    we_rem_d   = we_rem_q;
    wb_data_d  = wb_data_q;
    wf_pop     = 1'b0;
    unique case (we_state_q)
      WeIdle: begin
        if (wb_go) begin
          we_state_d = WeAw;
          aw_addr_d  = {rdba_i[63:4], 4'd0} + {44'd0, pc_head.idx, 4'd0};
          aw_len_d   = 4'd0;
          we_is_wb_d = 1'b1;
          we_rem_d   = 5'd1;
          wb_data_d  = '0;
          wb_data_d[RXDESC_LENGTH_BIT - 64 +: 16]  = 16'(pc_head.len);
          wb_data_d[RXDESC_STATUS_DD_BIT - 64]     = 1'b1;
          wb_data_d[RXDESC_STATUS_EOP_BIT - 64]    = pc_head.eop;
          wb_data_d[RXDESC_ERRORS_CE_BIT - 64]     = pc_head.ce;
        end else if (burst_go) begin
          we_state_d = WeAw;
          aw_addr_d  = {bq_head.addr, 4'd0};
          aw_len_d   = bq_head.len;
          we_is_wb_d = 1'b0;
          we_rem_d   = 5'(bq_head.len) + 5'd1;
        end
      end
      WeAw: begin
        if (m_axi_awready) we_state_d = WeW;
      end
      WeW: begin
        if (m_axi_wready) begin
          wf_pop   = !we_is_wb_q;
          we_rem_d = we_rem_q - 5'd1;
          if (we_rem_q == 5'd1) we_state_d = WeIdle;
        end
      end
      default: we_state_d = WeIdle;
    endcase
  end

  // ------------------------------------------------------------------------------------------------
  // Write responses: data completion and retirement (RDH)
  assign tag_pop    = m_axi_bvalid;
  // an answered write-back retires its descriptor unless the queue stopped on an error
  assign retire     = m_axi_bvalid && !m_axi_bresp[1] && tag_head.is_wb && !err_q;
  assign rdh_inc    = (rdh_q + 16'd1 == ring_n) ? 16'd0 : rdh_q + 16'd1;
  assign free_after = (rdt_i >= rdh_inc) ? (rdt_i - rdh_inc) : (rdt_i + ring_n - rdh_inc);

  always_comb begin
    unique case (rdmts_i)
      2'd0:    thr = ring_n >> 1;
      2'd1:    thr = ring_n >> 2;
      default: thr = ring_n >> 3;
    endcase
    data_done_d = data_done_q + 5'(run && m_axi_bvalid && !m_axi_bresp[1] && !tag_head.is_wb &&
                                   tag_head.last) - 5'(wb_go);
    if (clear) data_done_d = '0;

    rdh_d        = rdh_q;
    evt_rxt0_d   = 1'b0;
    evt_rxdmt0_d = 1'b0;
    if (retire) begin
      rdh_d        = rdh_inc;
      evt_rxt0_d   = tag_head.eop;
      evt_rxdmt0_d = (free_after == thr);
    end
    if (rdh_we_i) rdh_d = rdh_wdata_i;
  end

  // ------------------------------------------------------------------------------------------------
  // Registers
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      err_q        <= 1'b0;
      flush_q      <= 1'b1;
      err_pulse_q  <= '0;
      rdh_q        <= '0;
      fetch_ptr_q  <= '0;
      use_ptr_q    <= '0;
      evt_rxt0_q   <= 1'b0;
      evt_rxdmt0_q <= 1'b0;
      evt_rnbc_q   <= 1'b0;
      ar_valid_q   <= 1'b0;
      ar_addr_q    <= '0;
      ar_len_q     <= '0;
      rd_out_q     <= '0;
      desc_res_q   <= '0;
      in_frame_q   <= 1'b0;
      have_desc_q  <= 1'b0;
      half_q       <= 1'b0;
      burst_open_q <= 1'b0;
      rnbc_done_q  <= 1'b0;
      wr_addr_q    <= '0;
      burst_addr_q <= '0;
      burst_cnt_q  <= '0;
      buf_len_q    <= '0;
      lo_data_q    <= '0;
      lo_strb_q    <= '0;
      we_state_q   <= WeIdle;
      aw_addr_q    <= '0;
      aw_len_q     <= '0;
      we_is_wb_q   <= 1'b0;
      we_rem_q     <= '0;
      wb_data_q    <= '0;
      data_done_q  <= '0;
    end else begin
      err_q        <= err_d;
      flush_q      <= flush_d;
      err_pulse_q  <= err_pulse_d;
      rdh_q        <= rdh_d;
      fetch_ptr_q  <= fetch_ptr_d;
      use_ptr_q    <= use_ptr_d;
      evt_rxt0_q   <= evt_rxt0_d;
      evt_rxdmt0_q <= evt_rxdmt0_d;
      evt_rnbc_q   <= evt_rnbc_d;
      ar_valid_q   <= ar_valid_d;
      ar_addr_q    <= ar_addr_d;
      ar_len_q     <= ar_len_d;
      rd_out_q     <= rd_out_d;
      desc_res_q   <= desc_res_d;
      in_frame_q   <= in_frame_d;
      have_desc_q  <= have_desc_d;
      half_q       <= half_d;
      burst_open_q <= burst_open_d;
      rnbc_done_q  <= rnbc_done_d;
      wr_addr_q    <= wr_addr_d;
      burst_addr_q <= burst_addr_d;
      burst_cnt_q  <= burst_cnt_d;
      buf_len_q    <= buf_len_d;
      lo_data_q    <= lo_data_d;
      lo_strb_q    <= lo_strb_d;
      we_state_q   <= we_state_d;
      aw_addr_q    <= aw_addr_d;
      aw_len_q     <= aw_len_d;
      we_is_wb_q   <= we_is_wb_d;
      we_rem_q     <= we_rem_d;
      wb_data_q    <= wb_data_d;
      data_done_q  <= data_done_d;
    end
  end

  // FIFO pointers (emptied together when the drained engine is stopped)
  always_ff @(posedge clk_i) begin
    if (!rst_ni || clear) begin
      desc_wp_q  <= '0;
      desc_rp_q  <= '0;
      desc_cnt_q <= '0;
      wf_wp_q    <= '0;
      wf_rp_q    <= '0;
      wf_cnt_q   <= '0;
      bq_wp_q    <= '0;
      bq_rp_q    <= '0;
      bq_cnt_q   <= '0;
      pc_wp_q    <= '0;
      pc_rp_q    <= '0;
      pc_cnt_q   <= '0;
    end else begin
      desc_wp_q  <= desc_wp_q + 4'(desc_push);
      desc_rp_q  <= desc_rp_q + 4'(desc_pop);
      desc_cnt_q <= desc_cnt_q + 5'(desc_push) - 5'(desc_pop);
      wf_wp_q    <= wf_wp_q + 5'(wf_push);
      wf_rp_q    <= wf_rp_q + 5'(wf_pop);
      wf_cnt_q   <= wf_cnt_q + 6'(wf_push) - 6'(wf_pop);
      bq_wp_q    <= bq_wp_q + 3'(bq_push);
      bq_rp_q    <= bq_rp_q + 3'(bq_pop);
      bq_cnt_q   <= bq_cnt_q + 4'(bq_push) - 4'(bq_pop);
      pc_wp_q    <= pc_wp_q + 4'(pc_push);
      pc_rp_q    <= pc_rp_q + 4'(pc_pop);
      pc_cnt_q   <= pc_cnt_q + 5'(pc_push) - 5'(pc_pop);
    end
  end

  // the tag FIFO follows outstanding write bursts and is never cleared
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      tag_wp_q  <= '0;
      tag_rp_q  <= '0;
      tag_cnt_q <= '0;
    end else begin
      tag_wp_q  <= tag_wp_q + 4'(tag_push);
      tag_rp_q  <= tag_rp_q + 4'(tag_pop);
      tag_cnt_q <= tag_cnt_q + 5'(tag_push) - 5'(tag_pop);
    end
  end

  always_ff @(posedge clk_i) begin
    if (desc_push) desc_mem_q[desc_wp_q] <= m_axi_rdata[RXDESC_BUFF_ADDR_BIT + 4 +: 60];
    if (wf_push)   wf_mem_q[wf_wp_q]     <= wf_in;
    if (bq_push)   bq_mem_q[bq_wp_q]     <= bq_in;
    if (pc_push)   pc_mem_q[pc_wp_q]     <= pc_in;
    if (tag_push)  tag_mem_q[tag_wp_q]   <= tag_in;
  end

  // ------------------------------------------------------------------------------------------------
  // Outputs
  assign rdh_o        = rdh_q;
  assign evt_rxt0_o   = evt_rxt0_q;
  assign evt_rxdmt0_o = evt_rxdmt0_q;
  assign evt_rnbc_o   = evt_rnbc_q;
  assign err_o        = err_pulse_q;
  assign stopped_o    = err_q;

  assign m_axi_arid    = AxiIdWidth'(AxiId);
  assign m_axi_araddr  = AxiAddrWidth'(ar_addr_q);
  assign m_axi_arlen   = {4'd0, ar_len_q};
  assign m_axi_arsize  = AxiSize;
  assign m_axi_arburst = AxiIncr;
  assign m_axi_arvalid = ar_valid_q;

  assign m_axi_awid    = AxiIdWidth'(AxiId);
  assign m_axi_awaddr  = AxiAddrWidth'(aw_addr_q);
  assign m_axi_awlen   = {4'd0, aw_len_q};
  assign m_axi_awsize  = AxiSize;
  assign m_axi_awburst = AxiIncr;
  assign m_axi_awvalid = (we_state_q == WeAw);
  assign m_axi_wvalid  = (we_state_q == WeW);
  assign m_axi_wdata   = we_is_wb_q ? {wb_data_q, 64'd0} : wf_head.data;
  assign m_axi_wstrb   = we_is_wb_q ? 16'hFF00 : wf_head.strb;
  assign m_axi_wlast   = (we_rem_q == 5'd1);
  assign m_axi_bready  = 1'b1;

  // ------------------------------------------------------------------------------------------------
  // Idle: a fixed point of every register above. Running, prefetched descriptors may wait for a
  // frame, but no fetch may be wanted; stopped, the state must be what `clear` leaves.
  // (want_fetch again, from registers only: the fetch block also reads AXI inputs, which would
  // make idle_o follow every input change)
  logic quiet, settled_run, settled_stop, idle_want_fetch;
  logic [15:0] idle_avail, idle_need;
  assign idle_avail      = (rdt_i >= fetch_ptr_q) ? (rdt_i - fetch_ptr_q) : (ring_n - fetch_ptr_q);
  assign idle_need       = (idle_avail < 16'd8) ? idle_avail : 16'd8;
  assign idle_want_fetch = run && (fetch_ptr_q != rdt_i) && ({11'd0, 5'(DescDepth) - desc_res_q} >= idle_need);
  assign quiet = !ar_valid_q && (rd_out_q == '0) && (tag_cnt_q == '0) && (we_state_q == WeIdle) &&
                 !in_frame_q && (wf_cnt_q == '0) && (bq_cnt_q == '0) && (pc_cnt_q == '0) &&
                 (data_done_q == '0) && (err_pulse_q == '0) && !evt_rxt0_q && !evt_rxdmt0_q &&
                 !evt_rnbc_q && (err_q == (rxen_i && (err_q || cfg_err)));  // err_d without a bus error
  assign settled_run  = run && !idle_want_fetch;
  assign settled_stop = stop_req && flush_q && (fetch_ptr_q == rdh_q) && (use_ptr_q == rdh_q) &&
                        (desc_res_q == '0) && (desc_wp_q == '0) && (desc_rp_q == '0) && (desc_cnt_q == '0) &&
                        (wf_wp_q == '0) && (wf_rp_q == '0) && (bq_wp_q == '0) && (bq_rp_q == '0) &&
                        (pc_wp_q == '0) && (pc_rp_q == '0) && !have_desc_q && !half_q && !burst_open_q &&
                        (burst_cnt_q == '0) && (buf_len_q == '0);
  assign idle_o = quiet && (settled_run || settled_stop) && !s_axis_tvalid;

  logic unused_ok;
  assign unused_ok = ^{rdba_i[3:0], m_axi_rid, m_axi_bid, m_axi_rresp[0], m_axi_bresp[0], m_axi_rdata,
                       fetch_addr[3:0], fetch_to4k[8:4], fet_n16[15:4], rd_err};

  // ------------------------------------------------------------------------------------------------
  // Assertions
`ifndef SYNTHESIS
  logic        ar_stall_q, aw_stall_q, w_stall_q;
  logic [63:0] ar_addr_past_q, aw_addr_past_q;
  logic [3:0]  ar_len_past_q, aw_len_past_q;
  logic [127:0] wdata_past_q;
  logic [15:0] wstrb_past_q;
  logic        wlast_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ar_stall_q <= 1'b0;
      aw_stall_q <= 1'b0;
      w_stall_q  <= 1'b0;
    end else begin
      ar_stall_q <= m_axi_arvalid && !m_axi_arready;
      aw_stall_q <= m_axi_awvalid && !m_axi_awready;
      w_stall_q  <= m_axi_wvalid && !m_axi_wready;
    end
    ar_addr_past_q <= ar_addr_q;
    ar_len_past_q  <= ar_len_q;
    aw_addr_past_q <= aw_addr_q;
    aw_len_past_q  <= aw_len_q;
    wdata_past_q   <= m_axi_wdata;
    wstrb_past_q   <= m_axi_wstrb;
    wlast_past_q   <= m_axi_wlast;
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_addr_q == ar_addr_past_q && ar_len_q == ar_len_past_q)
        else $error("nic_rx_dma: AR changed before arready");
      if (aw_stall_q) assert (m_axi_awvalid && aw_addr_q == aw_addr_past_q && aw_len_q == aw_len_past_q)
        else $error("nic_rx_dma: AW changed before awready");
      if (w_stall_q) assert (m_axi_wvalid && m_axi_wdata == wdata_past_q && m_axi_wstrb == wstrb_past_q &&
                             m_axi_wlast == wlast_past_q)
        else $error("nic_rx_dma: W changed before wready");
      assert (!(m_axi_rvalid && rd_out_q == '0)) else $error("nic_rx_dma: R beat without request");
      assert (!(m_axi_bvalid && tag_cnt_q == '0)) else $error("nic_rx_dma: B without write");
      if (run) assert (rdh_q < ring_n && fetch_ptr_q < ring_n && use_ptr_q < ring_n && rdt_i < ring_n)
        else $error("nic_rx_dma: ring pointer out of range while running");
      assert (!(desc_push && desc_cnt_q == 5'(DescDepth))) else $error("nic_rx_dma: descriptor FIFO overflow");
      assert (!(wf_push && wf_cnt_q == 6'(WDepth))) else $error("nic_rx_dma: W FIFO overflow");
      assert (!(m_axi_wvalid && !we_is_wb_q && wf_cnt_q == '0)) else $error("nic_rx_dma: W FIFO underflow");
      assert (!(desc_pop && desc_cnt_q == '0)) else $error("nic_rx_dma: descriptor FIFO underflow");
      if (take && !s_axis_tlast) assert (s_axis_tkeep == 8'hFF)
        else $error("nic_rx_dma: partial beat before tlast");
    end
  end
`endif
endmodule
