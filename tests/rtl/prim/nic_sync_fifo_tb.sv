// Test top for nic_sync_fifo: a power-of-two instance (Depth 8, a packed struct) and one that wraps by hand (Depth 5).
module nic_sync_fifo_tb (
  input  logic        clk_i,
  input  logic        rst_ni,
  // Depth = 8, T = elem_t
  input  logic        p2_clr_i,
  input  logic        p2_push_i,
  input  logic [19:0] p2_wdata_i,
  input  logic        p2_pop_i,
  output logic [19:0] p2_rdata_o,
  output logic [3:0]  p2_count_o,
  output logic        p2_full_o,
  output logic        p2_empty_o,
  output logic        p2_clean_o,
  // Depth = 5, T = logic [17:0]
  input  logic        np_clr_i,
  input  logic        np_push_i,
  input  logic [17:0] np_wdata_i,
  input  logic        np_pop_i,
  output logic [17:0] np_rdata_o,
  output logic [2:0]  np_count_o,
  output logic        np_full_o,
  output logic        np_empty_o,
  output logic        np_clean_o
);
  typedef struct packed {
    logic [15:0] idx;
    logic [2:0]  kind;
    logic        last;
  } elem_t;

  elem_t p2_wdata, p2_rdata;
  assign p2_wdata   = elem_t'(p2_wdata_i);
  assign p2_rdata_o = p2_rdata;

  nic_sync_fifo #(
    .T     (elem_t),
    .Depth (8)
  ) u_p2 (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clr_i   (p2_clr_i),
    .push_i  (p2_push_i),
    .wdata_i (p2_wdata),
    .pop_i   (p2_pop_i),
    .rdata_o (p2_rdata),
    .count_o (p2_count_o),
    .full_o  (p2_full_o),
    .empty_o (p2_empty_o),
    .clean_o (p2_clean_o)
  );

  nic_sync_fifo #(
    .T     (logic [17:0]),
    .Depth (5)
  ) u_np (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clr_i   (np_clr_i),
    .push_i  (np_push_i),
    .wdata_i (np_wdata_i),
    .pop_i   (np_pop_i),
    .rdata_o (np_rdata_o),
    .count_o (np_count_o),
    .full_o  (np_full_o),
    .empty_o (np_empty_o),
    .clean_o (np_clean_o)
  );
endmodule
