// Store-and-forward frame FIFO: a frame leaves only once its last beat is in; discard rewinds the write pointer.
//
// Pointers carry one wrap bit. wr_ptr_q is the next word written, commit_ptr_q the start of the frame
// being written (= end of the committed frames), rd_ptr_q the next word read from memory into the
// output register. The output register is filled from committed words only, so a partial frame is
// never presented. DropWhenFull=1 (RX): s_axis_tready is always 1; a frame that does not fit is
// discarded as a whole and overflow_o pulses at its last beat (unless it was tuser-discarded anyway).
// DropWhenFull=0 (TX): s_axis_tready = not full; the producer guarantees every frame fits.
// Patches (TX checksum offload): with the last beat of a frame that is committed, up to two 16-bit
// fields (s_axis_tpatch_*: enable, byte offset in the frame, value) are written big-endian into
// the stored frame, one memory write per cycle (two for a field that straddles a word) with
// s_axis_tready low, and the frame is committed with the last write. Without enables nothing changes.
module nic_frame_fifo #(
  parameter int unsigned Depth        = 2048,  // 64-bit words, power of 2
  parameter bit          DropWhenFull = 1'b0
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic [63:0]                s_axis_tdata,
  input  logic [7:0]                 s_axis_tkeep,
  input  logic                       s_axis_tvalid,
  output logic                       s_axis_tready,
  input  logic                       s_axis_tlast,
  input  logic                       s_axis_tuser,   // at tlast: 1 = discard this frame
  input  logic                       s_axis_tflag,   // per-beat sideband, stored
  input  logic [1:0]                 s_axis_tpatch_en,   // at tlast: fields to write {1, 0}
  input  logic [15:0]                s_axis_tpatch_off,  // {off1, off0}: byte offsets in the frame
  input  logic [31:0]                s_axis_tpatch_val,  // {val1, val0}
  output logic [63:0]                m_axis_tdata,
  output logic [7:0]                 m_axis_tkeep,
  output logic                       m_axis_tvalid,
  input  logic                       m_axis_tready,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tflag,
  output logic                       overflow_o,     // pulse: a tuser=0 frame was dropped for lack of space
  output logic [$clog2(Depth):0]     frame_count_o,  // complete frames stored (incl. the one being output)
  output logic [$clog2(Depth):0]     level_o,        // words stored, a partial frame included (flow control)
  output logic                       idle_o          // empty, nothing offered or presented, no pulse
);
  // the pointers carry one wrap bit, so the depth must be a power of two
  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : gen_depth_check
    $error("nic_frame_fifo: Depth must be a power of two, at least 2");
  end

  localparam int unsigned AddrW = $clog2(Depth);
  localparam int unsigned SideW = 10;  // {flag, last, keep}

  logic [AddrW:0] wr_ptr_q, wr_ptr_d, commit_ptr_q, commit_ptr_d, rd_ptr_q, rd_ptr_d;
  logic           drop_q, drop_d;       // the frame being written overflowed: discard the rest
  logic [AddrW:0] frames_q, frames_d;
  logic           overflow_q, overflow_d;

  logic [63:0]      mem_data [Depth];
  logic [SideW-1:0] mem_side [Depth];

  logic [63:0]      out_data_q;
  logic [SideW-1:0] out_side_q;
  logic             out_valid_q, out_valid_d;

  logic [AddrW:0] used;
  logic           full, committed_avail;
  logic           wr_beat, mem_we, mem_re, commit, rewind;

  // patching: fields still to write, their offsets and values, and a straddling field's 2nd byte
  logic [1:0]     pend_q, pend_d;
  logic [15:0]    poff_q, poff_d;
  logic [31:0]    pval_q, pval_d;
  logic           split_q, split_d;
  logic           patching, patch_we, patch_done, frame_end;
  logic [AddrW-1:0] patch_ptr;
  logic [7:0]     patch_be, p_off;
  logic [15:0]    p_val;
  logic [63:0]    patch_data;

  assign used            = wr_ptr_q - rd_ptr_q;
  assign full            = used[AddrW];  // used == Depth (never more)
  assign committed_avail = rd_ptr_q != commit_ptr_q;

  assign patching      = pend_q != '0;
  assign s_axis_tready = DropWhenFull ? 1'b1 : (!full && !patching);
  assign wr_beat       = s_axis_tvalid && s_axis_tready;
  assign mem_we        = wr_beat && !full && !drop_q;
  // at tlast: discard when asked to, or when any beat of the frame did not fit
  assign rewind        = wr_beat && s_axis_tlast && (s_axis_tuser || drop_q || full);
  assign frame_end     = wr_beat && s_axis_tlast && !rewind;
  assign commit        = (frame_end && s_axis_tpatch_en == '0) || patch_done;

  // One patch write per cycle: field 0 first; a field at byte 7 of a word takes two writes.
  always_comb begin
    p_off      = pend_q[0] ? poff_q[7:0] : poff_q[15:8];
    p_val      = pend_q[0] ? pval_q[15:0] : pval_q[31:16];
    patch_we   = patching;
    patch_ptr  = commit_ptr_q[AddrW-1:0] + AddrW'(p_off[7:3]) + AddrW'(split_q);
    patch_be   = '0;
    patch_data = '0;
    pend_d     = pend_q;
    poff_d     = poff_q;
    pval_d     = pval_q;
    split_d    = 1'b0;
    if (split_q) begin
      patch_be        = 8'h01;
      patch_data[7:0] = p_val[7:0];
    end else if (p_off[2:0] == 3'd7) begin
      patch_be          = 8'h80;
      patch_data[63:56] = p_val[15:8];
      split_d           = patching;
    end else begin
      patch_be   = 8'h03 << p_off[2:0];
      patch_data = 64'({p_val[7:0], p_val[15:8]}) << {p_off[2:0], 3'd0};
    end
    if (patching && !split_d) begin
      if (pend_q[0]) pend_d[0] = 1'b0;
      else           pend_d[1] = 1'b0;
    end
    patch_done = patching && (pend_d == '0);
    if (frame_end && s_axis_tpatch_en != '0) begin
      pend_d = s_axis_tpatch_en;
      poff_d = s_axis_tpatch_off;
      pval_d = s_axis_tpatch_val;
    end
  end

  // Output register: refilled from memory whenever it is empty or being consumed.
  assign mem_re = committed_avail && (!out_valid_q || m_axis_tready);

  always_comb begin
    wr_ptr_d     = wr_ptr_q;
    commit_ptr_d = commit_ptr_q;
    drop_d       = drop_q;
    overflow_d   = 1'b0;
    if (mem_we) wr_ptr_d = wr_ptr_q + 1'b1;
    if (wr_beat && full) drop_d = 1'b1;
    if (frame_end) wr_ptr_d = wr_ptr_q + 1'b1;
    if (commit) commit_ptr_d = wr_ptr_d;
    if (rewind) begin
      wr_ptr_d   = commit_ptr_q;
      drop_d     = 1'b0;
      overflow_d = !s_axis_tuser && (drop_q || full);
    end

    rd_ptr_d    = rd_ptr_q + {{AddrW{1'b0}}, mem_re};
    out_valid_d = mem_re ? 1'b1 : (m_axis_tready ? 1'b0 : out_valid_q);

    frames_d = frames_q;
    if (commit) frames_d = frames_d + 1'b1;
    if (m_axis_tvalid && m_axis_tready && m_axis_tlast) frames_d = frames_d - 1'b1;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_ptr_q     <= '0;
      commit_ptr_q <= '0;
      rd_ptr_q     <= '0;
      drop_q       <= 1'b0;
      frames_q     <= '0;
      overflow_q   <= 1'b0;
      out_valid_q  <= 1'b0;
      pend_q       <= '0;
      poff_q       <= '0;
      pval_q       <= '0;
      split_q      <= 1'b0;
    end else begin
      wr_ptr_q     <= wr_ptr_d;
      commit_ptr_q <= commit_ptr_d;
      rd_ptr_q     <= rd_ptr_d;
      drop_q       <= drop_d;
      frames_q     <= frames_d;
      overflow_q   <= overflow_d;
      out_valid_q  <= out_valid_d;
      pend_q       <= pend_d;
      poff_q       <= poff_d;
      pval_q       <= pval_d;
      split_q      <= split_d;
    end
  end

  // Memory: no reset (block RAM), registered read.
  always_ff @(posedge clk_i) begin
    if (mem_we) begin
      mem_data[wr_ptr_q[AddrW-1:0]] <= s_axis_tdata;
      mem_side[wr_ptr_q[AddrW-1:0]] <= {s_axis_tflag, s_axis_tlast, s_axis_tkeep};
    end
    if (patch_we) begin
      for (int i = 0; i < 8; i++) begin
        if (patch_be[i]) mem_data[patch_ptr][8*i +: 8] <= patch_data[8*i +: 8];
      end
    end
    if (mem_re) begin
      out_data_q <= mem_data[rd_ptr_q[AddrW-1:0]];
      out_side_q <= mem_side[rd_ptr_q[AddrW-1:0]];
    end
  end

  assign idle_o = !out_valid_q && (rd_ptr_q == commit_ptr_q) && (wr_ptr_q == commit_ptr_q) && !drop_q && !patching &&
                  !overflow_q && !s_axis_tvalid;

  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tdata  = out_data_q;
  assign m_axis_tkeep  = out_side_q[7:0];
  assign m_axis_tlast  = out_side_q[8];
  assign m_axis_tflag  = out_side_q[9];
  assign overflow_o    = overflow_q;
  assign frame_count_o = frames_q;
  assign level_o       = used;

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (!DropWhenFull) begin
        assert (!(s_axis_tvalid && s_axis_tready && full))
          else $error("nic_frame_fifo: write when full");
      end
      assert (!mem_we || !full) else $error("nic_frame_fifo: memory write when full");
      assert (!DropWhenFull || s_axis_tpatch_en == '0) else $error("nic_frame_fifo: patches need DropWhenFull=0");
      if (patching) assert ((AddrW + 1)'(p_off[7:3]) + (AddrW + 1)'(split_q) < wr_ptr_q - commit_ptr_q)
        else $error("nic_frame_fifo: patch beyond the stored frame");
      assert (!mem_re || committed_avail) else $error("nic_frame_fifo: read when empty");
      assert ((commit_ptr_q - rd_ptr_q) <= (AddrW + 1)'(Depth) &&
              (wr_ptr_q - commit_ptr_q) <= (wr_ptr_q - rd_ptr_q) &&
              (wr_ptr_q - rd_ptr_q) <= (AddrW + 1)'(Depth))
        else $error("nic_frame_fifo: pointers inconsistent rd=%0d commit=%0d wr=%0d",
                    rd_ptr_q, commit_ptr_q, wr_ptr_q);
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_full: cover property (@(posedge clk_i) disable iff (!rst_ni) s_axis_tvalid && full);
  cov_overflow_drop: cover property (@(posedge clk_i) disable iff (!rst_ni) overflow_d);
  cov_discard_on_tuser: cover property (@(posedge clk_i) disable iff (!rst_ni) rewind && s_axis_tuser);
  cov_patch_one_field: cover property (@(posedge clk_i) disable iff (!rst_ni) frame_end && (s_axis_tpatch_en == 2'b01 || s_axis_tpatch_en == 2'b10));
  cov_patch_two_fields: cover property (@(posedge clk_i) disable iff (!rst_ni) frame_end && s_axis_tpatch_en == 2'b11);
  cov_patch_straddles_word: cover property (@(posedge clk_i) disable iff (!rst_ni) patching && split_q);
  cov_patch_in_last_word: cover property (@(posedge clk_i) disable iff (!rst_ni) patching && !split_q && (AddrW + 1)'(p_off[7:3]) + 1 == wr_ptr_q - commit_ptr_q);
  cov_patch_holds_next_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) patching && s_axis_tvalid);
`endif
  // ==== end cover points ====
endmodule
