// TX DMA: prefetches TX descriptors, reads their buffers over AXI4 and packs each frame into a 64-bit stream.
//
// Pipeline (all reads use one AXI ID, so R beats return in request order and one in-order tag FIFO
// tells what each beat is):
//   fetch     up to 8 descriptors per burst from fetch_ptr towards TDT (not past the ring end, a 4 KiB
//             boundary or the free space of the descriptor FIFO) -> descriptor FIFO
//   requester walks the head descriptor: beat-aligned bursts (<= 16 beats, no 4 KiB crossing) with
//             space reserved in the data FIFO, plus one packer segment per burst; zero-length and
//             over-long descriptors read nothing; a descriptor leaves to the completion queue (pc)
//   packer    drops the invalid head/tail bytes of each segment and packs the rest gap-free into a
//             24-byte accumulator; a non-last beat leaves only while more than 8 bytes are held, so
//             a frame whose end is known late (zero-length EOP, over-long frame) still has a byte
//             left to carry tlast/tuser
//   pc        head waits until its last read burst has returned, then queues the DD write-back (RS)
//   retire    head waits for its write-back response (RS), then advances TDH
// Errors, TXEN=0: no new requests; outstanding bursts are drained (responses dropped), an open frame
// is closed with tuser=1, and the queues are emptied before the engine runs again. TDH is not moved
// while draining.
module nic_tx_dma #(
  parameter int unsigned AxiDataWidth = 128,
  parameter int unsigned AxiIdWidth   = 4,
  parameter int unsigned AxiAddrWidth = 64,
  parameter int unsigned AxiId        = 0
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // queue registers
  input  logic                      txen_i,
  input  logic [63:0]               tdba_i,
  input  logic [19:0]               tdlen_i,
  input  logic [15:0]               tdt_i,
  input  logic                      tdh_we_i,
  input  logic [15:0]               tdh_wdata_i,
  output logic [15:0]               tdh_o,
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
  // frame stream towards the TX FIFO
  output logic [63:0]               m_axis_tdata,
  output logic [7:0]                m_axis_tkeep,
  output logic                      m_axis_tvalid,
  input  logic                      m_axis_tready,
  output logic                      m_axis_tlast,
  output logic                      m_axis_tuser,   // at tlast: 1 = discard the frame
  // events (one-cycle pulses) and status
  output logic                      evt_wb_o,       // RS descriptor written back
  output logic                      evt_wb_ide_o,   // ... and it had IDE
  output logic                      evt_txqe_o,     // TDH became equal to TDT
  output logic [5:0]                err_o,          // bits to set in DMAERR[5:0]
  output logic                      stopped_o,      // queue in error state until TXEN=0
  // nothing to fetch, read, pack, write back or retire, no pulse, and the run/stop state settled:
  // with no AXI response and no register write this block keeps its state
  output logic                      idle_o
);
  import nic_reg_pkg::*;

  // The datapath is written for 16-byte beats: one descriptor per beat.
  if (AxiDataWidth != 128) begin : gen_width_check
    $error("nic_tx_dma: only AxiDataWidth = 128 is supported");
  end

  localparam int unsigned DescDepth = 16;   // prefetched descriptors (two bursts of 8)
  localparam int unsigned DataDepth = 128;  // read beats in flight or buffered (2 KiB, > 80 cycles at 10G)
  localparam int unsigned TagDepth  = 16;   // read bursts requested and not yet returned
  localparam int unsigned SegDepth  = 32;
  localparam int unsigned PcDepth   = 16;
  localparam int unsigned RetDepth  = 16;
  localparam int unsigned AccBytes  = 24;
  localparam logic [20:0] MaxFrameLen = 21'h3F00;
  localparam logic [2:0]  AxiSize     = 3'd4;  // 16 bytes per beat
  localparam logic [1:0]  AxiIncr     = 2'b01;

  typedef struct packed {
    logic [63:0] addr;
    logic [19:0] len;
    logic        eop;
    logic        rs;
    logic        ide;
    logic [15:0] idx;
  } desc_t;

  typedef struct packed {
    logic is_desc;
    logic last;      // last data burst of its descriptor
  } tag_t;

  typedef struct packed {
    logic [4:0] nbeats;   // 0: frame end without data
    logic [3:0] lo;       // first valid byte of the first beat
    logic [4:0] hi;       // one past the last valid byte of the last beat (1..16)
    logic       eof;      // the frame ends after this segment
    logic       discard;  // (frame end without data) the frame is dropped
  } seg_t;

  typedef struct packed {
    logic        has_data;
    logic        rs;
    logic        ide;
    logic [15:0] idx;
  } pc_t;

  typedef struct packed {
    logic rs;
    logic ide;
  } ret_t;

  // ------------------------------------------------------------------------------------------------
  // Declarations
  logic        err_q, err_d, flush_q, flush_d;
  logic [5:0]  err_pulse_q, err_pulse_d;
  logic [15:0] tdh_q, tdh_d, fetch_ptr_q, fetch_ptr_d, desc_widx_q, desc_widx_d;
  logic        evt_wb_q, evt_wb_d, evt_wb_ide_q, evt_wb_ide_d, evt_txqe_q, evt_txqe_d;

  logic [15:0] ring_n;
  logic        cfg_badlen, cfg_head, cfg_tail, cfg_err;
  logic        stop_req, run, drained, clear;
  logic        rd_err, wr_err;

  // AXI request registers
  logic        ar_valid_q, ar_valid_d, ar_can_load;
  logic [63:0] ar_addr_q, ar_addr_d;
  logic [3:0]  ar_len_q, ar_len_d;
  logic        aw_valid_q, aw_valid_d, w_valid_q, w_valid_d;
  logic [63:0] aw_addr_q, aw_addr_d;
  logic [4:0]  wr_out_q, wr_out_d;   // write-backs loaded and not yet answered

  // descriptor fetch
  logic [15:0] avail_to_end, fet_n16;
  logic [63:0] fetch_addr;
  logic [8:0]  fetch_to4k;
  logic [4:0]  desc_free;
  logic [3:0]  fet_n;
  logic        want_fetch, fetch_go;

  // FIFOs
  desc_t       desc_mem_q [DescDepth];
  logic [3:0]  desc_wp_q, desc_rp_q;
  logic [4:0]  desc_cnt_q, desc_res_q, desc_res_d;
  logic        desc_push, desc_pop;
  desc_t       desc_in, desc_head;

  logic [127:0] data_mem_q [DataDepth];
  logic [6:0]  data_wp_q, data_rp_q;
  logic [7:0]  data_cnt_q, data_res_q, data_res_d, data_free;
  logic        data_push, data_pop;

  tag_t        tag_mem_q [TagDepth];
  logic [3:0]  tag_wp_q, tag_rp_q;
  logic [4:0]  tag_cnt_q;
  logic        tag_push, tag_pop;
  tag_t        tag_in, tag_head;

  seg_t        seg_mem_q [SegDepth];
  logic [4:0]  seg_wp_q, seg_rp_q;
  logic [5:0]  seg_cnt_q;
  logic        seg_push, seg_pop;
  seg_t        seg_in, seg_head;

  pc_t         pc_mem_q [PcDepth];
  logic [3:0]  pc_wp_q, pc_rp_q;
  logic [4:0]  pc_cnt_q;
  logic        pc_push, pc_pop;
  pc_t         pc_in, pc_head;

  ret_t        ret_mem_q [RetDepth];
  logic [3:0]  ret_wp_q, ret_rp_q;
  logic [4:0]  ret_cnt_q;
  logic        ret_push, ret_pop;
  ret_t        ret_in, ret_head;

  // requester
  logic        req_started_q, req_started_d;
  logic [63:0] cur_addr_q, cur_addr_d;
  logic [19:0] cur_rem_q, cur_rem_d;
  logic [13:0] frame_len_q, frame_len_d;
  logic        frame_long_q, frame_long_d;
  logic [20:0] tot_beats, new_len;
  logic [8:0]  beats_to4k, covered;
  logic [4:0]  nb, seg_hi;
  logic [3:0]  end_off;
  logic        burst_last, long_now, nodata, req_go, req_fin;
  logic        zlen_pulse, long_pulse;

  // completion and retirement
  logic [4:0]  data_done_q, data_done_d, b_done_q, b_done_d;
  logic        pc_done, pc_go, ret_go, r_hs, r_end;
  logic [15:0] tdh_inc;

  // packer
  logic [191:0] acc_q, acc_d, acc_pop, beat_ext;
  logic [4:0]   acc_cnt_q, acc_cnt_d, cnt_pop;
  logic         eof_q, eof_d, discard_q, discard_d, eof_pop;
  logic [3:0]   beat_cnt_q, beat_cnt_d;
  logic         frame_open_q, frame_open_d;
  logic         pk_valid, pk_last, pk_user, pk_pop, out_ready;
  logic [3:0]   pk_n;
  logic [3:0]   lo_eff;
  logic [4:0]   hi_eff, n_in;
  logic         seg_first, seg_lastb, seg_pop_pk;
  logic         out_valid_q, out_last_q, out_user_q;
  logic [63:0]  out_data_q;
  logic [7:0]   out_keep_q;

  // ------------------------------------------------------------------------------------------------
  // Configuration checks, run / flush control
  assign ring_n     = tdlen_i[19:4];
  assign cfg_badlen = (tdlen_i == '0) || (tdlen_i[6:0] != '0);
  // the internal fetch pointer is only meaningful once the pipeline is synchronised to TDH
  assign cfg_head   = !cfg_badlen && ((tdh_q >= ring_n) || (!flush_q && fetch_ptr_q >= ring_n));
  assign cfg_tail   = !cfg_badlen && (tdt_i >= ring_n);
  assign cfg_err    = cfg_badlen || cfg_head || cfg_tail;

  assign stop_req = !txen_i || err_q || cfg_err;
  assign run      = !stop_req && !flush_q;
  assign drained  = (tag_cnt_q == '0) && (wr_out_q == '0) && !frame_open_q;
  assign clear    = !run && drained;
  assign flush_d  = stop_req || (flush_q && !drained);

  assign rd_err = m_axi_rvalid && m_axi_rresp[1];
  assign wr_err = m_axi_bvalid && m_axi_bresp[1];

  always_comb begin
    err_pulse_d = '0;
    if (txen_i && !err_q && cfg_err) begin
      err_pulse_d[DMAERR_TX_BADLEN_LSB] = cfg_badlen;
      err_pulse_d[DMAERR_TX_HEAD_LSB]   = cfg_head;
      err_pulse_d[DMAERR_TX_TAIL_LSB]   = cfg_tail;
    end
    err_pulse_d[DMAERR_TX_BUSERR_LSB] = rd_err || wr_err;
    err_pulse_d[DMAERR_TX_ZLEN_LSB]   = zlen_pulse;
    err_pulse_d[DMAERR_TX_LONG_LSB]   = long_pulse;
    // a bus error seen while disabled (draining) is reported but does not stop the next run
    err_d = txen_i && (err_q || cfg_err || rd_err || wr_err);
  end

  // ------------------------------------------------------------------------------------------------
  // Descriptor fetch
  assign ar_can_load = (!ar_valid_q || m_axi_arready) && (tag_cnt_q != 5'(TagDepth));

  always_comb begin
    avail_to_end = (tdt_i >= fetch_ptr_q) ? (tdt_i - fetch_ptr_q) : (ring_n - fetch_ptr_q);
    fetch_addr   = {tdba_i[63:4], 4'd0} + {44'd0, fetch_ptr_q, 4'd0};
    fetch_to4k   = 9'd256 - {1'b0, fetch_addr[11:4]};
    desc_free    = 5'(DescDepth) - desc_res_q;
    fet_n16      = (avail_to_end < 16'd8) ? avail_to_end : 16'd8;
    // wait for room for a whole burst of 8 unless fewer are left before TDT / the ring end
    want_fetch   = run && (fetch_ptr_q != tdt_i) && ({11'd0, desc_free} >= fet_n16);
    if ({7'd0, fetch_to4k} < fet_n16) fet_n16 = {7'd0, fetch_to4k};
    fet_n        = fet_n16[3:0];
    fetch_go     = want_fetch && ar_can_load;
  end

  // ------------------------------------------------------------------------------------------------
  // Requester: descriptor head -> data read bursts and packer segments
  assign desc_head = desc_mem_q[desc_rp_q];

  always_comb begin
    tot_beats  = (21'(cur_addr_q[3:0]) + 21'(cur_rem_q) + 21'd15) >> 4;
    beats_to4k = 9'd256 - {1'b0, cur_addr_q[11:4]};
    nb         = 5'd16;
    if (tot_beats < 21'd16) nb = tot_beats[4:0];
    if (beats_to4k < {4'd0, nb}) nb = beats_to4k[4:0];
    burst_last = (tot_beats == 21'(nb));
    covered    = {nb, 4'd0} - {5'd0, cur_addr_q[3:0]};
    end_off    = cur_addr_q[3:0] + cur_rem_q[3:0];
    seg_hi     = (end_off == 4'd0) ? 5'd16 : {1'b0, end_off};

    new_len    = 21'(frame_len_q) + 21'(desc_head.len);
    long_now   = frame_long_q || (new_len > MaxFrameLen);
    nodata     = long_now || (desc_head.len == '0);
    data_free  = 8'(DataDepth) - data_res_q;

    // a descriptor without data (zero length, or part of an over-long frame) leaves at once
    req_fin = run && (desc_cnt_q != '0) && !req_started_q && nodata &&
              (pc_cnt_q != 5'(PcDepth)) && (!desc_head.eop || seg_cnt_q != 6'(SegDepth));
    req_go  = run && (desc_cnt_q != '0) && req_started_q && ar_can_load && !want_fetch &&
              (data_free >= {3'd0, nb}) && (seg_cnt_q != 6'(SegDepth)) &&
              (!burst_last || pc_cnt_q != 5'(PcDepth));

    req_started_d = req_started_q;
    cur_addr_d    = cur_addr_q;
    cur_rem_d     = cur_rem_q;
    frame_len_d   = frame_len_q;
    frame_long_d  = frame_long_q;
    zlen_pulse    = 1'b0;
    long_pulse    = 1'b0;
    seg_push      = 1'b0;
    seg_in        = '0;
    pc_push       = 1'b0;
    pc_in         = '{has_data: 1'b0, rs: desc_head.rs, ide: desc_head.ide, idx: desc_head.idx};
    desc_pop      = 1'b0;

    if (run && desc_cnt_q != '0 && !req_started_q && !nodata) begin
      req_started_d = 1'b1;
      cur_addr_d    = desc_head.addr;
      cur_rem_d     = desc_head.len;
      frame_len_d   = new_len[13:0];
    end
    if (req_fin) begin
      desc_pop   = 1'b1;
      pc_push    = 1'b1;
      zlen_pulse = (desc_head.len == '0);
      long_pulse = long_now && !frame_long_q;
      if (desc_head.eop) begin
        seg_push     = 1'b1;
        seg_in       = '{nbeats: 5'd0, lo: 4'd0, hi: 5'd16, eof: 1'b1, discard: long_now};
        frame_len_d  = '0;
        frame_long_d = 1'b0;
      end else begin
        frame_long_d = long_now;
      end
    end
    if (req_go) begin
      seg_push   = 1'b1;
      seg_in     = '{nbeats: nb, lo: cur_addr_q[3:0], hi: (burst_last ? seg_hi : 5'd16),
                     eof: burst_last && desc_head.eop, discard: 1'b0};
      cur_addr_d = {cur_addr_q[63:4] + 60'(nb), 4'd0};
      cur_rem_d  = cur_rem_q - 20'(covered);
      if (burst_last) begin
        req_started_d = 1'b0;
        desc_pop      = 1'b1;
        pc_push       = 1'b1;
        pc_in.has_data = 1'b1;
        if (desc_head.eop) frame_len_d = '0;
      end
    end
    if (clear) begin
      req_started_d = 1'b0;
      frame_len_d   = '0;
      frame_long_d  = 1'b0;
    end
  end

  // AR register: descriptor bursts first (they are short and keep the requester fed)
  always_comb begin
    ar_valid_d = ar_valid_q && !m_axi_arready;
    ar_addr_d  = ar_addr_q;
    ar_len_d   = ar_len_q;
    tag_push   = 1'b0;
    tag_in     = '0;
    if (fetch_go) begin
      ar_valid_d = 1'b1;
      ar_addr_d  = fetch_addr;
      ar_len_d   = fet_n - 4'd1;
      tag_push   = 1'b1;
      tag_in     = '{is_desc: 1'b1, last: 1'b0};
    end else if (req_go) begin
      ar_valid_d = 1'b1;
      ar_addr_d  = {cur_addr_q[63:4], 4'd0};
      ar_len_d   = 4'(nb - 5'd1);
      tag_push   = 1'b1;
      tag_in     = '{is_desc: 1'b0, last: burst_last};
    end
  end

  always_comb begin
    fetch_ptr_d = fetch_ptr_q;
    if (fetch_go) begin
      fetch_ptr_d = fetch_ptr_q + 16'(fet_n);
      if (fetch_ptr_d == ring_n) fetch_ptr_d = '0;
    end
    desc_res_d = desc_res_q + (fetch_go ? 5'(fet_n) : 5'd0) - 5'(desc_pop);
    data_res_d = data_res_q + (req_go ? 8'(nb) : 8'd0) - 8'(data_pop);
    if (clear) begin
      fetch_ptr_d = tdh_d;
      desc_res_d  = '0;
      data_res_d  = '0;
    end
    if (tdh_we_i) fetch_ptr_d = tdh_wdata_i;  // only meaningful while the queue is idle
  end

  // ------------------------------------------------------------------------------------------------
  // Read responses: always accepted (space was reserved); dropped while not running
  assign m_axi_rready = 1'b1;
  assign tag_head     = tag_mem_q[tag_rp_q];
  assign r_hs         = m_axi_rvalid;
  assign r_end        = r_hs && m_axi_rlast;
  assign tag_pop      = r_end;
  assign desc_push    = run && r_hs && tag_head.is_desc;
  assign data_push    = run && r_hs && !tag_head.is_desc;

  always_comb begin
    desc_in.addr = m_axi_rdata[TXDESC_BUFF_ADDR_BIT +: 64];
    desc_in.len  = m_axi_rdata[TXDESC_LENGTH_BIT +: 20];
    desc_in.eop  = m_axi_rdata[TXDESC_CMD_EOP_BIT];
    desc_in.rs   = m_axi_rdata[TXDESC_CMD_RS_BIT];
    desc_in.ide  = m_axi_rdata[TXDESC_CMD_IDE_BIT];
    desc_in.idx  = desc_widx_q;
    desc_widx_d  = desc_widx_q;
    if (desc_push) begin
      desc_widx_d = desc_widx_q + 16'd1;
      if (desc_widx_d == ring_n) desc_widx_d = '0;
    end
    if (clear) desc_widx_d = tdh_d;
    if (tdh_we_i) desc_widx_d = tdh_wdata_i;
  end

  // ------------------------------------------------------------------------------------------------
  // Completion (data read) -> write-back -> retirement
  assign pc_head = pc_mem_q[pc_rp_q];
  assign ret_head = ret_mem_q[ret_rp_q];
  assign pc_done = !pc_head.has_data || (data_done_q != '0);
  assign pc_go   = run && (pc_cnt_q != '0) && pc_done && (ret_cnt_q != 5'(RetDepth)) &&
                   (!pc_head.rs || (!aw_valid_q && !w_valid_q));
  assign pc_pop  = pc_go;
  assign ret_push = pc_go;
  assign ret_in   = '{rs: pc_head.rs, ide: pc_head.ide};
  assign ret_go   = run && (ret_cnt_q != '0) && (!ret_head.rs || (b_done_q != '0));
  assign ret_pop  = ret_go;
  assign tdh_inc  = (tdh_q + 16'd1 == ring_n) ? 16'd0 : tdh_q + 16'd1;

  always_comb begin
    data_done_d = data_done_q + 5'(run && r_end && !tag_head.is_desc && tag_head.last) -
                  5'(pc_go && pc_head.has_data);
    b_done_d    = b_done_q + 5'(run && m_axi_bvalid && !m_axi_bresp[1]) - 5'(ret_go && ret_head.rs);
    if (clear) begin
      data_done_d = '0;
      b_done_d    = '0;
    end

    aw_valid_d = aw_valid_q && !m_axi_awready;
    aw_addr_d  = aw_addr_q;
    w_valid_d  = (w_valid_q && !m_axi_wready) || (aw_valid_q && m_axi_awready);
    if (pc_go && pc_head.rs) begin
      aw_valid_d = 1'b1;
      aw_addr_d  = {tdba_i[63:4], 4'd0} + {44'd0, pc_head.idx, 4'd0};
    end
    wr_out_d = wr_out_q + 5'(pc_go && pc_head.rs) - 5'(m_axi_bvalid);

    tdh_d        = tdh_q;
    evt_wb_d     = 1'b0;
    evt_wb_ide_d = 1'b0;
    evt_txqe_d   = 1'b0;
    if (ret_go) begin
      tdh_d        = tdh_inc;
      evt_wb_d     = ret_head.rs;
      evt_wb_ide_d = ret_head.rs && ret_head.ide;
      evt_txqe_d   = (tdh_inc == tdt_i);
    end
    if (tdh_we_i) tdh_d = tdh_wdata_i;
  end

  // ------------------------------------------------------------------------------------------------
  // Packer: segments of 16-byte beats -> gap-free 64-bit frame stream
  assign seg_head  = seg_mem_q[seg_rp_q];
  assign out_ready = !out_valid_q || m_axis_tready;

  always_comb begin
    pk_valid = 1'b0;
    pk_n     = 4'd8;
    pk_last  = 1'b0;
    pk_user  = 1'b0;
    if (run) begin
      if (acc_cnt_q > 5'd8) begin
        pk_valid = 1'b1;
      end else if (eof_q && acc_cnt_q != '0) begin
        pk_valid = 1'b1;
        pk_n     = acc_cnt_q[3:0];
        pk_last  = 1'b1;
        pk_user  = discard_q;
      end
    end else if (frame_open_q) begin
      // close the frame already started downstream; the FIFO drops it
      pk_valid = 1'b1;
      pk_n     = (acc_cnt_q >= 5'd8) ? 4'd8 : acc_cnt_q[3:0];
      pk_last  = 1'b1;
      pk_user  = 1'b1;
    end
  end
  assign pk_pop = pk_valid && out_ready;

  always_comb begin
    seg_first = (beat_cnt_q == '0);
    seg_lastb = ({1'b0, beat_cnt_q} == seg_head.nbeats - 5'd1);
    lo_eff    = seg_first ? seg_head.lo : 4'd0;
    hi_eff    = seg_lastb ? seg_head.hi : 5'd16;
    n_in      = hi_eff - {1'b0, lo_eff};
    beat_ext  = {64'd0, data_mem_q[data_rp_q]} >> {lo_eff, 3'd0};
    beat_ext  = beat_ext & ~(~192'd0 << {n_in, 3'd0});

    cnt_pop   = pk_pop ? acc_cnt_q - {1'b0, pk_n} : acc_cnt_q;
    acc_pop   = pk_pop ? acc_q >> {pk_n, 3'd0} : acc_q;
    eof_pop   = eof_q && !(pk_pop && pk_last);

    acc_d      = acc_pop;
    acc_cnt_d  = cnt_pop;
    eof_d      = eof_pop;
    discard_d  = discard_q;
    beat_cnt_d = beat_cnt_q;
    seg_pop_pk = 1'b0;
    data_pop   = 1'b0;
    frame_open_d = pk_pop ? !pk_last : frame_open_q;

    if (!run) begin
      if (!frame_open_q || pk_pop) begin
        acc_d      = '0;
        acc_cnt_d  = '0;
        eof_d      = 1'b0;
        discard_d  = 1'b0;
        beat_cnt_d = '0;
      end
    end else if (seg_cnt_q != '0 && !eof_pop) begin
      if (seg_head.nbeats == '0) begin
        seg_pop_pk = 1'b1;
        if (cnt_pop != '0) begin  // no byte held: the frame had no data, nothing to send
          eof_d     = 1'b1;
          discard_d = seg_head.discard;
        end
      end else if (data_cnt_q != '0 && (6'(cnt_pop) + 6'(n_in) <= 6'(AccBytes))) begin
        data_pop  = 1'b1;
        acc_d     = acc_pop | (beat_ext << {cnt_pop, 3'd0});
        acc_cnt_d = cnt_pop + n_in;
        if (seg_lastb) begin
          seg_pop_pk = 1'b1;
          beat_cnt_d = '0;
          if (seg_head.eof) begin
            eof_d     = 1'b1;
            discard_d = 1'b0;
          end
        end else begin
          beat_cnt_d = beat_cnt_q + 4'd1;
        end
      end
    end
  end
  assign seg_pop = seg_pop_pk;

  // ------------------------------------------------------------------------------------------------
  // Registers
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      err_q         <= 1'b0;
      flush_q       <= 1'b1;
      err_pulse_q   <= '0;
      tdh_q         <= '0;
      fetch_ptr_q   <= '0;
      desc_widx_q   <= '0;
      evt_wb_q      <= 1'b0;
      evt_wb_ide_q  <= 1'b0;
      evt_txqe_q    <= 1'b0;
      ar_valid_q    <= 1'b0;
      ar_addr_q     <= '0;
      ar_len_q      <= '0;
      aw_valid_q    <= 1'b0;
      aw_addr_q     <= '0;
      w_valid_q     <= 1'b0;
      wr_out_q      <= '0;
      desc_res_q    <= '0;
      data_res_q    <= '0;
      req_started_q <= 1'b0;
      cur_addr_q    <= '0;
      cur_rem_q     <= '0;
      frame_len_q   <= '0;
      frame_long_q  <= 1'b0;
      data_done_q   <= '0;
      b_done_q      <= '0;
      acc_q         <= '0;
      acc_cnt_q     <= '0;
      eof_q         <= 1'b0;
      discard_q     <= 1'b0;
      beat_cnt_q    <= '0;
      frame_open_q  <= 1'b0;
      out_valid_q   <= 1'b0;
      out_data_q    <= '0;
      out_keep_q    <= '0;
      out_last_q    <= 1'b0;
      out_user_q    <= 1'b0;
    end else begin
      err_q         <= err_d;
      flush_q       <= flush_d;
      err_pulse_q   <= err_pulse_d;
      tdh_q         <= tdh_d;
      fetch_ptr_q   <= fetch_ptr_d;
      desc_widx_q   <= desc_widx_d;
      evt_wb_q      <= evt_wb_d;
      evt_wb_ide_q  <= evt_wb_ide_d;
      evt_txqe_q    <= evt_txqe_d;
      ar_valid_q    <= ar_valid_d;
      ar_addr_q     <= ar_addr_d;
      ar_len_q      <= ar_len_d;
      aw_valid_q    <= aw_valid_d;
      aw_addr_q     <= aw_addr_d;
      w_valid_q     <= w_valid_d;
      wr_out_q      <= wr_out_d;
      desc_res_q    <= desc_res_d;
      data_res_q    <= data_res_d;
      req_started_q <= req_started_d;
      cur_addr_q    <= cur_addr_d;
      cur_rem_q     <= cur_rem_d;
      frame_len_q   <= frame_len_d;
      frame_long_q  <= frame_long_d;
      data_done_q   <= data_done_d;
      b_done_q      <= b_done_d;
      acc_q         <= acc_d;
      acc_cnt_q     <= acc_cnt_d;
      eof_q         <= eof_d;
      discard_q     <= discard_d;
      beat_cnt_q    <= beat_cnt_d;
      frame_open_q  <= frame_open_d;
      if (pk_pop) begin
        out_valid_q <= 1'b1;
        out_data_q  <= acc_q[63:0];
        out_keep_q  <= 8'hFF >> (4'd8 - pk_n);
        out_last_q  <= pk_last;
        out_user_q  <= pk_user;
      end else if (m_axis_tready) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  // FIFO pointers (emptied together when the drained engine is stopped)
  always_ff @(posedge clk_i) begin
    if (!rst_ni || clear) begin
      desc_wp_q <= '0;
      desc_rp_q <= '0;
      desc_cnt_q <= '0;
      data_wp_q <= '0;
      data_rp_q <= '0;
      data_cnt_q <= '0;
      seg_wp_q  <= '0;
      seg_rp_q  <= '0;
      seg_cnt_q <= '0;
      pc_wp_q   <= '0;
      pc_rp_q   <= '0;
      pc_cnt_q  <= '0;
      ret_wp_q  <= '0;
      ret_rp_q  <= '0;
      ret_cnt_q <= '0;
    end else begin
      desc_wp_q  <= desc_wp_q + 4'(desc_push);
      desc_rp_q  <= desc_rp_q + 4'(desc_pop);
      desc_cnt_q <= desc_cnt_q + 5'(desc_push) - 5'(desc_pop);
      data_wp_q  <= data_wp_q + 7'(data_push);
      data_rp_q  <= data_rp_q + 7'(data_pop);
      data_cnt_q <= data_cnt_q + 8'(data_push) - 8'(data_pop);
      seg_wp_q   <= seg_wp_q + 5'(seg_push);
      seg_rp_q   <= seg_rp_q + 5'(seg_pop);
      seg_cnt_q  <= seg_cnt_q + 6'(seg_push) - 6'(seg_pop);
      pc_wp_q    <= pc_wp_q + 4'(pc_push);
      pc_rp_q    <= pc_rp_q + 4'(pc_pop);
      pc_cnt_q   <= pc_cnt_q + 5'(pc_push) - 5'(pc_pop);
      ret_wp_q   <= ret_wp_q + 4'(ret_push);
      ret_rp_q   <= ret_rp_q + 4'(ret_pop);
      ret_cnt_q  <= ret_cnt_q + 5'(ret_push) - 5'(ret_pop);
    end
  end

  // the tag FIFO counts outstanding read bursts and is never cleared
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

  // storage (not reset)
  always_ff @(posedge clk_i) begin
    if (desc_push) desc_mem_q[desc_wp_q] <= desc_in;
    if (data_push) data_mem_q[data_wp_q] <= m_axi_rdata;
    if (tag_push)  tag_mem_q[tag_wp_q]   <= tag_in;
    if (seg_push)  seg_mem_q[seg_wp_q]   <= seg_in;
    if (pc_push)   pc_mem_q[pc_wp_q]     <= pc_in;
    if (ret_push)  ret_mem_q[ret_wp_q]   <= ret_in;
  end

  // ------------------------------------------------------------------------------------------------
  // Outputs
  assign tdh_o        = tdh_q;
  assign evt_wb_o     = evt_wb_q;
  assign evt_wb_ide_o = evt_wb_ide_q;
  assign evt_txqe_o   = evt_txqe_q;
  assign err_o        = err_pulse_q;
  assign stopped_o    = err_q;

  assign m_axi_arid    = AxiIdWidth'(AxiId);
  assign m_axi_araddr  = AxiAddrWidth'(ar_addr_q);
  assign m_axi_arlen   = {4'd0, ar_len_q};
  assign m_axi_arsize  = AxiSize;
  assign m_axi_arburst = AxiIncr;
  assign m_axi_arvalid = ar_valid_q;

  // write-back: one beat at the descriptor, only the status byte (DD) enabled
  assign m_axi_awid    = AxiIdWidth'(AxiId);
  assign m_axi_awaddr  = AxiAddrWidth'(aw_addr_q);
  assign m_axi_awlen   = 8'd0;
  assign m_axi_awsize  = AxiSize;
  assign m_axi_awburst = AxiIncr;
  assign m_axi_awvalid = aw_valid_q;
  assign m_axi_wdata   = AxiDataWidth'(1) << TXDESC_STATUS_DD_BIT;
  assign m_axi_wstrb   = (AxiDataWidth/8)'(1) << (TXDESC_STATUS_BIT / 8);
  assign m_axi_wlast   = 1'b1;
  assign m_axi_wvalid  = w_valid_q;
  assign m_axi_bready  = 1'b1;

  assign m_axis_tdata  = out_data_q;
  assign m_axis_tkeep  = out_keep_q;
  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tlast  = out_last_q;
  assign m_axis_tuser  = out_user_q;

  // ------------------------------------------------------------------------------------------------
  // Idle: a fixed point of every register above. Running, the ring must be empty (TDH = TDT, all
  // fetched); stopped, the state must be what `clear` leaves (pointers back at TDH, queues reset).
  logic quiet, settled_run, settled_stop;
  assign quiet = (tag_cnt_q == '0) && (wr_out_q == '0) && !ar_valid_q && !aw_valid_q && !w_valid_q &&
                 (desc_cnt_q == '0) && (data_cnt_q == '0) && (seg_cnt_q == '0) && (pc_cnt_q == '0) &&
                 (ret_cnt_q == '0) && (desc_res_q == '0) && (data_res_q == '0) && !req_started_q &&
                 (frame_len_q == '0) && !frame_long_q && (data_done_q == '0) && (b_done_q == '0) &&
                 (acc_cnt_q == '0) && !eof_q && (beat_cnt_q == '0) && !frame_open_q && !out_valid_q &&
                 (err_pulse_q == '0) && !evt_wb_q && !evt_wb_ide_q && !evt_txqe_q &&
                 (err_q == (txen_i && (err_q || cfg_err)));  // err_d without a bus error
  assign settled_run  = run && (fetch_ptr_q == tdt_i) && (tdh_q == tdt_i);
  assign settled_stop = stop_req && flush_q && (fetch_ptr_q == tdh_q) && (desc_widx_q == tdh_q) &&
                        (desc_wp_q == '0) && (desc_rp_q == '0) && (data_wp_q == '0) && (data_rp_q == '0) &&
                        (seg_wp_q == '0) && (seg_rp_q == '0) && (pc_wp_q == '0) && (pc_rp_q == '0) &&
                        (ret_wp_q == '0) && (ret_rp_q == '0) && (acc_q == '0) && !discard_q;
  assign idle_o = quiet && (settled_run || settled_stop);

  logic unused_ok;
  assign unused_ok = ^{tdba_i[3:0], m_axi_rid, m_axi_bid, m_axi_rresp[0], m_axi_bresp[0], seg_pop_pk,
                       fetch_addr[3:0], fetch_to4k[8:4], fet_n16[15:4], tot_beats[20:5]};

  // ------------------------------------------------------------------------------------------------
  // Assertions
`ifndef SYNTHESIS
  logic        ar_stall_q, aw_stall_q, w_stall_q, out_stall_q;
  logic [63:0] ar_addr_past_q, aw_addr_past_q, out_data_past_q;
  logic [3:0]  ar_len_past_q;
  logic [9:0]  out_side_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ar_stall_q  <= 1'b0;
      aw_stall_q  <= 1'b0;
      w_stall_q   <= 1'b0;
      out_stall_q <= 1'b0;
    end else begin
      ar_stall_q  <= m_axi_arvalid && !m_axi_arready;
      aw_stall_q  <= m_axi_awvalid && !m_axi_awready;
      w_stall_q   <= m_axi_wvalid && !m_axi_wready;
      out_stall_q <= m_axis_tvalid && !m_axis_tready;
    end
    ar_addr_past_q  <= ar_addr_q;
    ar_len_past_q   <= ar_len_q;
    aw_addr_past_q  <= aw_addr_q;
    out_data_past_q <= out_data_q;
    out_side_past_q <= {out_keep_q, out_last_q, out_user_q};
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_addr_q == ar_addr_past_q && ar_len_q == ar_len_past_q)
        else $error("nic_tx_dma: AR changed before arready");
      if (aw_stall_q) assert (aw_valid_q && aw_addr_q == aw_addr_past_q)
        else $error("nic_tx_dma: AW changed before awready");
      if (w_stall_q) assert (w_valid_q) else $error("nic_tx_dma: W dropped before wready");
      if (out_stall_q) assert (out_valid_q && out_data_q == out_data_past_q &&
                               {out_keep_q, out_last_q, out_user_q} == out_side_past_q)
        else $error("nic_tx_dma: stream beat changed before tready");
      assert (!(m_axi_rvalid && tag_cnt_q == '0)) else $error("nic_tx_dma: R beat without request");
      assert (!(m_axi_bvalid && wr_out_q == '0)) else $error("nic_tx_dma: B without write");
      if (run) assert (tdh_q < ring_n && fetch_ptr_q < ring_n && tdt_i < ring_n)
        else $error("nic_tx_dma: ring pointer out of range while running");
      assert (!(desc_push && desc_cnt_q == 5'(DescDepth))) else $error("nic_tx_dma: descriptor FIFO overflow");
      assert (!(data_push && data_cnt_q == 8'(DataDepth))) else $error("nic_tx_dma: data FIFO overflow");
      assert (!(tag_push && tag_cnt_q == 5'(TagDepth) && !tag_pop)) else $error("nic_tx_dma: tag FIFO overflow");
      assert (!(seg_push && seg_cnt_q == 6'(SegDepth))) else $error("nic_tx_dma: segment FIFO overflow");
      assert (desc_res_q <= 5'(DescDepth) && data_res_q <= 8'(DataDepth))
        else $error("nic_tx_dma: reservation overflow");
      assert (!(data_pop && data_cnt_q == '0)) else $error("nic_tx_dma: data FIFO underflow");
      if (frame_open_q) assert (acc_cnt_q != '0) else $error("nic_tx_dma: open frame with no byte held");
      assert (acc_cnt_q <= 5'(AccBytes)) else $error("nic_tx_dma: accumulator overflow");
    end
  end
`endif
endmodule
