// Store-and-forward frame FIFO: a frame leaves only once its last beat is in; discard rewinds the write pointer.
//
// Pointers carry one wrap bit. wr_ptr_q is the next word written, commit_ptr_q the start of the frame
// being written (= end of the committed frames), rd_ptr_q the next word read from memory into the
// output register. The output register is filled from committed words only, so a partial frame is
// never presented. DropWhenFull=1 (RX): s_axis_tready is always 1; a frame that does not fit is
// discarded as a whole and overflow_o pulses at its last beat (unless it was tuser-discarded anyway).
// DropWhenFull=0 (TX): s_axis_tready = not full; the producer guarantees every frame fits.
// Patches (TX checksum offload): with the last beat of a frame that is committed, up to two 16-bit
// fields (s_axis_tpatch_*: enable, byte offset in the frame, value) are to be written big-endian into
// the frame. They are not written into the memory: the frame is committed with its last beat as any
// other, its fields go into a queue of PatchDepth entries, and the output stage puts each field's
// bytes into the words that carry them as the frame leaves (so the next frame streams in while the
// stored one waits for the MAC, and the memory keeps one write and one read port). s_axis_tready is
// low while the queue is full. Without enables nothing changes.
module nic_frame_fifo #(
  parameter int unsigned Depth        = 2048,  // 64-bit words, power of 2
  parameter bit          DropWhenFull = 1'b0,
  parameter int unsigned PatchDepth   = 16     // frames with patches stored at once, power of 2
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
  if (PatchDepth < 2 || (PatchDepth & (PatchDepth - 1)) != 0) begin : gen_patch_depth_check
    $error("nic_frame_fifo: PatchDepth must be a power of two, at least 2");
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
  logic           wr_beat, mem_we, mem_re, rewind;

  // Patch queue: one entry per stored frame with patch enables, in frame order. Word pointers carry
  // the wrap bit, so a word read earlier is never taken for a later word at the same address.
  localparam int unsigned PqW = $clog2(PatchDepth);
  typedef struct packed {
    logic [1:0]     en;
    logic [AddrW:0] w0, w1;    // the word holding each field's first byte
    logic [2:0]     b0, b1;    // its byte lane (7: the second byte is lane 0 of the next word)
    logic [15:0]    v0, v1;
    logic [AddrW:0] last;      // the frame's last word: the entry leaves with it
  } patch_t;
  patch_t         pq_mem [PatchDepth];
  patch_t         pq_head, pq_new;
  logic [PqW:0]   pq_wr_q, pq_rd_q;
  logic           pq_full, pq_empty, pq_push, pq_pop, frame_end;
  logic [AddrW:0] out_ptr_q;   // the word in the output register
  logic [63:0]    out_data;

  assign used            = wr_ptr_q - rd_ptr_q;
  assign full            = used[AddrW];  // used == Depth (never more)
  assign committed_avail = rd_ptr_q != commit_ptr_q;

  // Patches need DropWhenFull=0 (asserted below): with DropWhenFull the queue is never used, and
  // tying it off lets the model drop its logic (the RX FIFO).
  localparam bit Patches = !DropWhenFull;

  assign pq_full       = Patches && (pq_wr_q - pq_rd_q) == (PqW + 1)'(PatchDepth);
  assign pq_empty      = !Patches || pq_wr_q == pq_rd_q;
  assign s_axis_tready = DropWhenFull ? 1'b1 : (!full && !pq_full);
  assign wr_beat       = s_axis_tvalid && s_axis_tready;

  // Combinational logic costs the simulation (Verilator) every cycle: the write side is evaluated
  // only with a beat taken (wr_beat), else nothing is written and these are 0.
  always_comb begin
    mem_we    = 1'b0;
    rewind    = 1'b0;
    frame_end = 1'b0;
    if (wr_beat) begin
      mem_we    = !full && !drop_q;
      // at tlast: discard when asked to, or when any beat of the frame did not fit
      rewind    = s_axis_tlast && (s_axis_tuser || drop_q || full);
      // a frame is committed with its last beat (its patches, if any, are applied as it leaves)
      frame_end = s_axis_tlast && !rewind;
    end
  end
  // A committed frame with enables queues its fields (the last beat is written at wr_ptr_q).
  assign pq_push = Patches && frame_end && s_axis_tpatch_en != '0;

  // the head entry is read only while there is one (0 otherwise, nothing reads it then)
  always_comb begin
    pq_head = '0;
    if (!pq_empty) pq_head = pq_mem[pq_rd_q[PqW-1:0]];
  end
  assign pq_pop  = !pq_empty && m_axis_tvalid && m_axis_tready && out_ptr_q == pq_head.last;
  always_comb begin
    pq_new.en   = s_axis_tpatch_en;
    pq_new.w0   = commit_ptr_q + (AddrW + 1)'(s_axis_tpatch_off[7:3]);
    pq_new.w1   = commit_ptr_q + (AddrW + 1)'(s_axis_tpatch_off[15:11]);
    pq_new.b0   = s_axis_tpatch_off[2:0];
    pq_new.b1   = s_axis_tpatch_off[10:8];
    pq_new.v0   = s_axis_tpatch_val[15:0];
    pq_new.v1   = s_axis_tpatch_val[31:16];
    pq_new.last = wr_ptr_q;
  end

  // Word ptr of a frame with the field (byte lane b, value v) starting in word w put in, big-endian:
  // lane b takes v's high byte, lane b + 1 its low byte (lane 0 of word w + 1 when b is 7).
  function automatic logic [63:0] put_field(logic [63:0] d, logic [AddrW:0] ptr, logic [AddrW:0] w,
                                            logic [2:0] b, logic [15:0] v);
    logic [63:0] r;
    r = d;
    if (ptr == w) begin
      r[8*b +: 8] = v[15:8];
      if (b != 3'd7) r[8*(b + 3'd1) +: 8] = v[7:0];
    end
    if (b == 3'd7 && ptr == w + 1'b1) r[7:0] = v[7:0];
    return r;
  endfunction

  // The output word with the head entry's fields in it (field 1 after field 0: it wins an overlap).
  always_comb begin
    out_data = out_data_q;
    if (!pq_empty) begin
      if (pq_head.en[0]) out_data = put_field(out_data, out_ptr_q, pq_head.w0, pq_head.b0, pq_head.v0);
      if (pq_head.en[1]) out_data = put_field(out_data, out_ptr_q, pq_head.w1, pq_head.b1, pq_head.v1);
    end
  end

  // Output register: refilled from memory whenever it is empty or being consumed.
  assign mem_re = committed_avail && (!out_valid_q || m_axis_tready);

  always_comb begin
    wr_ptr_d     = wr_ptr_q;
    commit_ptr_d = commit_ptr_q;
    drop_d       = drop_q;
    overflow_d   = 1'b0;
    if (wr_beat) begin
      if (mem_we) wr_ptr_d = wr_ptr_q + 1'b1;
      if (full) drop_d = 1'b1;
      if (frame_end) begin
        wr_ptr_d     = wr_ptr_q + 1'b1;
        commit_ptr_d = wr_ptr_d;
      end
      if (rewind) begin
        wr_ptr_d   = commit_ptr_q;
        drop_d     = 1'b0;
        overflow_d = !s_axis_tuser && (drop_q || full);
      end
    end

    rd_ptr_d    = rd_ptr_q + {{AddrW{1'b0}}, mem_re};
    out_valid_d = mem_re ? 1'b1 : (m_axis_tready ? 1'b0 : out_valid_q);

    frames_d = frames_q;
    if (frame_end) frames_d = frames_d + 1'b1;
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
      pq_wr_q      <= '0;
      pq_rd_q      <= '0;
    end else begin
      wr_ptr_q     <= wr_ptr_d;
      commit_ptr_q <= commit_ptr_d;
      rd_ptr_q     <= rd_ptr_d;
      drop_q       <= drop_d;
      frames_q     <= frames_d;
      overflow_q   <= overflow_d;
      out_valid_q  <= out_valid_d;
      if (Patches) begin  // (constant: without patches the queue's pointers stay at 0)
        pq_wr_q <= pq_wr_q + {{PqW{1'b0}}, pq_push};
        pq_rd_q <= pq_rd_q + {{PqW{1'b0}}, pq_pop};
      end
    end
  end

  // Memory: no reset (block RAM), registered read.
  always_ff @(posedge clk_i) begin
    if (mem_we) begin
      mem_data[wr_ptr_q[AddrW-1:0]] <= s_axis_tdata;
      mem_side[wr_ptr_q[AddrW-1:0]] <= {s_axis_tflag, s_axis_tlast, s_axis_tkeep};
    end
    if (mem_re) begin
      out_data_q <= mem_data[rd_ptr_q[AddrW-1:0]];
      out_side_q <= mem_side[rd_ptr_q[AddrW-1:0]];
      out_ptr_q  <= rd_ptr_q;
    end
  end

  // The patch queue: registers, no reset (only entries between the pointers are read).
  always_ff @(posedge clk_i) begin
    if (Patches && pq_push) pq_mem[pq_wr_q[PqW-1:0]] <= pq_new;
  end

  assign idle_o = !out_valid_q && (rd_ptr_q == commit_ptr_q) && (wr_ptr_q == commit_ptr_q) && !drop_q && pq_empty &&
                  !overflow_q && !s_axis_tvalid;

  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tdata  = out_data;
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
      // every byte a field names lies in the frame (its last word is written now, at wr_ptr_q)
      if (pq_push && s_axis_tpatch_en[0])
        assert ((AddrW + 1)'(s_axis_tpatch_off[7:3]) + (AddrW + 1)'(s_axis_tpatch_off[2:0] == 3'd7) <= wr_ptr_q - commit_ptr_q)
          else $error("nic_frame_fifo: patch 0 beyond the frame");
      if (pq_push && s_axis_tpatch_en[1])
        assert ((AddrW + 1)'(s_axis_tpatch_off[15:11]) + (AddrW + 1)'(s_axis_tpatch_off[10:8] == 3'd7) <= wr_ptr_q - commit_ptr_q)
          else $error("nic_frame_fifo: patch 1 beyond the frame");
      assert (!(pq_push && pq_full)) else $error("nic_frame_fifo: patch queue overflow");
      // the head entry's frame leaves before any later frame (its last word is the next tlast out)
      if (!pq_empty && m_axis_tvalid && m_axis_tready && m_axis_tlast)
        assert (out_ptr_q == pq_head.last || (pq_head.last - out_ptr_q) <= (AddrW + 1)'(Depth))
          else $error("nic_frame_fifo: patch queue out of step with the frames");
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
  cov_patch_straddles_word: cover property (@(posedge clk_i) disable iff (!rst_ni) pq_push && ((s_axis_tpatch_en[0] && s_axis_tpatch_off[2:0] == 3'd7) || (s_axis_tpatch_en[1] && s_axis_tpatch_off[10:8] == 3'd7)));
  cov_patch_in_last_word: cover property (@(posedge clk_i) disable iff (!rst_ni) pq_push && ((s_axis_tpatch_en[0] && pq_new.w0 == wr_ptr_q) || (s_axis_tpatch_en[1] && pq_new.w1 == wr_ptr_q)));
  cov_patch_next_frame_streams: cover property (@(posedge clk_i) disable iff (!rst_ni) !pq_empty && s_axis_tvalid && s_axis_tready);
  cov_patch_queue_full: cover property (@(posedge clk_i) disable iff (!rst_ni) pq_full && s_axis_tvalid);
`endif
  // ==== end cover points ====
endmodule
