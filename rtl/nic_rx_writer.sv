// RX writer: buffer data bursts and descriptor write-backs over AXI4 AW/W, one burst at a time; write responses retire RDH.
//
// A write-back (of the pc head) goes first once all data bursts of its descriptor are answered
// (data_done); otherwise the next queued data burst. All writes use one AXI ID, so B responses
// return in order and the tag FIFO tells what each one answers. An answered write-back advances
// RDH unless the queue stopped on an error (stopped_i).
module nic_rx_writer #(
  parameter int unsigned WDepth   = 32,  // two full bursts: one being written, one collecting
  parameter int unsigned BqDepth  = 8,
  parameter int unsigned PcDepth  = 16,
  parameter int unsigned TagDepth = 16   // write bursts loaded and not yet answered
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   run_i,
  input  logic                   clear_i,
  input  logic                   stopped_i,      // error state: RDH frozen
  input  logic [63:0]            base_i,         // ring base (low 4 bits ignored)
  input  logic [15:0]            ring_n_i,
  input  logic [15:0]            tail_i,         // RDT
  input  logic [1:0]             rdmts_i,        // 0: 1/2, 1: 1/4, 2 (and 3): 1/8 of the ring
  input  logic                   head_we_i,
  input  logic [15:0]            head_wdata_i,
  output logic [15:0]            head_o,         // RDH
  output logic [15:0]            head_next_o,    // RDH's next value
  // from the collector
  input  logic                   wf_push_i,
  input  nic_dma_pkg::rx_wbeat_t wf_i,
  output logic                   wf_full_o,
  input  logic                   bq_push_i,
  input  nic_dma_pkg::rx_burst_t bq_i,
  output logic                   bq_full_o,
  input  logic                   pc_push_i,
  input  nic_dma_pkg::rx_pc_t    pc_i,
  output logic                   pc_full_o,
  // AXI4 AW/W/B
  output logic                   aw_valid_o,
  output logic [63:0]            aw_addr_o,
  output logic [3:0]             aw_len_o,
  input  logic                   aw_ready_i,
  output logic                   w_valid_o,
  output logic [127:0]           w_data_o,
  output logic [15:0]            w_strb_o,
  output logic                   w_last_o,
  input  logic                   w_ready_i,
  input  logic                   b_valid_i,
  input  logic                   b_err_i,        // bresp[1]
  // events (registered one-cycle pulses)
  output logic                   evt_rxt0_o,     // EOP descriptor written back
  output logic                   evt_rxdmt0_o,   // free descriptors dropped to the RDMTS threshold
  output logic                   drained_o,      // no write in progress or unanswered
  output logic                   quiet_o,        // ... nothing queued or counted, no pulse
  output logic                   clean_o         // queues as `clear` leaves them
);
  import nic_dma_pkg::*;

  if (WDepth < 16 || BqDepth < 1 || PcDepth < 1 || TagDepth < 1) begin : gen_depth_check
    $error("nic_rx_writer: WDepth must hold a whole 16-beat burst; other depths at least 1");
  end

  localparam int unsigned PcCntW = $clog2(PcDepth + 1);

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

  logic              wf_pop, wf_empty, wf_clean;
  rx_wbeat_t         wf_head;
  logic              bq_pop, bq_empty, bq_clean;
  rx_burst_t         bq_head;
  logic              pc_pop, pc_empty, pc_clean;
  rx_pc_t            pc_head;
  logic              tag_push, tag_pop, tag_full, tag_empty;
  tag_t              tag_in, tag_head;

  we_state_e         we_state_q;
  logic [63:0]       aw_addr_q;
  logic [3:0]        aw_len_q;
  logic              we_is_wb_q;
  logic [4:0]        we_rem_q;
  logic [63:0]       wb_data_q;               // descriptor bytes 8..15
  logic [PcCntW-1:0] data_done_q, data_done_d;
  logic              wb_go, burst_go;
  logic [15:0]       rdh_q, rdh_d, rdh_inc, free_after, thr;
  logic              evt_rxt0_q, evt_rxt0_d, evt_rxdmt0_q, evt_rxdmt0_d;
  logic              retire;

  /* verilator lint_off PINCONNECTEMPTY */  // unused counts and flags
  nic_sync_fifo #(.T(rx_wbeat_t), .Depth(WDepth)) u_wf_fifo (
    .clk_i, .rst_ni, .clr_i (clear_i),
    .push_i (wf_push_i), .wdata_i (wf_i), .pop_i (wf_pop), .rdata_o (wf_head),
    .count_o (), .full_o (wf_full_o), .empty_o (wf_empty), .clean_o (wf_clean)
  );
  nic_sync_fifo #(.T(rx_burst_t), .Depth(BqDepth)) u_bq_fifo (
    .clk_i, .rst_ni, .clr_i (clear_i),
    .push_i (bq_push_i), .wdata_i (bq_i), .pop_i (bq_pop), .rdata_o (bq_head),
    .count_o (), .full_o (bq_full_o), .empty_o (bq_empty), .clean_o (bq_clean)
  );
  nic_sync_fifo #(.T(rx_pc_t), .Depth(PcDepth)) u_pc_fifo (
    .clk_i, .rst_ni, .clr_i (clear_i),
    .push_i (pc_push_i), .wdata_i (pc_i), .pop_i (pc_pop), .rdata_o (pc_head),
    .count_o (), .full_o (pc_full_o), .empty_o (pc_empty), .clean_o (pc_clean)
  );
  // follows the outstanding write bursts: never cleared
  nic_sync_fifo #(.T(tag_t), .Depth(TagDepth)) u_tag_fifo (
    .clk_i, .rst_ni, .clr_i (1'b0),
    .push_i (tag_push), .wdata_i (tag_in), .pop_i (tag_pop), .rdata_o (tag_head),
    .count_o (), .full_o (tag_full), .empty_o (tag_empty), .clean_o ()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // ------------------------------------------------------------------------------------------------
  // One AW, then its W beats
  always_comb begin
    wb_go    = run_i && (we_state_q == WeIdle) && !tag_full && !pc_empty && (data_done_q != '0);
    burst_go = run_i && (we_state_q == WeIdle) && !tag_full && !wb_go && !bq_empty;
    pc_pop   = wb_go;
    bq_pop   = burst_go;
    tag_push = wb_go || burst_go;
    tag_in   = wb_go ? '{is_wb: 1'b1, last: 1'b0, eop: pc_head.eop}
                     : '{is_wb: 1'b0, last: bq_head.last, eop: 1'b0};

    // a W beat taken: the write FIFO's head goes with it (data bursts only)
    wf_pop = (we_state_q == WeW) && w_ready_i && !we_is_wb_q;
  end

  // ------------------------------------------------------------------------------------------------
  // Write responses: data completion and retirement (RDH)
  assign tag_pop    = b_valid_i;
  // an answered write-back retires its descriptor unless the queue stopped on an error
  assign retire     = b_valid_i && !b_err_i && tag_head.is_wb && !stopped_i;

  // Combinational logic costs the simulation (Verilator) every cycle: the next RDH and the RDMTS
  // check are computed only in a cycle that retires (0 otherwise, when nothing reads them).
  always_comb begin
    rdh_inc    = '0;
    free_after = '0;
    thr        = '0;
    if (retire) begin
      rdh_inc    = (rdh_q + 16'd1 == ring_n_i) ? 16'd0 : rdh_q + 16'd1;
      free_after = (tail_i >= rdh_inc) ? (tail_i - rdh_inc) : (tail_i + ring_n_i - rdh_inc);
      unique case (rdmts_i)
        2'd0:    thr = ring_n_i >> 1;
        2'd1:    thr = ring_n_i >> 2;
        default: thr = ring_n_i >> 3;
      endcase
    end
  end

  always_comb begin
    data_done_d = data_done_q + PcCntW'(run_i && b_valid_i && !b_err_i && !tag_head.is_wb && tag_head.last) -
                  PcCntW'(wb_go);
    if (clear_i) data_done_d = '0;

    rdh_d        = rdh_q;
    evt_rxt0_d   = 1'b0;
    evt_rxdmt0_d = 1'b0;
    if (retire) begin
      rdh_d        = rdh_inc;
      evt_rxt0_d   = tag_head.eop;
      evt_rxdmt0_d = (free_after == thr);
    end
    if (head_we_i) rdh_d = head_wdata_i;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rdh_q        <= '0;
      evt_rxt0_q   <= 1'b0;
      evt_rxdmt0_q <= 1'b0;
      we_state_q   <= WeIdle;
      aw_addr_q    <= '0;
      aw_len_q     <= '0;
      we_is_wb_q   <= 1'b0;
      we_rem_q     <= '0;
      wb_data_q    <= '0;
      data_done_q  <= '0;
    end else begin
      rdh_q        <= rdh_d;
      evt_rxt0_q   <= evt_rxt0_d;
      evt_rxdmt0_q <= evt_rxdmt0_d;
      // The write engine's next state, at the edge and only when it moves (a write starting or in
      // progress): idle without a start it keeps its state, so the case is skipped then.
      if (tag_push || we_state_q != WeIdle) begin
        unique case (we_state_q)
          WeIdle: begin
            if (wb_go) begin
              we_state_q <= WeAw;
              aw_addr_q  <= {base_i[63:4], 4'd0} + {44'd0, pc_head.idx, 4'd0};
              aw_len_q   <= 4'd0;
              we_is_wb_q <= 1'b1;
              we_rem_q   <= 5'd1;
            end else if (burst_go) begin
              we_state_q <= WeAw;
              aw_addr_q  <= {bq_head.addr, 4'd0};
              aw_len_q   <= bq_head.len;
              we_is_wb_q <= 1'b0;
              we_rem_q   <= 5'(bq_head.len) + 5'd1;
            end
          end
          WeAw: begin
            if (aw_ready_i) we_state_q <= WeW;
          end
          WeW: begin
            if (w_ready_i) begin
              we_rem_q <= we_rem_q - 5'd1;
              if (we_rem_q == 5'd1) we_state_q <= WeIdle;
            end
          end
          default: we_state_q <= WeIdle;
        endcase
      end
      // loaded at the edge, only with a write-back starting: as a combinational next value the
      // descriptor bits were assembled every cycle in the Verilated model
      if (wb_go) wb_data_q <= rx_desc_wb_hi(pc_head);
      data_done_q  <= data_done_d;
    end
  end

  assign head_o       = rdh_q;
  assign head_next_o  = rdh_d;
  assign aw_valid_o   = (we_state_q == WeAw);
  assign aw_addr_o    = aw_addr_q;
  assign aw_len_o     = aw_len_q;
  assign w_valid_o    = (we_state_q == WeW);
  // W data only while W is valid (0 otherwise: not read then), no per-cycle 128-bit copy
  always_comb begin
    w_data_o = '0;
    w_strb_o = '0;
    if (we_state_q == WeW) begin
      w_data_o = we_is_wb_q ? {wb_data_q, 64'd0} : wf_head.data;
      w_strb_o = we_is_wb_q ? 16'hFF00 : wf_head.strb;
    end
  end
  assign w_last_o     = (we_rem_q == 5'd1);
  assign evt_rxt0_o   = evt_rxt0_q;
  assign evt_rxdmt0_o = evt_rxdmt0_q;
  assign drained_o    = tag_empty && (we_state_q == WeIdle);
  assign quiet_o      = tag_empty && (we_state_q == WeIdle) && wf_empty && bq_empty && pc_empty &&
                        (data_done_q == '0) && !evt_rxt0_q && !evt_rxdmt0_q;
  assign clean_o      = wf_clean && bq_clean && pc_clean;

  logic unused_ok;
  assign unused_ok = ^{base_i[3:0]};

`ifndef SYNTHESIS
  logic         aw_stall_q, w_stall_q;
  logic [63:0]  aw_addr_past_q;
  logic [3:0]   aw_len_past_q;
  logic [127:0] wdata_past_q;
  logic [15:0]  wstrb_past_q;
  logic         wlast_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      aw_stall_q <= 1'b0;
      w_stall_q  <= 1'b0;
    end else begin
      aw_stall_q <= aw_valid_o && !aw_ready_i;
      w_stall_q  <= w_valid_o && !w_ready_i;
    end
    // (the past values are read only after a stall, so they are taken only with valid high)
    if (aw_valid_o) begin
      aw_addr_past_q <= aw_addr_q;
      aw_len_past_q  <= aw_len_q;
    end
    if (w_valid_o) begin
      wdata_past_q <= w_data_o;
      wstrb_past_q <= w_strb_o;
      wlast_past_q <= w_last_o;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (aw_stall_q) assert (aw_valid_o && aw_addr_q == aw_addr_past_q && aw_len_q == aw_len_past_q)
        else $error("nic_rx_writer: AW changed before awready");
      if (w_stall_q) assert (w_valid_o && w_data_o == wdata_past_q && w_strb_o == wstrb_past_q &&
                             w_last_o == wlast_past_q)
        else $error("nic_rx_writer: W changed before wready");
      assert (!(b_valid_i && tag_empty)) else $error("nic_rx_writer: B without write");
      assert (!(w_valid_o && !we_is_wb_q && wf_empty)) else $error("nic_rx_writer: W beat without data");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_head_wrap: cover property (@(posedge clk_i) disable iff (!rst_ni) retire && (rdh_q + 16'd1 == ring_n_i));
  cov_rxdmt0: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxdmt0_d);
  cov_wb_after_stop: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid_i && !b_err_i && tag_head.is_wb && stopped_i);
  cov_rxdmt0_rdmts_3: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxdmt0_d && rdmts_i == 2'd3);
`endif
  // ==== end cover points ====
endmodule
