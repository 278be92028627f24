// Descriptor fetch for one ring: how many descriptors to read next, from where, with room reserved in the prefetch FIFO.
//
// A request covers up to FetchBurst descriptors from the fetch pointer towards the tail, never past
// the ring end or a 4 KiB boundary. It waits for room for a whole burst in the prefetch FIFO
// (DescDepth entries, counted by reservation: reserved at the request, freed when a descriptor
// leaves the FIFO) unless fewer descriptors are left before the tail or the ring end. want_o
// depends on registers and the ring registers only; go_o also on the AR register being free.
module nic_dma_desc_fetch #(
  parameter int unsigned DescDepth = 16,
  localparam int unsigned CntW     = $clog2(DescDepth + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            run_i,
  input  logic            clear_i,        // engine stopped and drained: back to the head
  input  logic [63:0]     base_i,         // ring base (low 4 bits ignored)
  input  logic [15:0]     ring_n_i,       // descriptors in the ring
  input  logic [15:0]     tail_i,
  input  logic [15:0]     head_next_i,    // the head register's next value (taken on clear)
  input  logic            head_we_i,      // software writes the head (only while the queue is idle)
  input  logic [15:0]     head_wdata_i,
  input  logic            ar_can_load_i,  // the AR register takes a request this cycle
  input  logic            desc_pop_i,     // a descriptor left the prefetch FIFO
  output logic            want_o,         // a fetch is due
  output logic            go_o,           // ... and is issued this cycle
  output logic [63:0]     addr_o,
  output logic [3:0]      n_o,            // descriptors in the request (1..FetchBurst)
  output logic [15:0]     ptr_o,          // next descriptor to fetch
  output logic [CntW-1:0] res_o           // prefetch FIFO entries reserved
);
  import nic_dma_pkg::*;

  if (DescDepth < FetchBurst) begin : gen_depth_check
    $error("nic_dma_desc_fetch: DescDepth must hold a whole fetch burst (>= FetchBurst)");
  end
  if (FetchBurst > 16) begin : gen_burst_check
    $error("nic_dma_desc_fetch: FetchBurst must fit a 4-bit AXI length");
  end

  logic [15:0]     fetch_ptr_q, fetch_ptr_d;
  logic [CntW-1:0] desc_res_q, desc_res_d, desc_free;
  logic [15:0]     avail_to_end, fet_n16, fet_n_cut, fetch_ptr_inc;
  logic [63:0]     fetch_addr;
  logic [8:0]      fetch_to4k;

  // Only a ring with descriptors left to fetch (run_i, pointer short of the tail) uses the
  // burst below; it is evaluated only then (0 otherwise: no request is wanted).
  always_comb begin
    avail_to_end = '0;
    fetch_addr   = '0;
    fetch_to4k   = '0;
    desc_free    = '0;
    fet_n16      = '0;
    want_o       = 1'b0;
    fet_n_cut    = '0;
    if (run_i && (fetch_ptr_q != tail_i)) begin
      avail_to_end = (tail_i >= fetch_ptr_q) ? (tail_i - fetch_ptr_q) : (ring_n_i - fetch_ptr_q);
      fetch_addr   = {base_i[63:4], 4'd0} + {44'd0, fetch_ptr_q, 4'd0};
      fetch_to4k   = 9'd256 - {1'b0, fetch_addr[11:4]};
      desc_free    = CntW'(DescDepth) - desc_res_q;
      fet_n16      = (avail_to_end < 16'(FetchBurst)) ? avail_to_end : 16'(FetchBurst);
      // wait for room for a whole burst unless fewer are left before the tail / the ring end
      want_o       = 16'(desc_free) >= fet_n16;
      // never across 4 KiB (into a second variable: Verilator 5.006 does not count an `if` on a
      // variable the same block has just assigned, docs/coverage.md)
      if ({7'd0, fetch_to4k} < fet_n16) fet_n_cut = {7'd0, fetch_to4k};
      else fet_n_cut = fet_n16;
    end
    n_o          = fet_n_cut[3:0];
    go_o         = want_o && ar_can_load_i;
    addr_o       = fetch_addr;
  end

  // (a block of its own: desc_pop_i may depend on want_o)
  always_comb begin
    fetch_ptr_inc = fetch_ptr_q + 16'(n_o);
    fetch_ptr_d   = fetch_ptr_q;
    if (go_o) begin
      if (fetch_ptr_inc == ring_n_i) fetch_ptr_d = '0;  // ring wrap
      else fetch_ptr_d = fetch_ptr_inc;
    end
    desc_res_d = desc_res_q + (go_o ? CntW'(n_o) : '0) - CntW'(desc_pop_i);
    if (clear_i) begin
      fetch_ptr_d = head_next_i;
      desc_res_d  = '0;
    end
    if (head_we_i) fetch_ptr_d = head_wdata_i;  // only meaningful while the queue is idle
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      fetch_ptr_q <= '0;
      desc_res_q  <= '0;
    end else begin
      fetch_ptr_q <= fetch_ptr_d;
      desc_res_q  <= desc_res_d;
    end
  end

  assign ptr_o = fetch_ptr_q;
  assign res_o = desc_res_q;

  logic unused_ok;
  assign unused_ok = ^{base_i[3:0], fetch_addr[3:0], fetch_to4k[8:4], fet_n_cut[15:4]};

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (desc_res_q <= CntW'(DescDepth)) else $error("nic_dma_desc_fetch: reservation overflow");
      assert (!(desc_pop_i && desc_res_q == '0)) else $error("nic_dma_desc_fetch: pop without reservation");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_ring_wrap: cover property (@(posedge clk_i) disable iff (!rst_ni) go_o && (fetch_ptr_inc == ring_n_i));
  cov_fetch_cut_at_4k: cover property (@(posedge clk_i) disable iff (!rst_ni) go_o && ({7'd0, fetch_to4k} < fet_n16));
  cov_wait_for_fifo_room: cover property (@(posedge clk_i) disable iff (!rst_ni) run_i && (fetch_ptr_q != tail_i) && (16'(desc_free) < fet_n16));
  cov_fetch_short_of_burst: cover property (@(posedge clk_i) disable iff (!rst_ni) go_o && n_o < 4'(FetchBurst));
`endif
  // ==== end cover points ====
endmodule
