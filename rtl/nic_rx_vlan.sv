// RX VLAN tag stripping (CTRL0.VME): removes the 802.1Q tag after the source MAC and hands its TCI to the descriptor write-back.
//
// Sits between the RX FIFO and the RX DMA (nic_top). With VME set, a frame whose type at bytes
// 12-13 is VET leaves without bytes 12-15; its TCI (bytes 14-15) goes out with the last beat
// (m_axis_tvlan: VP and SPECIAL of the EOP descriptor). Beat 0 passes; beat 1 is taken without an
// output beat (its bytes 8-11 are held); each later beat leaves as the held 4 bytes and its own
// lower 4, and when the last beat has more than 4 bytes one more beat follows (the input waits).
// Untagged frames, and every frame while VME is clear, pass through combinationally (no added
// latency) and are delivered whole, tag included. A tagged frame that ends within its first 16
// bytes (a runt) is not stripped.
module nic_rx_vlan (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  vme_i,        // CTRL0.VME
  input  logic [15:0]           vet_i,        // VET: the TPID recognised
  // frame stream in (RX FIFO)
  input  logic [63:0]           s_axis_tdata,
  input  logic [7:0]            s_axis_tkeep,
  input  logic                  s_axis_tvalid,
  output logic                  s_axis_tready,
  input  logic                  s_axis_tlast,
  input  logic                  s_axis_tflag,  // at tlast: CRC error
  // frame stream out (RX DMA)
  output logic [63:0]           m_axis_tdata,
  output logic [7:0]            m_axis_tkeep,
  output logic                  m_axis_tvalid,
  input  logic                  m_axis_tready,
  output logic                  m_axis_tlast,
  output logic                  m_axis_tflag,
  output nic_dma_pkg::rx_vlan_t m_axis_tvlan,  // at tlast: the tag stripped, if any
  output logic                  quiet_o        // between frames, no beat owed
);
  import nic_dma_pkg::*;

  logic [1:0]  beat_q;     // 0: next beat is a frame's first, 1: its second, 2: later
  logic        strip_q;    // the frame being passed has its tag removed
  logic [15:0] tci_q;
  logic [31:0] carry_q;    // 4 bytes owed to the next output beat
  logic        extra_q;    // one more output beat owed: the last carry bytes
  logic [2:0]  ex_n_q;     // ... how many (1..4)
  logic        ex_flag_q;

  logic [3:0]  nkeep;
  logic        in_hs, is_tag, take_tag;
  vlan_beat_t  sh;

  // Combinational logic costs the simulation (Verilator) every cycle: the tag is looked for only
  // at a frame's second beat (beat_q == 1) and the shifted beat made only while stripping
  // (strip_q, beat_q == 2), the only beats that read them (cover points included); elsewhere they
  // are 0.
  always_comb begin
    nkeep  = '0;
    is_tag = 1'b0;
    sh     = '0;
    if (beat_q == 2'd1) is_tag = s_axis_tdata[47:32] == {vet_i[7:0], vet_i[15:8]};
    // beat 1 of a tagged frame that goes on: taken, no output
    take_tag = vme_i && (beat_q == 2'd1) && is_tag && !s_axis_tlast;
    if (strip_q && beat_q == 2'd2) begin
      nkeep = {3'd0, s_axis_tkeep[0]} + {3'd0, s_axis_tkeep[1]} + {3'd0, s_axis_tkeep[2]} +
              {3'd0, s_axis_tkeep[3]} + {3'd0, s_axis_tkeep[4]} + {3'd0, s_axis_tkeep[5]} +
              {3'd0, s_axis_tkeep[6]} + {3'd0, s_axis_tkeep[7]};
      sh    = vlan_shift(carry_q, s_axis_tdata[31:0], nkeep, s_axis_tlast);
    end
  end

  // (tready on its own: the DMA's tready depends on the beat this stage presents)
  assign s_axis_tready = extra_q ? 1'b0 : take_tag ? 1'b1 : m_axis_tready;

  always_comb begin
    m_axis_tdata  = s_axis_tdata;
    m_axis_tkeep  = s_axis_tkeep;
    m_axis_tvalid = s_axis_tvalid;
    m_axis_tlast  = s_axis_tlast;
    m_axis_tflag  = s_axis_tflag;
    m_axis_tvlan  = '0;

    if (extra_q) begin
      m_axis_tdata  = {32'd0, carry_q};
      m_axis_tkeep  = vlan_tail_keep(ex_n_q);
      m_axis_tvalid = 1'b1;
      m_axis_tlast  = 1'b1;
      m_axis_tflag  = ex_flag_q;
      m_axis_tvlan  = '{vp: 1'b1, tci: tci_q};
    end else if (take_tag) begin
      m_axis_tvalid = 1'b0;
    end else if (strip_q && beat_q == 2'd2) begin
      m_axis_tdata = sh.data;
      m_axis_tlast = sh.last;
      m_axis_tkeep = sh.keep;
      m_axis_tflag = m_axis_tlast && s_axis_tflag;
      if (m_axis_tlast) m_axis_tvlan = '{vp: 1'b1, tci: tci_q};
    end
  end

  assign in_hs = s_axis_tvalid && s_axis_tready;

  // Next state at the edge, only with a beat taken or an extra beat owed: otherwise every register
  // keeps its value (as combinational next values they were copied every cycle in the Verilated model).
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      beat_q    <= '0;
      strip_q   <= 1'b0;
      tci_q     <= '0;
      carry_q   <= '0;
      extra_q   <= 1'b0;
      ex_n_q    <= '0;
      ex_flag_q <= 1'b0;
    end else if (in_hs || extra_q) begin
      extra_q <= extra_q && !m_axis_tready;
      if (in_hs) begin
        beat_q  <= s_axis_tlast ? 2'd0 : (beat_q == 2'd0) ? 2'd1 : 2'd2;
        carry_q <= take_tag ? s_axis_tdata[31:0] : s_axis_tdata[63:32];
        if (beat_q == 2'd0) strip_q <= 1'b0;
        if (take_tag) begin
          strip_q <= 1'b1;
          tci_q   <= {s_axis_tdata[55:48], s_axis_tdata[63:56]};
        end
        if (strip_q && beat_q == 2'd2 && sh.extra) begin
          extra_q   <= 1'b1;
          ex_n_q    <= sh.ex_n;
          ex_flag_q <= s_axis_tflag;
        end
      end
    end
  end

  assign quiet_o = (beat_q == 2'd0) && !extra_q;

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!s_axis_tvalid || s_axis_tlast || s_axis_tkeep == 8'hFF)
        else $error("nic_rx_vlan: partial beat before tlast");
      assert (!m_axis_tvalid || (m_axis_tkeep != '0 && (m_axis_tkeep & (m_axis_tkeep + 8'd1)) == '0))
        else $error("nic_rx_vlan: output tkeep not contiguous from byte 0");
      assert (!(strip_q && beat_q == 2'd1)) else $error("nic_rx_vlan: stripping before the tag was taken");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_vlan_stripped: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && take_tag);
  cov_vlan_strip_extra_beat: cover property (@(posedge clk_i) disable iff (!rst_ni) extra_q && m_axis_tready);
  cov_vlan_strip_ends_in_beat: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && strip_q && beat_q == 2'd2 && s_axis_tlast && nkeep <= 4'd4);
  cov_vlan_tagged_kept_whole: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && !vme_i && beat_q == 2'd1 && is_tag);
  cov_vlan_runt_not_stripped: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && vme_i && beat_q == 2'd1 && is_tag && s_axis_tlast);
  cov_vlan_strip_stalled: cover property (@(posedge clk_i) disable iff (!rst_ni) m_axis_tvalid && !m_axis_tready && strip_q);
`endif
  // ==== end cover points ====
endmodule
