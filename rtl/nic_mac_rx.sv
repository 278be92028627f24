// 10G MAC receiver: 64-bit XGMII to frame stream with FCS check, length checks, address filter and FCS strip.
//
// A frame starts with /S/ in lane 0 or lane 4 (802.3 clause 46, 64-bit XGMII). The preamble and SFD
// bytes after /S/ are not checked (a data byte in their lanes is taken as preamble). A lane-4 start
// switches the input to a realigned word stream: each word is the upper half of the previous input
// word (held one cycle) below the lower half of the current one, so the start word and frame byte k
// arrive in lane k%8 as for a lane-0 start, half a word (one cycle) later; a lane-0 start switches
// back (in a legal stream the held half is then idle). Each data word is held for one cycle: only the
// next word tells whether it is the last beat (/T/ in lane 0 of the next word) or, with SECRC, how
// many of its bytes are FCS. When the word with /T/ (or an error character) arrives, the verdict is
// known (the CRC of its bytes is computed in that cycle, the filter result from the DA captured at
// the first data word) and goes out with the last beat; the stats pulse in the same cycle. Bytes
// of that word still to deliver go out one cycle later as the last beat.
// The XGMII input is registered first (xd_q/xc_q): nothing depends on the port in the cycle a word
// arrives, so the model's input pass evaluates none of this block (docs/hw-design.md, "Inputs registered").
// Latency: the first beat is on m_axis three cycles after the start word is on the port (four for
// a lane-4 start); then one beat per data word, two cycles behind it (three for a lane-4 frame). There is no tready: the consumer must always accept.
// A frame with an 802.1Q tag (TPID = VET, 0x8100 by default, in bytes 12-13) may be MFS + 4 bytes
// long: MFS counts the untagged frame, as on Intel's 10G MACs (802.3's 1518 / 1522 rule). With
// RCTL.VFE, a tagged frame whose VID (bytes 14-15, low 12 bits) has its VFTA bit clear fails the
// filter like an address mismatch, and stat_vlan_drop_o counts it (when its FCS and length are good).
// 802.3x: a frame to 01-80-C2-00-00-01 with type 0x8808 and opcode 0x0001 (PAUSE) is never
// delivered, whatever the filter settings; a valid one (good FCS, legal length) pulses pause_rx_o
// with its pause time (bytes 16-17) together with the stats, and is not counted as good.
module nic_mac_rx (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic [63:0]       xgmii_rxd_i,
  input  logic [7:0]        xgmii_rxc_i,
  // configuration (RCTL, MFS, RAL/RAH)
  input  logic              sbp_i,
  input  logic              upe_i,
  input  logic              mpe_i,
  input  logic              bam_i,
  input  logic [1:0]        mo_i,
  input  logic              secrc_i,
  input  logic [15:0]       mfs_i,
  input  logic [16*48-1:0]  ra_addr_i,      // entry n in [48n+47:48n], MAC byte 0 in bits 7:0
  input  logic [15:0]       ra_valid_i,
  // MTA lookup (combinational)
  output logic [6:0]        mta_idx_o,
  input  logic [31:0]       mta_word_i,
  // VLAN: VET, RCTL.VFE and the VFTA lookup (combinational)
  input  logic [15:0]       vet_i,
  input  logic              vfe_i,
  output logic [6:0]        vfta_idx_o,
  input  logic [31:0]       vfta_word_i,
  // frame stream: DA..FCS, or DA..payload with secrc_i
  output logic [63:0]       m_axis_tdata,
  output logic [7:0]        m_axis_tkeep,
  output logic              m_axis_tvalid,
  output logic              m_axis_tlast,
  output logic              m_axis_tuser,   // at tlast: drop
  output logic              m_axis_tflag,   // at tlast: FCS bad (delivered because of SBP)
  // stats, one-cycle pulses at frame end
  output logic              stat_rx_o,
  output logic [15:0]       stat_rx_bytes_o,
  output logic              stat_good_o,
  output logic              stat_bcast_o,
  output logic              stat_mcast_o,
  output logic              stat_crcerr_o,
  output logic              stat_runt_o,
  output logic              stat_oversize_o,
  output logic              stat_vlan_drop_o,  // dropped by the VLAN filter (VFTA)
  output logic              pause_rx_o,      // a valid PAUSE frame (with the stats)
  output logic [15:0]       pause_quanta_o,  // its pause time, valid with pause_rx_o
  // no frame being received or delivered, no statistics pulse (an idle line keeps it so)
  output logic              idle_o
);
  localparam logic [7:0]  CharStart = 8'hFB;
  localparam logic [7:0]  CharTerm  = 8'hFD;
  localparam logic [31:0] CrcResidue = 32'hDEBB_20E3;  // running state after a frame with a good FCS
  localparam logic [15:0] MinFrame  = 16'(nic_reg_pkg::EthMinFrame + nic_reg_pkg::EthFcsLen);  // 64

  // ---------------------------------------------------------------------------------------------
  // Lane-4 realignment: rxd/rxc is the input word, or with shift_q the previous word's upper half
  // below this word's lower half. A lane-0 start word is always taken as it is.
  localparam logic [31:0] IdleHalf = {4{8'h07}};
  logic [63:0] xd_q;         // the input word of the cycle before
  logic [7:0]  xc_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      xd_q <= {IdleHalf, IdleHalf};
      xc_q <= 8'hFF;
    end else begin
      xd_q <= xgmii_rxd_i;
      xc_q <= xgmii_rxc_i;
    end
  end
  logic        shift_q;      // the current frame started in lane 4
  logic [31:0] hold_hi_q;    // upper half of the previous input word
  logic [3:0]  hold_hc_q;
  logic        raw_start0, raw_start4, use_shift;
  logic [63:0] rxd;
  logic [7:0]  rxc;
  assign raw_start0 = xc_q == 8'h01 && xd_q[7:0] == CharStart;
  assign raw_start4 = xc_q[7:4] == 4'h1 && xd_q[39:32] == CharStart;
  assign use_shift  = shift_q && !raw_start0;
  assign rxd        = use_shift ? {xd_q[31:0], hold_hi_q} : xd_q;
  assign rxc        = use_shift ? {xc_q[3:0], hold_hc_q} : xc_q;

  // ---------------------------------------------------------------------------------------------
  // Decode the (realigned) input word
  logic       is_start;    // /S/ in lane 0, data in lanes 1-7
  logic [3:0] ctrl_lane;   // first lane with a control character, 8 if none
  logic [7:0] ctrl_char;
  logic       is_data, is_end, is_err;

  assign is_start = rxc == 8'h01 && rxd[7:0] == CharStart;

  // Combinational logic costs the simulation (Verilator) every cycle, used or not: the word is
  // decoded only inside a frame (outside one only is_start is read), so between frames ctrl_lane
  // reads 8 (a data word) and is_err 0, values nothing reads there.
  always_comb begin
    ctrl_lane = 4'd8;
    ctrl_char = CharTerm;
    if (in_frame_q) begin
      casez (rxc)
        8'b???????1: ctrl_lane = 4'd0;
        8'b??????10: ctrl_lane = 4'd1;
        8'b?????100: ctrl_lane = 4'd2;
        8'b????1000: ctrl_lane = 4'd3;
        8'b???10000: ctrl_lane = 4'd4;
        8'b??100000: ctrl_lane = 4'd5;
        8'b?1000000: ctrl_lane = 4'd6;
        8'b10000000: ctrl_lane = 4'd7;
        default:     ctrl_lane = 4'd8;
      endcase
      ctrl_char = rxd[8*ctrl_lane[2:0] +: 8];
    end
  end
  assign is_data   = ctrl_lane == 4'd8;
  assign is_end    = !is_data;                      // /T/ or an error character ends the frame
  assign is_err    = !is_data && ctrl_char != CharTerm;

  // ---------------------------------------------------------------------------------------------
  // State
  logic        in_frame_q;
  logic [31:0] crc_q;
  logic [15:0] cnt_q;        // frame bytes so far (saturating)
  logic [47:0] da_q;
  logic        vlan_q;       // TPID (VET) seen in bytes 12-13
  logic [11:0] vid_q;        // ... and the VID of its tag
  logic        mac_ctl_q;    // bytes 12-15: type 0x8808, opcode 0x0001 (PAUSE)
  logic [15:0] pause_time_q; // bytes 16-17
  logic        st_pause_q;
  logic [15:0] st_quanta_q;
  logic [63:0] hold_q;       // last data word, not yet sent
  logic        hold_v_q;
  logic [63:0] tail_data_q;  // bytes of the end word, sent the cycle after it
  logic [7:0]  tail_keep_q;
  logic        tail_v_q, tail_user_q, tail_flag_q;

  logic [63:0] out_data_q;
  logic [7:0]  out_keep_q;
  logic        out_valid_q, out_last_q, out_user_q;
  logic        out_flag_q;

  logic        st_rx_q, st_good_q, st_bc_q, st_mc_q;
  logic        st_crc_q, st_runt_q, st_over_q, st_vdrop_q;
  logic [15:0] st_bytes_q;

  // ---------------------------------------------------------------------------------------------
  // CRC over the data bytes of this word
  logic [7:0]  crc_keep;
  logic [31:0] crc_next;
  // between frames no byte is taken (nic_crc32 then does no work; crc_next is not read there)
  assign crc_keep = !in_frame_q ? 8'h00 : is_data ? 8'hFF : (8'hFF >> (4'd8 - ctrl_lane));

  nic_crc32 u_crc (
    .crc_i  (crc_q),
    .data_i (rxd),
    .keep_i (crc_keep),
    .crc_o  (crc_next)
  );

  // ---------------------------------------------------------------------------------------------
  // Verdict for a frame ending in this word (fin): the address filter on the DA captured from the
  // first data word, the length checks and the FCS. Nothing of it is read outside fin (the always_ff
  // and the cover points read it only with in_frame_q && is_end), so it is computed only then and
  // is 0 otherwise, mta_idx_o included (its MTA word is read only here).
  logic        fin;
  logic [11:0] mta_hash;
  logic        da_bcast, da_mcast, ra_hit, mta_hit, addr_pass, vlan_pass, filter_pass;
  logic [15:0] len;
  logic [16:0] len_sum, len_max;
  logic        crc_bad, runt, oversize, drop;
  logic        is_pause;    // a PAUSE frame: never delivered
  // Bytes of the end word still to deliver: ctrl_lane, less the FCS with SECRC (<= 0: the held word
  // is the last beat, with that many of its bytes stripped).
  logic signed [4:0] end_bytes;
  logic [7:0]        hold_last_keep, tail_keep;

  function automatic logic ra_match(input logic [16*48-1:0] addr, input logic [15:0] valid,
                                    input logic [47:0] da);
    ra_match = 1'b0;
    for (int unsigned n = 0; n < 16; n++) begin
      if (valid[n] && addr[48*n +: 48] == da) ra_match = 1'b1;
    end
  endfunction

  assign fin        = in_frame_q && is_end;
  assign vfta_idx_o = vid_q[11:5];

  // (the MTA lookup goes out and its word comes back: a block of its own)
  always_comb begin
    mta_hash = 12'd0;
    if (fin) begin
      unique case (mo_i)
        2'd0:    mta_hash = {da_q[47:40], da_q[39:36]};
        2'd1:    mta_hash = {da_q[46:40], da_q[39:35]};
        2'd2:    mta_hash = {da_q[45:40], da_q[39:34]};
        2'd3:    mta_hash = {da_q[43:40], da_q[39:32]};
        default: mta_hash = 12'd0;
      endcase
    end
  end
  assign mta_idx_o = mta_hash[11:5];

  always_comb begin
    mta_hit        = 1'b0;
    ra_hit         = 1'b0;
    da_bcast       = 1'b0;
    da_mcast       = 1'b0;
    addr_pass      = 1'b0;
    vlan_pass      = 1'b0;
    filter_pass    = 1'b0;
    len_sum        = '0;
    len            = '0;
    crc_bad        = 1'b0;
    runt           = 1'b0;
    len_max        = '0;
    oversize       = 1'b0;
    is_pause       = 1'b0;
    drop           = 1'b0;
    end_bytes      = '0;
    hold_last_keep = '0;
    tail_keep      = '0;
    if (fin) begin
      mta_hit     = mta_word_i[mta_hash[4:0]];
      ra_hit      = ra_match(ra_addr_i, ra_valid_i, da_q);
      da_bcast    = da_q == 48'hFFFF_FFFF_FFFF;
      da_mcast    = da_q[0] && !da_bcast;
      addr_pass   = ra_hit || (da_bcast && bam_i) || (da_mcast && (mpe_i || mta_hit)) ||
                    (!da_bcast && !da_mcast && upe_i);
      vlan_pass   = !(vfe_i && vlan_q && !vfta_word_i[vid_q[4:0]]);
      filter_pass = addr_pass && vlan_pass;

      len_sum  = {1'b0, cnt_q} + {13'd0, ctrl_lane[2:0]};
      len      = len_sum[16] ? 16'hFFFF : len_sum[15:0];
      crc_bad  = is_err || crc_next != CrcResidue;
      runt     = len < MinFrame;
      len_max  = {1'b0, mfs_i} + (vlan_q ? 17'd4 : 17'd0);  // VLAN_HLEN beyond MFS when tagged
      oversize = {1'b0, len} > len_max;
      is_pause = mac_ctl_q && da_q == 48'h01_00_00_C2_80_01;
      drop     = (crc_bad && !sbp_i) || is_err || runt || oversize || !filter_pass || is_pause;

      end_bytes      = $signed({1'b0, ctrl_lane}) - (secrc_i ? 5'sd4 : 5'sd0);
      hold_last_keep = 8'hFF >> (-end_bytes);
      tail_keep      = 8'hFF >> (5'sd8 - end_bytes);
    end
  end

  function automatic logic [63:0] mask_bytes(input logic [63:0] d, input logic [7:0] keep);
    for (int unsigned i = 0; i < 8; i++) begin
      mask_bytes[8*i +: 8] = keep[i] ? d[8*i +: 8] : 8'h00;
    end
  endfunction

  // Something to do at this edge: a frame word, a start word, a tail beat, a beat or pulse to clear.
  logic active;
  assign active = in_frame_q || is_start || tail_v_q || out_valid_q || st_rx_q;

  // Next state, computed at the edge: in the Verilated model a combinational next state of the
  // XGMII input would be evaluated twice per cycle (when the input changes and after the edge).
  always_ff @(posedge clk_i) begin
    logic        in_frame_d;
    logic [31:0] crc_d;
    logic [15:0] cnt_d;
    logic [47:0] da_d;
    logic        vlan_d;
    logic [11:0] vid_d;
    logic        mac_ctl_d;
    logic [15:0] pause_time_d;
    logic        st_pause_d;
    logic [63:0] hold_d;
    logic        hold_v_d;
    logic [63:0] tail_data_d;
    logic [7:0]  tail_keep_d;
    logic        tail_v_d;
    logic        tail_user_d;
    logic        tail_flag_d;
    logic [63:0] out_data_d;
    logic [7:0]  out_keep_d;
    logic        out_valid_d;
    logic        out_last_d;
    logic        out_user_d;
    logic        out_flag_d;
    logic        st_rx_d;
    logic        st_good_d;
    logic        st_bc_d;
    logic        st_mc_d;
    logic        st_crc_d;
    logic        st_runt_d;
    logic        st_over_d;
    logic        st_vdrop_d;
    logic [15:0] st_bytes_d;
    if (!rst_ni) begin
      shift_q     <= 1'b0;
      hold_hi_q   <= IdleHalf;
      hold_hc_q   <= 4'hF;
      in_frame_q  <= 1'b0;
      crc_q       <= 32'hFFFF_FFFF;
      cnt_q       <= 16'd0;
      da_q        <= 48'd0;
      vlan_q      <= 1'b0;
      vid_q       <= 12'd0;
      mac_ctl_q   <= 1'b0;
      pause_time_q <= 16'd0;
      st_pause_q  <= 1'b0;
      st_quanta_q <= 16'd0;
      hold_q      <= 64'd0;
      hold_v_q    <= 1'b0;
      tail_v_q    <= 1'b0;
      tail_data_q <= 64'd0;
      tail_keep_q <= 8'd0;
      tail_user_q <= 1'b0;
      tail_flag_q <= 1'b0;
      out_valid_q <= 1'b0;
      out_data_q  <= 64'd0;
      out_keep_q  <= 8'd0;
      out_last_q  <= 1'b0;
      out_user_q  <= 1'b0;
      out_flag_q  <= 1'b0;
      st_rx_q     <= 1'b0;
      st_good_q   <= 1'b0;
      st_bc_q     <= 1'b0;
      st_mc_q     <= 1'b0;
      st_crc_q    <= 1'b0;
      st_runt_q   <= 1'b0;
      st_over_q   <= 1'b0;
      st_vdrop_q  <= 1'b0;
      st_bytes_q  <= 16'd0;
    end else begin
      shift_q     <= raw_start4 ? 1'b1 : raw_start0 ? 1'b0 : shift_q;
      hold_hi_q   <= xd_q[63:32];
      hold_hc_q   <= xc_q[7:4];
      // Between frames, with no beat, tail or pulse pending, the state stays as it is: skipped.
      if (active) begin
        in_frame_d  = in_frame_q;
        crc_d       = crc_q;
        cnt_d       = cnt_q;
        da_d        = da_q;
        vlan_d      = vlan_q;
        vid_d       = vid_q;
        mac_ctl_d   = mac_ctl_q;
        pause_time_d = pause_time_q;
        st_pause_d  = 1'b0;
        hold_d      = hold_q;
        hold_v_d    = hold_v_q;
        tail_v_d    = 1'b0;
        tail_data_d = tail_data_q;
        tail_keep_d = tail_keep_q;
        tail_user_d = tail_user_q;
        tail_flag_d = tail_flag_q;

        out_valid_d = 1'b0;
        out_data_d  = out_data_q;
        out_keep_d  = out_keep_q;
        out_last_d  = 1'b0;
        out_user_d  = 1'b0;
        out_flag_d  = 1'b0;

        st_rx_d    = 1'b0;
        st_good_d  = 1'b0;
        st_bc_d    = 1'b0;
        st_mc_d    = 1'b0;
        st_crc_d   = 1'b0;
        st_runt_d  = 1'b0;
        st_over_d  = 1'b0;
        st_vdrop_d = 1'b0;
        st_bytes_d = st_bytes_q;

        // the end word's bytes left over from the previous cycle
        if (tail_v_q) begin
          out_valid_d = 1'b1;
          out_data_d  = tail_data_q;
          out_keep_d  = tail_keep_q;
          out_last_d  = 1'b1;
          out_user_d  = tail_user_q;
          out_flag_d  = tail_flag_q;
        end

        if (in_frame_q && is_data) begin
          if (hold_v_q) begin
            out_valid_d = 1'b1;
            out_data_d  = hold_q;
            out_keep_d  = 8'hFF;
          end else begin
            da_d = rxd[47:0];
          end
          if (hold_v_q && cnt_q == 16'd8) begin  // bytes 12, 13: VET (81 00); 14, 15: PCP, DEI, VID
            vlan_d = rxd[47:32] == {vet_i[7:0], vet_i[15:8]};
            vid_d  = {rxd[51:48], rxd[63:56]};
          end
          if (hold_v_q && cnt_q == 16'd8) mac_ctl_d = rxd[63:32] == 32'h0100_0888;  // 88 08 00 01
          if (cnt_q == 16'd16) pause_time_d = {rxd[7:0], rxd[15:8]};
          hold_d   = rxd;
          hold_v_d = 1'b1;
          crc_d    = crc_next;
          cnt_d    = (cnt_q > 16'hFFF7) ? 16'hFFFF : cnt_q + 16'd8;
        end else if (in_frame_q && is_end) begin
          if (end_bytes <= 5'sd0) begin
            if (hold_v_q) begin
              out_valid_d = 1'b1;
              out_data_d  = mask_bytes(hold_q, hold_last_keep);
              out_keep_d  = hold_last_keep;
              out_last_d  = 1'b1;
              out_user_d  = drop;
              out_flag_d  = crc_bad;
            end
          end else begin
            if (hold_v_q) begin
              out_valid_d = 1'b1;
              out_data_d  = hold_q;
              out_keep_d  = 8'hFF;
            end
            tail_v_d    = 1'b1;
            tail_data_d = mask_bytes(rxd, tail_keep);
            tail_keep_d = tail_keep;
            tail_user_d = drop;
            tail_flag_d = crc_bad;
          end
          hold_v_d   = 1'b0;
          in_frame_d = 1'b0;

          st_rx_d    = 1'b1;
          st_bytes_d = len;
          st_crc_d   = crc_bad;
          st_runt_d  = !crc_bad && runt;
          st_over_d  = !crc_bad && oversize;
          st_good_d  = !crc_bad && !runt && !oversize && filter_pass && !is_pause;
          st_vdrop_d = !crc_bad && !runt && !oversize && addr_pass && !vlan_pass;
          st_bc_d    = !crc_bad && !runt && !oversize && filter_pass && !is_pause && da_bcast;
          st_mc_d    = !crc_bad && !runt && !oversize && filter_pass && !is_pause && da_mcast;
          st_pause_d = !crc_bad && !runt && !oversize && is_pause;
        end

        // a start word begins a frame (also right where an error character ended one)
        if (is_start && (!in_frame_q || is_err)) begin
          in_frame_d = 1'b1;
          crc_d      = 32'hFFFF_FFFF;
          cnt_d      = 16'd0;
          vlan_d     = 1'b0;
          mac_ctl_d  = 1'b0;
          hold_v_d   = 1'b0;
        end

        in_frame_q  <= in_frame_d;
        crc_q       <= crc_d;
        cnt_q       <= cnt_d;
        da_q        <= da_d;
        vlan_q      <= vlan_d;
        vid_q       <= vid_d;
        mac_ctl_q   <= mac_ctl_d;
        pause_time_q <= pause_time_d;
        st_pause_q  <= st_pause_d;
        if (st_pause_d) st_quanta_q <= pause_time_q;
        hold_q      <= hold_d;
        hold_v_q    <= hold_v_d;
        tail_v_q    <= tail_v_d;
        tail_data_q <= tail_data_d;
        tail_keep_q <= tail_keep_d;
        tail_user_q <= tail_user_d;
        tail_flag_q <= tail_flag_d;
        out_valid_q <= out_valid_d;
        out_data_q  <= out_data_d;
        out_keep_q  <= out_keep_d;
        out_last_q  <= out_last_d;
        out_user_q  <= out_user_d;
        out_flag_q  <= out_flag_d;
        st_rx_q     <= st_rx_d;
        st_good_q   <= st_good_d;
        st_bc_q     <= st_bc_d;
        st_mc_q     <= st_mc_d;
        st_crc_q    <= st_crc_d;
        st_runt_q   <= st_runt_d;
        st_over_q   <= st_over_d;
        st_vdrop_q  <= st_vdrop_d;
        st_bytes_q  <= st_bytes_d;
      end
    end
  end

  // (a held word is only there inside a frame, and every statistics pulse comes with st_rx_q, so
  // neither needs a term of its own)
  assign idle_o = !in_frame_q && xd_q == {IdleHalf, IdleHalf} && xc_q == 8'hFF &&
                  hold_hi_q == IdleHalf && hold_hc_q == 4'hF && !tail_v_q && !out_valid_q && !st_rx_q;

  assign m_axis_tvalid   = out_valid_q;
  assign m_axis_tdata    = out_data_q;
  assign m_axis_tkeep    = out_keep_q;
  assign m_axis_tlast    = out_last_q;
  assign m_axis_tuser    = out_user_q;
  assign m_axis_tflag    = out_flag_q;
  assign stat_rx_o       = st_rx_q;
  assign stat_rx_bytes_o = st_bytes_q;
  assign stat_good_o     = st_good_q;
  assign stat_bcast_o    = st_bc_q;
  assign stat_mcast_o    = st_mc_q;
  assign stat_crcerr_o   = st_crc_q;
  assign stat_runt_o     = st_runt_q;
  assign stat_oversize_o = st_over_q;
  assign stat_vlan_drop_o = st_vdrop_q;
  assign pause_rx_o      = st_pause_q;
  assign pause_quanta_o  = st_quanta_q;

`ifndef SYNTHESIS
  // The tail beat goes out in the cycle after an end word, when no held word can be pending.
  always_ff @(posedge clk_i) begin
    if (rst_ni && tail_v_q) begin
      assert (!(in_frame_q && hold_v_q)) else $error("nic_mac_rx: tail beat collides with a held word");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_start_lane4: cover property (@(posedge clk_i) disable iff (!rst_ni) !in_frame_q && is_start && use_shift);
  cov_lane4_frame_good: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && shift_q && !crc_bad);
  cov_lane4_frame_bad_fcs: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && shift_q && crc_bad);
  cov_runt: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && runt);
  cov_oversize: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && oversize);
  cov_vlan_over_mfs_accepted: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && vlan_q && ({1'b0, len} > {1'b0, mfs_i}) && !oversize);
  cov_bad_fcs: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && crc_bad);
  cov_bad_fcs_delivered_sbp: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && crc_bad && !drop);
  cov_vlan_filter_drop: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && !crc_bad && addr_pass && !vlan_pass);
  cov_vlan_filter_pass: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && !crc_bad && vfe_i && vlan_q && vlan_pass);
  cov_filter_drop: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && !filter_pass);
  cov_error_char_in_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_err);
  cov_start_word_ends_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_start);
  cov_pause_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && is_pause && !crc_bad);
  cov_pause_frame_filter_open: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && is_pause && filter_pass && (upe_i || mpe_i || sbp_i));
  cov_secrc_nothing_to_deliver: cover property (@(posedge clk_i) disable iff (!rst_ni) in_frame_q && is_end && secrc_i && len <= 16'd4);
`endif
  // ==== end cover points ====
endmodule
