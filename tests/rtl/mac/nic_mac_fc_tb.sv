// Test top for 802.3x flow control: nic_mac_rx (PAUSE frames in) -> nic_mac_fc -> nic_mac_tx, with the
// RX FIFO fill and the registers as inputs. The receive filter is wide open (UPE, MPE, BAM, SBP), so a
// PAUSE frame that is not delivered is kept back by the PAUSE rule alone.
module nic_mac_fc_tb (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        tpe_i,
  input  logic        rpe_i,
  input  logic        xone_i,
  input  logic [15:0] rtl_i,
  input  logic [15:0] rth_i,
  input  logic [15:0] pause_time_i,
  input  logic [47:0] sa_i,
  input  logic [15:0] rx_level_i,
  // TX frames (as the TX FIFO offers them)
  input  logic [63:0] s_axis_tdata,
  input  logic [7:0]  s_axis_tkeep,
  input  logic        s_axis_tvalid,
  output logic        s_axis_tready,
  input  logic        s_axis_tlast,
  output logic [63:0] xgmii_txd_o,
  output logic [7:0]  xgmii_txc_o,
  // RX side
  input  logic [63:0] xgmii_rxd_i,
  input  logic [7:0]  xgmii_rxc_i,
  output logic        rx_tvalid_o,
  output logic        rx_tlast_o,
  output logic        rx_tuser_o,
  output logic        pause_rx_o,
  output logic [15:0] pause_quanta_o,
  output logic        stat_rx_good_o,
  output logic        stat_xon_tx_o,
  output logic        stat_xoff_tx_o,
  output logic        txoff_o,
  output logic        idle_o
);
  logic [63:0] m_tdata, rx_tdata;
  logic [7:0]  m_tkeep, rx_tkeep;
  logic        m_tvalid, m_tready, m_tlast, rx_tflag;
  logic        mac_tx_idle, fc_idle, mac_rx_idle;

  /* verilator lint_off PINCONNECTEMPTY */  // statistics the test does not look at
  nic_mac_rx u_rx (
    .clk_i, .rst_ni, .xgmii_rxd_i, .xgmii_rxc_i,
    .sbp_i (1'b1), .upe_i (1'b1), .mpe_i (1'b1), .bam_i (1'b1), .mo_i (2'd0), .secrc_i (1'b0),
    .mfs_i (16'd1518), .ra_addr_i ('0), .ra_valid_i (16'd0), .mta_idx_o (), .mta_word_i (32'd0),
    .vet_i (16'h8100), .vfe_i (1'b0), .vfta_idx_o (), .vfta_word_i (32'd0),
    .m_axis_tdata (rx_tdata), .m_axis_tkeep (rx_tkeep), .m_axis_tvalid (rx_tvalid_o),
    .m_axis_tlast (rx_tlast_o), .m_axis_tuser (rx_tuser_o), .m_axis_tflag (rx_tflag),
    .stat_rx_o (), .stat_rx_bytes_o (), .stat_good_o (stat_rx_good_o), .stat_bcast_o (), .stat_mcast_o (),
    .stat_crcerr_o (), .stat_runt_o (), .stat_oversize_o (), .stat_vlan_drop_o (),
    .pause_rx_o, .pause_quanta_o, .idle_o (mac_rx_idle)
  );

  nic_mac_fc u_fc (
    .clk_i, .rst_ni, .tpe_i, .rpe_i, .xone_i, .rtl_i, .rth_i, .pause_time_i, .sa_i, .rx_level_i,
    .pause_rx_i (pause_rx_o), .pause_quanta_i (pause_quanta_o),
    .s_axis_tdata, .s_axis_tkeep, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast,
    .m_axis_tdata (m_tdata), .m_axis_tkeep (m_tkeep), .m_axis_tvalid (m_tvalid), .m_axis_tready (m_tready),
    .m_axis_tlast (m_tlast),
    .stat_xon_tx_o, .stat_xoff_tx_o, .txoff_o, .idle_o (fc_idle)
  );

  nic_mac_tx u_tx (
    .clk_i, .rst_ni, .pad_en_i (1'b1),
    .s_axis_tdata (m_tdata), .s_axis_tkeep (m_tkeep), .s_axis_tvalid (m_tvalid), .s_axis_tready (m_tready),
    .s_axis_tlast (m_tlast), .xgmii_txd_o, .xgmii_txc_o,
    .stat_tx_o (), .stat_tx_bytes_o (), .stat_tx_bcast_o (), .stat_tx_mcast_o (), .stat_underrun_o (),
    .idle_o (mac_tx_idle)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  assign idle_o = mac_tx_idle && fc_idle && mac_rx_idle;

  logic unused;
  assign unused = ^{rx_tdata, rx_tkeep, rx_tflag};
endmodule
