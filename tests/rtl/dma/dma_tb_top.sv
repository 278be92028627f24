// Test top: TX DMA + RX DMA (behind the VLAN stripping stage) + AXI arbiter as in nic_top, with the FIFO sides and register inputs as ports.
// tx_fifo_i = 1 puts the TX frame FIFO of nic_top (with its checksum patches) between the TX DMA
// and the tx_axis port; 0 (the default) gives the DMA's stream itself.
module dma_tb_top #(
  parameter int unsigned AxiDataWidth = 128,
  parameter int unsigned AxiIdWidth   = 4,
  parameter int unsigned AxiAddrWidth = 64
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      flush_i,   // soft reset: engines reset, arbiter flushed
  input  logic                      tx_fifo_i, // static: the TX stream through the TX frame FIFO
  // TX queue registers and stream
  input  logic                      txen_i,
  input  logic [63:0]               tdba_i,
  input  logic [19:0]               tdlen_i,
  input  logic [15:0]               tdt_i,
  input  logic [15:0]               vet_i,     // VET (TX insertion and RX stripping)
  input  logic                      tdh_we_i,
  input  logic [15:0]               tdh_wdata_i,
  output logic [15:0]               tdh_o,
  output logic [63:0]               tx_axis_tdata,
  output logic [7:0]                tx_axis_tkeep,
  output logic                      tx_axis_tvalid,
  input  logic                      tx_axis_tready,
  output logic                      tx_axis_tlast,
  output logic                      tx_axis_tuser,
  output logic                      tx_evt_wb_o,
  output logic                      tx_evt_wb_ide_o,
  output logic                      tx_evt_txqe_o,
  output logic [5:0]                tx_err_o,
  output logic                      tx_st_tso_o,
  output logic [1:0]                tx_st_tso_fail_o,
  output logic                      tx_stopped_o,
  output logic [11:0]               tx_fifo_frames_o,  // frames stored in the TX FIFO (tx_fifo_i = 1)
  // RX queue registers and stream
  input  logic                      rxen_i,
  input  logic [63:0]               rdba_i,
  input  logic [19:0]               rdlen_i,
  input  logic [15:0]               rdt_i,
  input  logic                      rdh_we_i,
  input  logic [15:0]               rdh_wdata_i,
  output logic [15:0]               rdh_o,
  input  logic [1:0]                bsize_i,
  input  logic [1:0]                rdmts_i,
  input  logic                      ipofl_i,
  input  logic                      tuofl_i,
  input  logic                      vme_i,     // CTRL0.VME: strip the tag of received frames
  input  logic [63:0]               rx_axis_tdata,
  input  logic [7:0]                rx_axis_tkeep,
  input  logic                      rx_axis_tvalid,
  output logic                      rx_axis_tready,
  input  logic                      rx_axis_tlast,
  input  logic                      rx_axis_tflag,
  output logic                      rx_evt_rxt0_o,
  output logic                      rx_evt_rxdmt0_o,
  output logic                      rx_evt_rnbc_o,
  output logic [3:0]                rx_err_o,
  output logic                      rx_stopped_o,
  // arbiter slave-port response valids, to check that flushed responses never reach an engine
  output logic                      dbg_s0_rvalid_o,
  output logic                      dbg_s1_rvalid_o,
  output logic                      dbg_s0_bvalid_o,
  output logic                      dbg_s1_bvalid_o,
  // AXI4 master towards the memory model
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
  output logic                      m_axi_rready
);
  logic core_rst_n;
  assign core_rst_n = rst_ni && !flush_i;

  nic_axi_pkg::req_t dma_req [2];
  nic_axi_pkg::rsp_t dma_rsp [2];
  nic_axi_pkg::req_t m_req;
  nic_axi_pkg::rsp_t m_rsp;

  logic [63:0] txd_tdata, txf_tdata;
  logic [7:0]  txd_tkeep, txf_tkeep;
  logic        txd_tvalid, txd_tready, txd_tlast, txd_tuser, txf_tvalid, txf_tready, txf_tlast;
  nic_dma_pkg::tx_patch_t txd_tpatch;

  /* verilator lint_off PINCONNECTEMPTY */  // idle_o: not used at block level
  nic_tx_dma #(.AxiId(0)) u_tx_dma (
    .clk_i, .rst_ni (core_rst_n),
    .txen_i, .tdba_i, .tdlen_i, .tdt_i, .vet_i, .tdh_we_i, .tdh_wdata_i, .tdh_o,
    .m_axi_req_o (dma_req[0]), .m_axi_rsp_i (dma_rsp[0]),
    .m_axis_tdata (txd_tdata), .m_axis_tkeep (txd_tkeep), .m_axis_tvalid (txd_tvalid),
    .m_axis_tready (txd_tready), .m_axis_tlast (txd_tlast), .m_axis_tuser (txd_tuser),
    .m_axis_tpatch (txd_tpatch),
    .evt_wb_o (tx_evt_wb_o), .evt_wb_ide_o (tx_evt_wb_ide_o), .evt_txqe_o (tx_evt_txqe_o),
    .err_o (tx_err_o), .st_tso_o (tx_st_tso_o), .st_tso_fail_o (tx_st_tso_fail_o),
    .stopped_o (tx_stopped_o), .idle_o ()
  );

  nic_frame_fifo #(.Depth(2048), .DropWhenFull(1'b0)) u_tx_fifo (
    .clk_i, .rst_ni (core_rst_n),
    .s_axis_tdata (txd_tdata), .s_axis_tkeep (txd_tkeep), .s_axis_tvalid (txd_tvalid && tx_fifo_i),
    .s_axis_tready (txf_tready), .s_axis_tlast (txd_tlast), .s_axis_tuser (txd_tuser), .s_axis_tflag (1'b0),
    .s_axis_tpatch_en (txd_tpatch.en), .s_axis_tpatch_off (txd_tpatch.off), .s_axis_tpatch_val (txd_tpatch.val),
    .m_axis_tdata (txf_tdata), .m_axis_tkeep (txf_tkeep), .m_axis_tvalid (txf_tvalid),
    .m_axis_tready (tx_axis_tready && tx_fifo_i), .m_axis_tlast (txf_tlast), .m_axis_tflag (),
    .overflow_o (), .frame_count_o (tx_fifo_frames_o), .level_o (), .idle_o ()
  );
  assign txd_tready     = tx_fifo_i ? txf_tready : tx_axis_tready;
  assign tx_axis_tdata  = tx_fifo_i ? txf_tdata : txd_tdata;
  assign tx_axis_tkeep  = tx_fifo_i ? txf_tkeep : txd_tkeep;
  assign tx_axis_tvalid = tx_fifo_i ? txf_tvalid : txd_tvalid;
  assign tx_axis_tlast  = tx_fifo_i ? txf_tlast : txd_tlast;
  assign tx_axis_tuser  = tx_fifo_i ? 1'b0 : txd_tuser;  // the FIFO drops discarded frames

  logic [63:0] rxv_tdata;
  logic [7:0]  rxv_tkeep;
  logic        rxv_tvalid, rxv_tready, rxv_tlast, rxv_tflag;
  nic_dma_pkg::rx_vlan_t rxv_tvlan;
  nic_rx_vlan u_rx_vlan (
    .clk_i, .rst_ni (core_rst_n), .vme_i, .vet_i,
    .s_axis_tdata (rx_axis_tdata), .s_axis_tkeep (rx_axis_tkeep), .s_axis_tvalid (rx_axis_tvalid),
    .s_axis_tready (rx_axis_tready), .s_axis_tlast (rx_axis_tlast), .s_axis_tflag (rx_axis_tflag),
    .m_axis_tdata (rxv_tdata), .m_axis_tkeep (rxv_tkeep), .m_axis_tvalid (rxv_tvalid),
    .m_axis_tready (rxv_tready), .m_axis_tlast (rxv_tlast), .m_axis_tflag (rxv_tflag),
    .m_axis_tvlan (rxv_tvlan), .quiet_o ()
  );

  nic_rx_dma #(.AxiId(1)) u_rx_dma (
    .clk_i, .rst_ni (core_rst_n),
    .rxen_i, .rdba_i, .rdlen_i, .rdt_i, .rdh_we_i, .rdh_wdata_i, .rdh_o, .bsize_i, .rdmts_i, .ipofl_i, .tuofl_i,
    .s_axis_tdata (rxv_tdata), .s_axis_tkeep (rxv_tkeep), .s_axis_tvalid (rxv_tvalid),
    .s_axis_tready (rxv_tready), .s_axis_tlast (rxv_tlast), .s_axis_tflag (rxv_tflag), .s_axis_tvlan (rxv_tvlan),
    .m_axi_req_o (dma_req[1]), .m_axi_rsp_i (dma_rsp[1]),
    .evt_rxt0_o (rx_evt_rxt0_o), .evt_rxdmt0_o (rx_evt_rxdmt0_o), .evt_rnbc_o (rx_evt_rnbc_o),
    .err_o (rx_err_o), .stopped_o (rx_stopped_o), .idle_o ()
  );

  nic_axi_arb u_arb (
    .clk_i, .rst_ni, .flush_i,
    .s_req_i (dma_req), .s_rsp_o (dma_rsp), .m_req_o (m_req), .m_rsp_i (m_rsp),
    .idle_o ()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  nic_axi_flat u_axi_flat (
    .req_i (m_req), .rsp_o (m_rsp),
    .m_axi_awid, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst, .m_axi_awvalid, .m_axi_awready,
    .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast, .m_axi_wvalid, .m_axi_wready,
    .m_axi_bid, .m_axi_bresp, .m_axi_bvalid, .m_axi_bready,
    .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst, .m_axi_arvalid, .m_axi_arready,
    .m_axi_rid, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast, .m_axi_rvalid, .m_axi_rready
  );

  assign dbg_s0_rvalid_o = dma_rsp[0].r_valid;
  assign dbg_s1_rvalid_o = dma_rsp[1].r_valid;
  assign dbg_s0_bvalid_o = dma_rsp[0].b_valid;
  assign dbg_s1_bvalid_o = dma_rsp[1].b_valid;
endmodule
