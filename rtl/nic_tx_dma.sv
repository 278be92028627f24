// TX DMA: prefetches TX descriptors, reads their buffers over AXI4 and packs each frame into a 64-bit stream.
//
// Pipeline (all reads use one AXI ID, so R beats return in request order and one in-order tag FIFO
// tells what each beat is); each stage is a sub-block:
//   u_fetch   nic_dma_desc_fetch: up to 8 descriptors per burst from the fetch pointer towards TDT
//             -> descriptor FIFO (decoded by nic_dma_pkg::tx_desc_decode)
//   u_rd_req  nic_tx_rd_req: walks the head descriptor in read bursts, one packer segment per burst
//             -> segment FIFO; a descriptor leaves to the completion queue (pc)
//   u_packer  nic_tx_packer: data FIFO beats cut by their segments -> gap-free 64-bit frame stream
//   u_wb      nic_tx_wb: pc head waits for its data, RS write-back (DD), retire advances TDH
//   u_tso     nic_tx_tso: passes frames through, cuts a TSO chain into segments (header replicated)
//   u_csum    nic_tx_csum: watches the frame stream with each frame's options (option FIFO, pushed by
//             u_rd_req) and names the checksums the TX FIFO writes into the frame (m_axis_tpatch)
//   u_vlan    nic_tx_vlan: inserts the 802.1Q tag into frames with VLE (after u_csum's observation
//             point, so the context offsets name the untagged frame), moving the patch offsets
// This level keeps the run/stop control, the AR register with its tag FIFO, and the FIFOs between
// the stages.
// Errors, TXEN=0: no new requests; outstanding bursts are drained (responses dropped), an open frame
// is closed with tuser=1, and the queues are emptied before the engine runs again. TDH is not moved
// while draining.
module nic_tx_dma #(
  parameter int unsigned AxiId        = 0
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // queue registers
  input  logic                      txen_i,
  input  logic [63:0]               tdba_i,
  input  logic [19:0]               tdlen_i,
  input  logic [15:0]               tdt_i,
  input  logic [15:0]               vet_i,          // VET: TPID of inserted VLAN tags
  input  logic                      tdh_we_i,
  input  logic [15:0]               tdh_wdata_i,
  output logic [15:0]               tdh_o,
  // AXI4 master
  output nic_axi_pkg::req_t         m_axi_req_o,
  input  nic_axi_pkg::rsp_t         m_axi_rsp_i,
  // frame stream towards the TX FIFO
  output logic [63:0]               m_axis_tdata,
  output logic [7:0]                m_axis_tkeep,
  output logic                      m_axis_tvalid,
  input  logic                      m_axis_tready,
  output logic                      m_axis_tlast,
  output logic                      m_axis_tuser,   // at tlast: 1 = discard the frame
  output nic_dma_pkg::tx_patch_t    m_axis_tpatch,  // at tlast: checksums to write into the frame
  // events (one-cycle pulses) and status
  output logic                      evt_wb_o,       // RS descriptor written back
  output logic                      evt_wb_ide_o,   // ... and it had IDE
  output logic                      evt_txqe_o,     // TDH became equal to TDT
  output logic [5:0]                err_o,          // bits to set in DMAERR[5:0]
  output logic                      st_tso_o,       // a TSO chain sent completely (TSCTC)
  output logic [1:0]                st_tso_fail_o,  // TSO chains failed this cycle (TSCTFC)
  output logic                      stopped_o,      // queue in error state until TXEN=0
  // nothing to fetch, read, pack, write back or retire, no pulse, and the run/stop state settled:
  // with no AXI response and no register write this block keeps its state
  output logic                      idle_o
);
  import nic_reg_pkg::*;
  import nic_dma_pkg::*;
  import nic_axi_pkg::*;

  // The datapath is written for 16-byte beats (one descriptor per beat) and 64-bit addresses.
  if (DataWidth != 128 || AddrWidth != 64) begin : gen_width_check
    $error("nic_tx_dma: only 128-bit data and 64-bit addresses are supported (nic_axi_pkg)");
  end
  if (AxiId >= (1 << IdWidth)) begin : gen_id_check
    $error("nic_tx_dma: AxiId does not fit nic_axi_pkg::IdWidth");
  end

  localparam int unsigned DescDepth = 16;   // prefetched descriptors (two bursts of 8)
  localparam int unsigned DataDepth = 128;  // read beats in flight or buffered (2 KiB, > 80 cycles at 10G)
  localparam int unsigned TagDepth  = 16;   // read bursts requested and not yet returned
  localparam int unsigned SegDepth  = 32;
  localparam int unsigned PcDepth   = 16;
  localparam int unsigned RetDepth  = 16;
  localparam int unsigned OptDepth  = 32;   // frames between the requester and the stream (<= SegDepth)
  localparam int unsigned DescCntW  = $clog2(DescDepth + 1);

  typedef struct packed {
    logic is_desc;
    logic last;      // last data burst of its descriptor
  } tag_t;

  // ------------------------------------------------------------------------------------------------
  // Declarations
  logic        err_q, err_d, flush_q, flush_d;
  logic [5:0]  err_pulse_q, err_pulse_d;
  logic [15:0] tdh_q, tdh_d, fetch_ptr, desc_widx_q, desc_widx_d;

  logic [15:0] ring_n;
  logic        cfg_badlen, cfg_head, cfg_tail, cfg_err;
  logic        stop_req, run, drained, clear;
  logic        rd_err, wr_err;

  // AR register
  logic        ar_valid_q, ar_valid_d, ar_can_load;
  logic [63:0] ar_addr_q, ar_addr_d;
  logic [3:0]  ar_len_q, ar_len_d;

  // descriptor fetch
  logic [63:0] fetch_addr;
  logic [3:0]  fet_n;
  logic [DescCntW-1:0] desc_res;
  logic        want_fetch, fetch_go;

  // FIFOs between the stages (nic_sync_fifo); all but the tag FIFO are emptied by `clear`
  logic [DescCntW-1:0] desc_cnt;
  logic        desc_push, desc_pop, desc_empty, desc_clean;
  tx_desc_t    desc_in, desc_head;

  logic [127:0] data_head;
  logic        data_push, data_pop, data_empty, data_clean;

  logic        tag_push, tag_pop, tag_full, tag_empty;
  tag_t        tag_in, tag_head;

  logic        seg_push, seg_pop, seg_full, seg_empty, seg_clean;
  tx_seg_t     seg_in, seg_head;

  logic        pc_push, pc_full;
  tx_pc_t      pc_in;

  logic        opt_push, opt_pop, opt_full, opt_empty, opt_clean, csum_quiet;
  logic        csum_pop_unused;
  tx_opt_t     opt_in, opt_head;

  // requester, packer, write-back
  logic        req_go, req_last, zlen_pulse, long_pulse, rd_req_quiet;
  // packer -> segmenter stream, TSO events
  logic [63:0] pk_tdata;
  logic [7:0]  pk_tkeep;
  logic        pk_tvalid, pk_tready, pk_tlast, pk_tuser;
  logic        tse_noctx, tso_done, tso_fail, tso_quiet;
  // segmenter -> VLAN insertion stream (observed by the checksum offload)
  logic [63:0] sg_tdata;
  logic [7:0]  sg_tkeep;
  logic        sg_tvalid, sg_tready, sg_tlast, sg_tuser, vlan_quiet;
  tx_patch_t   sg_tpatch;
  logic        st_tso_q;
  logic [1:0]  st_tso_fail_q;
  logic [63:0] req_addr;
  logic [3:0]  req_len;
  logic        frame_open, packer_quiet, packer_clean;
  logic        wb_aw_valid, wb_w_valid, wr_idle, wb_quiet, wb_clean;
  logic [63:0] wb_aw_addr;
  logic        r_hs, r_end;

  // ------------------------------------------------------------------------------------------------
  // Configuration checks, run / flush control
  assign ring_n     = tdlen_i[19:4];
  assign cfg_badlen = (tdlen_i == '0) || (tdlen_i[6:0] != '0);
  // the internal fetch pointer is only meaningful once the pipeline is synchronised to TDH
  assign cfg_head   = !cfg_badlen && ((tdh_q >= ring_n) || (!flush_q && fetch_ptr >= ring_n));
  assign cfg_tail   = !cfg_badlen && (tdt_i >= ring_n);
  assign cfg_err    = cfg_badlen || cfg_head || cfg_tail;

  assign stop_req = !txen_i || err_q || cfg_err;
  assign run      = !stop_req && !flush_q;
  assign drained  = tag_empty && wr_idle && !frame_open && tso_quiet && vlan_quiet;
  assign clear    = !run && drained;
  assign flush_d  = stop_req || (flush_q && !drained);

  assign rd_err = m_axi_rsp_i.r_valid && m_axi_rsp_i.r.resp[1];
  assign wr_err = m_axi_rsp_i.b_valid && m_axi_rsp_i.b.resp[1];

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
  assign ar_can_load = (!ar_valid_q || m_axi_rsp_i.ar_ready) && !tag_full;

  nic_dma_desc_fetch #(.DescDepth(DescDepth)) u_fetch (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear),
    .base_i (tdba_i), .ring_n_i (ring_n), .tail_i (tdt_i), .head_next_i (tdh_d),
    .head_we_i (tdh_we_i), .head_wdata_i (tdh_wdata_i),
    .ar_can_load_i (ar_can_load), .desc_pop_i (desc_pop),
    .want_o (want_fetch), .go_o (fetch_go), .addr_o (fetch_addr), .n_o (fet_n),
    .ptr_o (fetch_ptr), .res_o (desc_res)
  );

  // ------------------------------------------------------------------------------------------------
  // Requester: descriptor head -> data read bursts and packer segments
  nic_tx_rd_req #(.DataDepth(DataDepth)) u_rd_req (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear),
    .desc_valid_i (!desc_empty), .desc_i (desc_head), .desc_pop_o (desc_pop),
    .ar_can_load_i (ar_can_load), .fetch_want_i (want_fetch),
    .req_o (req_go), .req_addr_o (req_addr), .req_len_o (req_len), .req_last_o (req_last),
    .data_pop_i (data_pop),
    .seg_full_i (seg_full), .seg_push_o (seg_push), .seg_o (seg_in),
    .pc_full_i (pc_full), .pc_push_o (pc_push), .pc_o (pc_in),
    .opt_full_i (opt_full), .opt_push_o (opt_push), .opt_o (opt_in),
    .zlen_o (zlen_pulse), .long_o (long_pulse), .tse_noctx_o (tse_noctx), .quiet_o (rd_req_quiet)
  );

  // AR register: descriptor bursts first (they are short and keep the requester fed)
  always_comb begin
    ar_valid_d = ar_valid_q && !m_axi_rsp_i.ar_ready;
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
      ar_addr_d  = req_addr;
      ar_len_d   = req_len;
      tag_push   = 1'b1;
      tag_in     = '{is_desc: 1'b0, last: req_last};
    end
  end

  // ------------------------------------------------------------------------------------------------
  // Read responses: always accepted (space was reserved); dropped while not running
  assign r_hs         = m_axi_rsp_i.r_valid;
  assign r_end        = r_hs && m_axi_rsp_i.r.last;
  assign tag_pop      = r_end;
  assign desc_push    = run && r_hs && tag_head.is_desc;
  assign data_push    = run && r_hs && !tag_head.is_desc;
  // decoded only when pushed (the simulation would otherwise decode every R beat's data, and
  // every idle cycle's, in each cycle)
  always_comb begin
    desc_in = '0;
    if (desc_push) desc_in = tx_desc_decode(m_axi_rsp_i.r.data, desc_widx_q);
  end

  always_comb begin
    desc_widx_d = desc_widx_q;
    if (desc_push) begin  // (the test reads desc_widx_q: Verilator 5.006 counts it, docs/coverage.md)
      if (desc_widx_q + 16'd1 == ring_n) desc_widx_d = '0;
      else desc_widx_d = desc_widx_q + 16'd1;
    end
    if (clear) desc_widx_d = tdh_d;
    if (tdh_we_i) desc_widx_d = tdh_wdata_i;
  end

  // ------------------------------------------------------------------------------------------------
  // Completion (data read) -> write-back -> retirement
  nic_tx_wb #(.PcDepth(PcDepth), .RetDepth(RetDepth)) u_wb (
    .clk_i, .rst_ni, .run_i (run), .clear_i (clear),
    .base_i (tdba_i), .ring_n_i (ring_n), .tail_i (tdt_i),
    .head_we_i (tdh_we_i), .head_wdata_i (tdh_wdata_i), .head_o (tdh_q), .head_next_o (tdh_d),
    .pc_push_i (pc_push), .pc_i (pc_in), .pc_full_o (pc_full),
    .data_done_i (r_end && !tag_head.is_desc && tag_head.last),
    .aw_valid_o (wb_aw_valid), .aw_addr_o (wb_aw_addr), .aw_ready_i (m_axi_rsp_i.aw_ready),
    .w_valid_o (wb_w_valid), .w_ready_i (m_axi_rsp_i.w_ready),
    .b_valid_i (m_axi_rsp_i.b_valid), .b_err_i (m_axi_rsp_i.b.resp[1]),
    .evt_wb_o, .evt_wb_ide_o, .evt_txqe_o,
    .wr_idle_o (wr_idle), .quiet_o (wb_quiet), .clean_o (wb_clean)
  );

  // ------------------------------------------------------------------------------------------------
  // Packer: segments of 16-byte beats -> gap-free 64-bit frame stream
  nic_tx_packer u_packer (
    .clk_i, .rst_ni, .run_i (run),
    .s_seg_valid (!seg_empty), .s_seg (seg_head), .s_seg_ready (seg_pop),
    .s_data_valid (!data_empty), .s_data (data_head), .s_data_ready (data_pop),
    .m_axis_tdata (pk_tdata), .m_axis_tkeep (pk_tkeep), .m_axis_tvalid (pk_tvalid),
    .m_axis_tready (pk_tready), .m_axis_tlast (pk_tlast), .m_axis_tuser (pk_tuser),
    .frame_open_o (frame_open), .quiet_o (packer_quiet), .clean_o (packer_clean)
  );

  // ------------------------------------------------------------------------------------------------
  // Segmentation: frames pass through; a TSO chain leaves as segments (pops the option FIFO)
  nic_tx_tso u_tso (
    .clk_i, .rst_ni,
    .s_axis_tdata (pk_tdata), .s_axis_tkeep (pk_tkeep), .s_axis_tvalid (pk_tvalid),
    .s_axis_tready (pk_tready), .s_axis_tlast (pk_tlast), .s_axis_tuser (pk_tuser),
    .opt_valid_i (!opt_empty), .opt_i (opt_head), .opt_pop_o (opt_pop),
    .m_axis_tdata (sg_tdata), .m_axis_tkeep (sg_tkeep), .m_axis_tvalid (sg_tvalid),
    .m_axis_tready (sg_tready), .m_axis_tlast (sg_tlast), .m_axis_tuser (sg_tuser),
    .done_o (tso_done), .fail_o (tso_fail), .quiet_o (tso_quiet)
  );

  // ------------------------------------------------------------------------------------------------
  // Checksum offload: sums the packer's stream, checksums named at each frame's last beat
  nic_tx_csum u_csum (
    .clk_i, .rst_ni,
    .s_axis_tdata (sg_tdata), .s_axis_tkeep (sg_tkeep), .s_axis_tvalid (sg_tvalid),
    .s_axis_tready (sg_tready), .s_axis_tlast (sg_tlast), .s_axis_tuser (sg_tuser),
    .opt_valid_i (!opt_empty), .opt_i (opt_head), .opt_pop_o (csum_pop_unused),  // u_tso pops
    .patch_o (sg_tpatch), .quiet_o (csum_quiet)
  );

  // ------------------------------------------------------------------------------------------------
  // VLAN insertion: the tag after the source MAC of frames with VLE; untagged frames pass unchanged
  nic_tx_vlan u_vlan (
    .clk_i, .rst_ni, .vet_i,
    .s_axis_tdata (sg_tdata), .s_axis_tkeep (sg_tkeep), .s_axis_tvalid (sg_tvalid),
    .s_axis_tready (sg_tready), .s_axis_tlast (sg_tlast), .s_axis_tuser (sg_tuser),
    .s_axis_tpatch (sg_tpatch),
    .opt_valid_i (!opt_empty), .opt_i (opt_head),
    .m_axis_tdata, .m_axis_tkeep, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast, .m_axis_tuser,
    .m_axis_tpatch, .quiet_o (vlan_quiet)
  );

  // ------------------------------------------------------------------------------------------------
  // Registers
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      err_q       <= 1'b0;
      flush_q     <= 1'b1;
      err_pulse_q <= '0;
      st_tso_q    <= 1'b0;
      st_tso_fail_q <= '0;
      desc_widx_q <= '0;
      ar_valid_q  <= 1'b0;
      ar_addr_q   <= '0;
      ar_len_q    <= '0;
    end else begin
      err_q       <= err_d;
      flush_q     <= flush_d;
      err_pulse_q <= err_pulse_d;
      st_tso_q    <= tso_done;
      st_tso_fail_q <= 2'(tse_noctx) + 2'(tso_fail);
      desc_widx_q <= desc_widx_d;
      ar_valid_q  <= ar_valid_d;
      ar_addr_q   <= ar_addr_d;
      ar_len_q    <= ar_len_d;
    end
  end

  // FIFOs: emptied together when the drained engine is stopped, except the tag FIFO, which
  // follows the outstanding read bursts
  /* verilator lint_off PINCONNECTEMPTY */  // unused counts and flags
  nic_sync_fifo #(.T(tx_desc_t), .Depth(DescDepth)) u_desc_fifo (
    .clk_i, .rst_ni, .clr_i (clear),
    .push_i (desc_push), .wdata_i (desc_in), .pop_i (desc_pop), .rdata_o (desc_head),
    .count_o (desc_cnt), .full_o (), .empty_o (desc_empty), .clean_o (desc_clean)
  );
  nic_sync_fifo #(.T(logic [127:0]), .Depth(DataDepth)) u_data_fifo (
    .clk_i, .rst_ni, .clr_i (clear),
    .push_i (data_push), .wdata_i (m_axi_rsp_i.r.data), .pop_i (data_pop), .rdata_o (data_head),
    .count_o (), .full_o (), .empty_o (data_empty), .clean_o (data_clean)
  );
  nic_sync_fifo #(.T(tag_t), .Depth(TagDepth)) u_tag_fifo (
    .clk_i, .rst_ni, .clr_i (1'b0),
    .push_i (tag_push), .wdata_i (tag_in), .pop_i (tag_pop), .rdata_o (tag_head),
    .count_o (), .full_o (tag_full), .empty_o (tag_empty), .clean_o ()
  );
  nic_sync_fifo #(.T(tx_seg_t), .Depth(SegDepth)) u_seg_fifo (
    .clk_i, .rst_ni, .clr_i (clear),
    .push_i (seg_push), .wdata_i (seg_in), .pop_i (seg_pop), .rdata_o (seg_head),
    .count_o (), .full_o (seg_full), .empty_o (seg_empty), .clean_o (seg_clean)
  );
  nic_sync_fifo #(.T(tx_opt_t), .Depth(OptDepth)) u_opt_fifo (
    .clk_i, .rst_ni, .clr_i (clear),
    .push_i (opt_push), .wdata_i (opt_in), .pop_i (opt_pop), .rdata_o (opt_head),
    .count_o (), .full_o (opt_full), .empty_o (opt_empty), .clean_o (opt_clean)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // ------------------------------------------------------------------------------------------------
  // Outputs
  assign tdh_o        = tdh_q;
  assign err_o        = err_pulse_q;
  assign st_tso_o      = st_tso_q;
  assign st_tso_fail_o = st_tso_fail_q;
  assign stopped_o    = err_q;

  assign m_axi_req_o = '{
    aw:       '{id: IdWidth'(AxiId), addr: AddrWidth'(wb_aw_addr), len: 8'd0, size: AxiSizeBeat,
                burst: AxiBurstIncr},
    pad_aw:   '0,
    pad_ar:   '0,
    aw_valid: wb_aw_valid,
    w:        '{data: TxWbData, strb: TxWbStrb, last: 1'b1},
    w_valid:  wb_w_valid,
    b_ready:  1'b1,
    ar:       '{id: IdWidth'(AxiId), addr: AddrWidth'(ar_addr_q), len: {4'd0, ar_len_q}, size: AxiSizeBeat,
                burst: AxiBurstIncr},
    ar_valid: ar_valid_q,
    r_ready:  1'b1
  };

  // ------------------------------------------------------------------------------------------------
  // Idle: a fixed point of every register above and in the sub-blocks. Running, the ring must be
  // empty (TDH = TDT, all fetched); stopped, the state must be what `clear` leaves (pointers back
  // at TDH, queues reset).
  logic quiet, settled_run, settled_stop;
  assign quiet = tag_empty && !ar_valid_q && desc_empty && data_empty && seg_empty && (desc_res == '0) &&
                 rd_req_quiet && wb_quiet && packer_quiet && opt_empty && csum_quiet && tso_quiet && vlan_quiet && (err_pulse_q == '0) &&
                 !st_tso_q && (st_tso_fail_q == '0) &&
                 (err_q == (txen_i && (err_q || cfg_err)));  // err_d without a bus error
  assign settled_run  = run && (fetch_ptr == tdt_i) && (tdh_q == tdt_i);
  assign settled_stop = stop_req && flush_q && (fetch_ptr == tdh_q) && (desc_widx_q == tdh_q) &&
                        desc_clean && data_clean && seg_clean && opt_clean && wb_clean && packer_clean;
  assign idle_o = quiet && (settled_run || settled_stop);

  logic unused_ok;
  assign unused_ok = ^{m_axi_rsp_i.r.id, m_axi_rsp_i.b.id, m_axi_rsp_i.r.resp[0], m_axi_rsp_i.b.resp[0],
                       desc_cnt, csum_pop_unused};

  // ------------------------------------------------------------------------------------------------
  // Assertions (the sub-blocks check their own handshakes and counters)
`ifndef SYNTHESIS
  logic        ar_stall_q;
  logic [63:0] ar_addr_past_q;
  logic [3:0]  ar_len_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) ar_stall_q <= 1'b0;
    else         ar_stall_q <= ar_valid_q && !m_axi_rsp_i.ar_ready;
    // (kept only in a stalled cycle, the only one whose next cycle compares them)
    if (ar_valid_q && !m_axi_rsp_i.ar_ready) begin
      ar_addr_past_q <= ar_addr_q;
      ar_len_past_q  <= ar_len_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_addr_q == ar_addr_past_q && ar_len_q == ar_len_past_q)
        else $error("nic_tx_dma: AR changed before arready");
      assert (!(m_axi_rsp_i.r_valid && tag_empty)) else $error("nic_tx_dma: R beat without request");
      if (run) assert (tdh_q < ring_n && fetch_ptr < ring_n && tdt_i < ring_n)
        else $error("nic_tx_dma: ring pointer out of range while running");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_bad_len: cover property (@(posedge clk_i) disable iff (!rst_ni) txen_i && !err_q && cfg_badlen);
  cov_bad_head: cover property (@(posedge clk_i) disable iff (!rst_ni) txen_i && !err_q && cfg_head);
  cov_bad_tail: cover property (@(posedge clk_i) disable iff (!rst_ni) txen_i && !err_q && cfg_tail);
  cov_read_bus_error: cover property (@(posedge clk_i) disable iff (!rst_ni) rd_err);
  cov_write_bus_error: cover property (@(posedge clk_i) disable iff (!rst_ni) wr_err);
  cov_disabled_while_busy: cover property (@(posedge clk_i) disable iff (!rst_ni) !txen_i && !drained);
  cov_desc_index_wrap: cover property (@(posedge clk_i) disable iff (!rst_ni) desc_push && (desc_widx_q + 16'd1 == ring_n));
  cov_tag_fifo_full: cover property (@(posedge clk_i) disable iff (!rst_ni) tag_full);
`endif
  // ==== end cover points ====
endmodule
