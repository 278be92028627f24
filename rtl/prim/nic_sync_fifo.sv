// Synchronous FIFO of any element type: register-array storage, head read combinationally, count kept in a register.
//
// A push and a pop may happen in the same cycle, also when full (the popped head is read before the
// write). clr_i empties the FIFO and returns both pointers to zero (the state reset leaves);
// clean_o says the FIFO is in that state. The storage is not reset.
module nic_sync_fifo #(
  parameter type         T     = logic [7:0],
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            clr_i,    // synchronous clear (over push and pop)
  input  logic            push_i,
  input  T                wdata_i,
  input  logic            pop_i,
  output T                rdata_o,  // the head; meaningful while !empty_o
  output logic [CntW-1:0] count_o,
  output logic            full_o,
  output logic            empty_o,
  output logic            clean_o   // empty and both pointers at zero
);
  if (Depth < 1) begin : gen_depth_check
    $error("nic_sync_fifo: Depth must be at least 1");
  end

  localparam logic [PtrW-1:0] LastPtr = PtrW'(Depth - 1);
  // with a power-of-two depth the pointers wrap by themselves
  localparam bit Pow2 = (Depth & (Depth - 1)) == 0;

  T                mem_q [Depth];
  logic [PtrW-1:0] wp_q, rp_q;
  logic [CntW-1:0] cnt_q;

  function automatic logic [PtrW-1:0] ptr_inc(logic [PtrW-1:0] p);
    return (Pow2 || p != LastPtr) ? p + PtrW'(1) : '0;
  endfunction

  always_ff @(posedge clk_i) begin
    if (!rst_ni || clr_i) begin
      wp_q  <= '0;
      rp_q  <= '0;
      cnt_q <= '0;
    end else if (push_i || pop_i) begin  // (the count is not recomputed in the other cycles)
      if (push_i) wp_q <= ptr_inc(wp_q);
      if (pop_i)  rp_q <= ptr_inc(rp_q);
      cnt_q <= cnt_q + CntW'(push_i) - CntW'(pop_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wp_q] <= wdata_i;
  end

  assign rdata_o = mem_q[rp_q];
  assign count_o = cnt_q;
  assign full_o  = (cnt_q == CntW'(Depth));
  assign empty_o = (cnt_q == '0);
  assign clean_o = empty_o && (wp_q == '0) && (rp_q == '0);

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    // (checked when the count can change: push or pop)
    if (rst_ni && !clr_i && (push_i || pop_i)) begin
      assert (!(push_i && full_o && !pop_i)) else $error("nic_sync_fifo: overflow (%m)");
      assert (!(pop_i && empty_o)) else $error("nic_sync_fifo: underflow (%m)");
      assert (cnt_q <= CntW'(Depth)) else $error("nic_sync_fifo: count out of range (%m)");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_full: cover property (@(posedge clk_i) disable iff (!rst_ni) full_o);
`endif
  // ==== end cover points ====
endmodule
