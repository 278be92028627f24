// TX TCP segmentation (TSE): cuts one TSO chain from the packer into segments of HDRLEN header bytes and at most MSS payload bytes.
//
// Sits between nic_tx_packer and nic_tx_csum. Every frame has one entry at the head of the option
// FIFO (pushed by nic_tx_rd_req before its data); this block pops it when the frame is done.
//   - opt.tso = 0: the frame passes through unchanged, combinationally (no register, no latency).
//   - opt.tso = 1: the first HDRLEN bytes of the chain are kept (hdr_q); per segment n the block
//     emits the header with the IP total length (IPv4) or payload length (IPv6), the IPv4 ID + n,
//     the TCP sequence number + n*MSS, FIN and PSH only on the last segment, CWR only on the first,
//     and the TCP length of the segment added (ones' complement) to the pseudo-header sum that
//     software left in the TCP checksum field (ixgb_tso); then min(MSS, rest of PAYLEN) payload
//     bytes, tlast per segment. nic_tx_csum then inserts both checksums of every segment (the
//     option entry stays at the FIFO head until the last segment is out).
//   - Bad programming (MSS 0, HDRLEN 0, PAYLEN 0 or > 64 KiB, HDRLEN + MSS > MaxFrameLen): the
//     chain is read and dropped, nothing is sent, fail_o. A chain that ends before HDRLEN + PAYLEN
//     bytes (or is discarded by the packer, tuser) ends the segment under way with tuser = 1 (the
//     TX FIFO drops it) and sends no later one; payload bytes past PAYLEN are dropped; both fail_o.
// Header bytes at or past HDRLEN are not edited (a field straddling HDRLEN is computed with its
// bytes past HDRLEN taken as 0). Segments are cut by PAYLEN, not by the chain's
// length, so each header can be sent before its payload has arrived.
// Cost: the header of each segment is sent from hdr_q while the payload input waits, so a segment
// takes ceil((HDRLEN + len) / 8) cycles and the chain about HDRLEN/8 more cycles per segment than
// as one frame.
module nic_tx_tso (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // the chain stream (nic_tx_packer)
  input  logic [63:0]           s_axis_tdata,
  input  logic [7:0]            s_axis_tkeep,
  input  logic                  s_axis_tvalid,
  output logic                  s_axis_tready,
  input  logic                  s_axis_tlast,
  input  logic                  s_axis_tuser,
  // option FIFO head: one entry per chain
  input  logic                  opt_valid_i,
  input  nic_dma_pkg::tx_opt_t  opt_i,
  output logic                  opt_pop_o,
  // the frame (segment) stream (towards nic_tx_csum and the TX FIFO)
  output logic [63:0]           m_axis_tdata,
  output logic [7:0]            m_axis_tkeep,
  output logic                  m_axis_tvalid,
  input  logic                  m_axis_tready,
  output logic                  m_axis_tlast,
  output logic                  m_axis_tuser,
  // events (one-cycle pulses): a TSO chain sent completely (TSCTC) / not (TSCTFC)
  output logic                  done_o,
  output logic                  fail_o,
  output logic                  quiet_o       // between frames (every register as reset leaves it)
);
  import nic_dma_pkg::*;

  typedef enum logic [1:0] {StIdle, StPass, StTso, StDrop} state_e;

  state_e       state_q, state_d, mode;
  logic [63:0]  hdr_q [32];                  // the chain's first HDRLEN bytes (word w = bytes 8w..8w+7)
  logic [17:0]  in_off_q, in_off_d;          // chain byte offset of the next input beat
  logic         in_done_q, in_done_d;        // the chain's last beat was taken
  logic         bad_q, bad_d;                // the chain was short, long or discarded
  logic         out_done_q, out_done_d;      // the last segment is out (excess input is dropped)
  logic [127:0] acc_q, acc_d;                // payload bytes taken and not yet sent, byte 0 first
  logic [4:0]   acc_cnt_q, acc_cnt_d;
  logic [16:0]  pay_in_q, pay_in_d;          // payload bytes taken into acc
  logic [16:0]  sent_q, sent_d;              // payload bytes of the finished segments (n * MSS)
  logic [15:0]  seg_n_q, seg_n_d;            // segment number n
  logic [13:0]  out_pos_q, out_pos_d;        // byte offset of the next output beat in the segment

  tx_tso_ctx_t  tc;
  logic         params_bad;
  logic [16:0]  paylen, pay_left, seglen;
  logic         last_seg;
  logic [13:0]  seg_total, rem;
  logic [3:0]   hb, nbytes, pay_need, nkeep, skip, pbytes, take;
  logic [16:0]  pay_room;
  logic         hdr_ready, avail, close_bad, seg_skip, out_v, out_last, out_hs, in_hs;
  logic [63:0]  hdr_word, out_data;
  logic [127:0] acc_pop, pay_bits;
  logic [63:0]  pay_sh;
  logic [4:0]   cnt_pop;
  logic         excess;
  // per-segment header values
  logic [15:0]  ip_len, ip_id, tcp_len, tcp_csf;
  logic [31:0]  tcp_seq;
  logic [7:0]   tcp_flags;
  logic [16:0]  csf_sum;
  logic [13:0]  ep;                          // header editing: the byte position and value
  logic [7:0]   eb;

  // A byte of the stored header; bytes at or past HDRLEN read as 0, so a field that straddles
  // HDRLEN gets a value that does not depend on an earlier chain.
  function automatic logic [7:0] hdr_byte(logic [13:0] pos);
    return (pos < 14'(tc.hdrlen)) ? hdr_q[pos[7:3]][8*pos[2:0] +: 8] : 8'd0;
  endfunction

  always_comb begin
    tc         = opt_i.tso_ctx;
    paylen     = 17'(tc.paylen);
    params_bad = (tc.mss == '0) || (tc.hdrlen == '0) || (tc.paylen == '0) ||
                 (21'(tc.paylen) > MaxTsoPay) || (21'(tc.hdrlen) + 21'(tc.mss) > MaxFrameLen);
    mode = state_q;
    if (state_q == StIdle && s_axis_tvalid) mode = !opt_i.tso ? StPass : params_bad ? StDrop : StTso;

    // Only a chain being segmented (StTso) uses what follows. A frame passing through (StPass)
    // is the input; between chains (StIdle) and while a bad chain is dropped (StDrop) nothing
    // here reaches the next state, the option pop or a cover point, and the output beat is not
    // valid (out_v needs StTso; its data, keep and last read 0 then). Skipped in those modes, as
    // the header editing is on payload beats (hb = 0: no header byte in the beat): Verilator
    // evaluates combinational logic every cycle, so this is what the simulation pays for.
    pay_left  = '0;
    last_seg  = 1'b0;
    seglen    = '0;
    seg_total = '0;
    rem       = '0;
    hb        = '0;
    nbytes    = '0;
    pay_need  = '0;
    hdr_ready = 1'b0;
    avail     = 1'b0;
    close_bad = 1'b0;
    seg_skip  = 1'b0;
    out_v     = 1'b0;
    out_last  = 1'b0;
    ip_len    = '0;
    ip_id     = '0;
    tcp_seq   = '0;
    tcp_flags = '0;
    tcp_len   = '0;
    csf_sum   = '0;
    tcp_csf   = '0;
    hdr_word  = '0;
    out_data  = '0;
    nkeep     = '0;
    skip      = '0;
    pbytes    = '0;
    pay_room  = '0;
    take      = '0;
    excess    = 1'b0;
    pay_sh    = '0;
    pay_bits  = '0;
    ep        = '0;
    eb        = '0;
    if (mode == StTso) begin
      // ---- the segment under way
      pay_left  = paylen - sent_q;
      last_seg  = pay_left <= 17'(tc.mss);
      seglen    = last_seg ? pay_left : 17'(tc.mss);
      seg_total = 14'(tc.hdrlen) + 14'(seglen);
      rem       = seg_total - out_pos_q;
      hb        = (out_pos_q >= 14'(tc.hdrlen)) ? 4'd0 :
                  (14'(tc.hdrlen) - out_pos_q >= 14'd8) ? 4'd8 : 4'(14'(tc.hdrlen) - out_pos_q);
      nbytes    = (rem >= 14'd8) ? 4'd8 : rem[3:0];
      pay_need  = nbytes - hb;
      hdr_ready = in_off_q >= 18'(tc.hdrlen);
      avail     = hdr_ready && (5'(pay_need) <= acc_cnt_q);
      // the chain ended before this beat's bytes: close a started segment as bad, skip an unstarted one
      close_bad = in_done_q && !avail && (out_pos_q != '0);
      seg_skip  = in_done_q && !avail && (out_pos_q == '0);
      out_v     = (state_q == StTso) && !out_done_q && (avail || close_bad);
      out_last  = close_bad || (rem <= 14'd8);

      // ---- header fields of segment n (only a beat with header bytes uses them)
      if (hb != '0) begin
        ip_len    = tc.ip ? 16'(seg_total) - 16'(opt_i.ctx.ipcss)
                          : 16'(seg_total) - 16'(opt_i.ctx.ipcss) - 16'd40;
        ip_id     = {hdr_byte(14'(opt_i.ctx.ipcss) + 14'd4), hdr_byte(14'(opt_i.ctx.ipcss) + 14'd5)} + seg_n_q;
        tcp_seq   = {hdr_byte(14'(opt_i.ctx.tucss) + 14'd4), hdr_byte(14'(opt_i.ctx.tucss) + 14'd5),
                     hdr_byte(14'(opt_i.ctx.tucss) + 14'd6), hdr_byte(14'(opt_i.ctx.tucss) + 14'd7)} + 32'(sent_q);
        tcp_flags = hdr_byte(14'(opt_i.ctx.tucss) + 14'd13);
        if (!last_seg) tcp_flags = tcp_flags & ~8'h09;   // FIN, PSH: last segment only
        if (seg_n_q != '0) tcp_flags = tcp_flags & ~8'h80;  // CWR: first segment only
        tcp_len   = 16'(seg_total) - 16'(opt_i.ctx.tucss);
        csf_sum   = 17'({hdr_byte(14'(opt_i.ctx.tucso)), hdr_byte(14'(opt_i.ctx.tucso) + 14'd1)}) + 17'(tcp_len);
        tcp_csf   = csf_sum[15:0] + 16'(csf_sum[16]);

        // ---- output beat: hb header bytes (edited), then pay_need payload bytes from acc
        hdr_word = hdr_q[out_pos_q[7:3]];
        for (int i = 0; i < 8; i++) begin
          ep = out_pos_q + 14'(i);
          eb = hdr_word[8*i +: 8];
          if (tc.ip) begin
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd2) eb = ip_len[15:8];
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd3) eb = ip_len[7:0];
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd4) eb = ip_id[15:8];
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd5) eb = ip_id[7:0];
          end else begin
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd4) eb = ip_len[15:8];
            if (ep == 14'(opt_i.ctx.ipcss) + 14'd5) eb = ip_len[7:0];
          end
          for (int k = 0; k < 4; k++)
            if (ep == 14'(opt_i.ctx.tucss) + 14'(4 + k)) eb = tcp_seq[8*(3-k) +: 8];
          if (ep == 14'(opt_i.ctx.tucss) + 14'd13) eb = tcp_flags;
          if (ep == 14'(opt_i.ctx.tucso)) eb = tcp_csf[15:8];
          if (ep == 14'(opt_i.ctx.tucso) + 14'd1) eb = tcp_csf[7:0];
          hdr_word[8*i +: 8] = eb;
        end
      end
      out_data = (hdr_word & ~(64'hFFFF_FFFF_FFFF_FFFF << {hb, 3'd0})) | 64'(acc_q << {hb, 3'd0});

      // ---- input beat: header bytes into hdr_q, payload bytes (up to PAYLEN) into acc
      nkeep = '0;
      for (int i = 0; i < 8; i++) nkeep = nkeep + 4'(s_axis_tkeep[i]);
      skip     = (in_off_q >= 18'(tc.hdrlen)) ? 4'd0 :
                 (18'(tc.hdrlen) - in_off_q >= 18'd8) ? 4'd8 : 4'(18'(tc.hdrlen) - in_off_q);
      pbytes   = (nkeep > skip) ? nkeep - skip : 4'd0;
      pay_room = paylen - pay_in_q;
      take     = (17'(pbytes) > pay_room) ? 4'(pay_room) : pbytes;
      excess   = take != pbytes;
      pay_sh   = s_axis_tdata >> {skip[2:0], 3'd0};
      pay_bits = {64'd0, pay_sh} & ~(~128'd0 << {take, 3'd0});
    end
  end

  always_comb begin
    out_hs    = out_v && m_axis_tready;
    cnt_pop   = acc_cnt_q;
    acc_pop   = acc_q;
    if (out_hs && !close_bad) begin  // (an if: the 128-bit shift only when bytes leave)
      cnt_pop = acc_cnt_q - 5'(pay_need);
      acc_pop = acc_q >> {pay_need, 3'd0};
    end

    unique case (mode)
      StPass:  s_axis_tready = m_axis_tready;
      StDrop:  s_axis_tready = 1'b1;
      StTso:   s_axis_tready = !in_done_q && (cnt_pop <= 5'd8);
      default: s_axis_tready = 1'b0;
    endcase
    in_hs = s_axis_tvalid && s_axis_tready;

    state_d    = state_q;
    in_off_d   = in_off_q;
    in_done_d  = in_done_q;
    bad_d      = bad_q;
    out_done_d = out_done_q;
    acc_d      = acc_pop;
    acc_cnt_d  = cnt_pop;
    pay_in_d   = pay_in_q;
    sent_d     = sent_q;
    seg_n_d    = seg_n_q;
    out_pos_d  = out_pos_q;
    opt_pop_o  = 1'b0;
    done_o     = 1'b0;
    fail_o     = 1'b0;

    unique case (mode)
      StPass: begin
        state_d = StPass;
        if (in_hs && s_axis_tlast) begin
          opt_pop_o = 1'b1;
          state_d   = StIdle;
        end
      end
      StDrop: begin
        state_d = StDrop;
        if (in_hs && s_axis_tlast) begin
          opt_pop_o = 1'b1;
          fail_o    = 1'b1;
          state_d   = StIdle;
        end
      end
      StTso: begin
        state_d = StTso;
        if (in_hs) begin
          in_off_d  = in_off_q + 18'd8;
          pay_in_d  = pay_in_q + 17'(take);
          acc_d     = acc_pop | (pay_bits << {cnt_pop, 3'd0});
          acc_cnt_d = cnt_pop + 5'(take);
          if (excess) bad_d = 1'b1;
          if (s_axis_tlast) begin
            in_done_d = 1'b1;
            if (s_axis_tuser || pay_in_q + 17'(take) != paylen) bad_d = 1'b1;
          end
        end
        if (out_hs) begin
          out_pos_d = out_pos_q + 14'd8;
          if (out_last) begin
            out_pos_d = '0;
            seg_n_d   = seg_n_q + 16'd1;
            sent_d    = sent_q + seglen;
            if (last_seg || close_bad) out_done_d = 1'b1;
          end
        end
        if (seg_skip && !out_done_q) out_done_d = 1'b1;
        // finished: the last segment is out (or none can be) and the chain is read to its end
        if ((out_done_q || seg_skip) && in_done_q) begin
          opt_pop_o  = 1'b1;
          done_o     = !bad_q;
          fail_o     = bad_q;
          state_d    = StIdle;
          in_off_d   = '0;
          in_done_d  = 1'b0;
          bad_d      = 1'b0;
          out_done_d = 1'b0;
          acc_d      = '0;
          acc_cnt_d  = '0;
          pay_in_d   = '0;
          sent_d     = '0;
          seg_n_d    = '0;
          out_pos_d  = '0;
        end
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      in_off_q   <= '0;
      in_done_q  <= 1'b0;
      bad_q      <= 1'b0;
      out_done_q <= 1'b0;
      acc_q      <= '0;
      acc_cnt_q  <= '0;
      pay_in_q   <= '0;
      sent_q     <= '0;
      seg_n_q    <= '0;
      out_pos_q  <= '0;
    end else begin
      state_q    <= state_d;
      in_off_q   <= in_off_d;
      in_done_q  <= in_done_d;
      bad_q      <= bad_d;
      out_done_q <= out_done_d;
      acc_q      <= acc_d;
      acc_cnt_q  <= acc_cnt_d;
      pay_in_q   <= pay_in_d;
      sent_q     <= sent_d;
      seg_n_q    <= seg_n_d;
      out_pos_q  <= out_pos_d;
    end
  end

  // the header store: no reset (only bytes written by the current chain are ever read)
  always_ff @(posedge clk_i) begin
    if (mode == StTso && in_hs && in_off_q < 18'(tc.hdrlen)) hdr_q[in_off_q[7:3]] <= s_axis_tdata;
  end

  always_comb begin
    if (mode == StPass) begin
      m_axis_tdata  = s_axis_tdata;
      m_axis_tkeep  = s_axis_tkeep;
      m_axis_tvalid = s_axis_tvalid;
      m_axis_tlast  = s_axis_tlast;
      m_axis_tuser  = s_axis_tuser;
    end else begin
      m_axis_tdata  = out_data;
      m_axis_tkeep  = 8'hFF >> (4'd8 - nbytes);
      m_axis_tvalid = out_v;
      m_axis_tlast  = out_last;
      m_axis_tuser  = close_bad;
    end
  end

  assign quiet_o = (state_q == StIdle);

  logic unused_ok;
  assign unused_ok = ^{opt_i.ixsm, opt_i.txsm, tc.tse, opt_i.vle, opt_i.vlan};  // VLAN: nic_tx_vlan

`ifndef SYNTHESIS
  logic        out_stall_q;
  logic [63:0] out_data_past_q;
  logic [9:0]  out_side_past_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) out_stall_q <= 1'b0;
    else         out_stall_q <= (state_q == StTso) && m_axis_tvalid && !m_axis_tready;
    // (kept only in a stalled cycle, the only one whose next cycle compares them)
    if ((state_q == StTso) && m_axis_tvalid && !m_axis_tready) begin
      out_data_past_q <= m_axis_tdata & ~(64'hFFFF_FFFF_FFFF_FFFF << {nbytes, 3'd0});
      out_side_past_q <= {m_axis_tkeep, m_axis_tlast, m_axis_tuser};
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(s_axis_tvalid && state_q == StIdle) || opt_valid_i)
        else $error("nic_tx_tso: chain beat without its options");
      assert (acc_cnt_q <= 5'd16) else $error("nic_tx_tso: payload accumulator overflow");
      assert (pay_in_q <= paylen || state_q != StTso) else $error("nic_tx_tso: more payload taken than PAYLEN");
      if (state_q == StTso) begin
        assert (!params_bad) else $error("nic_tx_tso: segmenting with bad parameters");
        assert (opt_valid_i && opt_i.tso) else $error("nic_tx_tso: options left the FIFO head mid-chain");
        assert (out_pos_q < seg_total) else $error("nic_tx_tso: output past the segment end");
        assert (sent_q < paylen || out_done_q) else $error("nic_tx_tso: segment after PAYLEN");
        assert (seg_total <= 14'(MaxFrameLen)) else $error("nic_tx_tso: segment longer than MaxFrameLen");
        if (out_stall_q) assert (m_axis_tvalid && {m_axis_tkeep, m_axis_tlast, m_axis_tuser} == out_side_past_q &&
                                 (m_axis_tdata & ~(64'hFFFF_FFFF_FFFF_FFFF << {nbytes, 3'd0})) == out_data_past_q)
          else $error("nic_tx_tso: segment beat changed before tready");
      end
      if (m_axis_tvalid) assert (m_axis_tkeep != '0 && (m_axis_tlast || m_axis_tkeep == 8'hFF))
        else $error("nic_tx_tso: empty beat, or partial beat before tlast");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_tso_chain: cover property (@(posedge clk_i) disable iff (!rst_ni) done_o);
  cov_tso_fail: cover property (@(posedge clk_i) disable iff (!rst_ni) fail_o);
  cov_tso_bad_params: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && mode == StDrop);
  cov_tso_one_segment: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && out_last && last_seg && seg_n_q == '0 && !close_bad);
  cov_tso_last_of_many: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && out_last && last_seg && seg_n_q != '0 && !close_bad);
  cov_tso_short_last: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && out_last && last_seg && seglen < 17'(tc.mss));
  cov_tso_header_payload_beat: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && hb != '0 && pay_need != '0);
  cov_tso_segment_cut_short: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && close_bad);
  cov_tso_segment_skipped: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StTso && seg_skip && !out_done_q);
  cov_tso_excess_dropped: cover property (@(posedge clk_i) disable iff (!rst_ni) mode == StTso && in_hs && excess);
  cov_tso_ipv6: cover property (@(posedge clk_i) disable iff (!rst_ni) out_hs && out_last && !tc.ip);
  cov_tso_output_stall: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StTso && m_axis_tvalid && !m_axis_tready);
`endif
  // ==== end cover points ====
endmodule
