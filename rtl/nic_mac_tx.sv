// 10G MAC transmitter: frame stream to 64-bit XGMII with preamble, optional padding, FCS and the
// inter-packet gap kept by a deficit idle count (IEEE 802.3 clause 46.3.1.4).
//
// Every output word is registered. The frame is first built as an "aligned" word stream in which
// the start word (/S/, six 0x55, SFD) is a whole word, frame byte k sits in lane k%8 and the FCS of
// the last word goes out in the same word (its CRC is computed in the cycle the beat is accepted);
// FCS bytes that do not fit spill into one more word that also carries /T/. A frame may start in
// lane 0 or lane 4 of the XGMII word: for a lane-4 start the aligned stream goes out shifted by four
// lanes (lanes 0-3 of each output word are the upper half of the previous aligned word, held one
// cycle; lanes 4-7 the lower half of the current one), so /S/ lands in lane 4 and frame byte k in
// lane (k+4)%8. The shift is chosen at each start word and only changes while the held half is idle.
//
// Gap (IPG counts /T/ and the idles up to, not including, the next /S/): after a /T/ at wire byte
// position p the next /S/ would ideally go at p + 12; it goes at the nearest multiple of 4 instead,
// deleting r = p%4 idles when the deficit idle count DIC (0..3) stays <= 3 (DIC += r), else
// inserting 4 - r (DIC -= 4 - r, not below 0). So every gap is 9..15 bytes when the next frame is
// waiting, and over any run of frames the gaps add up to at least 12 per frame less 3. A frame
// that is not waiting at its planned start goes out in lane 0 of the first word after it arrives,
// with DIC = 0 (the gap is then >= 4 bytes more than planned, which covers any deficit).
// Back-to-back 1518-byte frames take 192, 192, 192, 193 cycles (gaps 10, 14, 10, 14 bytes).
// Latency: the start word is on xgmii_txd_o one cycle after s_axis_tvalid is seen in idle (a start
// after a gap may go in lane 4 of its word); each accepted beat is on xgmii_txd_o one cycle after it
// is accepted, and for a lane-4 frame its upper four bytes one cycle later still.
module nic_mac_tx (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        pad_en_i,          // TCTL.TPDE: pad frames shorter than 60 bytes to 60
  input  logic [63:0] s_axis_tdata,
  input  logic [7:0]  s_axis_tkeep,
  input  logic        s_axis_tvalid,
  output logic        s_axis_tready,
  input  logic        s_axis_tlast,
  output logic [63:0] xgmii_txd_o,
  output logic [7:0]  xgmii_txc_o,
  output logic        stat_tx_o,         // pulse per frame sent
  output logic [15:0] stat_tx_bytes_o,   // DA through FCS incl. padding, valid with stat_tx_o
  output logic        stat_tx_bcast_o,
  output logic        stat_tx_mcast_o,
  output logic        stat_underrun_o,   // pulse: tvalid dropped mid-frame, frame ended with /E/
  output logic        idle_o             // no frame, gap or statistics pulse under way, idles on the line
);
  localparam logic [63:0] IdleWord  = {8{8'h07}};
  localparam logic [63:0] StartWord = 64'hD555_5555_5555_55FB;
  localparam logic [7:0]  CharTerm  = 8'hFD;
  localparam logic [7:0]  CharErr   = 8'hFE;
  localparam logic [7:0]  CharIdle  = 8'h07;
  localparam int unsigned MinLen    = nic_reg_pkg::EthMinFrame;  // padded length without FCS (60)

  typedef enum logic [2:0] {
    StIdle,   // waiting for a frame; sends the start word
    StData,   // accepting beats
    StPad,    // zero padding words after a short frame
    StSpill,  // the FCS bytes that did not fit, then /T/
    StIpg,    // idle words until the planned start
    StFlush   // after an underrun: drop the rest of the frame
  } state_e;

  state_e      state_q, state_d;
  logic [31:0] crc_q, crc_d;
  logic [15:0] pos_q, pos_d;          // frame bytes sent so far (a multiple of 8 before the last word)
  logic [1:0]  ipg_q, ipg_d;          // words still to go (spill, idles) before the planned start word
  logic [1:0]  dic_q, dic_d;          // deficit idle count: idles deleted so far, not yet made up
  logic [1:0]  plan_dic_q, plan_dic_d;  // DIC once the planned start happens
  logic        plan_l4_q, plan_l4_d;  // the planned start is in lane 4
  logic        late_q, late_d;        // the planned start word went by without a frame
  logic        shift_q, shift_d;      // this frame goes out shifted to a lane-4 start
  logic [31:0] hold_d_q;              // upper half of the previous aligned word
  logic [3:0]  hold_c_q;
  logic        first_q, first_d;      // next beat is the first of the frame
  logic        bcast_q, bcast_d, mcast_q, mcast_d;
  logic [63:0] spill_txd_q, spill_txd_d;
  logic [7:0]  spill_txc_q, spill_txc_d;
  logic [63:0] txd_q, txd_d, out_d;  // txd_d: the aligned word; out_d: it on the wire (maybe shifted)
  logic [7:0]  txc_q, txc_d, out_c;
  logic        stat_tx_q, stat_tx_d, stat_bc_q, stat_bc_d, stat_mc_q, stat_mc_d, underrun_q, underrun_d;
  logic [15:0] stat_bytes_q, stat_bytes_d;

  // CRC of the word going out this cycle
  logic [63:0] crc_data;
  logic [7:0]  crc_keep;
  logic [31:0] crc_next;

  nic_crc32 u_crc (
    .crc_i  (crc_q),
    .data_i (crc_data),
    .keep_i (crc_keep),
    .crc_o  (crc_next)
  );

  // Input beat with the bytes past tkeep zeroed, and its byte count.
  logic [63:0] beat_data;
  logic [3:0]  beat_bytes;
  // (only a beat present is used: 0 otherwise, not evaluated; the simulation pays for
  // combinational logic in every cycle)
  always_comb begin
    beat_bytes = 4'd0;
    beat_data  = '0;
    if (s_axis_tvalid) begin
      for (int unsigned i = 0; i < 8; i++) begin
        beat_data[8*i +: 8] = s_axis_tkeep[i] ? s_axis_tdata[8*i +: 8] : 8'h00;
        beat_bytes          = beat_bytes + {3'd0, s_axis_tkeep[i]};
      end
    end
  end

  // Destination address class of the frame; the first beat decides.
  logic beat_bcast, beat_mcast, frame_bcast, frame_mcast;
  assign beat_bcast  = beat_data[47:0] == 48'hFFFF_FFFF_FFFF;
  assign beat_mcast  = beat_data[0] && !beat_bcast;
  assign frame_bcast = first_q ? beat_bcast : bcast_q;
  assign frame_mcast = first_q ? beat_mcast : mcast_q;

  // Last word of a frame: last_bytes (1..8) data bytes, then the FCS, /T/ and idles over two words.
  logic [63:0]  last_data;
  logic [3:0]   last_bytes;
  logic [127:0] end_d;
  logic [15:0]  end_c;
  logic [31:0]  fcs;
  assign fcs = ~crc_next;

  // Gap plan for a /T/ at wire byte position pos_t (counted from lane 0 of the word being built):
  // the next /S/ goes at plan_off (a multiple of 4), and DIC becomes plan_dic.
  logic [4:0] pos_t, plan_off, plan_ideal;
  logic [1:0] plan_r, plan_dic;
  always_comb begin
    plan_ideal = pos_t + 5'd12;
    plan_r     = pos_t[1:0];
    if (plan_r == 2'd0) begin
      plan_off = plan_ideal;
      plan_dic = dic_q;
    end else if ({1'b0, dic_q} + {1'b0, plan_r} <= 3'd3) begin
      plan_off = plan_ideal - {3'd0, plan_r};                    // delete r idles
      plan_dic = dic_q + plan_r;
    end else begin
      plan_off = plan_ideal + 5'd4 - {3'd0, plan_r};             // insert 4 - r idles
      plan_dic = (dic_q > 2'd0 - plan_r) ? dic_q - (2'd0 - plan_r) : 2'd0;  // 2'd0 - r = 4 - r
    end
  end

  logic [15:0] len_now;  // frame length without FCS if this beat is the last
  logic        pad_now;  // this last beat leaves the frame short: pad it
  assign len_now = pos_q + {12'd0, beat_bytes};
  assign pad_now = pad_en_i && (len_now < 16'(MinLen));
  logic end_now;  // the frame ends in this word (the end-of-frame branch below)
  assign end_now = (state_q == StData && s_axis_tvalid && s_axis_tlast && !(pad_now && pos_q < 16'(MinLen - 4))) ||
                   (state_q == StPad && pos_q >= 16'(MinLen - 4));
  always_comb begin
    end_d = '0;  // (only the end-of-frame word uses it: the wide shifts are evaluated only then)
    end_c = '0;
    if (end_now) begin
      end_d = {{15{CharIdle}}, CharTerm} << (8 * (last_bytes + 4'd4));
      end_d = end_d | ({96'd0, fcs} << (8 * last_bytes)) | {64'd0, last_data};
      end_c = 16'hFFFF << (last_bytes + 4'd4);
    end
  end

  always_comb begin
    state_d      = state_q;
    crc_d        = crc_q;
    pos_d        = pos_q;
    ipg_d        = ipg_q;
    dic_d        = dic_q;
    plan_dic_d   = plan_dic_q;
    plan_l4_d    = plan_l4_q;
    late_d       = late_q;
    shift_d      = shift_q;
    pos_t        = 5'd0;
    first_d      = first_q;
    bcast_d      = bcast_q;
    mcast_d      = mcast_q;
    spill_txd_d  = spill_txd_q;
    spill_txc_d  = spill_txc_q;
    txd_d        = IdleWord;
    txc_d        = 8'hFF;
    stat_tx_d    = 1'b0;
    stat_bc_d    = 1'b0;
    stat_mc_d    = 1'b0;
    stat_bytes_d = stat_bytes_q;
    underrun_d   = 1'b0;
    s_axis_tready = 1'b0;
    crc_data     = beat_data;
    crc_keep     = 8'hFF;
    last_data    = beat_data;
    last_bytes   = 4'd8;

    unique case (state_q)
      StIdle: begin
        if (s_axis_tvalid) begin
          txd_d   = StartWord;
          txc_d   = 8'h01;
          crc_d   = 32'hFFFF_FFFF;
          pos_d   = 16'd0;
          first_d = 1'b1;
          state_d = StData;
          // on time: the planned lane and DIC; late: lane 0, and the longer gap clears the deficit
          shift_d = !late_q && plan_l4_q;
          dic_d   = late_q ? 2'd0 : plan_dic_q;
          late_d  = 1'b0;
        end else begin
          late_d  = 1'b1;
        end
      end

      StData: begin
        s_axis_tready = 1'b1;
        if (!s_axis_tvalid) begin
          // underrun: /E/ then /T/; the rest of the frame is dropped
          txd_d      = {{6{CharIdle}}, CharTerm, CharErr};
          underrun_d = 1'b1;
          state_d    = StFlush;  // its idle words count towards the gap
          pos_t      = shift_q ? 5'd5 : 5'd1;  // /T/ in lane 1 of the aligned word
          ipg_d      = plan_off[4:3] - 2'd1;   // 0 or 1 words before the planned start
          plan_l4_d  = plan_off[2];
          plan_dic_d = plan_dic;
        end else begin
          first_d = 1'b0;
          if (first_q) begin
            bcast_d = beat_bcast;
            mcast_d = beat_mcast;
          end
          if (!s_axis_tlast || (pad_now && pos_q < 16'(MinLen - 4))) begin
            // a full word: data, or data followed by zero padding
            txd_d = beat_data;
            txc_d = 8'h00;
            crc_d = crc_next;
            pos_d = pos_q + 16'd8;
            if (s_axis_tlast) state_d = StPad;
          end else begin
            // the last word (padded to 60 bytes when pos_q = 56)
            last_bytes = pad_now ? 4'(MinLen % 8) : beat_bytes;
            crc_keep   = 8'hFF >> (4'd8 - last_bytes);
          end
        end
      end

      StPad: begin
        crc_data  = 64'd0;
        last_data = 64'd0;
        if (pos_q < 16'(MinLen - 4)) begin
          txd_d = 64'd0;
          txc_d = 8'h00;
          crc_d = crc_next;
          pos_d = pos_q + 16'd8;
        end else begin
          last_bytes = 4'(MinLen % 8);
          crc_keep   = 8'h0F;
        end
      end

      StSpill: begin
        txd_d   = spill_txd_q;
        txc_d   = spill_txc_q;
        ipg_d   = ipg_q - 2'd1;
        state_d = (ipg_q == 2'd1) ? StIdle : StIpg;
      end

      StIpg: begin
        ipg_d = ipg_q - 2'd1;
        if (ipg_q == 2'd1) state_d = StIdle;
      end

      StFlush: begin
        s_axis_tready = 1'b1;
        if (ipg_q == 2'd0) late_d = 1'b1;  // the planned start went by while flushing
        else ipg_d = ipg_q - 2'd1;
        if (s_axis_tvalid && s_axis_tlast) state_d = (ipg_q > 2'd1) ? StIpg : StIdle;
      end

      default: state_d = StIdle;
    endcase

    // End of frame: StData with the last beat, or StPad at the 60-byte mark.
    if (end_now) begin
      txd_d        = end_d[63:0];
      txc_d        = end_c[7:0];
      spill_txd_d  = end_d[127:64];
      spill_txc_d  = end_c[15:8];
      stat_tx_d    = 1'b1;
      stat_bc_d    = (state_q == StData) ? frame_bcast : bcast_q;
      stat_mc_d    = (state_q == StData) ? frame_mcast : mcast_q;
      stat_bytes_d = pos_q + {12'd0, last_bytes} + 16'd4;
      // /T/ at aligned byte last_bytes + 4 from this word's lane 0 (5..12), four more when shifted
      pos_t      = {1'b0, last_bytes} + (shift_q ? 5'd8 : 5'd4);
      ipg_d      = plan_off[4:3] - 2'd1;  // 1 or 2 words (the spill word counts) before the start
      plan_l4_d  = plan_off[2];
      plan_dic_d = plan_dic;
      state_d    = (last_bytes >= 4'd4) ? StSpill : StIpg;  // /T/ in the next word, or in this one
    end

    // The word on the wire: the aligned word, or for a lane-4 frame its lower half behind the
    // previous word's upper half.
    if (shift_d) begin
      out_d = {txd_d[31:0], hold_d_q};
      out_c = {txc_d[3:0], hold_c_q};
    end else begin
      out_d = txd_d;
      out_c = txc_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      crc_q        <= 32'hFFFF_FFFF;
      pos_q        <= 16'd0;
      ipg_q        <= 2'd0;
      dic_q        <= 2'd0;
      plan_dic_q   <= 2'd0;
      plan_l4_q    <= 1'b0;
      late_q       <= 1'b1;
      shift_q      <= 1'b0;
      hold_d_q     <= {4{CharIdle}};
      hold_c_q     <= 4'hF;
      first_q      <= 1'b0;
      bcast_q      <= 1'b0;
      mcast_q      <= 1'b0;
      spill_txd_q  <= IdleWord;
      spill_txc_q  <= 8'hFF;
      txd_q        <= IdleWord;
      txc_q        <= 8'hFF;
      stat_tx_q    <= 1'b0;
      stat_bc_q    <= 1'b0;
      stat_mc_q    <= 1'b0;
      stat_bytes_q <= 16'd0;
      underrun_q   <= 1'b0;
    end else begin
      state_q      <= state_d;
      crc_q        <= crc_d;
      pos_q        <= pos_d;
      ipg_q        <= ipg_d;
      dic_q        <= dic_d;
      plan_dic_q   <= plan_dic_d;
      plan_l4_q    <= plan_l4_d;
      late_q       <= late_d;
      shift_q      <= shift_d;
      hold_d_q     <= txd_d[63:32];
      hold_c_q     <= txc_d[7:4];
      first_q      <= first_d;
      bcast_q      <= bcast_d;
      mcast_q      <= mcast_d;
      spill_txd_q  <= spill_txd_d;
      spill_txc_q  <= spill_txc_d;
      txd_q        <= out_d;
      txc_q        <= out_c;
      stat_tx_q    <= stat_tx_d;
      stat_bc_q    <= stat_bc_d;
      stat_mc_q    <= stat_mc_d;
      stat_bytes_q <= stat_bytes_d;
      underrun_q   <= underrun_d;
    end
  end

  assign idle_o = (state_q == StIdle) && !s_axis_tvalid && late_q && (txd_q == IdleWord) && (txc_q == 8'hFF) &&
                  (hold_d_q == {4{CharIdle}}) && (hold_c_q == 4'hF) && !stat_tx_q && !stat_bc_q && !stat_mc_q && !underrun_q;

  assign xgmii_txd_o     = txd_q;
  assign xgmii_txc_o     = txc_q;
  assign stat_tx_o       = stat_tx_q;
  assign stat_tx_bytes_o = stat_bytes_q;
  assign stat_tx_bcast_o = stat_bc_q;
  assign stat_tx_mcast_o = stat_mc_q;
  assign stat_underrun_o = underrun_q;

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && state_q == StData && s_axis_tvalid && s_axis_tlast) begin
      assert (s_axis_tkeep != 8'h00 && ((s_axis_tkeep & (s_axis_tkeep + 8'd1)) == 8'h00))
        else $error("nic_mac_tx: last tkeep %02x not contiguous from bit 0", s_axis_tkeep);
    end
    if (rst_ni && state_q == StData && s_axis_tvalid && !s_axis_tlast) begin
      assert (s_axis_tkeep == 8'hFF) else $error("nic_mac_tx: partial tkeep before tlast");
    end
    // a planned start is in lane 0 or 4
    assert (plan_off[1:0] == 2'd0) else $error("nic_mac_tx: planned start %0d not in lane 0 or 4", plan_off);
    // the shift changes only at a start word, and the held half it drops or puts in front is idle
    if (rst_ni && shift_d != shift_q) begin
      assert (state_q == StIdle && hold_d_q == {4{CharIdle}} && hold_c_q == 4'hF)
        else $error("nic_mac_tx: lane shift changed with data in the held half");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_underrun: cover property (@(posedge clk_i) disable iff (!rst_ni) underrun_d);
  cov_start_lane4: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && shift_d);
  cov_start_late_lane0: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && late_q && shift_q);
  cov_underrun_lane4: cover property (@(posedge clk_i) disable iff (!rst_ni) underrun_d && shift_q);
  cov_dic_0: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && dic_d == 2'd0);
  cov_dic_1: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && dic_d == 2'd1);
  cov_dic_2: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && dic_d == 2'd2);
  cov_dic_3: cover property (@(posedge clk_i) disable iff (!rst_ni) state_q == StIdle && s_axis_tvalid && dic_d == 2'd3);
  cov_pad_short_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) pad_now && s_axis_tvalid && s_axis_tready && s_axis_tlast);
`endif
  // ==== end cover points ====
endmodule
