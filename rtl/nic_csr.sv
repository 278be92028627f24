// BAR0 register file: AXI4-Lite slave, control registers, receive address/MTA tables and statistics counters.
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
  input  logic        st_tx_i,
  input  logic [15:0] st_tx_bytes_i,
  input  logic        st_tx_bcast_i,
  input  logic        st_tx_mcast_i,
  input  logic        st_tx_good_i,
  // no bus transaction in progress and no soft reset pulse; the registers change only on writes
  // and the counters only on events, which the other blocks report in their idle_o
  output logic        idle_o
);

  // ---------------------------------------------------------------- bus handshake
  // Writes: AW and W accepted together, B one cycle later. Reads: R one cycle after AR.
  logic bvalid_q, rvalid_q;
  logic [31:0] rdata_q;
  logic wr_en, rd_en;
  logic [CsrAddrWidth-1:0] waddr, raddr;

  assign wr_en          = s_axil_awvalid && s_axil_wvalid && !bvalid_q;
  assign rd_en          = s_axil_arvalid && !rvalid_q;
  assign s_axil_awready = wr_en;
  assign s_axil_wready  = wr_en;
  assign s_axil_arready = rd_en;
  assign s_axil_bvalid  = bvalid_q;
  assign s_axil_bresp   = 2'b00;
  assign s_axil_rvalid  = rvalid_q;
  assign s_axil_rresp   = 2'b00;
  assign s_axil_rdata   = rdata_q;
  assign waddr          = {s_axil_awaddr[CsrAddrWidth-1:2], 2'b00};
  assign raddr          = {s_axil_araddr[CsrAddrWidth-1:2], 2'b00};

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      bvalid_q <= 1'b0;
      rvalid_q <= 1'b0;
    end else begin
      if (wr_en) bvalid_q <= 1'b1;
      else if (s_axil_bready) bvalid_q <= 1'b0;
      if (rd_en) rvalid_q <= 1'b1;
      else if (s_axil_rready) rvalid_q <= 1'b0;
    end
  end

  // write decode
  function automatic logic hit(input logic [CsrAddrWidth-1:0] a, input logic [CsrAddrWidth-1:0] off);
    return a == off;
  endfunction
  // index into a register array, or -1
  function automatic int arr_idx(input logic [CsrAddrWidth-1:0] a, input logic [CsrAddrWidth-1:0] base,
                                 input int unsigned count, input int unsigned stride);
    int unsigned d;
    if (a < base) return -1;
    d = 32'(a) - 32'(base);
    if (d >= count * stride || (d % stride) != 0) return -1;
    return int'(d / stride);
  endfunction

  // ---------------------------------------------------------------- registers
  logic soft_rst_q;
  logic srst_n;  // register-file reset: hard reset or CTRL0.RST
  assign srst_n     = rst_ni && !soft_rst_q;
  assign soft_rst_o = soft_rst_q;

  logic [31:0] ctrl0_q, mfs_q, rctl_q, rdbal_q, rdbah_q, rdlen_q, rdt_q, rdtr_q, rxcsum_q;
  logic [31:0] tctl_q, tdbal_q, tdbah_q, tdlen_q, tdt_q, tidv_q, itr_q, dmaerr_q;
  // packed: Verilator 5.006 cannot do non-blocking writes to unpacked arrays in loops
  logic [RAL_COUNT-1:0][31:0] ral_q;
  logic [RAH_COUNT-1:0][31:0] rah_q;
  logic [MTA_COUNT-1:0][31:0] mta_q;

  localparam logic [31:0] RctlMask = (32'h1 << RCTL_RXEN_LSB) | (32'h1 << RCTL_SBP_LSB) |
      (32'h1 << RCTL_UPE_LSB) | (32'h1 << RCTL_MPE_LSB) | (32'h3 << RCTL_RDMTS_LSB) |
      (32'h3 << RCTL_MO_LSB) | (32'h1 << RCTL_BAM_LSB) | (32'h3 << RCTL_BSIZE_LSB) |
      (32'h1 << RCTL_SECRC_LSB);
  localparam logic [31:0] TctlMask = (32'h1 << TCTL_TCE_LSB) | (32'h1 << TCTL_TXEN_LSB) |
      (32'h1 << TCTL_TPDE_LSB);
  localparam logic [31:0] Ctrl0Mask = (32'h1 << CTRL0_LRST_LSB) | (32'h1 << CTRL0_JFE_LSB);
  localparam logic [31:0] RahMask = 32'h8003FFFF;
  localparam logic [31:0] RxcsumMask = (32'h1 << RXCSUM_IPOFL_LSB) | (32'h1 << RXCSUM_TUOFL_LSB);

  logic [31:0] wd;
  assign wd = s_axil_wdata;
  int wr_ral, wr_rah, wr_mta, rd_ral, rd_rah, rd_mta;
  assign wr_ral = arr_idx(waddr, RAL_OFFSET, RAL_COUNT, RAL_STRIDE);
  assign wr_rah = arr_idx(waddr, RAH_OFFSET, RAH_COUNT, RAH_STRIDE);
  assign wr_mta = arr_idx(waddr, MTA_OFFSET, MTA_COUNT, MTA_STRIDE);
  assign rd_ral = arr_idx(raddr, RAL_OFFSET, RAL_COUNT, RAL_STRIDE);
  assign rd_rah = arr_idx(raddr, RAH_OFFSET, RAH_COUNT, RAH_STRIDE);
  assign rd_mta = arr_idx(raddr, MTA_OFFSET, MTA_COUNT, MTA_STRIDE);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) soft_rst_q <= 1'b0;
    else soft_rst_q <= wr_en && hit(waddr, CTRL0_OFFSET) && wd[CTRL0_RST_LSB];
  end

  always_ff @(posedge clk_i) begin
    if (!srst_n) begin
      ctrl0_q  <= CTRL0_RESET;
      mfs_q    <= MFS_RESET;
      rctl_q   <= RCTL_RESET;
      rdbal_q  <= RDBAL_RESET;
      rdbah_q  <= RDBAH_RESET;
      rdlen_q  <= RDLEN_RESET;
      rdt_q    <= RDT_RESET;
      rdtr_q   <= RDTR_RESET;
      rxcsum_q <= RXCSUM_RESET;
      tctl_q   <= TCTL_RESET;
      tdbal_q  <= TDBAL_RESET;
      tdbah_q  <= TDBAH_RESET;
      tdlen_q  <= TDLEN_RESET;
      tdt_q    <= TDT_RESET;
      tidv_q   <= TIDV_RESET;
      itr_q    <= ITR_RESET;
      dmaerr_q <= DMAERR_RESET;
      for (int i = 0; i < RAL_COUNT; i++) begin
        ral_q[i] <= RAL_RESET;
        rah_q[i] <= RAH_RESET;
      end
      // the EEPROM address, when there is one, is valid in entry 0 from reset
      if (mac_addr_i != 48'd0) begin
        ral_q[0] <= mac_addr_i[31:0];
        rah_q[0] <= {1'b1, 15'd0, mac_addr_i[47:32]};
      end
      for (int i = 0; i < MTA_COUNT; i++) mta_q[i] <= MTA_RESET;
    end else begin
      // hardware sets error bits; a write of 1 clears them (a bit set in the same cycle wins)
      dmaerr_q <= (dmaerr_q & ~((wr_en && hit(waddr, DMAERR_OFFSET)) ? wd : 32'd0))
                  | {20'd0, rx_err_i, 2'd0, tx_err_i};
      if (wr_en) begin
        if (hit(waddr, CTRL0_OFFSET))  ctrl0_q  <= wd & Ctrl0Mask;
        if (hit(waddr, MFS_OFFSET))    mfs_q    <= wd & 32'hFFFF0000;
        if (hit(waddr, RCTL_OFFSET))   rctl_q   <= wd & RctlMask;
        if (hit(waddr, RDBAL_OFFSET))  rdbal_q  <= wd & 32'hFFFFFFF0;
        if (hit(waddr, RDBAH_OFFSET))  rdbah_q  <= wd;
        if (hit(waddr, RDLEN_OFFSET))  rdlen_q  <= wd & 32'h000FFFFF;
        if (hit(waddr, RDT_OFFSET))    rdt_q    <= wd & 32'h0000FFFF;
        if (hit(waddr, RDTR_OFFSET))   rdtr_q   <= wd & 32'h0000FFFF;
        if (hit(waddr, RXCSUM_OFFSET)) rxcsum_q <= wd & RxcsumMask;
        if (hit(waddr, TCTL_OFFSET))   tctl_q   <= wd & TctlMask;
        if (hit(waddr, TDBAL_OFFSET))  tdbal_q  <= wd & 32'hFFFFFFF0;
        if (hit(waddr, TDBAH_OFFSET))  tdbah_q  <= wd;
        if (hit(waddr, TDLEN_OFFSET))  tdlen_q  <= wd & 32'h000FFFFF;
        if (hit(waddr, TDT_OFFSET))    tdt_q    <= wd & 32'h0000FFFF;
        if (hit(waddr, TIDV_OFFSET))   tidv_q   <= wd & 32'h0000FFFF;
        if (hit(waddr, ITR_OFFSET))    itr_q    <= wd & 32'h0000FFFF;
        if (wr_ral >= 0) ral_q[wr_ral[3:0]] <= wd;
        if (wr_rah >= 0) rah_q[wr_rah[3:0]] <= wd & RahMask;
        if (wr_mta >= 0) mta_q[wr_mta[6:0]] <= wd;
      end
    end
  end

  assign rdh_we_o  = wr_en && hit(waddr, RDH_OFFSET);
  assign tdh_we_o  = wr_en && hit(waddr, TDH_OFFSET);
  assign wdata16_o = wd[15:0];
  assign ics_we_o  = wr_en && hit(waddr, ICS_OFFSET);
  assign ims_we_o  = wr_en && hit(waddr, IMS_OFFSET);
  assign imc_we_o  = wr_en && hit(waddr, IMC_OFFSET);
  assign wdata_o   = wd;
  assign icr_rd_o  = rd_en && hit(raddr, ICR_OFFSET);

  // ---------------------------------------------------------------- statistics
  typedef enum logic [4:0] {
    StTpr, StGprc, StBprc, StMprc, StGorc, StTor, StRnbc, StRuc, StRoc, StRlec, StCrcerrs, StMpc,
    StTpt, StGptc, StBptc, StMptc, StGotc, StTot
  } stat_e;
  localparam int unsigned NumStats = 18;

  logic [NumStats-1:0][63:0] stat_q;
  logic [NumStats-1:0][31:0] stat_hi_q;  // high half latched by the read of the low half
  logic [NumStats-1:0][15:0] stat_inc;

  always_comb begin
    for (int i = 0; i < NumStats; i++) stat_inc[i] = 16'd0;
    stat_inc[StTpr]     = {15'd0, st_rx_i};
    stat_inc[StTor]     = st_rx_i ? st_rx_bytes_i : 16'd0;
    stat_inc[StGprc]    = {15'd0, st_rx_good_i};
    stat_inc[StGorc]    = st_rx_good_i ? st_rx_bytes_i : 16'd0;
    stat_inc[StBprc]    = {15'd0, st_rx_good_i && st_rx_bcast_i};
    stat_inc[StMprc]    = {15'd0, st_rx_good_i && st_rx_mcast_i};
    stat_inc[StCrcerrs] = {15'd0, st_rx_crcerr_i};
    stat_inc[StRuc]     = {15'd0, st_rx_runt_i};
    stat_inc[StRoc]     = {15'd0, st_rx_oversize_i};
    stat_inc[StRlec]    = {15'd0, st_rx_runt_i || st_rx_oversize_i};
    stat_inc[StMpc]     = {15'd0, st_rx_missed_i};
    stat_inc[StRnbc]    = {15'd0, st_rx_nobuf_i};
    stat_inc[StTpt]     = {15'd0, st_tx_i};
    stat_inc[StTot]     = st_tx_i ? st_tx_bytes_i : 16'd0;
    stat_inc[StGptc]    = {15'd0, st_tx_i && st_tx_good_i};
    stat_inc[StGotc]    = (st_tx_i && st_tx_good_i) ? st_tx_bytes_i : 16'd0;
    stat_inc[StBptc]    = {15'd0, st_tx_i && st_tx_good_i && st_tx_bcast_i};
    stat_inc[StMptc]    = {15'd0, st_tx_i && st_tx_good_i && st_tx_mcast_i};
  end

  // which counter a read address selects; half: 0 = low (or 32-bit, clears), 1 = latched high
  logic       rd_stat_hit;
  logic       rd_stat_hi;
  stat_e      rd_stat;
  always_comb begin
    rd_stat_hit = 1'b1;
    rd_stat_hi  = 1'b0;
    rd_stat     = StTpr;
    unique case (raddr)
      TPRL_OFFSET:    rd_stat = StTpr;
      TPRH_OFFSET:    begin rd_stat = StTpr;  rd_stat_hi = 1'b1; end
      GPRCL_OFFSET:   rd_stat = StGprc;
      GPRCH_OFFSET:   begin rd_stat = StGprc; rd_stat_hi = 1'b1; end
      BPRCL_OFFSET:   rd_stat = StBprc;
      BPRCH_OFFSET:   begin rd_stat = StBprc; rd_stat_hi = 1'b1; end
      MPRCL_OFFSET:   rd_stat = StMprc;
      MPRCH_OFFSET:   begin rd_stat = StMprc; rd_stat_hi = 1'b1; end
      GORCL_OFFSET:   rd_stat = StGorc;
      GORCH_OFFSET:   begin rd_stat = StGorc; rd_stat_hi = 1'b1; end
      TORL_OFFSET:    rd_stat = StTor;
      TORH_OFFSET:    begin rd_stat = StTor;  rd_stat_hi = 1'b1; end
      RNBC_OFFSET:    rd_stat = StRnbc;
      RUC_OFFSET:     rd_stat = StRuc;
      ROC_OFFSET:     rd_stat = StRoc;
      RLEC_OFFSET:    rd_stat = StRlec;
      CRCERRS_OFFSET: rd_stat = StCrcerrs;
      MPC_OFFSET:     rd_stat = StMpc;
      TPTL_OFFSET:    rd_stat = StTpt;
      TPTH_OFFSET:    begin rd_stat = StTpt;  rd_stat_hi = 1'b1; end
      GPTCL_OFFSET:   rd_stat = StGptc;
      GPTCH_OFFSET:   begin rd_stat = StGptc; rd_stat_hi = 1'b1; end
      BPTCL_OFFSET:   rd_stat = StBptc;
      BPTCH_OFFSET:   begin rd_stat = StBptc; rd_stat_hi = 1'b1; end
      MPTCL_OFFSET:   rd_stat = StMptc;
      MPTCH_OFFSET:   begin rd_stat = StMptc; rd_stat_hi = 1'b1; end
      GOTCL_OFFSET:   rd_stat = StGotc;
      GOTCH_OFFSET:   begin rd_stat = StGotc; rd_stat_hi = 1'b1; end
      TOTL_OFFSET:    rd_stat = StTot;
      TOTH_OFFSET:    begin rd_stat = StTot;  rd_stat_hi = 1'b1; end
      default:        rd_stat_hit = 1'b0;
    endcase
  end

  logic stat_clr;
  assign stat_clr = rd_en && rd_stat_hit && !rd_stat_hi;

  always_ff @(posedge clk_i) begin
    if (!srst_n) begin
      for (int i = 0; i < NumStats; i++) begin
        stat_q[i]    <= '0;
        stat_hi_q[i] <= '0;
      end
    end else begin
      for (int i = 0; i < NumStats; i++) begin
        // reading the low half clears the counter; an event in the same cycle is kept
        if (stat_clr && rd_stat == stat_e'(i)) begin
          stat_q[i]    <= 64'(stat_inc[i]);
          stat_hi_q[i] <= stat_q[i][63:32];
        end else begin
          stat_q[i] <= stat_q[i] + 64'(stat_inc[i]);
        end
      end
    end
  end

  // ---------------------------------------------------------------- read mux
  logic [31:0] rd_val;
  always_comb begin
    rd_val = 32'd0;
    if (rd_stat_hit) begin
      rd_val = rd_stat_hi ? stat_hi_q[rd_stat] : stat_q[rd_stat][31:0];
    end else if (rd_ral >= 0) begin
      rd_val = ral_q[rd_ral[3:0]];
    end else if (rd_rah >= 0) begin
      rd_val = rah_q[rd_rah[3:0]];
    end else if (rd_mta >= 0) begin
      rd_val = mta_q[rd_mta[6:0]];
    end else begin
      unique case (raddr)
        CTRL0_OFFSET:  rd_val = ctrl0_q;
        STATUS_OFFSET: rd_val = {30'd0, link_up_i, 1'b0};
        MFS_OFFSET:    rd_val = mfs_q;
        ICR_OFFSET:    rd_val = icr_i;
        IMS_OFFSET:    rd_val = ims_i;
        ITR_OFFSET:    rd_val = itr_q;
        DMAERR_OFFSET: rd_val = dmaerr_q;
        RCTL_OFFSET:   rd_val = rctl_q;
        RDBAL_OFFSET:  rd_val = rdbal_q;
        RDBAH_OFFSET:  rd_val = rdbah_q;
        RDLEN_OFFSET:  rd_val = rdlen_q;
        RDH_OFFSET:    rd_val = {16'd0, rdh_i};
        RDT_OFFSET:    rd_val = rdt_q;
        RDTR_OFFSET:   rd_val = rdtr_q;
        RXCSUM_OFFSET: rd_val = rxcsum_q;
        TCTL_OFFSET:   rd_val = tctl_q;
        TDBAL_OFFSET:  rd_val = tdbal_q;
        TDBAH_OFFSET:  rd_val = tdbah_q;
        TDLEN_OFFSET:  rd_val = tdlen_q;
        TDH_OFFSET:    rd_val = {16'd0, tdh_i};
        TDT_OFFSET:    rd_val = tdt_q;
        TIDV_OFFSET:   rd_val = tidv_q;
        default:       rd_val = 32'd0;  // unmapped and write-only registers read 0
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (rd_en) rdata_q <= rd_val;
  end

  // ---------------------------------------------------------------- outputs
  assign rxen_o  = rctl_q[RCTL_RXEN_LSB];
  assign sbp_o   = rctl_q[RCTL_SBP_LSB];
  assign upe_o   = rctl_q[RCTL_UPE_LSB];
  assign mpe_o   = rctl_q[RCTL_MPE_LSB];
  assign bam_o   = rctl_q[RCTL_BAM_LSB];
  assign secrc_o = rctl_q[RCTL_SECRC_LSB];
  assign rdmts_o = rctl_q[RCTL_RDMTS_LSB +: 2];
  assign mo_o    = rctl_q[RCTL_MO_LSB +: 2];
  assign bsize_o = rctl_q[RCTL_BSIZE_LSB +: 2];
  assign mfs_o   = mfs_q[MFS_LSB +: 16];
  assign rdba_o  = {rdbah_q, rdbal_q};
  assign rdlen_o = rdlen_q[19:0];
  assign rdt_o   = rdt_q[15:0];
  assign rdtr_o  = rdtr_q[15:0];
  assign txen_o  = tctl_q[TCTL_TXEN_LSB];
  assign tpde_o  = tctl_q[TCTL_TPDE_LSB];
  assign tdba_o  = {tdbah_q, tdbal_q};
  assign tdlen_o = tdlen_q[19:0];
  assign tdt_o   = tdt_q[15:0];
  assign tidv_o  = tidv_q[15:0];
  assign itr_o   = itr_q[15:0];
  assign mta_word_o = mta_q[mta_idx_i];

  always_comb begin
    for (int i = 0; i < RAL_COUNT; i++) begin
      ra_addr_o[48*i +: 48] = {rah_q[i][15:0], ral_q[i]};
      ra_valid_o[i]         = rah_q[i][RAH_AV_LSB];
    end
  end

  assign idle_o = !bvalid_q && !rvalid_q && !soft_rst_q;

  logic unused;
  assign unused = ^{s_axil_wstrb, s_axil_awaddr[1:0], s_axil_araddr[1:0], ctrl0_q, rxcsum_q};
endmodule
