// 802.3x flow control between the TX frame FIFO and the MAC TX: PAUSE frame insertion and the pause hold.
//
// Sending (CTRL0.TPE): when the RX FIFO fill reaches FCRTH the block sends XOFF (a PAUSE frame with
// the pause time PAP.TXPC) and enters the XOFF state. While in it, another XOFF goes out each time
// half of the advertised pause time (TXPC x 4 cycles) has passed since the last one was started
// (refresh; with TXPC = 0 there is none). When the fill falls below FCRTL the state ends, with an XON
// (pause time 0) if FCRTL.XONE is set. A PAUSE frame is 60 bytes (DA 01-80-C2-00-00-01, SA = RAL0/RAH0,
// type 0x8808, opcode 0x0001, the pause time, zero padding); the MAC appends the FCS.
// Honouring (CTRL0.RPE): a valid PAUSE frame received (pause_rx_i, from nic_mac_rx) loads the pause
// timer with quanta x 8 cycles: one quantum is 512 bit times and the MAC moves 64 bits per
// 156.25 MHz cycle (10 Gb/s), so a quantum is 512 / 64 = 8 cycles. While the timer runs no FIFO
// frame starts (a frame already started finishes); PAUSE frames of our own still go out. XON
// (quanta 0) clears the timer, so transmission resumes at once.
// Frames are chosen only between frames: the source (FIFO or PAUSE frame) is committed in the cycle
// its first beat is offered, while the MAC is still between frames and cannot accept it, and stays
// until its last beat is accepted, so the MAC never sees tvalid fall inside a frame.
// Hold time: the PAUSE takes effect in the cycle pause_rx_i is high (no FIFO frame starts in it for
// q > 0, and a held one starts in it for q = 0) and loads the timer with 8q - 1 at that edge; the
// timer reads 0 after 8q - 1 more edges. A waiting FIFO frame is offered in the first cycle not held and
// nic_mac_tx puts its start word on XGMII at the edge ending it: 8q cycles held in all, so the start
// word comes 8q + 1 edges after the edge that raised pause_rx_i (1 with q = 0 or RPE off).
module nic_mac_fc (
  input  logic        clk_i,
  input  logic        rst_ni,
  // configuration (CTRL0.TPE/RPE, FCRTL, FCRTH, PAP, RAL0/RAH0)
  input  logic        tpe_i,
  input  logic        rpe_i,
  input  logic        xone_i,
  input  logic [15:0] rtl_i,             // FCRTL in 8-byte words
  input  logic [15:0] rth_i,             // FCRTH in 8-byte words
  input  logic [15:0] pause_time_i,      // PAP.TXPC, quanta sent in XOFF
  input  logic [47:0] sa_i,              // station address, byte 0 in bits 7:0
  input  logic [15:0] rx_level_i,        // RX FIFO fill in 8-byte words
  // received PAUSE frames (one-cycle pulse with its pause time)
  input  logic        pause_rx_i,
  input  logic [15:0] pause_quanta_i,
  // frames from the TX FIFO
  input  logic [63:0] s_axis_tdata,
  input  logic [7:0]  s_axis_tkeep,
  input  logic        s_axis_tvalid,
  output logic        s_axis_tready,
  input  logic        s_axis_tlast,
  // frames to the MAC TX
  output logic [63:0] m_axis_tdata,
  output logic [7:0]  m_axis_tkeep,
  output logic        m_axis_tvalid,
  input  logic        m_axis_tready,
  output logic        m_axis_tlast,
  // one-cycle pulses when a PAUSE frame of ours has gone into the MAC
  output logic        stat_xon_tx_o,
  output logic        stat_xoff_tx_o,
  output logic        txoff_o,           // the pause timer runs (STATUS.TXOFF)
  output logic        idle_o
);
  localparam logic [47:0] PauseDa   = 48'h01_00_00_C2_80_01;  // 01-80-C2-00-00-01, byte 0 in bits 7:0
  localparam int unsigned PauseWords = 8;                      // 60 bytes: 7 full words and 4 bytes

  typedef enum logic [1:0] {
    SelNone,   // between frames: nothing committed
    SelFifo,   // a FIFO frame until its last beat
    SelPause   // a PAUSE frame of ours until its last beat
  } sel_e;

  sel_e        sel_q;
  logic [2:0]  widx_q;      // PAUSE frame word accepted next
  logic [15:0] tx_time_q;   // pause time of the PAUSE frame being sent
  logic        req_q;       // a PAUSE frame is wanted
  logic        req_xoff_q;  // ... XOFF (else XON)
  logic        xoff_q;      // XOFF state: sent XOFF, fill not yet below FCRTL
  logic        refr_run_q;  // the refresh timer runs
  logic [17:0] refr_q;      // cycles to the next refresh
  logic [18:0] pause_q;     // cycles TX stays held
  logic        st_xon_q, st_xoff_q;

  // TX held: a PAUSE received this cycle counts at once (XOFF holds, XON releases), else the timer.
  logic held, start_pause, start_fifo, last_fire;
  assign held        = (pause_rx_i && rpe_i) ? pause_quanta_i != 16'd0 : pause_q != '0;
  assign start_pause = sel_q == SelNone && req_q;
  assign start_fifo  = sel_q == SelNone && !req_q && !held && s_axis_tvalid;
  assign last_fire   = m_axis_tvalid && m_axis_tready && m_axis_tlast;
  logic busy;
  assign busy        = !idle_o || pause_rx_i || s_axis_tvalid;

  // The output stream. (The words of a PAUSE frame are made only while one is offered: combinational
  // logic costs the simulation, Verilator, every cycle.)
  always_comb begin
    m_axis_tdata  = s_axis_tdata;
    m_axis_tkeep  = s_axis_tkeep;
    m_axis_tlast  = s_axis_tlast;
    m_axis_tvalid = 1'b0;
    s_axis_tready = 1'b0;
    if (start_pause || sel_q == SelPause) begin
      unique case (widx_q)
        3'd0:    m_axis_tdata = {sa_i[15:0], PauseDa};
        3'd1:    m_axis_tdata = {16'h0100, 16'h0888, sa_i[47:16]};  // SA bytes 2-5, 88 08, 00 01
        3'd2:    m_axis_tdata = {48'd0, tx_time_q[7:0], tx_time_q[15:8]};
        default: m_axis_tdata = 64'd0;
      endcase
      m_axis_tkeep  = (widx_q == 3'(PauseWords - 1)) ? 8'h0F : 8'hFF;
      m_axis_tlast  = widx_q == 3'(PauseWords - 1);
      m_axis_tvalid = 1'b1;
    end else if (start_fifo || sel_q == SelFifo) begin
      m_axis_tvalid = s_axis_tvalid;
      s_axis_tready = m_axis_tready && sel_q == SelFifo;
    end
  end

  // Next state, computed at the edge and only when busy: idle (idle_o), with no PAUSE received and
  // no FIFO frame offered, every register here keeps its value (the pulses are already 0), so the
  // update is skipped (combinational next values cost the simulation, Verilator, every cycle).
  always_ff @(posedge clk_i) begin
    sel_e        sel_d;
    logic [2:0]  widx_d;
    logic [15:0] tx_time_d;
    logic        req_d;
    logic        req_xoff_d;
    logic        xoff_d;
    logic        refr_run_d;
    logic [17:0] refr_d;
    logic [18:0] pause_d;
    logic        st_xon_d;
    logic        st_xoff_d;
    if (!rst_ni) begin
      sel_q      <= SelNone;
      widx_q     <= 3'd0;
      tx_time_q  <= 16'd0;
      req_q      <= 1'b0;
      req_xoff_q <= 1'b0;
      xoff_q     <= 1'b0;
      refr_run_q <= 1'b0;
      refr_q     <= '0;
      pause_q    <= '0;
      st_xon_q   <= 1'b0;
      st_xoff_q  <= 1'b0;
    end else if (busy) begin
      sel_d      = sel_q;
      widx_d     = widx_q;
      tx_time_d  = tx_time_q;
      req_d      = req_q;
      req_xoff_d = req_xoff_q;
      xoff_d     = xoff_q;
      refr_run_d = refr_run_q;
      refr_d     = refr_q;
      pause_d    = pause_q;
      st_xon_d   = 1'b0;
      st_xoff_d  = 1'b0;

      if (refr_run_q && refr_q != '0) refr_d = refr_q - 18'd1;

      // the source of the next frame is fixed when its first beat is offered
      if (start_pause) begin
        sel_d     = SelPause;
        widx_d    = 3'd0;
        tx_time_d = req_xoff_q ? pause_time_i : 16'd0;
        req_d     = 1'b0;
        if (req_xoff_q) begin
          refr_d     = {pause_time_i, 2'b00};  // half of TXPC x 8 cycles
          refr_run_d = pause_time_i != 16'd0;
        end
      end else if (start_fifo) begin
        sel_d = SelFifo;
      end
      if (sel_q == SelPause && m_axis_tvalid && m_axis_tready) widx_d = widx_q + 3'd1;
      if (last_fire) begin
        sel_d = SelNone;
        if (sel_q == SelPause) begin
          st_xoff_d = tx_time_q != 16'd0;
          st_xon_d  = tx_time_q == 16'd0;
        end
      end

      // XOFF / XON requests from the RX FIFO fill
      if (!tpe_i) begin
        xoff_d     = 1'b0;
        req_d      = 1'b0;
        refr_run_d = 1'b0;
      end else if (!xoff_q && rx_level_i >= rth_i) begin
        xoff_d     = 1'b1;
        req_d      = 1'b1;
        req_xoff_d = 1'b1;
      end else if (xoff_q && rx_level_i < rtl_i) begin
        xoff_d     = 1'b0;
        refr_run_d = 1'b0;
        req_d      = xone_i;  // a pending XOFF not yet started is dropped
        req_xoff_d = 1'b0;
      end else if (xoff_q && refr_run_q && refr_q == '0) begin
        refr_run_d = 1'b0;
        req_d      = 1'b1;
        req_xoff_d = 1'b1;
      end

      // the pause timer
      if (pause_q != '0) pause_d = pause_q - 19'd1;
      if (pause_rx_i) begin
        // quanta x 8 cycles held, this one included (XON: 0, released now)
        if (rpe_i) pause_d = (pause_quanta_i == 16'd0) ? '0 : {pause_quanta_i, 3'b000} - 19'd1;
      end
      if (!rpe_i) pause_d = '0;

      sel_q      <= sel_d;
      widx_q     <= widx_d;
      tx_time_q  <= tx_time_d;
      req_q      <= req_d;
      req_xoff_q <= req_xoff_d;
      xoff_q     <= xoff_d;
      refr_run_q <= refr_run_d;
      refr_q     <= refr_d;
      pause_q    <= pause_d;
      st_xon_q   <= st_xon_d;
      st_xoff_q  <= st_xoff_d;
    end
  end

  assign stat_xon_tx_o  = st_xon_q;
  assign stat_xoff_tx_o = st_xoff_q;
  assign txoff_o        = pause_q != '0;
  // With TPE the fill is compared every cycle; the fill only moves while the FIFOs are busy, so with
  // everything else idle only the states below can still change something.
  assign idle_o = sel_q == SelNone && !req_q && !xoff_q && !refr_run_q && pause_q == '0 &&
                  !st_xon_q && !st_xoff_q && !(tpe_i && rx_level_i >= rth_i);

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // the MAC takes no beat before the source is committed
      assert (!(sel_q == SelNone && m_axis_tvalid && m_axis_tready))
        else $error("nic_mac_fc: beat accepted before the frame source was committed");
      // a committed frame is offered without gaps (the MAC would end it with an underrun)
      assert (!(sel_q == SelFifo && !s_axis_tvalid))
        else $error("nic_mac_fc: FIFO frame interrupted");
      // FIFO beats are taken only inside a committed FIFO frame
      assert (!(sel_q != SelFifo && s_axis_tready)) else $error("nic_mac_fc: FIFO beat outside its frame");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_xoff_sent: cover property (@(posedge clk_i) disable iff (!rst_ni) start_pause && req_xoff_q);
  cov_xon_sent: cover property (@(posedge clk_i) disable iff (!rst_ni) start_pause && !req_xoff_q);
  cov_xoff_refresh: cover property (@(posedge clk_i) disable iff (!rst_ni) xoff_q && refr_run_q && refr_q == '0 && tpe_i && rx_level_i >= rtl_i);
  cov_fifo_held_by_pause: cover property (@(posedge clk_i) disable iff (!rst_ni) sel_q == SelNone && s_axis_tvalid && held);
  cov_pause_during_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) sel_q == SelFifo && pause_rx_i && rpe_i);
  cov_xon_received_resumes: cover property (@(posedge clk_i) disable iff (!rst_ni) pause_rx_i && rpe_i && pause_quanta_i == 16'd0 && pause_q != '0);
`endif
  // ==== end cover points ====
endmodule
