// AXI4 arbiter: TX DMA (port 0, ID 0) and RX DMA (port 1, ID 1) onto one master port; absorbs in-flight bursts on flush.
//
// AR: round-robin into a registered AR slot, loaded only while it is empty. AW+W: round-robin per
// burst into a registered AW slot; the granted port's W beats go through a two-entry W queue from
// the cycle after the AW was accepted downstream, and the next AW is granted after WLAST. R and B
// are taken every cycle into one register each (RREADY and BREADY stay high: both engines always
// accept), then routed by ID (1 -> s1, anything else -> s0) from there.
// No input of the master port reaches the slave ports, or any output, in the same cycle: every
// ready and response the engines see comes from a register here, so none of their logic is
// evaluated again when the master's inputs change (Verilator's input pass; docs/hw-design.md,
// "Inputs registered"). That costs one cycle on every read and write response, an AR at most every
// other cycle, and one cycle between an AW's acceptance and its first W beat.
// flush_i (soft reset of the engines; this block is reset by rst_ni only): every burst outstanding at
// that moment, or still waiting in the AR/AW slot, is marked for discard (counted per ID: responses of
// one ID return in order); its R beats and B response are accepted here and not shown to the ports,
// and the W burst in progress is finished with wstrb = 0 (a beat already queued behind the one on
// the bus gets wstrb = 0 too).
module nic_axi_arb (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              flush_i,
  // slave ports: 0 = TX DMA (ID 0), 1 = RX DMA (ID 1)
  input  nic_axi_pkg::req_t s_req_i [2],
  output nic_axi_pkg::rsp_t s_rsp_o [2],
  // master port
  output nic_axi_pkg::req_t m_req_o,
  input  nic_axi_pkg::rsp_t m_rsp_i,
  // nothing in the AR/AW/W slots, no W burst open, nothing outstanding or to discard, no request
  output logic              idle_o
);
  import nic_axi_pkg::*;

  // IDs 0 and 1 name the two ports; strobes are per byte
  if (IdWidth < 1 || DataWidth < 8 || DataWidth % 8 != 0) begin : gen_param_check
    $error("nic_axi_arb: needs IdWidth >= 1 and a whole number of data bytes");
  end

  localparam int unsigned CntWidth = 8;   // outstanding bursts per ID (the engines keep <= 16 each)

  // ------------------------------------------------------------------------------------------------
  // Port arrays
  logic [1:0] s_arvalid, s_awvalid, s_wvalid, s_rready, s_bready;
  logic [1:0] s_arready, s_awready, s_wready, s_rvalid, s_bvalid;

  for (genvar i = 0; i < 2; i++) begin : gen_ports
    assign s_arvalid[i] = s_req_i[i].ar_valid;
    assign s_awvalid[i] = s_req_i[i].aw_valid;
    assign s_wvalid[i]  = s_req_i[i].w_valid;
    assign s_rready[i]  = s_req_i[i].r_ready;
    assign s_bready[i]  = s_req_i[i].b_ready;
    assign s_rsp_o[i] = '{aw_ready: s_awready[i], w_ready: s_wready[i], b: b_q, b_valid: s_bvalid[i],
                          ar_ready: s_arready[i], r: r_q, r_valid: s_rvalid[i]};
  end

  // ------------------------------------------------------------------------------------------------
  // State
  logic                ar_valid_q, ar_disc_q, ar_rr_q;
  ax_t                 ar_q;
  logic                aw_valid_q, aw_disc_q, aw_rr_q;
  ax_t                 aw_q;
  logic                w_active_q, w_sel_q, w_aw_sent_q, w_gen_q;
  logic [8:0]          w_in_rem_q;  // beats still to load into the W slot
  logic [1:0]          wq_cnt_q;  // W queue: entries held (0..2), head at wq_q[0]
  w_t                  wq_q [2];
  logic                rv_q, bv_q;  // R beat and B response taken from the master last cycle
  r_t                  r_q;
  b_t                  b_q;
  logic [CntWidth-1:0] out_r_q [2];
  logic [CntWidth-1:0] disc_r_q [2];
  logic [CntWidth-1:0] out_b_q [2];
  logic [CntWidth-1:0] disc_b_q [2];

  logic ar_load_ok, ar_sel, ar_take, m_ar_hs, ar_idx;
  logic aw_load_ok, aw_sel, aw_take, m_aw_hs, aw_idx;
  logic w_load_ok, w_take_in, w_load, m_w_hs, wv;
  w_t   w_new;
  logic r_idx, r_disc, r_end, b_idx, b_disc, b_end, m_rready, m_bready;

  function automatic logic id_port(logic [IdWidth-1:0] id);
    return id == IdWidth'(1);
  endfunction

  // ------------------------------------------------------------------------------------------------
  // The handshakes of this cycle (combinational: ready and valid towards the ports and the master).
  // What the slots and counters load is computed in the register block below, once per edge
  // (in the Verilated model a combinational next state would be evaluated again after every edge).

  // AR: round-robin into the AR slot (only when empty: not on the cycle the master takes it)
  always_comb begin
    ar_load_ok = !ar_valid_q && !flush_i;
    ar_sel     = (s_arvalid == 2'b11) ? ar_rr_q : s_arvalid[1];
    ar_take    = ar_load_ok && (s_arvalid != 2'b00);
    s_arready  = '0;
    s_arready[ar_sel] = ar_load_ok;
    m_ar_hs    = ar_valid_q && m_rsp_i.ar_ready;
    ar_idx     = id_port(ar_q.id);
  end

  // AW + W: one burst at a time; W beats only after the AW has been accepted downstream
  always_comb begin
    aw_load_ok = !w_active_q && !flush_i;
    aw_sel     = (s_awvalid == 2'b11) ? aw_rr_q : s_awvalid[1];
    aw_take    = aw_load_ok && (s_awvalid != 2'b00);
    s_awready  = '0;
    s_awready[aw_sel] = aw_load_ok;
    m_aw_hs    = aw_valid_q && m_rsp_i.aw_ready;
    aw_idx     = id_port(aw_q.id);

    wv        = wq_cnt_q != '0;
    m_w_hs    = wv && m_rsp_i.w_ready;
    w_load_ok = w_active_q && w_aw_sent_q && (w_in_rem_q != '0) && (wq_cnt_q != 2'd2) && !flush_i;
    w_take_in = w_load_ok && !w_gen_q && s_wvalid[w_sel_q];
    w_load    = w_load_ok && (w_gen_q || s_wvalid[w_sel_q]);
    s_wready  = '0;
    s_wready[w_sel_q] = w_load_ok && !w_gen_q;
    w_new = '0;  // (the beat to load, assembled only when one is loaded)
    if (w_load)
      w_new = w_gen_q ? '{data: '0, strb: '0, last: (w_in_rem_q == 9'd1)}
                      : '{data: s_req_i[w_sel_q].w.data, strb: s_req_i[w_sel_q].w.strb, last: (w_in_rem_q == 9'd1)};
  end

  // R and B: taken from the master every cycle; from their registers routed by ID, bursts
  // marked at flush swallowed (the engines always accept: s_rready and s_bready are high)
  assign m_rready = 1'b1;
  assign m_bready = 1'b1;
  always_comb begin
    r_idx  = id_port(r_q.id);
    r_disc = flush_i || (disc_r_q[r_idx] != '0);
    s_rvalid = '0;
    s_rvalid[r_idx] = rv_q && !r_disc;
    r_end  = rv_q && r_q.last;

    b_idx  = id_port(b_q.id);
    b_disc = flush_i || (disc_b_q[b_idx] != '0);
    s_bvalid = '0;
    s_bvalid[b_idx] = bv_q && !b_disc;
    b_end  = bv_q;
  end

  // ------------------------------------------------------------------------------------------------
  // Registers: the slots load on their handshakes; a flush marks what is waiting or outstanding
  always_ff @(posedge clk_i) begin
    logic w_active_d;
    logic [CntWidth-1:0] out_r_d, out_b_d;
    if (!rst_ni) begin
      ar_valid_q  <= 1'b0;
      ar_disc_q   <= 1'b0;
      ar_rr_q     <= 1'b0;
      ar_q        <= '0;
      aw_valid_q  <= 1'b0;
      aw_disc_q   <= 1'b0;
      aw_rr_q     <= 1'b0;
      aw_q        <= '0;
      w_active_q  <= 1'b0;
      w_sel_q     <= 1'b0;
      w_aw_sent_q <= 1'b0;
      w_gen_q     <= 1'b0;
      w_in_rem_q  <= '0;
      wq_cnt_q    <= '0;
      wq_q[0]     <= '0;
      wq_q[1]     <= '0;
      rv_q        <= 1'b0;
      bv_q        <= 1'b0;
      r_q         <= '0;
      b_q         <= '0;
      for (int unsigned i = 0; i < 2; i++) begin
        out_r_q[i]  <= '0;
        disc_r_q[i] <= '0;
        out_b_q[i]  <= '0;
        disc_b_q[i] <= '0;
      end
    end else begin
      // R and B registers (RREADY and BREADY are high)
      rv_q <= m_rsp_i.r_valid;
      if (m_rsp_i.r_valid) r_q <= m_rsp_i.r;
      bv_q <= m_rsp_i.b_valid;
      if (m_rsp_i.b_valid) b_q <= m_rsp_i.b;

      // AR slot (a take needs !flush_i; a request still waiting belongs to the engine being reset)
      if (ar_take) begin
        ar_valid_q <= 1'b1;
        ar_q       <= s_req_i[ar_sel].ar;
        ar_disc_q  <= 1'b0;
        ar_rr_q    <= !ar_sel;
      end else begin
        if (m_rsp_i.ar_ready) ar_valid_q <= 1'b0;
        if (flush_i) ar_disc_q <= 1'b1;
      end

      // AW slot and the W burst it opens
      w_active_d = w_active_q;
      if (aw_take) begin
        aw_valid_q  <= 1'b1;
        aw_q        <= s_req_i[aw_sel].aw;
        aw_disc_q   <= 1'b0;
        aw_rr_q     <= !aw_sel;
        w_active_d  = 1'b1;
        w_sel_q     <= aw_sel;
        w_aw_sent_q <= 1'b0;
      end else begin
        if (m_rsp_i.aw_ready) aw_valid_q <= 1'b0;
        if (flush_i) aw_disc_q <= 1'b1;
        if (m_aw_hs) w_aw_sent_q <= 1'b1;
      end

      // W queue (aw_take needs !w_active_q, w_load needs w_active_q: never both); the head
      // leaves on the master's handshake, a new beat goes behind what stays
      if (m_w_hs) wq_q[0] <= wq_q[1];
      if (w_load) begin
        if (wq_cnt_q == 2'(m_w_hs)) wq_q[0] <= w_new;  // the queue is empty once the head leaves
        else wq_q[1] <= w_new;
        w_in_rem_q <= w_in_rem_q - 9'd1;
      end else if (aw_take) begin
        w_in_rem_q <= 9'(s_req_i[aw_sel].aw.len) + 9'd1;
      end
      wq_cnt_q <= wq_cnt_q + 2'(w_load) - 2'(m_w_hs);
      // a beat queued behind the one on the bus belongs to the engine being reset: empty strobes
      if (flush_i) begin
        if (m_w_hs) wq_q[0].strb <= '0;
        else wq_q[1].strb <= '0;
      end
      if (m_w_hs && wq_q[0].last) w_active_d = 1'b0;
      w_active_q <= w_active_d;
      // the engine that owned the burst is being reset: finish it with empty beats
      w_gen_q <= w_active_d && (w_gen_q || flush_i);

      // outstanding bursts per ID, and those to discard
      // (the counters move only with a handshake, a burst's end or a flush: not evaluated in the
      // other cycles)
      if (m_ar_hs || r_end || m_aw_hs || b_end || flush_i) begin
        for (int unsigned i = 0; i < 2; i++) begin
          out_r_d = out_r_q[i] + CntWidth'(m_ar_hs && ar_idx == 1'(i)) - CntWidth'(r_end && r_idx == 1'(i));
          out_b_d = out_b_q[i] + CntWidth'(m_aw_hs && aw_idx == 1'(i)) - CntWidth'(b_end && b_idx == 1'(i));
          out_r_q[i] <= out_r_d;
          out_b_q[i] <= out_b_d;
          if (flush_i) begin
            // everything outstanding now belongs to the engines being reset
            disc_r_q[i] <= out_r_d;
            disc_b_q[i] <= out_b_d;
          end else begin
            disc_r_q[i] <= disc_r_q[i] + CntWidth'(m_ar_hs && ar_disc_q && ar_idx == 1'(i)) -
                           CntWidth'(r_end && r_disc && r_idx == 1'(i));
            disc_b_q[i] <= disc_b_q[i] + CntWidth'(m_aw_hs && aw_disc_q && aw_idx == 1'(i)) -
                           CntWidth'(b_end && b_disc && b_idx == 1'(i));
          end
        end
      end
    end
  end

  // ------------------------------------------------------------------------------------------------
  // Master outputs
  assign m_req_o = '{aw: aw_q, pad_aw: '0, pad_ar: '0, aw_valid: aw_valid_q, w: wq_q[0], w_valid: wv, b_ready: m_bready,
                     ar: ar_q, ar_valid: ar_valid_q, r_ready: m_rready};

  assign idle_o = !ar_valid_q && !aw_valid_q && !w_active_q && (wq_cnt_q == '0) && !w_gen_q && !rv_q && !bv_q &&
                  (out_r_q[0] == '0) && (out_r_q[1] == '0) && (out_b_q[0] == '0) && (out_b_q[1] == '0) &&
                  (disc_r_q[0] == '0) && (disc_r_q[1] == '0) && (disc_b_q[0] == '0) && (disc_b_q[1] == '0) &&
                  (s_arvalid == '0) && (s_awvalid == '0) && (s_wvalid == '0) && !flush_i;

  logic unused_ok;
  assign unused_ok = ^{w_take_in, ar_take};

  // ------------------------------------------------------------------------------------------------
  // Assertions
`ifndef SYNTHESIS
  logic ar_stall_q, aw_stall_q, w_stall_q;
  ax_t  ar_past_q, aw_past_q;
  w_t   w_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ar_stall_q <= 1'b0;
      aw_stall_q <= 1'b0;
      w_stall_q  <= 1'b0;
    end else begin
      ar_stall_q <= ar_valid_q && !m_rsp_i.ar_ready;
      aw_stall_q <= aw_valid_q && !m_rsp_i.aw_ready;
      w_stall_q  <= wv && !m_rsp_i.w_ready;
    end
    // (kept only in a stalled cycle, the only one whose next cycle compares them)
    if (ar_valid_q && !m_rsp_i.ar_ready) ar_past_q <= ar_q;
    if (aw_valid_q && !m_rsp_i.aw_ready) aw_past_q <= aw_q;
    if (wv && !m_rsp_i.w_ready) w_past_q <= wq_q[0];
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_q == ar_past_q) else $error("nic_axi_arb: AR changed before arready");
      if (aw_stall_q) assert (aw_valid_q && aw_q == aw_past_q) else $error("nic_axi_arb: AW changed before awready");
      if (w_stall_q) assert (wv && wq_q[0] == w_past_q) else $error("nic_axi_arb: W changed before wready");
      // RREADY and BREADY are high: the engines must take every response shown to them
      assert (s_rready == 2'b11 && s_bready == 2'b11) else $error("nic_axi_arb: an engine refused R or B");
      if (w_take_in) assert (s_req_i[w_sel_q].w.last == (w_in_rem_q == 9'd1))
        else $error("nic_axi_arb: engine WLAST does not match AWLEN");
      if (r_end) assert (out_r_q[r_idx] != '0) else $error("nic_axi_arb: R burst without request");
      if (b_end) assert (out_b_q[b_idx] != '0) else $error("nic_axi_arb: B without write");
      assert (!(m_rsp_i.r_valid && m_rsp_i.r.id != '0 && m_rsp_i.r.id != IdWidth'(1)))
        else $error("nic_axi_arb: R with unknown ID");
      assert (!(m_rsp_i.b_valid && m_rsp_i.b.id != '0 && m_rsp_i.b.id != IdWidth'(1)))
        else $error("nic_axi_arb: B with unknown ID");
      for (int unsigned i = 0; i < 2; i++) begin
        assert (out_r_q[i] != '1 && out_b_q[i] != '1) else $error("nic_axi_arb: outstanding counter overflow");
        assert (disc_r_q[i] <= out_r_q[i] && disc_b_q[i] <= out_b_q[i])
          else $error("nic_axi_arb: discard count above outstanding");
      end
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_ar_both_engines: cover property (@(posedge clk_i) disable iff (!rst_ni) s_arvalid == 2'b11);
  cov_aw_both_engines: cover property (@(posedge clk_i) disable iff (!rst_ni) s_awvalid == 2'b11);
`endif
  // ==== end cover points ====
endmodule
