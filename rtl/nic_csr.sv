// BAR0 register behaviour around the generated register file (nic_reg_top): soft reset, the EEPROM
// address, statistics events, DMA error bits and the ports towards the DMA, MAC and interrupt blocks.
module nic_csr
  import nic_reg_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,       // hard reset: bus handshake state and registers
  input  logic [47:0] mac_addr_i,   // EEPROM MAC address, loaded into RAL0/RAH0
  input  logic        link_up_i,
  // AXI4-Lite slave
  input  logic [CsrAddrWidth-1:0] s_axil_awaddr,
  input  logic        s_axil_awvalid,
  output logic        s_axil_awready,
  input  logic [31:0] s_axil_wdata,
  input  logic [3:0]  s_axil_wstrb,
  input  logic        s_axil_wvalid,
  output logic        s_axil_wready,
  output logic [1:0]  s_axil_bresp,
  output logic        s_axil_bvalid,
  input  logic        s_axil_bready,
  input  logic [CsrAddrWidth-1:0] s_axil_araddr,
  input  logic        s_axil_arvalid,
  output logic        s_axil_arready,
  output logic [31:0] s_axil_rdata,
  output logic [1:0]  s_axil_rresp,
  output logic        s_axil_rvalid,
  input  logic        s_axil_rready,
  // soft reset (CTRL0.RST): one-cycle pulse, also resets this register file
  output logic        soft_rst_o,
  // receive configuration
  output logic        rxen_o,
  output logic        sbp_o,
  output logic        upe_o,
  output logic        mpe_o,
  output logic        bam_o,
  output logic        secrc_o,
  output logic [1:0]  rdmts_o,
  output logic        ipofl_o,     // RXCSUM.IPOFL
  output logic        tuofl_o,     // RXCSUM.TUOFL
  output logic [1:0]  mo_o,
  output logic [1:0]  bsize_o,
  output logic [15:0] mfs_o,
  output logic [63:0] rdba_o,
  output logic [19:0] rdlen_o,
  output logic [15:0] rdt_o,
  output logic        rdh_we_o,
  input  logic [15:0] rdh_i,
  output logic [15:0] rdtr_o,
  output logic [16*48-1:0] ra_addr_o,
  output logic [15:0] ra_valid_o,
  input  logic [6:0]  mta_idx_i,
  output logic [31:0] mta_word_o,
  // VLAN (CTRL0.VME, RCTL.VFE, VET, VFTA lookup)
  output logic        vme_o,
  output logic        vfe_o,
  output logic [15:0] vet_o,
  input  logic [6:0]  vfta_idx_i,
  output logic [31:0] vfta_word_o,
  // transmit configuration
  output logic        txen_o,
  output logic        tpde_o,
  output logic [63:0] tdba_o,
  output logic [19:0] tdlen_o,
  output logic [15:0] tdt_o,
  output logic        tdh_we_o,
  input  logic [15:0] tdh_i,
  output logic [15:0] tidv_o,
  output logic [15:0] wdata16_o,    // data of an RDH/TDH write
  // interrupt block
  output logic [15:0] itr_o,
  output logic        icr_rd_o,
  input  logic [31:0] icr_i,
  input  logic [31:0] ims_i,
  output logic        ics_we_o,
  output logic        ims_we_o,
  output logic        imc_we_o,
  output logic [31:0] wdata_o,
  // DMA error bits (pulses set DMAERR bits)
  input  logic [5:0]  tx_err_i,
  input  logic [3:0]  rx_err_i,
  // statistics events
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
  input  logic        st_rx_vlan_drop_i,  // dropped by the VLAN filter (VFDC)
  input  logic        st_tx_i,
  input  logic [15:0] st_tx_bytes_i,
  input  logic        st_tx_bcast_i,
  input  logic        st_tx_mcast_i,
  input  logic        st_tx_good_i,
  input  logic        st_tso_i,       // a TSO chain sent completely
  input  logic [1:0]  st_tso_fail_i,  // TSO chains that failed
  // 802.3x flow control (CTRL0.RPE/TPE, FCRTL, FCRTH, PAP; XON/XOFF counters; STATUS.TXOFF)
  output logic        rpe_o,
  output logic        tpe_o,
  output logic        xone_o,
  output logic [15:0] fcrtl_o,        // 8-byte words
  output logic [15:0] fcrth_o,        // 8-byte words
  output logic [15:0] pause_time_o,   // PAP.TXPC
  input  logic        txoff_i,
  input  logic        st_xon_rx_i,
  input  logic        st_xoff_rx_i,
  input  logic        st_xon_tx_i,
  input  logic        st_xoff_tx_i,
  // no bus transaction in progress and no soft reset pulse; the registers change only on writes
  // and the counters only on events, which the other blocks report in their idle_o
  output logic        idle_o
);

  nic_reg2hw_t reg2hw;
  nic_reg2hw_ext_t reg2hw_ext;
  nic_hw2reg_t hw2reg;
  nic_hw2reg_ext_t hw2reg_ext;
  logic reg_rst_n;  // register-file reset: hard reset or CTRL0.RST
  logic bus_idle;
  logic stat_ev;
  logic reg_wr;
  logic [RAL_COUNT-1:0][31:0] ral;  // the register arrays, as words
  logic [RAH_COUNT-1:0][31:0] rah;
  logic [MTA_COUNT-1:0][31:0] mta;
  logic [VFTA_COUNT-1:0][31:0] vfta;

  nic_reg_top u_reg (
    .clk_i, .rst_ni, .reg_rst_ni (reg_rst_n),
    .s_axil_awaddr, .s_axil_awvalid, .s_axil_awready, .s_axil_wdata, .s_axil_wstrb, .s_axil_wvalid,
    .s_axil_wready, .s_axil_bresp, .s_axil_bvalid, .s_axil_bready, .s_axil_araddr, .s_axil_arvalid,
    .s_axil_arready, .s_axil_rdata, .s_axil_rresp, .s_axil_rvalid, .s_axil_rready,
    .reg2hw_o (reg2hw), .reg2hw_ext_o (reg2hw_ext), .hw2reg_i (hw2reg), .hw2reg_ext_i (hw2reg_ext), .ral_q_o (ral), .rah_q_o (rah), .mta_q_o (mta), .vfta_q_o (vfta),
    .stat_ev_i (stat_ev), .wr_o (reg_wr), .idle_o (bus_idle)
  );

  // ---------------------------------------------------------------- soft reset
  // CTRL0.RST self-clears: a one-cycle pulse that also resets the register file
  assign soft_rst_o = reg2hw.ctrl0.rst.q;
  assign reg_rst_n  = rst_ni && !reg2hw.ctrl0.rst.q;

  // ---------------------------------------------------------------- hardware values
  assign hw2reg_ext.status.d = (32'(link_up_i) << STATUS_LU_LSB) | (32'(txoff_i) << STATUS_TXOFF_LSB);
  assign hw2reg_ext.icr.d    = icr_i;
  assign hw2reg_ext.ims.d    = ims_i;
  assign hw2reg_ext.rdh.d    = 32'(rdh_i);
  assign hw2reg_ext.tdh.d    = 32'(tdh_i);

  // the EEPROM address, when there is one, is valid in entry 0 from reset
  assign hw2reg_ext.ral.init_en = mac_addr_i != 48'd0;
  assign hw2reg_ext.ral.init_d  = mac_addr_i[31:0];
  assign hw2reg_ext.rah.init_en = mac_addr_i != 48'd0;
  assign hw2reg_ext.rah.init_d  = (32'd1 << RAH_AV_LSB) | 32'(mac_addr_i[47:32]);

  // DMA errors set DMAERR bits (write 1 to clear; a bit set in the same cycle wins)
  assign hw2reg.dmaerr.tx_badlen.hwset = tx_err_i[0];
  assign hw2reg.dmaerr.tx_head.hwset   = tx_err_i[1];
  assign hw2reg.dmaerr.tx_tail.hwset   = tx_err_i[2];
  assign hw2reg.dmaerr.tx_buserr.hwset = tx_err_i[3];
  assign hw2reg.dmaerr.tx_zlen.hwset   = tx_err_i[4];
  assign hw2reg.dmaerr.tx_long.hwset   = tx_err_i[5];
  assign hw2reg.dmaerr.rx_badlen.hwset = rx_err_i[0];
  assign hw2reg.dmaerr.rx_head.hwset   = rx_err_i[1];
  assign hw2reg.dmaerr.rx_tail.hwset   = rx_err_i[2];
  assign hw2reg.dmaerr.rx_buserr.hwset = rx_err_i[3];

  // ---------------------------------------------------------------- statistics events
  // Which events each counter counts; counting, clear-on-read and saturation are in nic_reg_top.
  // stat_ev: some counter counts in this cycle (the register file evaluates its counters only then,
  // or on a read): every event below, by construction. (An assertion over all the incs cost the
  // checked model as much as the counters it saved; a counter left out here would never count, which
  // its register test shows.)
  assign stat_ev = st_rx_i || st_rx_good_i || st_rx_crcerr_i || st_rx_runt_i || st_rx_oversize_i ||
                   st_rx_missed_i || st_rx_nobuf_i || st_rx_vlan_drop_i || st_tx_i || st_tso_i ||
                   st_tso_fail_i != '0 || st_xon_rx_i || st_xoff_rx_i || st_xon_tx_i || st_xoff_tx_i;
  assign hw2reg.tpr.inc     = {15'd0, st_rx_i};
  assign hw2reg.tor.inc     = st_rx_i ? st_rx_bytes_i : 16'd0;
  assign hw2reg.gprc.inc    = {15'd0, st_rx_good_i};
  assign hw2reg.gorc.inc    = st_rx_good_i ? st_rx_bytes_i : 16'd0;
  assign hw2reg.bprc.inc    = {15'd0, st_rx_good_i && st_rx_bcast_i};
  assign hw2reg.mprc.inc    = {15'd0, st_rx_good_i && st_rx_mcast_i};
  assign hw2reg.crcerrs.inc = {15'd0, st_rx_crcerr_i};
  assign hw2reg.ruc.inc     = {15'd0, st_rx_runt_i};
  assign hw2reg.roc.inc     = {15'd0, st_rx_oversize_i};
  assign hw2reg.rlec.inc    = {15'd0, st_rx_runt_i || st_rx_oversize_i};
  assign hw2reg.mpc.inc     = {15'd0, st_rx_missed_i};
  assign hw2reg.rnbc.inc    = {15'd0, st_rx_nobuf_i};
  assign hw2reg.vfdc.inc    = {15'd0, st_rx_vlan_drop_i};
  assign hw2reg.tpt.inc     = {15'd0, st_tx_i};
  assign hw2reg.tot.inc     = st_tx_i ? st_tx_bytes_i : 16'd0;
  assign hw2reg.gptc.inc    = {15'd0, st_tx_i && st_tx_good_i};
  assign hw2reg.gotc.inc    = (st_tx_i && st_tx_good_i) ? st_tx_bytes_i : 16'd0;
  assign hw2reg.bptc.inc    = {15'd0, st_tx_i && st_tx_good_i && st_tx_bcast_i};
  assign hw2reg.mptc.inc    = {15'd0, st_tx_i && st_tx_good_i && st_tx_mcast_i};
  assign hw2reg.tsctc.inc   = {15'd0, st_tso_i};
  assign hw2reg.tsctfc.inc  = {14'd0, st_tso_fail_i};
  assign hw2reg.xonrxc.inc  = {15'd0, st_xon_rx_i};
  assign hw2reg.xoffrxc.inc = {15'd0, st_xoff_rx_i};
  assign hw2reg.xontxc.inc  = {15'd0, st_xon_tx_i};
  assign hw2reg.xofftxc.inc = {15'd0, st_xoff_tx_i};

  // ---------------------------------------------------------------- outputs
  assign rxen_o  = reg2hw.rctl.rxen.q;
  assign sbp_o   = reg2hw.rctl.sbp.q;
  assign upe_o   = reg2hw.rctl.upe.q;
  assign mpe_o   = reg2hw.rctl.mpe.q;
  assign bam_o   = reg2hw.rctl.bam.q;
  assign secrc_o = reg2hw.rctl.secrc.q;
  assign rdmts_o = reg2hw.rctl.rdmts.q;
  assign ipofl_o = reg2hw.rxcsum.ipofl.q;
  assign tuofl_o = reg2hw.rxcsum.tuofl.q;
  assign mo_o    = reg2hw.rctl.mo.q;
  assign bsize_o = reg2hw.rctl.bsize.q;
  assign mfs_o   = reg2hw.mfs.q;
  assign rdba_o  = {reg2hw.rdbah.q, reg2hw.rdbal.q, 4'd0};
  assign rdlen_o = reg2hw.rdlen.q;
  assign rdt_o   = reg2hw.rdt.q;
  assign rdtr_o  = reg2hw.rdtr.q;
  assign txen_o  = reg2hw.tctl.txen.q;
  assign tpde_o  = reg2hw.tctl.tpde.q;
  assign tdba_o  = {reg2hw.tdbah.q, reg2hw.tdbal.q, 4'd0};
  assign tdlen_o = reg2hw.tdlen.q;
  assign tdt_o   = reg2hw.tdt.q;
  assign tidv_o  = reg2hw.tidv.q;
  assign itr_o   = reg2hw.itr.q;
  assign mta_word_o = mta[mta_idx_i];
  assign vme_o       = reg2hw.ctrl0.vme.q;
  assign vfe_o       = reg2hw.rctl.vfe.q;
  assign vet_o       = reg2hw.vet.q;
  assign vfta_word_o = vfta[vfta_idx_i];
  assign rpe_o   = reg2hw.ctrl0.rpe.q;
  assign tpe_o   = reg2hw.ctrl0.tpe.q;
  assign xone_o  = reg2hw.fcrtl.xone.q;
  assign fcrtl_o = reg2hw.fcrtl.rtl.q;
  assign fcrth_o = reg2hw.fcrth.q;
  assign pause_time_o = reg2hw.pap.txpc.q;

  // head writes go to the DMA engines, which own the head pointers
  assign rdh_we_o  = reg2hw_ext.rdh.qe;
  assign tdh_we_o  = reg2hw_ext.tdh.qe;
  assign wdata16_o = reg2hw_ext.rdh.q[15:0];  // RDH and TDH q: the same write data
  // the interrupt block owns ICR and IMS
  assign icr_rd_o  = reg2hw_ext.icr.re;
  assign ics_we_o  = reg2hw_ext.ics.qe;
  assign ims_we_o  = reg2hw_ext.ims.qe;
  assign imc_we_o  = reg2hw_ext.imc.qe;
  assign wdata_o   = reg2hw_ext.ims.q;  // ICS, IMS and IMC q: the same write data, masked to the causes

  // The receive addresses for the MAC's filter: a copy of RAL/RAH loaded the cycle after a
  // register write and while the register file is reset, so the filter sees a write one cycle
  // after RAL/RAH do. (Assembling the 16 entries combinationally cost the simulation every cycle.)
  logic ra_load_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) ra_load_q <= 1'b1;
    else ra_load_q <= !reg_rst_n || reg_wr;
  end
  always_ff @(posedge clk_i) begin
    if (ra_load_q) begin
      for (int i = 0; i < RAL_COUNT; i++) begin
        ra_addr_o[48*i +: 48] <= {rah[i][RAH_LSB +: RAH_WIDTH], ral[i]};
        ra_valid_o[i]         <= rah[i][RAH_AV_LSB];
      end
    end
  end

  assign idle_o = bus_idle && !reg2hw.ctrl0.rst.q && !ra_load_q;

  // stored only (no behaviour yet), or read by software alone
  logic unused;
  assign unused = ^{reg2hw.ctrl0.lrst, reg2hw.ctrl0.jfe, reg2hw.tctl.tce, reg2hw.dmaerr, reg2hw.pap.txpv,
                    reg2hw_ext.rdh.q[31:16], reg2hw_ext.tdh.q, reg2hw_ext.ics.q, reg2hw_ext.imc.q, rah};
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_soft_reset: cover property (@(posedge clk_i) disable iff (!rst_ni) reg2hw.ctrl0.rst.q);
`endif
  // ==== end cover points ====
endmodule
