// RX checksum offload: checks the IPv4 header and TCP/UDP checksums of each frame as it streams into the RX DMA; the result is valid with the frame's last beat.
//
// The block only watches the stream (no added latency). Parsing: Ethernet type at byte 12; one
// 802.1Q tag (type 0x8100) moves the IP header from byte 14 to 18. An IPv4 header (version 4,
// IHL >= 5, all of it inside the frame) is checked when RXCSUM.IPOFL is set: IPCS, and IPE when its
// ones' complement sum is not 0xFFFF. A TCP or UDP datagram is checked when RXCSUM.TUOFL is set and
// the packet is not a fragment (MF = 0, offset 0), the whole datagram (IP total length) lies in the
// frame and is long enough to hold its checksum field, and (UDP) the checksum field is not 0 ("no
// checksum"): TCPCS, and TCPE when the sum over the pseudo-header and the datagram is not 0xFFFF.
// With either enable set and nothing checked, IXSM is set; with RXCSUM = 0 nothing is reported.
// Bytes past the IP total length (Ethernet padding, a kept FCS) are not summed.
module nic_rx_csum (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 ipofl_i,    // RXCSUM.IPOFL
  input  logic                 tuofl_i,    // RXCSUM.TUOFL
  // the frame stream (observed)
  input  logic [63:0]          s_axis_tdata,
  input  logic [7:0]           s_axis_tkeep,
  input  logic                 s_axis_tvalid,
  input  logic                 s_axis_tready,
  input  logic                 s_axis_tlast,
  // result, valid with the last beat
  output nic_dma_pkg::rx_csum_t csum_o,
  output logic                 quiet_o      // between frames, state at zero
);
  import nic_dma_pkg::*;

  localparam int unsigned HdrBytes = 40;  // Ethernet + 802.1Q tag + the fixed 20-byte IPv4 header

  logic [13:0] off_q, off_d;
  logic [7:0]  hdr_q [HdrBytes];
  logic [31:0] ip_sum_q, ip_sum_d, l4_sum_q, l4_sum_d;
  logic        ucs_nz_q, ucs_nz_d, ucs_nz_now;  // a byte of the UDP checksum field was not zero

  logic        beat, fin, vlan, is_ip, is_l4, is_udp, frag, len_ok, ip_good, l4_good;
  logic [15:0] l3, etype, totlen, ip_hlen, l4, l4len;
  logic [16:0] dgram_end;
  logic [3:0]  ihl;
  logic [7:0]  proto, vihl;
  /* verilator lint_off UNUSEDSIGNAL */  // the flags' reserved and DF bits
  logic [15:0] fragw;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [14:0] flen;
  logic [3:0]  nkeep;
  logic [19:0] ip_beat, l4_beat;
  logic [31:0] ip_tot, l4_tot, pseudo;

  // A header byte: from the current beat when it is in it, else from the bytes kept so far.
  // (one conditional expression: Verilator 5.006 does not count an `if` that returns early from a
  // function, docs/coverage.md)
  // (reads the beat and hdr_q itself: an unpacked array passed as an argument is copied, all 40
  // bytes, at every call in the simulation)
  function automatic logic [7:0] hb(int unsigned k);
    return (k >= 32'(off_q) && k < 32'(off_q) + 8) ? s_axis_tdata[8*(k - 32'(off_q)) +: 8] : hdr_q[k];
  endfunction

  // Combinational logic costs the simulation (Verilator) every cycle: the sums are computed only with a beat
  // present (tvalid), the result's parsing and checks only at the last beat (fin). Outside those
  // cycles nothing below is used (the result is 0 unless fin, the sums move only on a beat), so
  // the values are 0 there.
  always_comb begin
    // the result does not depend on tready (the consumer's tready may depend on it)
    fin        = s_axis_tvalid && s_axis_tlast;
    vlan       = 1'b0;
    l3         = '0;
    etype      = '0;
    vihl       = '0;
    ihl        = '0;
    is_ip      = 1'b0;
    ip_hlen    = '0;
    totlen     = '0;
    fragw      = '0;
    frag       = 1'b0;
    proto      = '0;
    is_udp     = 1'b0;
    l4         = '0;
    dgram_end  = '0;
    l4len      = '0;
    ip_beat    = '0;
    l4_beat    = '0;
    nkeep      = '0;
    ucs_nz_now = ucs_nz_q;
    ip_tot     = ip_sum_q;
    l4_tot     = l4_sum_q;
    flen       = '0;
    pseudo     = '0;
    len_ok     = 1'b0;
    ip_good    = 1'b0;
    is_l4      = 1'b0;
    l4_good    = 1'b0;
    csum_o     = '0;
    if (s_axis_tvalid) begin
      vlan    = {hb(12), hb(13)} == 16'h8100;
      l3      = vlan ? 16'd18 : 16'd14;
      vihl    = hb(32'(l3));
      ihl     = vihl[3:0];
      ip_hlen = {10'd0, ihl, 2'd0};
      totlen  = {hb(32'(l3) + 2), hb(32'(l3) + 3)};
      l4      = l3 + ip_hlen;
      dgram_end = 17'(l3) + 17'(totlen);  // one past the datagram's last byte

      // per-beat sums: IP header [l3, l4), datagram [l4, dgram_end); l3 and l4 are even, so the
      // words are the frame's even-aligned ones
      ip_beat = csum_beat(s_axis_tdata, s_axis_tkeep, off_q, 17'(l3), 17'(l4), 1'b0, '0);
      l4_beat = csum_beat(s_axis_tdata, s_axis_tkeep, off_q, 17'(l4), dgram_end, 1'b0, '0);
      for (int i = 0; i < 8; i++) begin
        nkeep = nkeep + 4'(s_axis_tkeep[i]);
        if (s_axis_tkeep[i] && (16'(off_q) + 16'(i) == l4 + 16'd6 || 16'(off_q) + 16'(i) == l4 + 16'd7) &&
            s_axis_tdata[8*i +: 8] != '0)
          ucs_nz_now = 1'b1;
      end
      ip_tot = ip_sum_q + 32'(ip_beat);
      l4_tot = l4_sum_q + 32'(l4_beat);
    end

    if (fin) begin
      if (vlan) etype = {hb(16), hb(17)};  // (an if: both calls of a conditional would run)
      else etype = {hb(12), hb(13)};
      is_ip  = etype == 16'h0800 && vihl[7:4] == 4'd4 && ihl >= 4'd5;
      fragw  = {hb(32'(l3) + 6), hb(32'(l3) + 7)};
      frag   = fragw[13] || fragw[12:0] != '0;  // MF, or a fragment offset
      proto  = hb(32'(l3) + 9);
      is_udp = proto == 8'd17;
      l4len  = totlen - ip_hlen;
      flen   = 15'(off_q) + 15'(nkeep);

      // pseudo-header: source and destination address, protocol, TCP/UDP length
      pseudo = 32'(proto) + 32'(l4len);
      for (int unsigned k = 12; k < 20; k += 2)
        pseudo = pseudo + 32'({hb(32'(l3) + k), hb(32'(l3) + k + 1)});

      len_ok  = is_ip && 17'(l4) <= 17'(flen);
      ip_good = csum_fold(ip_tot) == 16'hFFFF;
      is_l4   = len_ok && !frag && (proto == 8'd6 || is_udp) && totlen >= ip_hlen &&
                l4len >= (is_udp ? 16'd8 : 16'd18) && dgram_end <= 17'(flen) &&
                !(is_udp && !ucs_nz_now);
      l4_good = csum_fold(l4_tot + pseudo) == 16'hFFFF;

      csum_o.ipcs  = ipofl_i && len_ok;
      csum_o.ipe   = ipofl_i && len_ok && !ip_good;
      csum_o.tcpcs = tuofl_i && is_l4;
      csum_o.tcpe  = tuofl_i && is_l4 && !l4_good;
      csum_o.ixsm  = (ipofl_i || tuofl_i) && !csum_o.ipcs && !csum_o.tcpcs;
    end
  end

  always_comb begin
    beat     = s_axis_tvalid && s_axis_tready;
    off_d    = off_q;
    ucs_nz_d = ucs_nz_q;
    ip_sum_d = ip_sum_q;
    l4_sum_d = l4_sum_q;
    if (beat) begin
      off_d    = off_q + 14'd8;
      ip_sum_d = ip_tot;
      l4_sum_d = l4_tot;
      ucs_nz_d = ucs_nz_now;
    end
    if (beat && s_axis_tlast) begin
      off_d    = '0;
      ip_sum_d = '0;
      l4_sum_d = '0;
      ucs_nz_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      off_q    <= '0;
      ip_sum_q <= '0;
      l4_sum_q <= '0;
      ucs_nz_q <= 1'b0;
    end else begin
      off_q    <= off_d;
      ip_sum_q <= ip_sum_d;
      l4_sum_q <= l4_sum_d;
      ucs_nz_q <= ucs_nz_d;
    end
  end

  // the header bytes kept so far (no reset: read only once written in the same frame)
  always_ff @(posedge clk_i) begin
    if (beat && 32'(off_q) < HdrBytes) begin  // (not evaluated for the beats past the header)
      for (int i = 0; i < 8; i++) begin
        if (32'(off_q) + 32'(i) < HdrBytes) hdr_q[32'(off_q) + 32'(i)] <= s_axis_tdata[8*i +: 8];
      end
    end
  end

  assign quiet_o = (off_q == '0) && (ip_sum_q == '0) && (l4_sum_q == '0) && !ucs_nz_q;
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_ip_checked_good: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.ipcs && !csum_o.ipe);
  cov_ip_checked_bad: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.ipe);
  cov_tcp_checked_good: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.tcpcs && !csum_o.tcpe && !is_udp);
  cov_tcp_checked_bad: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.tcpe && !is_udp);
  cov_udp_checked_good: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.tcpcs && !csum_o.tcpe && is_udp);
  cov_udp_checked_bad: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.tcpe && is_udp);
  cov_ixsm_nothing_checked: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.ixsm);
  cov_ip_only_enabled: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && ipofl_i && !tuofl_i && csum_o.ipcs);
  cov_l4_only_enabled: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !ipofl_i && tuofl_i && csum_o.tcpcs);
  cov_l4_enabled_not_applicable: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !ipofl_i && tuofl_i && len_ok && csum_o.ixsm);
  cov_udp_without_checksum: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && tuofl_i && len_ok && !frag && is_udp && l4len >= 16'd8 && dgram_end <= 17'(flen) && !ucs_nz_now);
  cov_fragment_mf: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && tuofl_i && len_ok && fragw[13] && !csum_o.tcpcs);
  cov_fragment_offset: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && tuofl_i && len_ok && fragw[12:0] != '0 && !csum_o.tcpcs);
  cov_non_ip: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && (ipofl_i || tuofl_i) && etype != 16'h0800);
  cov_ipv4_bad_ihl: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && (ipofl_i || tuofl_i) && etype == 16'h0800 && vihl[7:4] == 4'd4 && ihl < 4'd5);
  cov_ip_header_truncated: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && (ipofl_i || tuofl_i) && is_ip && !len_ok);
  cov_ip_options: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.ipcs && ihl > 4'd5);
  cov_datagram_truncated: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && tuofl_i && len_ok && !frag && (proto == 8'd6 || is_udp) && dgram_end > 17'(flen));
  cov_datagram_too_short: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && tuofl_i && len_ok && !frag && (proto == 8'd6 || is_udp) && totlen >= ip_hlen && l4len < (is_udp ? 16'd8 : 16'd18));
  cov_padding_after_datagram: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && csum_o.tcpcs && dgram_end < 17'(flen));
  cov_vlan_ip_checked: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && vlan && csum_o.ipcs);
  cov_vlan_l4_checked: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && vlan && csum_o.tcpcs);
  cov_rxcsum_off: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !ipofl_i && !tuofl_i && etype == 16'h0800);
  cov_result_while_stalled: cover property (@(posedge clk_i) disable iff (!rst_ni) fin && !s_axis_tready && (ipofl_i || tuofl_i));
`endif
  // ==== end cover points ====
endmodule
