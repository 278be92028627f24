// NIC top level: registers, interrupts, TX/RX DMA with frame FIFOs, 10G MAC (one 156.25 MHz clock domain).
module nic_top #(
  parameter int unsigned AxiDataWidth = 128,
  parameter int unsigned AxiIdWidth   = 4,
  parameter int unsigned AxiAddrWidth = 64
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [47:0] mac_addr_i,
  input  logic        link_up_i,
  // AXI4-Lite slave: BAR0
  input  logic [nic_reg_pkg::CsrAddrWidth-1:0] s_axil_awaddr,
  input  logic        s_axil_awvalid,
  output logic        s_axil_awready,
  input  logic [31:0] s_axil_wdata,
  input  logic [3:0]  s_axil_wstrb,
  input  logic        s_axil_wvalid,
  output logic        s_axil_wready,
  output logic [1:0]  s_axil_bresp,
  output logic        s_axil_bvalid,
  input  logic        s_axil_bready,
  input  logic [nic_reg_pkg::CsrAddrWidth-1:0] s_axil_araddr,
  input  logic        s_axil_arvalid,
  output logic        s_axil_arready,
  output logic [31:0] s_axil_rdata,
  output logic [1:0]  s_axil_rresp,
  output logic        s_axil_rvalid,
  input  logic        s_axil_rready,
  // AXI4 master: DMA
  output logic [AxiIdWidth-1:0]     m_axi_awid,
  output logic [AxiAddrWidth-1:0]   m_axi_awaddr,
  output logic [7:0]                m_axi_awlen,
  output logic [2:0]                m_axi_awsize,
  output logic [1:0]                m_axi_awburst,
  output logic                      m_axi_awvalid,
  input  logic                      m_axi_awready,
  output logic [AxiDataWidth-1:0]   m_axi_wdata,
  output logic [AxiDataWidth/8-1:0] m_axi_wstrb,
  output logic                      m_axi_wlast,
  output logic                      m_axi_wvalid,
  input  logic                      m_axi_wready,
  input  logic [AxiIdWidth-1:0]     m_axi_bid,
  input  logic [1:0]                m_axi_bresp,
  input  logic                      m_axi_bvalid,
  output logic                      m_axi_bready,
  output logic [AxiIdWidth-1:0]     m_axi_arid,
  output logic [AxiAddrWidth-1:0]   m_axi_araddr,
  output logic [7:0]                m_axi_arlen,
  output logic [2:0]                m_axi_arsize,
  output logic [1:0]                m_axi_arburst,
  output logic                      m_axi_arvalid,
  input  logic                      m_axi_arready,
  input  logic [AxiIdWidth-1:0]     m_axi_rid,
  input  logic [AxiDataWidth-1:0]   m_axi_rdata,
  input  logic [1:0]                m_axi_rresp,
  input  logic                      m_axi_rlast,
  input  logic                      m_axi_rvalid,
  output logic                      m_axi_rready,
  // MSI request/acknowledge
  output logic        msi_req_o,
  output logic [4:0]  msi_vector_o,
  input  logic        msi_ack_i,
  // XGMII
  output logic [63:0] xgmii_txd_o,
  output logic [7:0]  xgmii_txc_o,
  input  logic [63:0] xgmii_rxd_i,
  input  logic [7:0]  xgmii_rxc_i,
  // Every block idle (its *_idle_o): while the inputs stay quiet (rst_ni high, no AXI-Lite
  // request, no DMA response, no MSI ack, idle XGMII words, link_up_i unchanged) no register
  // changes and the outputs stay idle, so a simulator may skip those cycles (sim/nic_core.cpp).
  // A function of the registers only (evaluated once per edge, not on every input change):
  // whether the inputs are quiet is the simulator's to check.
  output logic        idle_o
);
  // the external AXI port's widths are those of the channel structs
  if (AxiDataWidth != nic_axi_pkg::DataWidth || AxiIdWidth != nic_axi_pkg::IdWidth ||
      AxiAddrWidth != nic_axi_pkg::AddrWidth) begin : gen_axi_check
    $error("nic_top: AXI widths must match nic_axi_pkg (DataWidth 128, IdWidth 4, AddrWidth 64)");
  end

  // ---------------------------------------------------------------- reset
  logic soft_rst;
  logic core_rst_n;  // every block but the CSR bus handshake and the AXI arbiter
  assign core_rst_n = rst_ni && !soft_rst;

  // ---------------------------------------------------------------- configuration
  logic rxen, sbp, upe, mpe, bam, secrc, txen, tpde;
  logic [1:0] rdmts, mo, bsize;
  logic       ipofl, tuofl;
  logic [15:0] mfs, rdt, rdh, rdtr, tdt, tdh, tidv, itr, wdata16;
  logic [63:0] rdba, tdba;
  logic [19:0] rdlen, tdlen;
  logic rdh_we, tdh_we;
  logic [16*48-1:0] ra_addr;
  logic [15:0] ra_valid;
  logic [6:0] mta_idx;
  logic [31:0] mta_word;
  logic vme, vfe;
  logic [15:0] vet;
  logic [6:0] vfta_idx;
  logic [31:0] vfta_word;
  logic icr_rd, ics_we, ims_we, imc_we;
  logic [31:0] icr, ims, csr_wdata;
  logic [5:0] tx_err;
  logic [3:0] rx_err;
  logic tx_stopped, rx_stopped;

  // ---------------------------------------------------------------- events and statistics
  logic st_rx, st_rx_good, st_rx_bcast, st_rx_mcast, st_rx_crcerr, st_rx_runt, st_rx_oversize;
  logic st_rx_vlan_drop;
  logic [15:0] st_rx_bytes, st_tx_bytes;
  logic st_tx, st_tx_bcast, st_tx_mcast, st_tx_underrun, st_tso;
  logic [1:0] st_tso_fail;
  logic rx_overflow, evt_rnbc, evt_rxt0, evt_rxdmt0, evt_txwb, evt_txwb_ide, evt_txqe;

  logic csr_idle, intr_idle, tx_dma_idle, tx_fifo_idle, mac_tx_idle, mac_rx_idle, rx_fifo_idle;
  logic rx_dma_idle, arb_idle, rx_vlan_quiet;

  // 802.3x flow control
  logic fc_rpe, fc_tpe, fc_xone, fc_txoff, fc_idle;
  logic [15:0] fc_rtl, fc_rth, fc_pause_time, rx_pause_quanta;
  logic rx_pause, st_xon_tx, st_xoff_tx;
  logic [12:0] rxf_level;

  // LSC on every change of the link. The link input and the EEPROM address are taken into
  // registers first (link_q, mac_q): the LSC cause and STATUS.LU follow a change one cycle later,
  // and nothing is computed from these inputs in the cycle they change (docs/hw-design.md,
  // "Inputs registered").
  logic link_q, link_seen_q, lsc_q;
  logic [47:0] mac_q;
  always_ff @(posedge clk_i) begin
    if (!core_rst_n) begin
      link_q      <= link_up_i;
      link_seen_q <= 1'b0;
      lsc_q       <= 1'b0;
    end else begin
      link_q      <= link_up_i;
      link_seen_q <= 1'b1;
      lsc_q       <= link_seen_q && (link_q != link_up_i);
    end
  end
  always_ff @(posedge clk_i) mac_q <= mac_addr_i;  // loaded into RAL0/RAH0 while in reset

  nic_csr u_csr (
    .clk_i, .rst_ni, .mac_addr_i (mac_q), .link_up_i (link_q),
    .s_axil_awaddr, .s_axil_awvalid, .s_axil_awready, .s_axil_wdata, .s_axil_wstrb, .s_axil_wvalid,
    .s_axil_wready, .s_axil_bresp, .s_axil_bvalid, .s_axil_bready, .s_axil_araddr, .s_axil_arvalid,
    .s_axil_arready, .s_axil_rdata, .s_axil_rresp, .s_axil_rvalid, .s_axil_rready,
    .soft_rst_o (soft_rst),
    .rxen_o (rxen), .sbp_o (sbp), .upe_o (upe), .mpe_o (mpe), .bam_o (bam), .secrc_o (secrc),
    .rdmts_o (rdmts), .ipofl_o (ipofl), .tuofl_o (tuofl), .mo_o (mo), .bsize_o (bsize), .mfs_o (mfs),
    .rdba_o (rdba), .rdlen_o (rdlen), .rdt_o (rdt), .rdh_we_o (rdh_we), .rdh_i (rdh), .rdtr_o (rdtr),
    .ra_addr_o (ra_addr), .ra_valid_o (ra_valid), .mta_idx_i (mta_idx), .mta_word_o (mta_word),
    .vme_o (vme), .vfe_o (vfe), .vet_o (vet), .vfta_idx_i (vfta_idx), .vfta_word_o (vfta_word),
    .txen_o (txen), .tpde_o (tpde), .tdba_o (tdba), .tdlen_o (tdlen), .tdt_o (tdt),
    .tdh_we_o (tdh_we), .tdh_i (tdh), .tidv_o (tidv), .wdata16_o (wdata16),
    .itr_o (itr), .icr_rd_o (icr_rd), .icr_i (icr), .ims_i (ims),
    .ics_we_o (ics_we), .ims_we_o (ims_we), .imc_we_o (imc_we), .wdata_o (csr_wdata),
    .tx_err_i (tx_err), .rx_err_i (rx_err),
    .st_rx_i (st_rx), .st_rx_bytes_i (st_rx_bytes), .st_rx_good_i (st_rx_good),
    .st_rx_bcast_i (st_rx_bcast), .st_rx_mcast_i (st_rx_mcast), .st_rx_crcerr_i (st_rx_crcerr),
    .st_rx_runt_i (st_rx_runt), .st_rx_oversize_i (st_rx_oversize), .st_rx_missed_i (rx_overflow),
    .st_rx_nobuf_i (evt_rnbc), .st_rx_vlan_drop_i (st_rx_vlan_drop),
    .st_tx_i (st_tx), .st_tx_bytes_i (st_tx_bytes), .st_tx_bcast_i (st_tx_bcast),
    .st_tx_mcast_i (st_tx_mcast), .st_tx_good_i (!st_tx_underrun),
    .st_tso_i (st_tso), .st_tso_fail_i (st_tso_fail),
    .rpe_o (fc_rpe), .tpe_o (fc_tpe), .xone_o (fc_xone), .fcrtl_o (fc_rtl), .fcrth_o (fc_rth),
    .pause_time_o (fc_pause_time), .txoff_i (fc_txoff),
    .st_xon_rx_i (rx_pause && rx_pause_quanta == 16'd0), .st_xoff_rx_i (rx_pause && rx_pause_quanta != 16'd0),
    .st_xon_tx_i (st_xon_tx), .st_xoff_tx_i (st_xoff_tx),
    .idle_o (csr_idle)
  );

  // TXDE/RXDE when a queue stops (the stop bits of the error vectors)
  logic tx_stopped_q, rx_stopped_q;
  always_ff @(posedge clk_i) begin
    if (!core_rst_n) begin
      tx_stopped_q <= 1'b0;
      rx_stopped_q <= 1'b0;
    end else begin
      tx_stopped_q <= tx_stopped;
      rx_stopped_q <= rx_stopped;
    end
  end

  nic_intr u_intr (
    .clk_i, .rst_ni (core_rst_n),
    .icr_rd_i (icr_rd), .icr_o (icr), .ims_o (ims),
    .ics_we_i (ics_we), .ims_we_i (ims_we), .imc_we_i (imc_we), .wdata_i (csr_wdata),
    .itr_i (itr), .tidv_i (tidv), .rdtr_i (rdtr),
    .evt_txwb_i (evt_txwb), .evt_txwb_ide_i (evt_txwb_ide), .evt_txqe_i (evt_txqe),
    .evt_rxt0_i (evt_rxt0), .evt_rxdmt0_i (evt_rxdmt0), .evt_rxo_i (rx_overflow),
    .evt_lsc_i (lsc_q),
    .evt_txde_i (tx_stopped && !tx_stopped_q), .evt_rxde_i (rx_stopped && !rx_stopped_q),
    .msi_req_o, .msi_vector_o, .msi_ack_i,
    .idle_o (intr_idle)
  );

  // ---------------------------------------------------------------- DMA and bus
  // engine ports of the arbiter (0: TX, 1: RX) and its master port, as AXI channel structs
  nic_axi_pkg::req_t dma_req [2];
  nic_axi_pkg::rsp_t dma_rsp [2];
  nic_axi_pkg::req_t m_req;
  nic_axi_pkg::rsp_t m_rsp;

  // TX: DMA -> FIFO -> MAC
  logic [63:0] txd_tdata, txf_tdata;
  logic [7:0]  txd_tkeep, txf_tkeep;
  logic txd_tvalid, txd_tready, txd_tlast, txd_tuser, txf_tvalid, txf_tready, txf_tlast;
  logic txf_tflag, txf_overflow;
  nic_dma_pkg::tx_patch_t txd_tpatch;
  logic [11:0] txf_count, txf_level;

  nic_tx_dma #(.AxiId(0)) u_tx_dma (
    .clk_i, .rst_ni (core_rst_n),
    .txen_i (txen), .tdba_i (tdba), .tdlen_i (tdlen), .tdt_i (tdt), .vet_i (vet),
    .tdh_we_i (tdh_we), .tdh_wdata_i (wdata16), .tdh_o (tdh),
    .m_axi_req_o (dma_req[0]), .m_axi_rsp_i (dma_rsp[0]),
    .m_axis_tdata (txd_tdata), .m_axis_tkeep (txd_tkeep), .m_axis_tvalid (txd_tvalid),
    .m_axis_tready (txd_tready), .m_axis_tlast (txd_tlast), .m_axis_tuser (txd_tuser),
    .m_axis_tpatch (txd_tpatch),
    .evt_wb_o (evt_txwb), .evt_wb_ide_o (evt_txwb_ide), .evt_txqe_o (evt_txqe),
    .err_o (tx_err), .st_tso_o (st_tso), .st_tso_fail_o (st_tso_fail),
    .stopped_o (tx_stopped), .idle_o (tx_dma_idle)
  );

  nic_frame_fifo #(.Depth(2048), .DropWhenFull(1'b0)) u_tx_fifo (
    .clk_i, .rst_ni (core_rst_n),
    .s_axis_tdata (txd_tdata), .s_axis_tkeep (txd_tkeep), .s_axis_tvalid (txd_tvalid),
    .s_axis_tready (txd_tready), .s_axis_tlast (txd_tlast), .s_axis_tuser (txd_tuser), .s_axis_tflag (1'b0),
    .s_axis_tpatch_en (txd_tpatch.en), .s_axis_tpatch_off (txd_tpatch.off), .s_axis_tpatch_val (txd_tpatch.val),
    .m_axis_tdata (txf_tdata), .m_axis_tkeep (txf_tkeep), .m_axis_tvalid (txf_tvalid),
    .m_axis_tready (txf_tready), .m_axis_tlast (txf_tlast), .m_axis_tflag (txf_tflag),
    .overflow_o (txf_overflow), .frame_count_o (txf_count), .level_o (txf_level), .idle_o (tx_fifo_idle)
  );

  // PAUSE frames and the pause hold between the FIFO and the MAC
  logic [63:0] txp_tdata;
  logic [7:0]  txp_tkeep;
  logic txp_tvalid, txp_tready, txp_tlast;
  nic_mac_fc u_mac_fc (
    .clk_i, .rst_ni (core_rst_n),
    .tpe_i (fc_tpe), .rpe_i (fc_rpe), .xone_i (fc_xone), .rtl_i (fc_rtl), .rth_i (fc_rth),
    .pause_time_i (fc_pause_time), .sa_i (ra_addr[47:0]), .rx_level_i (16'(rxf_level)),
    .pause_rx_i (rx_pause), .pause_quanta_i (rx_pause_quanta),
    .s_axis_tdata (txf_tdata), .s_axis_tkeep (txf_tkeep), .s_axis_tvalid (txf_tvalid),
    .s_axis_tready (txf_tready), .s_axis_tlast (txf_tlast),
    .m_axis_tdata (txp_tdata), .m_axis_tkeep (txp_tkeep), .m_axis_tvalid (txp_tvalid),
    .m_axis_tready (txp_tready), .m_axis_tlast (txp_tlast),
    .stat_xon_tx_o (st_xon_tx), .stat_xoff_tx_o (st_xoff_tx), .txoff_o (fc_txoff), .idle_o (fc_idle)
  );

  nic_mac_tx u_mac_tx (
    .clk_i, .rst_ni (core_rst_n), .pad_en_i (tpde),
    .s_axis_tdata (txp_tdata), .s_axis_tkeep (txp_tkeep), .s_axis_tvalid (txp_tvalid),
    .s_axis_tready (txp_tready), .s_axis_tlast (txp_tlast),
    .xgmii_txd_o, .xgmii_txc_o,
    .stat_tx_o (st_tx), .stat_tx_bytes_o (st_tx_bytes), .stat_tx_bcast_o (st_tx_bcast),
    .stat_tx_mcast_o (st_tx_mcast), .stat_underrun_o (st_tx_underrun), .idle_o (mac_tx_idle)
  );

  // RX: MAC -> FIFO -> DMA
  logic [63:0] rxm_tdata, rxf_tdata;
  logic [7:0]  rxm_tkeep, rxf_tkeep;
  logic rxm_tvalid, rxm_tlast, rxm_tuser, rxm_tflag, rxm_tready;
  logic rxf_tvalid, rxf_tready, rxf_tlast, rxf_tflag;
  logic [12:0] rxf_count;

  nic_mac_rx u_mac_rx (
    .clk_i, .rst_ni (core_rst_n), .xgmii_rxd_i, .xgmii_rxc_i,
    .sbp_i (sbp), .upe_i (upe), .mpe_i (mpe), .bam_i (bam), .mo_i (mo), .secrc_i (secrc), .mfs_i (mfs),
    .ra_addr_i (ra_addr), .ra_valid_i (ra_valid), .mta_idx_o (mta_idx), .mta_word_i (mta_word),
    .vet_i (vet), .vfe_i (vfe), .vfta_idx_o (vfta_idx), .vfta_word_i (vfta_word),
    .m_axis_tdata (rxm_tdata), .m_axis_tkeep (rxm_tkeep), .m_axis_tvalid (rxm_tvalid),
    .m_axis_tlast (rxm_tlast), .m_axis_tuser (rxm_tuser), .m_axis_tflag (rxm_tflag),
    .stat_rx_o (st_rx), .stat_rx_bytes_o (st_rx_bytes), .stat_good_o (st_rx_good),
    .stat_bcast_o (st_rx_bcast), .stat_mcast_o (st_rx_mcast), .stat_crcerr_o (st_rx_crcerr),
    .stat_runt_o (st_rx_runt), .stat_oversize_o (st_rx_oversize), .stat_vlan_drop_o (st_rx_vlan_drop),
    .pause_rx_o (rx_pause), .pause_quanta_o (rx_pause_quanta), .idle_o (mac_rx_idle)
  );

  nic_frame_fifo #(.Depth(4096), .DropWhenFull(1'b1)) u_rx_fifo (
    .clk_i, .rst_ni (core_rst_n),
    .s_axis_tdata (rxm_tdata), .s_axis_tkeep (rxm_tkeep), .s_axis_tvalid (rxm_tvalid),
    .s_axis_tready (rxm_tready), .s_axis_tlast (rxm_tlast), .s_axis_tuser (rxm_tuser), .s_axis_tflag (rxm_tflag),
    .s_axis_tpatch_en (2'b00), .s_axis_tpatch_off (16'd0), .s_axis_tpatch_val (32'd0),
    .m_axis_tdata (rxf_tdata), .m_axis_tkeep (rxf_tkeep), .m_axis_tvalid (rxf_tvalid),
    .m_axis_tready (rxf_tready), .m_axis_tlast (rxf_tlast), .m_axis_tflag (rxf_tflag),
    .overflow_o (rx_overflow), .frame_count_o (rxf_count), .level_o (rxf_level), .idle_o (rx_fifo_idle)
  );

  // VLAN stripping (CTRL0.VME) between the FIFO and the DMA; the tag goes to the write-back
  logic [63:0] rxv_tdata;
  logic [7:0]  rxv_tkeep;
  logic rxv_tvalid, rxv_tready, rxv_tlast, rxv_tflag;
  nic_dma_pkg::rx_vlan_t rxv_tvlan;
  nic_rx_vlan u_rx_vlan (
    .clk_i, .rst_ni (core_rst_n), .vme_i (vme), .vet_i (vet),
    .s_axis_tdata (rxf_tdata), .s_axis_tkeep (rxf_tkeep), .s_axis_tvalid (rxf_tvalid),
    .s_axis_tready (rxf_tready), .s_axis_tlast (rxf_tlast), .s_axis_tflag (rxf_tflag),
    .m_axis_tdata (rxv_tdata), .m_axis_tkeep (rxv_tkeep), .m_axis_tvalid (rxv_tvalid),
    .m_axis_tready (rxv_tready), .m_axis_tlast (rxv_tlast), .m_axis_tflag (rxv_tflag),
    .m_axis_tvlan (rxv_tvlan), .quiet_o (rx_vlan_quiet)
  );

  nic_rx_dma #(.AxiId(1)) u_rx_dma (
    .clk_i, .rst_ni (core_rst_n),
    .rxen_i (rxen), .rdba_i (rdba), .rdlen_i (rdlen), .rdt_i (rdt),
    .rdh_we_i (rdh_we), .rdh_wdata_i (wdata16), .rdh_o (rdh), .bsize_i (bsize), .rdmts_i (rdmts),
    .ipofl_i (ipofl), .tuofl_i (tuofl),
    .s_axis_tdata (rxv_tdata), .s_axis_tkeep (rxv_tkeep), .s_axis_tvalid (rxv_tvalid),
    .s_axis_tready (rxv_tready), .s_axis_tlast (rxv_tlast), .s_axis_tflag (rxv_tflag),
    .s_axis_tvlan (rxv_tvlan),
    .m_axi_req_o (dma_req[1]), .m_axi_rsp_i (dma_rsp[1]),
    .evt_rxt0_o (evt_rxt0), .evt_rxdmt0_o (evt_rxdmt0), .evt_rnbc_o (evt_rnbc),
    .err_o (rx_err), .stopped_o (rx_stopped), .idle_o (rx_dma_idle)
  );

  nic_axi_arb u_arb (
    .clk_i, .rst_ni, .flush_i (soft_rst),
    .s_req_i (dma_req), .s_rsp_o (dma_rsp), .m_req_o (m_req), .m_rsp_i (m_rsp),
    .idle_o (arb_idle)
  );

  // the external AXI4 master port stays flat (sim/ binds it by name)
  nic_axi_flat u_axi_flat (
    .req_i (m_req), .rsp_o (m_rsp),
    .m_axi_awid, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst, .m_axi_awvalid, .m_axi_awready,
    .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast, .m_axi_wvalid, .m_axi_wready,
    .m_axi_bid, .m_axi_bresp, .m_axi_bvalid, .m_axi_bready,
    .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst, .m_axi_arvalid, .m_axi_arready,
    .m_axi_rid, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast, .m_axi_rvalid, .m_axi_rready
  );

  // ---------------------------------------------------------------- idle
  // The registers of this level: no LSC or TXDE/RXDE edge pending.
  logic top_idle;
  // (link_q holds the last link_up_i: with link_up_i unchanged there is no LSC edge; lsc_q is
  // the LSC of the last change, not yet in ICR)
  assign top_idle = link_seen_q && !lsc_q && (tx_stopped_q == tx_stopped) && (rx_stopped_q == rx_stopped);
  // (tests in a chain, the busiest blocks first, rather than one AND: the simulation evaluates
  // this in every cycle, and a busy NIC stops at the first busy block)
  always_comb begin
    idle_o = 1'b0;
    if (mac_tx_idle && mac_rx_idle && arb_idle)
      if (tx_dma_idle && rx_dma_idle)
        if (tx_fifo_idle && rx_fifo_idle && rx_vlan_quiet)
          if (top_idle && csr_idle && intr_idle && fc_idle) idle_o = 1'b1;
  end

  logic unused;
  assign unused = ^{txf_tflag, txf_overflow, txf_count, txf_level, rxf_count, rxm_tready};
endmodule
