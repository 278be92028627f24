// AXI4 channels of the DMA bus as packed structs: one request and one response struct per master port.
//
// The widths are the design's (the DMA engines are written for 128-bit beats and 64-bit
// addresses); nic_top checks its parameters against them and keeps its external ports flat.
package nic_axi_pkg;
  localparam int unsigned IdWidth   = 4;
  localparam int unsigned AddrWidth = 64;
  localparam int unsigned DataWidth = 128;
  localparam int unsigned StrbWidth = DataWidth / 8;

  // AW or AR (the address at bit 0: see req_t)
  typedef struct packed {
    logic [IdWidth-1:0]   id;
    logic [7:0]           len;
    logic [2:0]           size;
    logic [1:0]           burst;
    logic [AddrWidth-1:0] addr;
  } ax_t;

  // (the data fields sit at bit 0 of their structs, and those structs at bit 0 of req_t/rsp_t,
  // so the simulator copies the 128-bit words without shifting them)
  typedef struct packed {
    logic [StrbWidth-1:0] strb;
    logic                 last;
    logic [DataWidth-1:0] data;
  } w_t;

  typedef struct packed {
    logic [IdWidth-1:0] id;
    logic [1:0]         resp;
  } b_t;

  typedef struct packed {
    logic [IdWidth-1:0]   id;
    logic [1:0]           resp;
    logic                 last;
    logic [DataWidth-1:0] data;
  } r_t;

  // master -> slave. AR and AW start at a 32-bit word (bits 160 and 256; the pad bits are never
  // read), so the simulator copies their addresses as whole words rather than shifting each
  // request across word boundaries in every cycle.
  typedef struct packed {
    ax_t        aw;
    logic [14:0] pad_aw;
    ax_t        ar;
    logic [9:0] pad_ar;
    logic       aw_valid;
    logic       b_ready;
    logic       ar_valid;
    logic       r_ready;
    logic       w_valid;
    w_t         w;
  } req_t;

  // slave -> master
  typedef struct packed {
    logic aw_ready;
    logic w_ready;
    b_t   b;
    logic b_valid;
    logic ar_ready;
    logic r_valid;
    r_t   r;
  } rsp_t;
endpackage
