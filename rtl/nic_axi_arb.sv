// AXI4 arbiter: TX DMA (s0, ID 0) and RX DMA (s1, ID 1) onto one master port; absorbs in-flight bursts on flush.
//
// AR: round-robin into a registered AR slot. AW+W: round-robin per burst into a registered AW slot;
// the granted port's W beats go through a registered W slot once the AW has been accepted downstream,
// and the next AW is granted after WLAST. R and B are routed by ID (1 -> s1, anything else -> s0).
// flush_i (soft reset of the engines; this block is reset by rst_ni only): every burst outstanding at
// that moment, or still waiting in the AR/AW slot, is marked for discard (counted per ID: responses of
// one ID return in order); its R beats and B response are accepted here and not shown to the ports,
// and the W burst in progress is finished with wstrb = 0.
module nic_axi_arb #(
  parameter int unsigned AxiDataWidth = 128,
  parameter int unsigned AxiIdWidth   = 4,
  parameter int unsigned AxiAddrWidth = 64
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      flush_i,
  // slave port 0: TX DMA
  input  logic [AxiIdWidth-1:0]     s0_axi_awid,
  input  logic [AxiAddrWidth-1:0]   s0_axi_awaddr,
  input  logic [7:0]                s0_axi_awlen,
  input  logic [2:0]                s0_axi_awsize,
  input  logic [1:0]                s0_axi_awburst,
  input  logic                      s0_axi_awvalid,
  output logic                      s0_axi_awready,
  input  logic [AxiDataWidth-1:0]   s0_axi_wdata,
  input  logic [AxiDataWidth/8-1:0] s0_axi_wstrb,
  input  logic                      s0_axi_wlast,
  input  logic                      s0_axi_wvalid,
  output logic                      s0_axi_wready,
  output logic [AxiIdWidth-1:0]     s0_axi_bid,
  output logic [1:0]                s0_axi_bresp,
  output logic                      s0_axi_bvalid,
  input  logic                      s0_axi_bready,
  input  logic [AxiIdWidth-1:0]     s0_axi_arid,
  input  logic [AxiAddrWidth-1:0]   s0_axi_araddr,
  input  logic [7:0]                s0_axi_arlen,
  input  logic [2:0]                s0_axi_arsize,
  input  logic [1:0]                s0_axi_arburst,
  input  logic                      s0_axi_arvalid,
  output logic                      s0_axi_arready,
  output logic [AxiIdWidth-1:0]     s0_axi_rid,
  output logic [AxiDataWidth-1:0]   s0_axi_rdata,
  output logic [1:0]                s0_axi_rresp,
  output logic                      s0_axi_rlast,
  output logic                      s0_axi_rvalid,
  input  logic                      s0_axi_rready,
  // slave port 1: RX DMA
  input  logic [AxiIdWidth-1:0]     s1_axi_awid,
  input  logic [AxiAddrWidth-1:0]   s1_axi_awaddr,
  input  logic [7:0]                s1_axi_awlen,
  input  logic [2:0]                s1_axi_awsize,
  input  logic [1:0]                s1_axi_awburst,
  input  logic                      s1_axi_awvalid,
  output logic                      s1_axi_awready,
  input  logic [AxiDataWidth-1:0]   s1_axi_wdata,
  input  logic [AxiDataWidth/8-1:0] s1_axi_wstrb,
  input  logic                      s1_axi_wlast,
  input  logic                      s1_axi_wvalid,
  output logic                      s1_axi_wready,
  output logic [AxiIdWidth-1:0]     s1_axi_bid,
  output logic [1:0]                s1_axi_bresp,
  output logic                      s1_axi_bvalid,
  input  logic                      s1_axi_bready,
  input  logic [AxiIdWidth-1:0]     s1_axi_arid,
  input  logic [AxiAddrWidth-1:0]   s1_axi_araddr,
  input  logic [7:0]                s1_axi_arlen,
  input  logic [2:0]                s1_axi_arsize,
  input  logic [1:0]                s1_axi_arburst,
  input  logic                      s1_axi_arvalid,
  output logic                      s1_axi_arready,
  output logic [AxiIdWidth-1:0]     s1_axi_rid,
  output logic [AxiDataWidth-1:0]   s1_axi_rdata,
  output logic [1:0]                s1_axi_rresp,
  output logic                      s1_axi_rlast,
  output logic                      s1_axi_rvalid,
  input  logic                      s1_axi_rready,
  // master port
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
  // nothing in the AR/AW/W slots, no W burst open, nothing outstanding or to discard, no request
  output logic                      idle_o
);
  // IDs 0 and 1 name the two ports; strobes are per byte
  if (AxiIdWidth < 1 || AxiDataWidth < 8 || AxiDataWidth % 8 != 0) begin : gen_param_check
    $error("nic_axi_arb: needs AxiIdWidth >= 1 and a whole number of data bytes");
  end

  localparam int unsigned StrbWidth = AxiDataWidth / 8;
  localparam int unsigned CntWidth  = 8;   // outstanding bursts per ID (the engines keep <= 16 each)

  typedef struct packed {
    logic [AxiIdWidth-1:0]   id;
    logic [AxiAddrWidth-1:0] addr;
    logic [7:0]              len;
    logic [2:0]              size;
    logic [1:0]              burst;
  } ax_t;

  typedef struct packed {
    logic [AxiDataWidth-1:0] data;
    logic [StrbWidth-1:0]    strb;
    logic                    last;
  } w_t;

  // ------------------------------------------------------------------------------------------------
  // Port arrays
  ax_t        s_ar [2];
  ax_t        s_aw [2];
  w_t         s_w [2];
  logic [1:0] s_arvalid, s_awvalid, s_wvalid, s_rready, s_bready;
  logic [1:0] s_arready, s_awready, s_wready, s_rvalid, s_bvalid;

  assign s_ar[0]   = '{id: s0_axi_arid, addr: s0_axi_araddr, len: s0_axi_arlen, size: s0_axi_arsize,
                       burst: s0_axi_arburst};
  assign s_ar[1]   = '{id: s1_axi_arid, addr: s1_axi_araddr, len: s1_axi_arlen, size: s1_axi_arsize,
                       burst: s1_axi_arburst};
  assign s_aw[0]   = '{id: s0_axi_awid, addr: s0_axi_awaddr, len: s0_axi_awlen, size: s0_axi_awsize,
                       burst: s0_axi_awburst};
  assign s_aw[1]   = '{id: s1_axi_awid, addr: s1_axi_awaddr, len: s1_axi_awlen, size: s1_axi_awsize,
                       burst: s1_axi_awburst};
  assign s_w[0]    = '{data: s0_axi_wdata, strb: s0_axi_wstrb, last: s0_axi_wlast};
  assign s_w[1]    = '{data: s1_axi_wdata, strb: s1_axi_wstrb, last: s1_axi_wlast};
  assign s_arvalid = {s1_axi_arvalid, s0_axi_arvalid};
  assign s_awvalid = {s1_axi_awvalid, s0_axi_awvalid};
  assign s_wvalid  = {s1_axi_wvalid, s0_axi_wvalid};
  assign s_rready  = {s1_axi_rready, s0_axi_rready};
  assign s_bready  = {s1_axi_bready, s0_axi_bready};
  assign {s1_axi_arready, s0_axi_arready} = s_arready;
  assign {s1_axi_awready, s0_axi_awready} = s_awready;
  assign {s1_axi_wready, s0_axi_wready}   = s_wready;
  assign {s1_axi_rvalid, s0_axi_rvalid}   = s_rvalid;
  assign {s1_axi_bvalid, s0_axi_bvalid}   = s_bvalid;

  // ------------------------------------------------------------------------------------------------
  // State
  logic                ar_valid_q, ar_valid_d, ar_disc_q, ar_disc_d, ar_rr_q, ar_rr_d;
  ax_t                 ar_q, ar_d;
  logic                aw_valid_q, aw_valid_d, aw_disc_q, aw_disc_d, aw_rr_q, aw_rr_d;
  ax_t                 aw_q, aw_d;
  logic                w_active_q, w_active_d, w_sel_q, w_sel_d, w_aw_sent_q, w_aw_sent_d;
  logic                w_gen_q, w_gen_d;
  logic [8:0]          w_in_rem_q, w_in_rem_d;  // beats still to load into the W slot
  logic                wv_q, wv_d;
  w_t                  w_q, w_d;
  logic [CntWidth-1:0] out_r_q [2];
  logic [CntWidth-1:0] out_r_d [2];
  logic [CntWidth-1:0] disc_r_q [2];
  logic [CntWidth-1:0] disc_r_d [2];
  logic [CntWidth-1:0] out_b_q [2];
  logic [CntWidth-1:0] out_b_d [2];
  logic [CntWidth-1:0] disc_b_q [2];
  logic [CntWidth-1:0] disc_b_d [2];

  logic ar_load_ok, ar_sel, ar_take, m_ar_hs, ar_idx;
  logic aw_load_ok, aw_sel, aw_take, m_aw_hs, aw_idx;
  logic w_load_ok, w_take_in, w_load, m_w_hs;
  logic r_idx, r_disc, r_end, b_idx, b_disc, b_end;

  function automatic logic id_port(logic [AxiIdWidth-1:0] id);
    return id == AxiIdWidth'(1);
  endfunction

  // ------------------------------------------------------------------------------------------------
  // AR: round-robin into the AR slot
  always_comb begin
    ar_load_ok = (!ar_valid_q || m_axi_arready) && !flush_i;
    ar_sel     = (s_arvalid == 2'b11) ? ar_rr_q : s_arvalid[1];
    ar_take    = ar_load_ok && (s_arvalid != 2'b00);
    s_arready  = '0;
    s_arready[ar_sel] = ar_load_ok;
    m_ar_hs    = ar_valid_q && m_axi_arready;
    ar_idx     = id_port(ar_q.id);

    ar_valid_d = ar_valid_q && !m_axi_arready;
    ar_d       = ar_q;
    ar_disc_d  = ar_disc_q;
    ar_rr_d    = ar_rr_q;
    if (ar_take) begin
      ar_valid_d = 1'b1;
      ar_d       = s_ar[ar_sel];
      ar_disc_d  = 1'b0;
      ar_rr_d    = !ar_sel;
    end
    // a request still waiting in the slot belongs to the engine being reset
    if (flush_i) ar_disc_d = 1'b1;
  end

  // ------------------------------------------------------------------------------------------------
  // AW + W: one burst at a time
  always_comb begin
    aw_load_ok = !w_active_q && !flush_i;
    aw_sel     = (s_awvalid == 2'b11) ? aw_rr_q : s_awvalid[1];
    aw_take    = aw_load_ok && (s_awvalid != 2'b00);
    s_awready  = '0;
    s_awready[aw_sel] = aw_load_ok;
    m_aw_hs    = aw_valid_q && m_axi_awready;
    aw_idx     = id_port(aw_q.id);

    aw_valid_d  = aw_valid_q && !m_axi_awready;
    aw_d        = aw_q;
    aw_disc_d   = aw_disc_q;
    aw_rr_d     = aw_rr_q;
    w_active_d  = w_active_q;
    w_sel_d     = w_sel_q;
    w_aw_sent_d = w_aw_sent_q || m_aw_hs;
    w_in_rem_d  = w_in_rem_q;
    if (aw_take) begin
      aw_valid_d  = 1'b1;
      aw_d        = s_aw[aw_sel];
      aw_disc_d   = 1'b0;
      aw_rr_d     = !aw_sel;
      w_active_d  = 1'b1;
      w_sel_d     = aw_sel;
      w_aw_sent_d = 1'b0;
      w_in_rem_d  = 9'(s_aw[aw_sel].len) + 9'd1;
    end
    if (flush_i) aw_disc_d = 1'b1;

    // W slot: beats only after the AW has been accepted downstream
    m_w_hs    = wv_q && m_axi_wready;
    w_load_ok = w_active_q && (w_aw_sent_q || m_aw_hs) && (w_in_rem_q != '0) &&
                (!wv_q || m_axi_wready) && !flush_i;
    w_take_in = w_load_ok && !w_gen_q && s_wvalid[w_sel_q];
    w_load    = w_load_ok && (w_gen_q || s_wvalid[w_sel_q]);
    s_wready  = '0;
    s_wready[w_sel_q] = w_load_ok && !w_gen_q;

    wv_d = wv_q && !m_axi_wready;
    w_d  = w_q;
    if (w_load) begin
      wv_d = 1'b1;
      if (w_gen_q) begin
        w_d = '{data: '0, strb: '0, last: (w_in_rem_q == 9'd1)};
      end else begin
        w_d      = s_w[w_sel_q];
        w_d.last = (w_in_rem_q == 9'd1);
      end
      w_in_rem_d = w_in_rem_q - 9'd1;
    end
    if (m_w_hs && w_q.last) w_active_d = 1'b0;
    // the engine that owned the burst is being reset: finish it with empty beats
    w_gen_d = w_active_d && (w_gen_q || flush_i);
  end

  // ------------------------------------------------------------------------------------------------
  // R and B: routed by ID; bursts marked at flush are swallowed
  always_comb begin
    r_idx  = id_port(m_axi_rid);
    r_disc = flush_i || (disc_r_q[r_idx] != '0);
    m_axi_rready = r_disc || s_rready[r_idx];
    s_rvalid = '0;
    s_rvalid[r_idx] = m_axi_rvalid && !r_disc;
    r_end  = m_axi_rvalid && m_axi_rready && m_axi_rlast;

    b_idx  = id_port(m_axi_bid);
    b_disc = flush_i || (disc_b_q[b_idx] != '0);
    m_axi_bready = b_disc || s_bready[b_idx];
    s_bvalid = '0;
    s_bvalid[b_idx] = m_axi_bvalid && !b_disc;
    b_end  = m_axi_bvalid && m_axi_bready;

    for (int unsigned i = 0; i < 2; i++) begin
      out_r_d[i] = out_r_q[i] + CntWidth'(m_ar_hs && ar_idx == 1'(i)) - CntWidth'(r_end && r_idx == 1'(i));
      out_b_d[i] = out_b_q[i] + CntWidth'(m_aw_hs && aw_idx == 1'(i)) - CntWidth'(b_end && b_idx == 1'(i));
      if (flush_i) begin
        // everything outstanding now belongs to the engines being reset
        disc_r_d[i] = out_r_d[i];
        disc_b_d[i] = out_b_d[i];
      end else begin
        disc_r_d[i] = disc_r_q[i] + CntWidth'(m_ar_hs && ar_disc_q && ar_idx == 1'(i)) -
                      CntWidth'(r_end && r_disc && r_idx == 1'(i));
        disc_b_d[i] = disc_b_q[i] + CntWidth'(m_aw_hs && aw_disc_q && aw_idx == 1'(i)) -
                      CntWidth'(b_end && b_disc && b_idx == 1'(i));
      end
    end
  end

  assign s0_axi_rid   = m_axi_rid;
  assign s0_axi_rdata = m_axi_rdata;
  assign s0_axi_rresp = m_axi_rresp;
  assign s0_axi_rlast = m_axi_rlast;
  assign s1_axi_rid   = m_axi_rid;
  assign s1_axi_rdata = m_axi_rdata;
  assign s1_axi_rresp = m_axi_rresp;
  assign s1_axi_rlast = m_axi_rlast;
  assign s0_axi_bid   = m_axi_bid;
  assign s0_axi_bresp = m_axi_bresp;
  assign s1_axi_bid   = m_axi_bid;
  assign s1_axi_bresp = m_axi_bresp;

  // ------------------------------------------------------------------------------------------------
  // Registers
  always_ff @(posedge clk_i) begin
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
      wv_q        <= 1'b0;
      w_q         <= '0;
      for (int unsigned i = 0; i < 2; i++) begin
        out_r_q[i]  <= '0;
        disc_r_q[i] <= '0;
        out_b_q[i]  <= '0;
        disc_b_q[i] <= '0;
      end
    end else begin
      ar_valid_q  <= ar_valid_d;
      ar_disc_q   <= ar_disc_d;
      ar_rr_q     <= ar_rr_d;
      ar_q        <= ar_d;
      aw_valid_q  <= aw_valid_d;
      aw_disc_q   <= aw_disc_d;
      aw_rr_q     <= aw_rr_d;
      aw_q        <= aw_d;
      w_active_q  <= w_active_d;
      w_sel_q     <= w_sel_d;
      w_aw_sent_q <= w_aw_sent_d;
      w_gen_q     <= w_gen_d;
      w_in_rem_q  <= w_in_rem_d;
      wv_q        <= wv_d;
      w_q         <= w_d;
      out_r_q     <= out_r_d;
      disc_r_q    <= disc_r_d;
      out_b_q     <= out_b_d;
      disc_b_q    <= disc_b_d;
    end
  end

  // ------------------------------------------------------------------------------------------------
  // Master outputs
  assign m_axi_arid    = ar_q.id;
  assign m_axi_araddr  = ar_q.addr;
  assign m_axi_arlen   = ar_q.len;
  assign m_axi_arsize  = ar_q.size;
  assign m_axi_arburst = ar_q.burst;
  assign m_axi_arvalid = ar_valid_q;
  assign m_axi_awid    = aw_q.id;
  assign m_axi_awaddr  = aw_q.addr;
  assign m_axi_awlen   = aw_q.len;
  assign m_axi_awsize  = aw_q.size;
  assign m_axi_awburst = aw_q.burst;
  assign m_axi_awvalid = aw_valid_q;
  assign m_axi_wdata   = w_q.data;
  assign m_axi_wstrb   = w_q.strb;
  assign m_axi_wlast   = w_q.last;
  assign m_axi_wvalid  = wv_q;

  assign idle_o = !ar_valid_q && !aw_valid_q && !w_active_q && !wv_q && !w_gen_q &&
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
      ar_stall_q <= m_axi_arvalid && !m_axi_arready;
      aw_stall_q <= m_axi_awvalid && !m_axi_awready;
      w_stall_q  <= m_axi_wvalid && !m_axi_wready;
    end
    ar_past_q <= ar_q;
    aw_past_q <= aw_q;
    w_past_q  <= w_q;
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (ar_stall_q) assert (ar_valid_q && ar_q == ar_past_q) else $error("nic_axi_arb: AR changed before arready");
      if (aw_stall_q) assert (aw_valid_q && aw_q == aw_past_q) else $error("nic_axi_arb: AW changed before awready");
      if (w_stall_q) assert (wv_q && w_q == w_past_q) else $error("nic_axi_arb: W changed before wready");
      if (w_take_in) assert (s_w[w_sel_q].last == (w_in_rem_q == 9'd1))
        else $error("nic_axi_arb: engine WLAST does not match AWLEN");
      if (r_end) assert (out_r_q[r_idx] != '0) else $error("nic_axi_arb: R burst without request");
      if (b_end) assert (out_b_q[b_idx] != '0) else $error("nic_axi_arb: B without write");
      assert (!(m_axi_rvalid && m_axi_rid != '0 && m_axi_rid != AxiIdWidth'(1)))
        else $error("nic_axi_arb: R with unknown ID");
      assert (!(m_axi_bvalid && m_axi_bid != '0 && m_axi_bid != AxiIdWidth'(1)))
        else $error("nic_axi_arb: B with unknown ID");
      for (int unsigned i = 0; i < 2; i++) begin
        assert (out_r_q[i] != '1 && out_b_q[i] != '1) else $error("nic_axi_arb: outstanding counter overflow");
        assert (disc_r_q[i] <= out_r_q[i] && disc_b_q[i] <= out_b_q[i])
          else $error("nic_axi_arb: discard count above outstanding");
      end
    end
  end
`endif
endmodule
