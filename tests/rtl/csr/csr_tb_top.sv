// Test top: register file and interrupt block wired as in nic_top, every other block replaced by ports.
module csr_tb_top
  import nic_reg_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [47:0] mac_addr_i,
  input  logic        link_up_i,
  input  logic [CsrAddrWidth-1:0] s_axil_awaddr,
  input  logic        s_axil_awvalid,
  output logic        s_axil_awready,
  input  logic [31:0] s_axil_wdata,
  input  logic        s_axil_wvalid,
  output logic        s_axil_wready,
  output logic        s_axil_bvalid,
  input  logic        s_axil_bready,
  input  logic [CsrAddrWidth-1:0] s_axil_araddr,
  input  logic        s_axil_arvalid,
  output logic        s_axil_arready,
  output logic [31:0] s_axil_rdata,
  output logic        s_axil_rvalid,
  input  logic        s_axil_rready,
  output logic        soft_rst_o,
  output logic        rdh_we_o,
  output logic        tdh_we_o,
  output logic [15:0] wdata16_o,
  input  logic [15:0] rdh_i,
  input  logic [15:0] tdh_i,
  input  logic [5:0]  tx_err_i,
  input  logic [3:0]  rx_err_i,
  input  logic        st_rx_i,
  input  logic [15:0] st_rx_bytes_i,
  input  logic        st_rx_good_i,
  input  logic        st_rx_bcast_i,
  input  logic        st_rx_mcast_i,
  input  logic        st_rx_crcerr_i,
  input  logic        st_rx_runt_i,
  input  logic        st_rx_oversize_i,
  input  logic        st_rx_missed_i,
  input  logic        st_rx_nobuf_i,
  input  logic        st_rx_vlan_drop_i,
  input  logic        st_tx_i,
  input  logic [15:0] st_tx_bytes_i,
  input  logic        st_tx_bcast_i,
  input  logic        st_tx_mcast_i,
  input  logic        st_tx_good_i,
  input  logic        st_tso_i,
  input  logic [1:0]  st_tso_fail_i,
  input  logic        st_xon_rx_i,
  input  logic        st_xoff_rx_i,
  input  logic        st_xon_tx_i,
  input  logic        st_xoff_tx_i,
  input  logic        txoff_i,
  input  logic        evt_txwb_i,
  input  logic        evt_txwb_ide_i,
  input  logic        evt_txqe_i,
  input  logic        evt_rxt0_i,
  input  logic        evt_rxdmt0_i,
  input  logic        evt_rxo_i,
  input  logic        evt_lsc_i,
  input  logic        evt_txde_i,
  input  logic        evt_rxde_i,
  output logic        msi_req_o,
  input  logic        msi_ack_i,
  input  logic [6:0]  mta_idx_i,
  output logic [31:0] mta_word_o,
  input  logic [6:0]  vfta_idx_i,
  output logic [31:0] vfta_word_o,
  output logic        vme_o,
  output logic        vfe_o,
  output logic [15:0] vet_o,
  output logic [16*48-1:0] ra_addr_o,
  output logic [15:0] ra_valid_o
);
  logic core_rst_n;
  assign core_rst_n = rst_ni && !soft_rst_o;
  logic icr_rd, ics_we, ims_we, imc_we;
  logic [31:0] icr, ims, wdata;
  logic [15:0] itr, tidv, rdtr;
  logic [1:0] bresp, rresp;
  logic [4:0] msi_vector;
  /* verilator lint_off PINCONNECTEMPTY */
  nic_csr u_csr (
    .clk_i, .rst_ni, .mac_addr_i, .link_up_i,
    .s_axil_awaddr, .s_axil_awvalid, .s_axil_awready, .s_axil_wdata, .s_axil_wstrb (4'hF), .s_axil_wvalid,
    .s_axil_wready, .s_axil_bresp (bresp), .s_axil_bvalid, .s_axil_bready, .s_axil_araddr, .s_axil_arvalid,
    .s_axil_arready, .s_axil_rdata, .s_axil_rresp (rresp), .s_axil_rvalid, .s_axil_rready,
    .soft_rst_o,
    .rxen_o (), .sbp_o (), .upe_o (), .mpe_o (), .bam_o (), .secrc_o (), .rdmts_o (), .ipofl_o (), .tuofl_o (), .mo_o (), .bsize_o (),
    .mfs_o (), .rdba_o (), .rdlen_o (), .rdt_o (), .rdh_we_o, .rdh_i, .rdtr_o (rdtr),
    .ra_addr_o, .ra_valid_o, .mta_idx_i, .mta_word_o, .vme_o, .vfe_o, .vet_o, .vfta_idx_i, .vfta_word_o,
    .txen_o (), .tpde_o (), .tdba_o (), .tdlen_o (), .tdt_o (), .tdh_we_o, .tdh_i, .tidv_o (tidv), .wdata16_o,
    .itr_o (itr), .icr_rd_o (icr_rd), .icr_i (icr), .ims_i (ims), .ics_we_o (ics_we), .ims_we_o (ims_we),
    .imc_we_o (imc_we), .wdata_o (wdata),
    .tx_err_i, .rx_err_i,
    .st_rx_i, .st_rx_bytes_i, .st_rx_good_i, .st_rx_bcast_i, .st_rx_mcast_i, .st_rx_crcerr_i,
    .st_rx_runt_i, .st_rx_oversize_i, .st_rx_missed_i, .st_rx_nobuf_i, .st_rx_vlan_drop_i,
    .st_tx_i, .st_tx_bytes_i, .st_tx_bcast_i, .st_tx_mcast_i, .st_tx_good_i, .st_tso_i, .st_tso_fail_i,
    .rpe_o (), .tpe_o (), .xone_o (), .fcrtl_o (), .fcrth_o (), .pause_time_o (), .txoff_i,
    .st_xon_rx_i, .st_xoff_rx_i, .st_xon_tx_i, .st_xoff_tx_i,
    .idle_o ()
  );
  nic_intr u_intr (
    .clk_i, .rst_ni (core_rst_n), .icr_rd_i (icr_rd), .icr_o (icr), .ims_o (ims),
    .ics_we_i (ics_we), .ims_we_i (ims_we), .imc_we_i (imc_we), .wdata_i (wdata),
    .itr_i (itr), .tidv_i (tidv), .rdtr_i (rdtr),
    .evt_txwb_i, .evt_txwb_ide_i, .evt_txqe_i, .evt_rxt0_i, .evt_rxdmt0_i, .evt_rxo_i, .evt_lsc_i,
    .evt_txde_i, .evt_rxde_i, .msi_req_o, .msi_vector_o (msi_vector), .msi_ack_i,
    .idle_o ()
  );
  /* verilator lint_on PINCONNECTEMPTY */
  logic unused;
  assign unused = ^{bresp, rresp, msi_vector};
endmodule
