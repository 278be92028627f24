// TX read requester: walks the head descriptor in beat-aligned read bursts, each with a packer segment, and hands finished descriptors on.
//
// A burst is at most 16 beats and does not cross a 4 KiB boundary; space for its beats is reserved
// in the data FIFO (DataDepth entries, freed as the packer takes them). A descriptor without data
// (zero length, or part of a frame that grew past MaxFrameLen) reads nothing and leaves at once;
// at the end of such a frame a data-less segment tells the packer to close (or drop) it. Each
// descriptor leaves to the completion queue (pc) with its last burst.
// A context descriptor reads nothing and leaves at once; its checksum offsets are kept until the
// next one (reset clears them). The first descriptor with data of each frame pushes the frame's
// offload options (its POPTS and the context then loaded) to the option FIFO, before any of the
// frame's data is requested: one entry per frame that reaches the packer. A frame whose first data
// descriptor has TSE under a TSE context is a TSO chain (opt.tso, cut by nic_tx_tso): its length
// limit is HDRLEN + 64 KiB instead of MaxFrameLen, and both checksums are inserted in every segment
// (the IP one for IPv4 only) whatever POPTS says. TSE without a TSE context is counted (tse_noctx_o)
// and the chain is sent as one frame, as without TSE. VLE and VLAN are taken from the same first
// data descriptor (Linux ixgb sets them in every descriptor of the frame).
module nic_tx_rd_req #(
  parameter int unsigned DataDepth = 128,
  localparam int unsigned DataCntW = $clog2(DataDepth + 1)
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       run_i,
  input  logic                       clear_i,
  // descriptor FIFO head
  input  logic                       desc_valid_i,
  input  nic_dma_pkg::tx_desc_t      desc_i,
  output logic                       desc_pop_o,
  // read burst request (the engine's AR register; a due descriptor fetch goes first)
  input  logic                       ar_can_load_i,
  input  logic                       fetch_want_i,
  output logic                       req_o,
  output logic [63:0]                req_addr_o,
  output logic [3:0]                 req_len_o,    // beats - 1
  output logic                       req_last_o,   // the descriptor's last burst
  input  logic                       data_pop_i,   // the packer took a data beat
  // packer segments and completions
  input  logic                       seg_full_i,
  output logic                       seg_push_o,
  output nic_dma_pkg::tx_seg_t       seg_o,
  input  logic                       pc_full_i,
  output logic                       pc_push_o,
  output nic_dma_pkg::tx_pc_t        pc_o,
  // per-frame offload options (towards nic_tx_csum)
  input  logic                       opt_full_i,
  output logic                       opt_push_o,
  output nic_dma_pkg::tx_opt_t       opt_o,
  // DMAERR pulses (combinational)
  output logic                       zlen_o,       // a zero-length descriptor
  output logic                       long_o,       // a frame grew past its limit
  output logic                       tse_noctx_o,  // a frame with TSE but no TSE context loaded
  // registers at the state `clear` leaves (no descriptor started, no frame open, nothing reserved)
  output logic                       quiet_o
);
  import nic_dma_pkg::*;

  if (DataDepth < 16) begin : gen_depth_check
    $error("nic_tx_rd_req: DataDepth must hold a whole 16-beat burst");
  end

  logic                req_started_q, req_started_d;
  logic [63:0]         cur_addr_q, cur_addr_d;
  logic [19:0]         cur_rem_q, cur_rem_d;
  logic [16:0]         frame_len_q, frame_len_d;
  logic                frame_tso_q, frame_tso_d;
  logic                frame_long_q, frame_long_d;
  logic [DataCntW-1:0] data_res_q, data_res_d, data_free;
  logic [20:0]         tot_beats, new_len, max_len;
  logic [8:0]          beats_to4k, covered;
  logic [4:0]          nb, nb_uncut, seg_hi;
  logic [3:0]          end_off;
  logic                burst_last, long_now, nodata, req_go, req_fin, ctx_fin, start, tso_now, tso_frame;
  logic                ctx_valid_q, ctx_valid_d;
  tx_csum_ctx_t        ctx_q, ctx_d;
  tx_tso_ctx_t         tso_ctx_q, tso_ctx_d;

  // The planner's values are used only with a descriptor at the FIFO head (run_i and
  // desc_valid_i: every push, pop, request and event below needs it); they are evaluated only
  // then (the simulation pays for combinational logic in every cycle) and read 0 otherwise.
  always_comb begin
    tot_beats  = '0;
    beats_to4k = '0;
    nb_uncut   = '0;
    nb         = '0;
    burst_last = 1'b0;
    covered    = '0;
    end_off    = '0;
    seg_hi     = '0;
    tso_now    = 1'b0;
    tso_frame  = 1'b0;
    max_len    = '0;
    new_len    = '0;
    long_now   = 1'b0;
    nodata     = 1'b0;
    data_free  = '0;
    if (run_i && desc_valid_i) begin
      tot_beats  = (21'(cur_addr_q[3:0]) + 21'(cur_rem_q) + 21'd15) >> 4;
      beats_to4k = 9'd256 - {1'b0, cur_addr_q[11:4]};
      nb_uncut   = (tot_beats < 21'd16) ? tot_beats[4:0] : 5'd16;
      // never across 4 KiB (an `if` on nb itself, assigned just before, Verilator 5.006 would not count)
      if (beats_to4k < {4'd0, nb_uncut}) nb = beats_to4k[4:0];
      else nb = nb_uncut;
      burst_last = (tot_beats == 21'(nb));
      covered    = {nb, 4'd0} - {5'd0, cur_addr_q[3:0]};
      end_off    = cur_addr_q[3:0] + cur_rem_q[3:0];
      seg_hi     = (end_off == 4'd0) ? 5'd16 : {1'b0, end_off};

      // the first data descriptor of a frame decides whether it is a TSO chain
      tso_now    = desc_i.tse && ctx_valid_q && tso_ctx_q.tse;
      tso_frame  = (frame_len_q == '0) ? tso_now : frame_tso_q;
      max_len    = tso_frame ? 21'(tso_ctx_q.hdrlen) + MaxTsoPay : MaxFrameLen;
      new_len    = 21'(frame_len_q) + 21'(desc_i.len);
      long_now   = frame_long_q || (new_len > max_len);
      nodata     = long_now || (desc_i.len == '0);
      data_free  = DataCntW'(DataDepth) - data_res_q;
    end

    // a context descriptor, or one without data (zero length, or part of an over-long frame),
    // leaves at once
    ctx_fin = run_i && desc_valid_i && !req_started_q && desc_i.is_ctx && !pc_full_i;
    req_fin = run_i && desc_valid_i && !req_started_q && !desc_i.is_ctx && nodata && !pc_full_i &&
              (!desc_i.eop || !seg_full_i);
    // a descriptor with data starts; the first of a frame also needs room for the frame's options
    start   = run_i && desc_valid_i && !req_started_q && !desc_i.is_ctx && !nodata &&
              (frame_len_q != '0 || !opt_full_i);
    req_go  = run_i && desc_valid_i && req_started_q && ar_can_load_i && !fetch_want_i &&
              (data_free >= DataCntW'(nb)) && !seg_full_i && (!burst_last || !pc_full_i);

    req_started_d = req_started_q;
    cur_addr_d    = cur_addr_q;
    cur_rem_d     = cur_rem_q;
    frame_len_d   = frame_len_q;
    frame_long_d  = frame_long_q;
    frame_tso_d   = frame_tso_q;
    zlen_o        = 1'b0;
    long_o        = 1'b0;
    seg_push_o    = 1'b0;
    seg_o         = '0;
    pc_push_o     = 1'b0;
    pc_o          = '{has_data: 1'b0, rs: desc_i.rs, ide: desc_i.ide, idx: desc_i.idx};
    desc_pop_o    = 1'b0;
    ctx_valid_d   = ctx_valid_q;
    ctx_d         = ctx_q;
    tso_ctx_d     = tso_ctx_q;
    opt_push_o    = start && (frame_len_q == '0);
    opt_o         = '0;  // (assembled only when pushed: a wide copy otherwise made every cycle)
    if (opt_push_o)
      opt_o       = '{vle: desc_i.vle, vlan: desc_i.vlan, tso: tso_now, tso_ctx: tso_ctx_q,
                      ixsm: tso_now ? tso_ctx_q.ip : desc_i.ixsm && ctx_valid_q,
                      txsm: tso_now || (desc_i.txsm && ctx_valid_q), ctx: ctx_q};
    tse_noctx_o   = opt_push_o && desc_i.tse && !tso_now;

    if (ctx_fin) begin
      desc_pop_o  = 1'b1;
      pc_push_o   = 1'b1;
      ctx_valid_d = 1'b1;
      ctx_d       = desc_i.ctx;
      tso_ctx_d   = desc_i.tso_ctx;
    end
    if (start) begin
      req_started_d = 1'b1;
      cur_addr_d    = desc_i.addr;
      cur_rem_d     = desc_i.len;
      frame_len_d   = new_len[16:0];
      frame_tso_d   = tso_frame;
    end
    if (req_fin) begin
      desc_pop_o = 1'b1;
      pc_push_o  = 1'b1;
      zlen_o     = (desc_i.len == '0);
      long_o     = long_now && !frame_long_q;
      if (desc_i.eop) begin
        seg_push_o   = 1'b1;
        seg_o        = '{nbeats: 5'd0, lo: 4'd0, hi: 5'd16, eof: 1'b1, discard: long_now};
        frame_len_d  = '0;
        frame_long_d = 1'b0;
        frame_tso_d  = 1'b0;
      end else begin
        frame_long_d = long_now;
      end
    end
    if (req_go) begin
      seg_push_o = 1'b1;
      seg_o      = '{nbeats: nb, lo: cur_addr_q[3:0], hi: (burst_last ? seg_hi : 5'd16),
                     eof: burst_last && desc_i.eop, discard: 1'b0};
      cur_addr_d = {cur_addr_q[63:4] + 60'(nb), 4'd0};
      cur_rem_d  = cur_rem_q - 20'(covered);
      if (burst_last) begin
        req_started_d  = 1'b0;
        desc_pop_o     = 1'b1;
        pc_push_o      = 1'b1;
        pc_o.has_data  = 1'b1;
        if (desc_i.eop) begin
          frame_len_d = '0;
          frame_tso_d = 1'b0;
        end
      end
    end

    data_res_d = data_res_q + (req_go ? DataCntW'(nb) : '0) - DataCntW'(data_pop_i);
    if (clear_i) begin
      req_started_d = 1'b0;
      frame_len_d   = '0;
      frame_long_d  = 1'b0;
      frame_tso_d   = 1'b0;
      data_res_d    = '0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      req_started_q <= 1'b0;
      cur_addr_q    <= '0;
      cur_rem_q     <= '0;
      frame_len_q   <= '0;
      frame_long_q  <= 1'b0;
      frame_tso_q   <= 1'b0;
      data_res_q    <= '0;
      ctx_valid_q   <= 1'b0;
      ctx_q         <= '0;
      tso_ctx_q     <= '0;
    end else begin
      req_started_q <= req_started_d;
      cur_addr_q    <= cur_addr_d;
      cur_rem_q     <= cur_rem_d;
      frame_len_q   <= frame_len_d;
      frame_long_q  <= frame_long_d;
      frame_tso_q   <= frame_tso_d;
      data_res_q    <= data_res_d;
      ctx_valid_q   <= ctx_valid_d;
      ctx_q         <= ctx_d;
      tso_ctx_q     <= tso_ctx_d;
    end
  end

  assign req_o      = req_go;
  assign req_addr_o = {cur_addr_q[63:4], 4'd0};
  assign req_len_o  = 4'(nb - 5'd1);
  assign req_last_o = burst_last;
  assign quiet_o    = !req_started_q && (frame_len_q == '0) && !frame_long_q && !frame_tso_q && (data_res_q == '0);

  logic unused_ok;
  assign unused_ok = ^{tot_beats[20:5]};

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (data_res_q <= DataCntW'(DataDepth)) else $error("nic_tx_rd_req: data reservation overflow");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_burst_cut_at_4k: cover property (@(posedge clk_i) disable iff (!rst_ni) req_go && (beats_to4k < {4'd0, nb_uncut}));
  cov_chain_next_desc: cover property (@(posedge clk_i) disable iff (!rst_ni) req_go && burst_last && !desc_i.eop);
  cov_zero_len_desc: cover property (@(posedge clk_i) disable iff (!rst_ni) zlen_o);
  cov_frame_too_long: cover property (@(posedge clk_i) disable iff (!rst_ni) long_o);
  cov_long_frame_discarded: cover property (@(posedge clk_i) disable iff (!rst_ni) req_fin && desc_i.eop && long_now);
  cov_data_fifo_full: cover property (@(posedge clk_i) disable iff (!rst_ni) run_i && desc_valid_i && req_started_q && (data_free < DataCntW'(nb)));
  cov_unaligned_buffer: cover property (@(posedge clk_i) disable iff (!rst_ni) req_go && cur_addr_q[3:0] != 4'd0);
  cov_tse_without_context: cover property (@(posedge clk_i) disable iff (!rst_ni) tse_noctx_o);
  cov_tso_chain_too_long: cover property (@(posedge clk_i) disable iff (!rst_ni) long_o && tso_frame);
  cov_context_loaded: cover property (@(posedge clk_i) disable iff (!rst_ni) ctx_fin && frame_len_q == '0);
  cov_context_mid_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) ctx_fin && frame_len_q != '0);
  cov_popts_before_context: cover property (@(posedge clk_i) disable iff (!rst_ni) opt_push_o && (desc_i.ixsm || desc_i.txsm) && !ctx_valid_q);
  cov_popts_with_context: cover property (@(posedge clk_i) disable iff (!rst_ni) opt_push_o && opt_o.ixsm && opt_o.txsm);
  cov_popts_of_later_desc_ignored: cover property (@(posedge clk_i) disable iff (!rst_ni) start && frame_len_q != '0 && (desc_i.ixsm || desc_i.txsm));
  cov_option_fifo_full: cover property (@(posedge clk_i) disable iff (!rst_ni) run_i && desc_valid_i && !req_started_q && !desc_i.is_ctx && !nodata && frame_len_q == '0 && opt_full_i);
  cov_long_first_desc_with_popts: cover property (@(posedge clk_i) disable iff (!rst_ni) req_fin && frame_len_q == '0 && long_now && (desc_i.ixsm || desc_i.txsm));
`endif
  // ==== end cover points ====
endmodule
