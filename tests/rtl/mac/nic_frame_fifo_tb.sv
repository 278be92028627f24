// Test top for nic_frame_fifo: a backpressure (TX) and a drop-when-full (RX) instance side by side.
module nic_frame_fifo_tb #(
  parameter int unsigned Depth = 64
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // DropWhenFull = 0
  input  logic [63:0]            bp_s_axis_tdata,
  input  logic [7:0]             bp_s_axis_tkeep,
  input  logic                   bp_s_axis_tvalid,
  output logic                   bp_s_axis_tready,
  input  logic                   bp_s_axis_tlast,
  input  logic                   bp_s_axis_tuser,
  input  logic                   bp_s_axis_tflag,
  output logic [63:0]            bp_m_axis_tdata,
  output logic [7:0]             bp_m_axis_tkeep,
  output logic                   bp_m_axis_tvalid,
  input  logic                   bp_m_axis_tready,
  output logic                   bp_m_axis_tlast,
  output logic                   bp_m_axis_tflag,
  output logic                   bp_overflow_o,
  output logic [$clog2(Depth):0] bp_frame_count_o,
  // DropWhenFull = 1
  input  logic [63:0]            dr_s_axis_tdata,
  input  logic [7:0]             dr_s_axis_tkeep,
  input  logic                   dr_s_axis_tvalid,
  output logic                   dr_s_axis_tready,
  input  logic                   dr_s_axis_tlast,
  input  logic                   dr_s_axis_tuser,
  input  logic                   dr_s_axis_tflag,
  output logic [63:0]            dr_m_axis_tdata,
  output logic [7:0]             dr_m_axis_tkeep,
  output logic                   dr_m_axis_tvalid,
  input  logic                   dr_m_axis_tready,
  output logic                   dr_m_axis_tlast,
  output logic                   dr_m_axis_tflag,
  output logic                   dr_overflow_o,
  output logic [$clog2(Depth):0] dr_frame_count_o
);
  /* verilator lint_off PINCONNECTEMPTY */  // idle_o: not used at block level
  nic_frame_fifo #(
    .Depth        (Depth),
    .DropWhenFull (1'b0)
  ) u_bp (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .s_axis_tdata  (bp_s_axis_tdata),
    .s_axis_tkeep  (bp_s_axis_tkeep),
    .s_axis_tvalid (bp_s_axis_tvalid),
    .s_axis_tready (bp_s_axis_tready),
    .s_axis_tlast  (bp_s_axis_tlast),
    .s_axis_tuser  (bp_s_axis_tuser),
    .s_axis_tflag  (bp_s_axis_tflag),
    .s_axis_tpatch_en (2'b00), .s_axis_tpatch_off (16'd0), .s_axis_tpatch_val (32'd0),
    .m_axis_tdata  (bp_m_axis_tdata),
    .m_axis_tkeep  (bp_m_axis_tkeep),
    .m_axis_tvalid (bp_m_axis_tvalid),
    .m_axis_tready (bp_m_axis_tready),
    .m_axis_tlast  (bp_m_axis_tlast),
    .m_axis_tflag  (bp_m_axis_tflag),
    .overflow_o    (bp_overflow_o),
    .frame_count_o (bp_frame_count_o),
    .level_o       (),
    .idle_o        ()
  );

  nic_frame_fifo #(
    .Depth        (Depth),
    .DropWhenFull (1'b1)
  ) u_dr (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .s_axis_tdata  (dr_s_axis_tdata),
    .s_axis_tkeep  (dr_s_axis_tkeep),
    .s_axis_tvalid (dr_s_axis_tvalid),
    .s_axis_tready (dr_s_axis_tready),
    .s_axis_tlast  (dr_s_axis_tlast),
    .s_axis_tuser  (dr_s_axis_tuser),
    .s_axis_tflag  (dr_s_axis_tflag),
    .s_axis_tpatch_en (2'b00), .s_axis_tpatch_off (16'd0), .s_axis_tpatch_val (32'd0),
    .m_axis_tdata  (dr_m_axis_tdata),
    .m_axis_tkeep  (dr_m_axis_tkeep),
    .m_axis_tvalid (dr_m_axis_tvalid),
    .m_axis_tready (dr_m_axis_tready),
    .m_axis_tlast  (dr_m_axis_tlast),
    .m_axis_tflag  (dr_m_axis_tflag),
    .overflow_o    (dr_overflow_o),
    .frame_count_o (dr_frame_count_o),
    .level_o       (),
    .idle_o        ()
  );
  /* verilator lint_on PINCONNECTEMPTY */
endmodule
