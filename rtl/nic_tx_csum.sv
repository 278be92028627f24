// TX checksum offload: sums each frame as it streams to the TX FIFO and, at its last beat, names the IP and TCP/UDP checksums to write into it.
//
// The block only watches the frame stream (no added latency); the TX FIFO stores the frame and
// writes the checksums into it before the frame is committed (nic_frame_fifo patch port), so the
// MAC never sees a frame without them. Per frame, the options at the head of the option FIFO
// (POPTS IXSM/TXSM and the context's offsets) apply; they are popped at the frame's last beat.
//   IP  (IXSM): ones' complement sum of bytes IPCSS..IPCSE (IPCSE = 0: to the end of the frame),
//               the two bytes at IPCSO counted as zero; written at IPCSO.
//   TCP/UDP (TXSM): sum of bytes TUCSS..TUCSE (TUCSE = 0: to the end), the field at TUCSO counted
//               as it is: software puts the pseudo-header sum there (ixgb/Linux CHECKSUM_PARTIAL),
//               so the result covers the pseudo-header; written at TUCSO, 0 sent as 0xFFFF.
// A checksum whose start or 2-byte field does not lie inside the frame is not inserted (the frame
// leaves as read from memory); a discarded frame (tuser) gets no checksum.
module nic_tx_csum (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // the frame stream (observed)
  input  logic [63:0]           s_axis_tdata,
  input  logic [7:0]            s_axis_tkeep,
  input  logic                  s_axis_tvalid,
  input  logic                  s_axis_tready,
  input  logic                  s_axis_tlast,
  input  logic                  s_axis_tuser,
  // option FIFO head: one entry per frame
  input  logic                  opt_valid_i,
  input  nic_dma_pkg::tx_opt_t  opt_i,
  output logic                  opt_pop_o,
  // checksums to write into the frame, valid with its last beat
  output nic_dma_pkg::tx_patch_t patch_o,
  output logic                  quiet_o      // between frames, sums at zero
);
  import nic_dma_pkg::*;

  logic [13:0] off_q, off_d;           // frame byte offset of the current beat (multiple of 8)
  logic [31:0] ip_sum_q, ip_sum_d, tu_sum_q, tu_sum_d;
  logic [31:0] ip_tot, tu_tot;
  logic [19:0] ip_beat, tu_beat;
  logic [14:0] flen;
  logic [3:0]  nkeep;
  logic        beat, fin, ip_fits, tu_fits;
  logic [15:0] ip_csum, tu_csum;

  // Ones' complement fold of a 32-bit sum of 16-bit words, byte-swapped when the range starts at
  // an odd offset (the sum is kept over frame-aligned words), then complemented.
  function automatic logic [15:0] csum_final(logic [31:0] s, logic odd_start);
    logic [15:0] r;
    r = csum_fold(s);
    if (odd_start) r = {r[7:0], r[15:8]};
    return ~r;
  endfunction

  // one past the last byte of a range whose end field is inclusive, 0 meaning the frame's end
  function automatic logic [16:0] range_hi(logic [15:0] e);
    return (e == '0) ? 17'h1FFFF : 17'(e) + 17'd1;
  endfunction

  // Combinational logic costs the simulation (Verilator) every cycle: the sums are computed only with a beat
  // present (tvalid), the checksums and their fit only at the last beat (fin); outside those
  // cycles nothing uses them (no patch is enabled, the sums move only on a beat).
  always_comb begin
    nkeep   = '0;
    ip_beat = '0;
    tu_beat = '0;
    beat    = s_axis_tvalid && s_axis_tready;
    fin     = beat && s_axis_tlast;
    ip_tot  = ip_sum_q;
    tu_tot  = tu_sum_q;
    flen    = '0;
    ip_csum = '0;
    tu_csum = '0;
    ip_fits = 1'b0;
    tu_fits = 1'b0;
    if (s_axis_tvalid) begin
      for (int i = 0; i < 8; i++) nkeep = nkeep + 4'(s_axis_tkeep[i]);
      // (ifs, not conditional expressions: the simulation inlines a function called in an
      // expression and runs it whatever the condition)
      if (opt_i.ixsm) ip_beat = csum_beat(s_axis_tdata, s_axis_tkeep, off_q, 17'(opt_i.ctx.ipcss),
                                          range_hi(opt_i.ctx.ipcse), 1'b1, 17'(opt_i.ctx.ipcso));
      if (opt_i.txsm) tu_beat = csum_beat(s_axis_tdata, s_axis_tkeep, off_q, 17'(opt_i.ctx.tucss),
                                          range_hi(opt_i.ctx.tucse), 1'b0, '0);
      ip_tot  = ip_sum_q + 32'(ip_beat);
      tu_tot  = tu_sum_q + 32'(tu_beat);
    end
    if (fin) begin
      flen    = 15'(off_q) + 15'(nkeep);
      ip_csum = csum_final(ip_tot, opt_i.ctx.ipcss[0]);
      tu_csum = csum_final(tu_tot, opt_i.ctx.tucss[0]);
      if (tu_csum == '0) tu_csum = 16'hFFFF;
      ip_fits = 15'(opt_i.ctx.ipcss) < flen && 15'(opt_i.ctx.ipcso) + 15'd1 < flen;
      tu_fits = 15'(opt_i.ctx.tucss) < flen && 15'(opt_i.ctx.tucso) + 15'd1 < flen;
    end

    patch_o   = '{en:  {opt_i.txsm && tu_fits && !s_axis_tuser, opt_i.ixsm && ip_fits && !s_axis_tuser},
                  off: {opt_i.ctx.tucso, opt_i.ctx.ipcso},
                  val: {tu_csum, ip_csum}};
    if (!fin) patch_o.en = '0;
    opt_pop_o = fin;

    off_d    = off_q;
    ip_sum_d = ip_sum_q;
    tu_sum_d = tu_sum_q;
    if (beat) begin
      off_d    = off_q + 14'd8;
      ip_sum_d = ip_tot;
      tu_sum_d = tu_tot;
    end
    if (fin) begin
      off_d    = '0;
      ip_sum_d = '0;
      tu_sum_d = '0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      off_q    <= '0;
      ip_sum_q <= '0;
      tu_sum_q <= '0;
    end else begin
      off_q    <= off_d;
      ip_sum_q <= ip_sum_d;
      tu_sum_q <= tu_sum_d;
    end
  end

  assign quiet_o = (off_q == '0) && (ip_sum_q == '0) && (tu_sum_q == '0);

  logic unused_ok;
  assign unused_ok = ^{opt_i.tso, opt_i.tso_ctx, opt_i.vle, opt_i.vlan};  // nic_tx_tso, nic_tx_vlan

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!beat || opt_valid_i) else $error("nic_tx_csum: frame beat without its options");
      assert (!beat || s_axis_tlast || s_axis_tkeep == 8'hFF) else $error("nic_tx_csum: partial beat before tlast");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  logic cov_tu_raw_zero;  // the TCP/UDP checksum came out 0 and is sent as 0xFFFF
  assign cov_tu_raw_zero = csum_final(tu_tot, opt_i.ctx.tucss[0]) == '0;
  cov_ixsm_only: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en == 2'b01);
  cov_txsm_only: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en == 2'b10);
  cov_ixsm_and_txsm: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en == 2'b11);
  cov_no_options: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !opt_i.ixsm && !opt_i.txsm);
  cov_ip_odd_start: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[0] && opt_i.ctx.ipcss[0]);
  cov_tu_odd_start: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[1] && opt_i.ctx.tucss[0]);
  cov_ip_end_inside: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[0] && opt_i.ctx.ipcse != '0 && 17'(opt_i.ctx.ipcse) + 17'd1 < 17'(flen));
  cov_ip_end_past_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[0] && opt_i.ctx.ipcse != '0 && 17'(opt_i.ctx.ipcse) >= 17'(flen));
  cov_tu_end_inside: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[1] && opt_i.ctx.tucse != '0 && 17'(opt_i.ctx.tucse) + 17'd1 < 17'(flen));
  cov_tu_end_past_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[1] && opt_i.ctx.tucse != '0 && 17'(opt_i.ctx.tucse) >= 17'(flen));
  cov_ip_start_past_end: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && opt_i.ixsm && !(15'(opt_i.ctx.ipcss) < flen));
  cov_ip_field_past_end: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && opt_i.ixsm && 15'(opt_i.ctx.ipcss) < flen && !(15'(opt_i.ctx.ipcso) + 15'd1 < flen));
  cov_tu_start_past_end: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && opt_i.txsm && !(15'(opt_i.ctx.tucss) < flen));
  cov_tu_field_past_end: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && opt_i.txsm && 15'(opt_i.ctx.tucss) < flen && !(15'(opt_i.ctx.tucso) + 15'd1 < flen));
  cov_one_fits_other_not: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !s_axis_tuser && opt_i.ixsm && opt_i.txsm && (ip_fits != tu_fits));
  cov_field_straddles_word: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && ((patch_o.en[0] && opt_i.ctx.ipcso[2:0] == 3'd7) || (patch_o.en[1] && opt_i.ctx.tucso[2:0] == 3'd7)));
  cov_tu_range_over_ip_field: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en == 2'b11 && opt_i.ctx.tucss <= opt_i.ctx.ipcso + 8'd1);
  cov_tu_zero_sent_as_ffff: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && patch_o.en[1] && cov_tu_raw_zero);
  cov_discarded_with_options: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && s_axis_tuser && (opt_i.ixsm || opt_i.txsm) && (ip_fits || tu_fits));
  cov_single_beat_frame_with_options: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && off_q == '0 && patch_o.en != '0);
`endif
  // ==== end cover points ====
endmodule

