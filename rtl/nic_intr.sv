// Interrupt causes (ICR/IMS), TIDV/RDTR delay timers, ITR throttle and the MSI request handshake.
module nic_intr (
  input  logic        clk_i,
  input  logic        rst_ni,
  // register interface
  input  logic        icr_rd_i,      // ICR read: return and clear
  output logic [31:0] icr_o,
  output logic [31:0] ims_o,
  input  logic        ics_we_i,
  input  logic        ims_we_i,
  input  logic        imc_we_i,
  input  logic [31:0] wdata_i,
  input  logic [15:0] itr_i,         // 256 ns units
  input  logic [15:0] tidv_i,        // 1.024 us units
  input  logic [15:0] rdtr_i,        // 1.024 us units
  // cause events (one-cycle pulses)
  input  logic        evt_txwb_i,     // RS descriptor written back
  input  logic        evt_txwb_ide_i, // ... and it had IDE: delay by TIDV
  input  logic        evt_txqe_i,
  input  logic        evt_rxt0_i,     // EOP written back: delay by RDTR
  input  logic        evt_rxdmt0_i,
  input  logic        evt_rxo_i,
  input  logic        evt_lsc_i,
  input  logic        evt_txde_i,
  input  logic        evt_rxde_i,
  // MSI request/acknowledge
  output logic        msi_req_o,
  output logic [4:0]  msi_vector_o,
  input  logic        msi_ack_i,
  // nothing pending: no delay timer or ITR interval running, no MSI requested or held, no edge
  // of (ICR & IMS) still to be seen; with no cause and no register access this block keeps its state
  output logic        idle_o
);
  import nic_reg_pkg::*;

  localparam int unsigned DelayUnit = DelayUnitCycles;  // cycles per 1.024 us at 156.25 MHz
  localparam int unsigned ItrUnit   = ItrUnitCycles;    // cycles per 256 ns
  localparam int unsigned TimerW    = 24;

  localparam logic [31:0] CauseMask = (32'd1 << ICR_TXDW_LSB) | (32'd1 << ICR_TXQE_LSB) |
      (32'd1 << ICR_LSC_LSB) | (32'd1 << ICR_RXDMT0_LSB) | (32'd1 << ICR_RXO_LSB) |
      (32'd1 << ICR_RXT0_LSB) | (32'd1 << ICR_TXDE_LSB) | (32'd1 << ICR_RXDE_LSB);

  logic [31:0] icr_q, ims_q;
  logic [TimerW-1:0] tidv_cnt_q, rdtr_cnt_q, itr_cnt_q;
  logic tidv_run_q, rdtr_run_q;
  logic txdw_fire, rxt0_fire;

  // Delay timers: restarted by every event, fire once when they run out; 0 = immediate.
  function automatic logic [TimerW-1:0] delay_cycles(input logic [15:0] v, input logic [7:0] unit);
    return TimerW'(v) * TimerW'(unit);
  endfunction

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      tidv_cnt_q <= '0;
      tidv_run_q <= 1'b0;
    end else if (evt_txwb_i && evt_txwb_ide_i && tidv_i != 16'd0) begin
      tidv_cnt_q <= delay_cycles(tidv_i, 8'(DelayUnit)) - 1'b1;
      tidv_run_q <= 1'b1;
    end else if (tidv_run_q) begin
      if (tidv_cnt_q == '0) tidv_run_q <= 1'b0;
      else tidv_cnt_q <= tidv_cnt_q - 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rdtr_cnt_q <= '0;
      rdtr_run_q <= 1'b0;
    end else if (evt_rxt0_i && rdtr_i != 16'd0) begin
      rdtr_cnt_q <= delay_cycles(rdtr_i, 8'(DelayUnit)) - 1'b1;
      rdtr_run_q <= 1'b1;
    end else if (rdtr_run_q) begin
      if (rdtr_cnt_q == '0) rdtr_run_q <= 1'b0;
      else rdtr_cnt_q <= rdtr_cnt_q - 1'b1;
    end
  end

  assign txdw_fire = (evt_txwb_i && !(evt_txwb_ide_i && tidv_i != 16'd0)) ||
                     (tidv_run_q && tidv_cnt_q == '0 && !(evt_txwb_i && evt_txwb_ide_i));
  assign rxt0_fire = (evt_rxt0_i && rdtr_i == 16'd0) ||
                     (rdtr_run_q && rdtr_cnt_q == '0 && !evt_rxt0_i);

  logic [31:0] set_bits;
  always_comb begin
    set_bits = '0;
    set_bits[ICR_TXDW_LSB]   = txdw_fire;
    set_bits[ICR_TXQE_LSB]   = evt_txqe_i;
    set_bits[ICR_LSC_LSB]    = evt_lsc_i;
    set_bits[ICR_RXDMT0_LSB] = evt_rxdmt0_i;
    set_bits[ICR_RXO_LSB]    = evt_rxo_i;
    set_bits[ICR_RXT0_LSB]   = rxt0_fire;
    set_bits[ICR_TXDE_LSB]   = evt_txde_i;
    set_bits[ICR_RXDE_LSB]   = evt_rxde_i;
    if (ics_we_i) set_bits = set_bits | (wdata_i & CauseMask);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      icr_q <= '0;
      ims_q <= '0;
    end else begin
      // a cause arriving in the cycle of the read is kept for the next read
      icr_q <= (icr_rd_i ? 32'd0 : icr_q) | set_bits;
      if (ims_we_i) ims_q <= ims_q | (wdata_i & CauseMask);
      else if (imc_we_i) ims_q <= ims_q & ~wdata_i;
    end
  end

  assign icr_o = icr_q;
  assign ims_o = ims_q;

  // MSI: one message per rising edge of (ICR & IMS) != 0, at most one per ITR interval.
  logic asserted, asserted_q, pend_q, req_q;
  assign asserted = |(icr_q & ims_q);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      asserted_q <= 1'b0;
      pend_q     <= 1'b0;
      req_q      <= 1'b0;
      itr_cnt_q  <= '0;
    end else begin
      asserted_q <= asserted;
      if (itr_cnt_q != '0) itr_cnt_q <= itr_cnt_q - 1'b1;
      if (req_q) begin
        if (msi_ack_i) begin
          req_q     <= 1'b0;
          itr_cnt_q <= (itr_i == 16'd0) ? '0 : delay_cycles(itr_i, 8'(ItrUnit)) - 1'b1;
        end
      end else if (pend_q || (asserted && !asserted_q)) begin
        // a held edge is dropped if software cleared the causes meanwhile
        if (!asserted) pend_q <= 1'b0;
        else if (itr_cnt_q == '0) begin
          req_q  <= 1'b1;
          pend_q <= 1'b0;
        end else pend_q <= 1'b1;
      end
      if (req_q && asserted && !asserted_q) pend_q <= 1'b1;
    end
  end

  assign msi_req_o    = req_q;
  assign msi_vector_o = 5'd0;

  assign idle_o = !tidv_run_q && !rdtr_run_q && (itr_cnt_q == '0) && !pend_q && !req_q &&
                  (asserted == asserted_q);

`ifndef SYNTHESIS
  // The request must stay up until it is acknowledged.
  logic req_prev_q, ack_prev_q;
  always_ff @(posedge clk_i) begin
    req_prev_q <= rst_ni && req_q;
    ack_prev_q <= msi_ack_i;
    if (rst_ni && req_prev_q && !ack_prev_q) assert (req_q) else $error("MSI request dropped before ack");
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_cause_txdw_now: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_txwb_i && !(evt_txwb_ide_i && tidv_i != 16'd0));
  cov_cause_txdw_tidv: cover property (@(posedge clk_i) disable iff (!rst_ni) tidv_run_q && tidv_cnt_q == '0 && !(evt_txwb_i && evt_txwb_ide_i));
  cov_tidv_restarted: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_txwb_i && evt_txwb_ide_i && tidv_i != 16'd0 && tidv_run_q);
  cov_cause_txqe: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_txqe_i);
  cov_cause_lsc: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_lsc_i);
  cov_cause_rxdmt0: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxdmt0_i);
  cov_cause_rxo: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxo_i);
  cov_cause_rxt0_now: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxt0_i && rdtr_i == 16'd0);
  cov_cause_rxt0_rdtr: cover property (@(posedge clk_i) disable iff (!rst_ni) rdtr_run_q && rdtr_cnt_q == '0 && !evt_rxt0_i);
  cov_cause_txde: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_txde_i);
  cov_cause_rxde: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rxde_i);
  cov_ics_write: cover property (@(posedge clk_i) disable iff (!rst_ni) ics_we_i && (wdata_i & CauseMask) != '0);
  cov_cause_during_icr_read: cover property (@(posedge clk_i) disable iff (!rst_ni) icr_rd_i && set_bits != '0);
  cov_msi_while_busy: cover property (@(posedge clk_i) disable iff (!rst_ni) req_q && asserted && !asserted_q);
  cov_msi_held_by_itr: cover property (@(posedge clk_i) disable iff (!rst_ni) !req_q && (pend_q || (asserted && !asserted_q)) && asserted && itr_cnt_q != '0);
  cov_msi_held_then_dropped: cover property (@(posedge clk_i) disable iff (!rst_ni) !req_q && pend_q && !asserted);
`endif
  // ==== end cover points ====
endmodule
