// AXI4 master port: the channel structs (nic_axi_pkg) on one side, the flat AMBA signal names on the other.
module nic_axi_flat (
  input  nic_axi_pkg::req_t                        req_i,
  output nic_axi_pkg::rsp_t                        rsp_o,
  output logic [nic_axi_pkg::IdWidth-1:0]          m_axi_awid,
  output logic [nic_axi_pkg::AddrWidth-1:0]        m_axi_awaddr,
  output logic [7:0]                               m_axi_awlen,
  output logic [2:0]                               m_axi_awsize,
  output logic [1:0]                               m_axi_awburst,
  output logic                                     m_axi_awvalid,
  input  logic                                     m_axi_awready,
  output logic [nic_axi_pkg::DataWidth-1:0]        m_axi_wdata,
  output logic [nic_axi_pkg::StrbWidth-1:0]        m_axi_wstrb,
  output logic                                     m_axi_wlast,
  output logic                                     m_axi_wvalid,
  input  logic                                     m_axi_wready,
  input  logic [nic_axi_pkg::IdWidth-1:0]          m_axi_bid,
  input  logic [1:0]                               m_axi_bresp,
  input  logic                                     m_axi_bvalid,
  output logic                                     m_axi_bready,
  output logic [nic_axi_pkg::IdWidth-1:0]          m_axi_arid,
  output logic [nic_axi_pkg::AddrWidth-1:0]        m_axi_araddr,
  output logic [7:0]                               m_axi_arlen,
  output logic [2:0]                               m_axi_arsize,
  output logic [1:0]                               m_axi_arburst,
  output logic                                     m_axi_arvalid,
  input  logic                                     m_axi_arready,
  input  logic [nic_axi_pkg::IdWidth-1:0]          m_axi_rid,
  input  logic [nic_axi_pkg::DataWidth-1:0]        m_axi_rdata,
  input  logic [1:0]                               m_axi_rresp,
  input  logic                                     m_axi_rlast,
  input  logic                                     m_axi_rvalid,
  output logic                                     m_axi_rready
);
  assign m_axi_awid    = req_i.aw.id;
  assign m_axi_awaddr  = req_i.aw.addr;
  assign m_axi_awlen   = req_i.aw.len;
  assign m_axi_awsize  = req_i.aw.size;
  assign m_axi_awburst = req_i.aw.burst;
  assign m_axi_awvalid = req_i.aw_valid;
  assign m_axi_wdata   = req_i.w.data;
  assign m_axi_wstrb   = req_i.w.strb;
  assign m_axi_wlast   = req_i.w.last;
  assign m_axi_wvalid  = req_i.w_valid;
  assign m_axi_bready  = req_i.b_ready;
  assign m_axi_arid    = req_i.ar.id;
  assign m_axi_araddr  = req_i.ar.addr;
  assign m_axi_arlen   = req_i.ar.len;
  assign m_axi_arsize  = req_i.ar.size;
  assign m_axi_arburst = req_i.ar.burst;
  assign m_axi_arvalid = req_i.ar_valid;
  assign m_axi_rready  = req_i.r_ready;
  assign rsp_o = '{aw_ready: m_axi_awready, w_ready: m_axi_wready,
                   b: '{id: m_axi_bid, resp: m_axi_bresp}, b_valid: m_axi_bvalid, ar_ready: m_axi_arready,
                   r: '{id: m_axi_rid, data: m_axi_rdata, resp: m_axi_rresp, last: m_axi_rlast},
                   r_valid: m_axi_rvalid};

  logic unused_pad;  // the alignment pads of req_t carry nothing
  assign unused_pad = ^{req_i.pad_aw, req_i.pad_ar};
endmodule
