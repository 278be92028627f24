// Combinational CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) running-state update over 0..8 bytes.
//
// crc_o is the new running state after the bytes of data_i selected by keep_i (contiguous from
// bit 0; byte 0 = data_i[7:0] is first on the wire). Start from 32'hFFFFFFFF; the FCS is ~state,
// sent least-significant byte first. A full word (keep_i = 8'hFF) folds the state into the first
// four data bytes and XORs eight 256-entry tables computed at elaboration, one per byte lane
// (slicing-by-8; each entry the XOR of the columns of the 8-byte matrix its byte selects): eight
// lookups, where a 64-column XOR matrix took 64 masked XORs in the Verilated model. Partial words
// (the last of a frame) go through a byte-wise loop of bit-serial steps; with no byte nothing is computed.
module nic_crc32 (
  input  logic [31:0] crc_i,
  input  logic [63:0] data_i,
  input  logic [7:0]  keep_i,
  output logic [31:0] crc_o
);
  localparam logic [31:0] PolyRefl = 32'hEDB88320;

  // One byte, eight bit-serial steps of the reflected LFSR.
  function automatic logic [31:0] crc_byte(input logic [31:0] c, input logic [7:0] d);
    logic [31:0] r;
    r = c ^ {24'h0, d};
    for (int unsigned b = 0; b < 8; b++) begin
      r = (r >> 1) ^ (PolyRefl & {32{r[0]}});
    end
    return r;
  endfunction

  // Column b of the 8-byte matrix: the state produced by bit b alone of {data[63:32], data[31:0]^crc}.
  function automatic logic [63:0][31:0] gen_columns();
    logic [63:0][31:0] cols;
    logic [63:0] x;
    logic [31:0] c;
    for (int unsigned b = 0; b < 64; b++) begin
      x = 64'd1 << b;
      c = 32'd0;
      for (int unsigned i = 0; i < 8; i++) begin
        c = crc_byte(c, x[8*i +: 8]);
      end
      cols[b] = c;
    end
    return cols;
  endfunction

  localparam logic [63:0][31:0] Columns = gen_columns();

  // Entry 256*i + v: the columns of byte lane i XORed as the bits of v select them.
  typedef logic [31:0] table_t [2048];
  function automatic table_t gen_tables();
    table_t t;
    for (int unsigned i = 0; i < 8; i++) begin
      for (int unsigned v = 0; v < 256; v++) begin
        t[256*i + v] = 32'd0;
        for (int unsigned b = 0; b < 8; b++) begin
          if (v[b]) t[256*i + v] = t[256*i + v] ^ Columns[8*i + b];
        end
      end
    end
    return t;
  endfunction

  localparam table_t Tables = gen_tables();

  logic [63:0] folded;
  assign folded = {data_i[63:32], data_i[31:0] ^ crc_i};

  always_comb begin
    crc_o = 32'd0;
    if (keep_i == 8'hFF) begin
      for (int unsigned i = 0; i < 8; i++) begin
        crc_o = crc_o ^ Tables[{3'(i), folded[8*i +: 8]}];
      end
    end else if (keep_i != 8'h00) begin
      crc_o = crc_i;
      for (int unsigned i = 0; i < 8; i++) begin
        if (keep_i[i]) crc_o = crc_byte(crc_o, data_i[8*i +: 8]);
      end
    end else begin
      crc_o = crc_i;  // no byte (e.g. between frames): no byte steps evaluated
    end
  end
endmodule
