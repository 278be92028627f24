// TX packer: read bursts' 16-byte beats, cut by their segments, packed gap-free into a 64-bit frame stream.
//
// Each segment drops the invalid head bytes of its first beat and tail bytes of its last; the rest
// goes into a 24-byte accumulator. A non-last word leaves only while more than 8 bytes are held, so
// a frame whose end is known late (a data-less end segment) still has a byte left to carry
// tlast/tuser. While stopped (run_i low) an open frame is closed with tuser=1 and the state is
// emptied.
module nic_tx_packer (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  run_i,
  // segments
  input  logic                  s_seg_valid,
  input  nic_dma_pkg::tx_seg_t  s_seg,
  output logic                  s_seg_ready,   // the head segment is used up
  // data beats
  input  logic                  s_data_valid,
  input  logic [127:0]          s_data,
  output logic                  s_data_ready,  // the head beat is taken
  // frame stream
  output logic [63:0]           m_axis_tdata,
  output logic [7:0]            m_axis_tkeep,
  output logic                  m_axis_tvalid,
  input  logic                  m_axis_tready,
  output logic                  m_axis_tlast,
  output logic                  m_axis_tuser,  // at tlast: 1 = discard the frame
  output logic                  frame_open_o,  // a frame is started downstream and not yet ended
  output logic                  quiet_o,       // nothing held or presented
  output logic                  clean_o        // ... and the accumulator as reset leaves it
);
  import nic_dma_pkg::*;

  localparam int unsigned AccBytes = 24;

  logic [191:0] acc_q, acc_d, acc_pop, beat_ext;
  logic [4:0]   acc_cnt_q, acc_cnt_d, cnt_pop;
  logic         eof_q, eof_d, discard_q, discard_d, eof_pop;
  logic [3:0]   beat_cnt_q, beat_cnt_d;
  logic         frame_open_q, frame_open_d;
  logic         pk_valid, pk_last, pk_user, pk_pop, out_ready;
  logic [3:0]   pk_n;
  logic [3:0]   lo_eff;
  logic [4:0]   hi_eff, n_in;
  logic         seg_first, seg_lastb;
  logic         out_valid_q, out_last_q, out_user_q;
  logic [63:0]  out_data_q;
  logic [7:0]   out_keep_q;

  assign out_ready = !out_valid_q || m_axis_tready;

  always_comb begin
    pk_valid = 1'b0;
    pk_n     = 4'd8;
    pk_last  = 1'b0;
    pk_user  = 1'b0;
    if (run_i) begin
      if (acc_cnt_q > 5'd8) begin
        pk_valid = 1'b1;
      end else if (eof_q && acc_cnt_q != '0) begin
        pk_valid = 1'b1;
        pk_n     = acc_cnt_q[3:0];
        pk_last  = 1'b1;
        pk_user  = discard_q;
      end
    end else if (frame_open_q) begin
      // close the frame already started downstream; the FIFO drops it
      pk_valid = 1'b1;
      pk_n     = (acc_cnt_q >= 5'd8) ? 4'd8 : acc_cnt_q[3:0];
      pk_last  = 1'b1;
      pk_user  = 1'b1;
    end
  end
  assign pk_pop = pk_valid && out_ready;

  always_comb begin
    seg_first = (beat_cnt_q == '0);
    seg_lastb = ({1'b0, beat_cnt_q} == s_seg.nbeats - 5'd1);
    lo_eff    = seg_first ? s_seg.lo : 4'd0;
    hi_eff    = seg_lastb ? s_seg.hi : 5'd16;
    n_in      = hi_eff - {1'b0, lo_eff};
    // the head beat's bytes, aligned to byte 0 (only a beat that can be taken needs them: the
    // wide shifts are not evaluated in the cycles without one)
    beat_ext  = '0;
    if (s_seg_valid && s_data_valid) begin
      beat_ext = {64'd0, s_data} >> {lo_eff, 3'd0};
      beat_ext = beat_ext & ~(~192'd0 << {n_in, 3'd0});
    end

    cnt_pop   = pk_pop ? acc_cnt_q - {1'b0, pk_n} : acc_cnt_q;
    acc_pop   = acc_q;  // (an if: the simulation computes both arms of a conditional's wide shift)
    if (pk_pop) acc_pop = acc_q >> {pk_n, 3'd0};
    eof_pop   = eof_q && !(pk_pop && pk_last);

    acc_d        = acc_pop;
    acc_cnt_d    = cnt_pop;
    eof_d        = eof_pop;
    discard_d    = discard_q;
    beat_cnt_d   = beat_cnt_q;
    s_seg_ready  = 1'b0;
    s_data_ready = 1'b0;
    frame_open_d = pk_pop ? !pk_last : frame_open_q;

    if (!run_i) begin
      if (!frame_open_q || pk_pop) begin
        acc_d      = '0;
        acc_cnt_d  = '0;
        eof_d      = 1'b0;
        discard_d  = 1'b0;
        beat_cnt_d = '0;
      end
    end else if (s_seg_valid && !eof_pop) begin
      if (s_seg.nbeats == '0) begin
        s_seg_ready = 1'b1;
        if (cnt_pop != '0) begin  // no byte held: the frame had no data, nothing to send
          eof_d     = 1'b1;
          discard_d = s_seg.discard;
        end
      end else if (s_data_valid && (6'(cnt_pop) + 6'(n_in) <= 6'(AccBytes))) begin
        s_data_ready = 1'b1;
        acc_d        = acc_pop | (beat_ext << {cnt_pop, 3'd0});
        acc_cnt_d    = cnt_pop + n_in;
        if (seg_lastb) begin
          s_seg_ready = 1'b1;
          beat_cnt_d  = '0;
          if (s_seg.eof) begin
            eof_d     = 1'b1;
            discard_d = 1'b0;
          end
        end else begin
          beat_cnt_d = beat_cnt_q + 4'd1;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      acc_q        <= '0;
      acc_cnt_q    <= '0;
      eof_q        <= 1'b0;
      discard_q    <= 1'b0;
      beat_cnt_q   <= '0;
      frame_open_q <= 1'b0;
      out_valid_q  <= 1'b0;
      out_data_q   <= '0;
      out_keep_q   <= '0;
      out_last_q   <= 1'b0;
      out_user_q   <= 1'b0;
    end else begin
      acc_q        <= acc_d;
      acc_cnt_q    <= acc_cnt_d;
      eof_q        <= eof_d;
      discard_q    <= discard_d;
      beat_cnt_q   <= beat_cnt_d;
      frame_open_q <= frame_open_d;
      if (pk_pop) begin
        out_valid_q <= 1'b1;
        out_data_q  <= acc_q[63:0];
        out_keep_q  <= 8'hFF >> (4'd8 - pk_n);
        out_last_q  <= pk_last;
        out_user_q  <= pk_user;
      end else if (m_axis_tready) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  assign m_axis_tdata  = out_data_q;
  assign m_axis_tkeep  = out_keep_q;
  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tlast  = out_last_q;
  assign m_axis_tuser  = out_user_q;
  assign frame_open_o  = frame_open_q;
  assign quiet_o       = (acc_cnt_q == '0) && !eof_q && (beat_cnt_q == '0) && !frame_open_q && !out_valid_q;
  assign clean_o       = (acc_q == '0) && !discard_q;

`ifndef SYNTHESIS
  logic        out_stall_q;
  logic [63:0] out_data_past_q;
  logic [9:0]  out_side_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) out_stall_q <= 1'b0;
    else         out_stall_q <= m_axis_tvalid && !m_axis_tready;
    // (kept only in a stalled cycle, the only one whose next cycle compares them)
    if (m_axis_tvalid && !m_axis_tready) begin
      out_data_past_q <= out_data_q;
      out_side_past_q <= {out_keep_q, out_last_q, out_user_q};
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (out_stall_q) assert (out_valid_q && out_data_q == out_data_past_q &&
                               {out_keep_q, out_last_q, out_user_q} == out_side_past_q)
        else $error("nic_tx_packer: stream beat changed before tready");
      if (frame_open_q) assert (acc_cnt_q != '0) else $error("nic_tx_packer: open frame with no byte held");
      assert (acc_cnt_q <= 5'(AccBytes)) else $error("nic_tx_packer: accumulator overflow");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_tx_disabled_mid_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) !run_i && frame_open_q && pk_pop);
  cov_dataless_end_segment: cover property (@(posedge clk_i) disable iff (!rst_ni) run_i && s_seg_valid && !eof_pop && s_seg.nbeats == '0 && cnt_pop != '0);
  cov_stream_backpressure: cover property (@(posedge clk_i) disable iff (!rst_ni) m_axis_tvalid && !m_axis_tready);
`endif
  // ==== end cover points ====
endmodule
