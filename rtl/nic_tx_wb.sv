// TX completion: descriptors wait for their data, RS ones are written back (DD), then the head (TDH) retires them in order.
//
// pc queue   the head leaves once its last read burst has returned (data_done_i counts them); an RS
//            descriptor loads the one-beat write-back (AW, then W) on its way to the retire queue
// retire     the head leaves once its write-back is answered (RS) and advances TDH
module nic_tx_wb #(
  parameter int unsigned PcDepth  = 16,
  parameter int unsigned RetDepth = 16
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  run_i,
  input  logic                  clear_i,
  input  logic [63:0]           base_i,        // ring base (low 4 bits ignored)
  input  logic [15:0]           ring_n_i,
  input  logic [15:0]           tail_i,
  input  logic                  head_we_i,
  input  logic [15:0]           head_wdata_i,
  output logic [15:0]           head_o,        // TDH
  output logic [15:0]           head_next_o,   // TDH's next value
  // completions from the requester
  input  logic                  pc_push_i,
  input  nic_dma_pkg::tx_pc_t   pc_i,
  output logic                  pc_full_o,
  input  logic                  data_done_i,   // a descriptor's last read burst returned
  // AXI4 write-back (address and data registers; responses always accepted)
  output logic                  aw_valid_o,
  output logic [63:0]           aw_addr_o,
  input  logic                  aw_ready_i,
  output logic                  w_valid_o,
  input  logic                  w_ready_i,
  input  logic                  b_valid_i,
  input  logic                  b_err_i,       // bresp[1]
  // events (registered one-cycle pulses)
  output logic                  evt_wb_o,      // RS descriptor written back
  output logic                  evt_wb_ide_o,  // ... and it had IDE
  output logic                  evt_txqe_o,    // TDH became equal to TDT
  output logic                  wr_idle_o,     // no write-back loaded and unanswered
  output logic                  quiet_o,       // nothing queued, loaded or counted, no pulse
  output logic                  clean_o        // queues as `clear` leaves them
);
  import nic_dma_pkg::*;

  if (RetDepth < 1 || PcDepth < 1) begin : gen_depth_check
    $error("nic_tx_wb: PcDepth and RetDepth must be at least 1");
  end

  localparam int unsigned PcCntW  = $clog2(PcDepth + 1);
  localparam int unsigned RetCntW = $clog2(RetDepth + 1);

  typedef struct packed {
    logic rs;
    logic ide;
  } ret_t;

  logic [15:0]        tdh_q, tdh_d, tdh_inc;
  logic               evt_wb_q, evt_wb_d, evt_wb_ide_q, evt_wb_ide_d, evt_txqe_q, evt_txqe_d;
  logic               aw_valid_q, aw_valid_d, w_valid_q, w_valid_d;
  logic [63:0]        aw_addr_q, aw_addr_d;
  logic [RetCntW-1:0] wr_out_q, wr_out_d;     // write-backs loaded and not yet answered
  logic [PcCntW-1:0]  data_done_q, data_done_d;
  logic [RetCntW-1:0] b_done_q, b_done_d;
  logic               pc_done, pc_go, ret_go;
  logic               pc_empty, pc_clean, ret_full, ret_empty, ret_clean;
  tx_pc_t             pc_head;
  ret_t               ret_head;

  /* verilator lint_off PINCONNECTEMPTY */  // unused counts
  nic_sync_fifo #(.T(tx_pc_t), .Depth(PcDepth)) u_pc_fifo (
    .clk_i, .rst_ni, .clr_i (clear_i),
    .push_i (pc_push_i), .wdata_i (pc_i), .pop_i (pc_go), .rdata_o (pc_head),
    .count_o (), .full_o (pc_full_o), .empty_o (pc_empty), .clean_o (pc_clean)
  );
  nic_sync_fifo #(.T(ret_t), .Depth(RetDepth)) u_ret_fifo (
    .clk_i, .rst_ni, .clr_i (clear_i),
    .push_i (pc_go), .wdata_i ('{rs: pc_head.rs, ide: pc_head.ide}), .pop_i (ret_go), .rdata_o (ret_head),
    .count_o (), .full_o (ret_full), .empty_o (ret_empty), .clean_o (ret_clean)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  assign pc_done = !pc_head.has_data || (data_done_q != '0);
  assign pc_go   = run_i && !pc_empty && pc_done && !ret_full && (!pc_head.rs || (!aw_valid_q && !w_valid_q));
  assign ret_go  = run_i && !ret_empty && (!ret_head.rs || (b_done_q != '0));

  always_comb begin
    data_done_d = data_done_q + PcCntW'(run_i && data_done_i) - PcCntW'(pc_go && pc_head.has_data);
    b_done_d    = b_done_q + RetCntW'(run_i && b_valid_i && !b_err_i) - RetCntW'(ret_go && ret_head.rs);
    if (clear_i) begin
      data_done_d = '0;
      b_done_d    = '0;
    end

    aw_valid_d = aw_valid_q && !aw_ready_i;
    aw_addr_d  = aw_addr_q;
    w_valid_d  = (w_valid_q && !w_ready_i) || (aw_valid_q && aw_ready_i);
    if (pc_go && pc_head.rs) begin
      aw_valid_d = 1'b1;
      aw_addr_d  = {base_i[63:4], 4'd0} + {44'd0, pc_head.idx, 4'd0};
    end
    wr_out_d = wr_out_q + RetCntW'(pc_go && pc_head.rs) - RetCntW'(b_valid_i);

    tdh_d        = tdh_q;
    tdh_inc      = '0;  // (the next head, computed only when the head moves)
    evt_wb_d     = 1'b0;
    evt_wb_ide_d = 1'b0;
    evt_txqe_d   = 1'b0;
    if (ret_go) begin
      tdh_inc      = (tdh_q + 16'd1 == ring_n_i) ? 16'd0 : tdh_q + 16'd1;
      tdh_d        = tdh_inc;
      evt_wb_d     = ret_head.rs;
      evt_wb_ide_d = ret_head.rs && ret_head.ide;
      evt_txqe_d   = (tdh_inc == tail_i);
    end
    if (head_we_i) tdh_d = head_wdata_i;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      tdh_q        <= '0;
      evt_wb_q     <= 1'b0;
      evt_wb_ide_q <= 1'b0;
      evt_txqe_q   <= 1'b0;
      aw_valid_q   <= 1'b0;
      aw_addr_q    <= '0;
      w_valid_q    <= 1'b0;
      wr_out_q     <= '0;
      data_done_q  <= '0;
      b_done_q     <= '0;
    end else begin
      tdh_q        <= tdh_d;
      evt_wb_q     <= evt_wb_d;
      evt_wb_ide_q <= evt_wb_ide_d;
      evt_txqe_q   <= evt_txqe_d;
      aw_valid_q   <= aw_valid_d;
      aw_addr_q    <= aw_addr_d;
      w_valid_q    <= w_valid_d;
      wr_out_q     <= wr_out_d;
      data_done_q  <= data_done_d;
      b_done_q     <= b_done_d;
    end
  end

  assign head_o       = tdh_q;
  assign head_next_o  = tdh_d;
  assign aw_valid_o   = aw_valid_q;
  assign aw_addr_o    = aw_addr_q;
  assign w_valid_o    = w_valid_q;
  assign evt_wb_o     = evt_wb_q;
  assign evt_wb_ide_o = evt_wb_ide_q;
  assign evt_txqe_o   = evt_txqe_q;
  assign wr_idle_o    = (wr_out_q == '0);
  assign quiet_o      = (wr_out_q == '0) && !aw_valid_q && !w_valid_q && pc_empty && ret_empty &&
                        (data_done_q == '0) && (b_done_q == '0) && !evt_wb_q && !evt_wb_ide_q && !evt_txqe_q;
  assign clean_o      = pc_clean && ret_clean;

  logic unused_ok;
  assign unused_ok = ^{base_i[3:0]};

`ifndef SYNTHESIS
  logic        aw_stall_q, w_stall_q;
  logic [63:0] aw_addr_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      aw_stall_q <= 1'b0;
      w_stall_q  <= 1'b0;
    end else begin
      aw_stall_q <= aw_valid_o && !aw_ready_i;
      w_stall_q  <= w_valid_o && !w_ready_i;
    end
    // (kept only in a stalled cycle, the only one whose next cycle compares them)
    if (aw_valid_o && !aw_ready_i) aw_addr_past_q <= aw_addr_q;
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (aw_stall_q) assert (aw_valid_q && aw_addr_q == aw_addr_past_q)
        else $error("nic_tx_wb: AW changed before awready");
      if (w_stall_q) assert (w_valid_q) else $error("nic_tx_wb: W dropped before wready");
      assert (!(b_valid_i && wr_out_q == '0)) else $error("nic_tx_wb: B without write");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_head_wrap: cover property (@(posedge clk_i) disable iff (!rst_ni) ret_go && (tdh_q + 16'd1 == ring_n_i));
  cov_queue_empty: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_txqe_d);
  cov_pc_fifo_full: cover property (@(posedge clk_i) disable iff (!rst_ni) pc_full_o);
  cov_wb_bus_error: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid_i && b_err_i);
`endif
  // ==== end cover points ====
endmodule
