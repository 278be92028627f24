// TX VLAN tag insertion: puts the 4-byte 802.1Q tag (VET, then the descriptor's VLAN field) after the source MAC of frames whose options have VLE.
//
// Sits after the segmenter, where the checksum offload observes the stream (nic_tx_dma), so the
// checksum and TSO offsets of the context keep naming the untagged frame as the host wrote it
// (ixgb fills the context from the untagged skb); every TSO segment gets the tag. The checksum
// fields to patch (from nic_tx_csum with the frame's last beat) move with the bytes: an offset
// at 12 or more gains 4 (a field that would land past byte 255 is not inserted). The MAC computes
// the FCS over the tagged frame.
// The options are read at the first beat of each frame (the option FIFO head: nic_tx_tso pops it
// only after a chain's last segment). An untagged frame passes through combinationally (no added
// latency). A tagged frame: beat 0 passes, beat 1 leaves as its bytes 8-11 and the tag, and each
// later beat carries the previous beat's upper 4 bytes and its own lower 4; when the last beat
// has more than 4 bytes, one more beat follows with the rest (the input waits for it). A frame
// shorter than 12 bytes cannot hold the tag after the source MAC and is sent untagged.
module nic_tx_vlan (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic [15:0]            vet_i,        // VET: the TPID inserted
  // frame stream in (nic_tx_tso), with the checksum patch of its last beat (nic_tx_csum)
  input  logic [63:0]            s_axis_tdata,
  input  logic [7:0]             s_axis_tkeep,
  input  logic                   s_axis_tvalid,
  output logic                   s_axis_tready,
  input  logic                   s_axis_tlast,
  input  logic                   s_axis_tuser,
  input  nic_dma_pkg::tx_patch_t s_axis_tpatch,
  // option FIFO head (observed): VLE and VLAN of the frame starting
  input  logic                   opt_valid_i,
  input  nic_dma_pkg::tx_opt_t   opt_i,
  // frame stream out (towards the TX FIFO)
  output logic [63:0]            m_axis_tdata,
  output logic [7:0]             m_axis_tkeep,
  output logic                   m_axis_tvalid,
  input  logic                   m_axis_tready,
  output logic                   m_axis_tlast,
  output logic                   m_axis_tuser,
  output nic_dma_pkg::tx_patch_t m_axis_tpatch,
  output logic                   quiet_o       // between frames, no beat owed
);
  import nic_dma_pkg::*;

  logic [1:0]  beat_q, beat_d;     // 0: next beat is a frame's first, 1: its second, 2: later
  logic        tag_q, tag_d;       // the frame being passed gets the tag
  logic [15:0] tci_q, tci_d;
  logic [31:0] carry_q, carry_d;   // the input's upper 4 bytes, owed to the next output beat
  logic        extra_q, extra_d;   // one more output beat owed: the last carry bytes
  logic [2:0]  ex_n_q, ex_n_d;     // ... how many (1..4)
  logic        ex_user_q, ex_user_d;
  tx_patch_t   ex_patch_q, ex_patch_d;

  logic [3:0]  nkeep;
  logic        in_hs, short_tail, inserting;
  tx_patch_t   patch_sh;
  vlan_beat_t  sh;

  // the patch of a tagged frame: offsets at or past the tag move by 4
  function automatic tx_patch_t shift_patch(tx_patch_t p);
    tx_patch_t r;
    r = p;
    for (int k = 0; k < 2; k++) begin
      if (p.off[8*k +: 8] >= 8'd12) begin
        if (p.off[8*k +: 8] >= 8'd252) r.en[k] = 1'b0;
        else r.off[8*k +: 8] = p.off[8*k +: 8] + 8'd4;
      end
    end
    return r;
  endfunction

  // Only a frame that gets the tag (tag_q) uses what this block computes; an untagged frame is
  // passed through. The insertion logic is evaluated only then (the simulation pays for
  // combinational logic in every cycle; its values read 0 otherwise, where nothing uses them).
  always_comb begin
    nkeep      = '0;
    patch_sh   = '0;
    short_tail = 1'b0;
    inserting  = 1'b0;
    sh         = '0;
    if (tag_q) begin
      for (int i = 0; i < 8; i++) nkeep = nkeep + 4'(s_axis_tkeep[i]);
      patch_sh   = shift_patch(s_axis_tpatch);
      // beat 1 ends a frame of fewer than 12 bytes: no room for the tag
      short_tail = (beat_q == 2'd1) && s_axis_tlast && nkeep < 4'd4;
      inserting  = (beat_q != 2'd0) && !short_tail;
      // beat 1: its bytes 8-11, then the tag; later beats: the held 4 bytes, then 4 of their own
      // (an if: the simulation would run both calls of a conditional expression)
      if (beat_q == 2'd1)
        sh = vlan_shift(s_axis_tdata[31:0], {tci_q[7:0], tci_q[15:8], vet_i[7:0], vet_i[15:8]}, nkeep, s_axis_tlast);
      else
        sh = vlan_shift(carry_q, s_axis_tdata[31:0], nkeep, s_axis_tlast);
    end
  end

  // (tready on its own: the checksum patch this block forwards depends on it)
  assign s_axis_tready = !extra_q && m_axis_tready;

  always_comb begin
    m_axis_tdata  = s_axis_tdata;
    m_axis_tkeep  = s_axis_tkeep;
    m_axis_tvalid = s_axis_tvalid;
    m_axis_tlast  = s_axis_tlast;
    m_axis_tuser  = s_axis_tuser;
    m_axis_tpatch = s_axis_tpatch;

    if (extra_q) begin
      m_axis_tdata  = {32'd0, carry_q};
      m_axis_tkeep  = vlan_tail_keep(ex_n_q);
      m_axis_tvalid = 1'b1;
      m_axis_tlast  = 1'b1;
      m_axis_tuser  = ex_user_q;
      m_axis_tpatch = ex_patch_q;
    end else if (inserting) begin
      m_axis_tpatch = patch_sh;
      m_axis_tdata  = sh.data;
      m_axis_tlast  = sh.last;
      m_axis_tkeep  = sh.keep;
      if (!m_axis_tlast) begin
        m_axis_tuser       = 1'b0;
        m_axis_tpatch.en   = '0;
      end
    end
  end

  always_comb begin
    in_hs = s_axis_tvalid && s_axis_tready;

    beat_d     = beat_q;
    tag_d      = tag_q;
    tci_d      = tci_q;
    carry_d    = carry_q;
    extra_d    = extra_q && !m_axis_tready;
    ex_n_d     = ex_n_q;
    ex_user_d  = ex_user_q;
    ex_patch_d = ex_patch_q;
    if (in_hs) begin
      if (beat_q == 2'd0) begin
        tag_d = opt_i.vle;
        tci_d = opt_i.vlan;
      end
      beat_d  = s_axis_tlast ? 2'd0 : (beat_q == 2'd0) ? 2'd1 : 2'd2;
      carry_d = s_axis_tdata[63:32];
      if (inserting && sh.extra) begin
        extra_d    = 1'b1;
        ex_n_d     = sh.ex_n;
        ex_user_d  = s_axis_tuser;
        ex_patch_d = patch_sh;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      beat_q     <= '0;
      tag_q      <= 1'b0;
      tci_q      <= '0;
      carry_q    <= '0;
      extra_q    <= 1'b0;
      ex_n_q     <= '0;
      ex_user_q  <= 1'b0;
      ex_patch_q <= '0;
    end else begin
      beat_q     <= beat_d;
      tag_q      <= tag_d;
      tci_q      <= tci_d;
      carry_q    <= carry_d;
      extra_q    <= extra_d;
      ex_n_q     <= ex_n_d;
      ex_user_q  <= ex_user_d;
      ex_patch_q <= ex_patch_d;
    end
  end

  assign quiet_o = (beat_q == 2'd0) && !extra_q;

  logic unused_ok;
  assign unused_ok = ^{opt_i.tso, opt_i.tso_ctx, opt_i.ixsm, opt_i.txsm, opt_i.ctx};  // other stages'

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(s_axis_tvalid && beat_q == 2'd0 && !extra_q) || opt_valid_i)
        else $error("nic_tx_vlan: frame start without its options");
      assert (!s_axis_tvalid || s_axis_tlast || s_axis_tkeep == 8'hFF)
        else $error("nic_tx_vlan: partial beat before tlast");
      assert (!m_axis_tvalid || (m_axis_tkeep != '0 && (m_axis_tkeep & (m_axis_tkeep + 8'd1)) == '0))
        else $error("nic_tx_vlan: output tkeep not contiguous from byte 0");
      if (extra_q) assert (ex_n_q >= 3'd1 && ex_n_q <= 3'd4) else $error("nic_tx_vlan: bad extra beat length");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_vlan_tag_inserted: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && inserting && beat_q == 2'd1);
  cov_vlan_extra_beat: cover property (@(posedge clk_i) disable iff (!rst_ni) extra_q && m_axis_tready);
  cov_vlan_ends_in_beat: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && inserting && s_axis_tlast && nkeep <= 4'd4);
  cov_vlan_patch_shifted: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && inserting && s_axis_tlast && s_axis_tpatch.en != '0);
  cov_vlan_patch_dropped: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && inserting && s_axis_tlast && (s_axis_tpatch.en & ~patch_sh.en) != '0);
  cov_vlan_short_untagged: cover property (@(posedge clk_i) disable iff (!rst_ni) in_hs && tag_q && short_tail);
  cov_vlan_extra_stalled: cover property (@(posedge clk_i) disable iff (!rst_ni) extra_q && !m_axis_tready);
`endif
  // ==== end cover points ====
endmodule
