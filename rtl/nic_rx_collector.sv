// RX collector: takes the frame stream into the prefetched buffers, as 16-byte beats cut into write bursts, and closes each filled buffer.
//
// Stream beats are taken while a descriptor is at hand and there is room downstream. Pairs of
// 64-bit words become one 16-byte beat of the W FIFO; a burst is cut at 16 beats, a 4 KiB boundary,
// a full buffer or the frame end, and queued as (address, length). A filled buffer or the frame
// end sends the descriptor to the write-back queue (pc) with its length, EOP and CRC error. While
// stopped, a frame already begun is consumed to its end and dropped.
module nic_rx_collector (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  run_i,
  input  logic                  clear_i,
  input  logic [15:0]           ring_n_i,
  input  logic [15:0]           tail_i,         // RDT
  input  logic [15:0]           head_next_i,    // RDH's next value (taken on clear)
  input  logic                  head_we_i,
  input  logic [15:0]           head_wdata_i,
  input  logic [1:0]            bsize_i,        // 0: 2048, 1: 4096, 2: 8192, 3: 16384 bytes
  // frame stream (complete frames, no gaps inside a frame)
  input  logic [63:0]           s_axis_tdata,
  input  logic [7:0]            s_axis_tkeep,
  input  logic                  s_axis_tvalid,
  output logic                  s_axis_tready,
  input  logic                  s_axis_tlast,
  input  logic                  s_axis_tflag,   // at tlast: CRC error
  input  nic_dma_pkg::rx_csum_t s_axis_tcsum,   // at tlast: checksum offload result
  input  nic_dma_pkg::rx_vlan_t s_axis_tvlan,   // at tlast: the 802.1Q tag stripped (nic_rx_vlan)
  // descriptor FIFO head (buffer address / 16)
  input  logic                  desc_valid_i,
  input  logic [59:0]           desc_i,
  output logic                  desc_pop_o,
  // towards the writer
  input  logic                  wf_full_i,
  output logic                  wf_push_o,
  output nic_dma_pkg::rx_wbeat_t wf_o,
  input  logic                  bq_full_i,
  output logic                  bq_push_o,
  output nic_dma_pkg::rx_burst_t bq_o,
  input  logic                  pc_full_i,
  output logic                  pc_push_o,
  output nic_dma_pkg::rx_pc_t   pc_o,
  output logic                  evt_rnbc_o,     // a frame found no free descriptor (once per frame)
  output logic [15:0]           use_ptr_o,      // the descriptor being filled (or next)
  output logic                  in_frame_o,     // a frame is being taken
  output logic                  quiet_o,        // no frame being taken, no pulse
  output logic                  clean_o         // buffer state as `clear` leaves it
);
  import nic_dma_pkg::*;

  logic        in_frame_q, in_frame_d, have_desc_q, half_q;
  logic        burst_open_q, rnbc_done_q, rnbc_done_d, evt_rnbc_q, evt_rnbc_d;
  logic [15:0] use_ptr_q;
  logic [59:0] wr_addr_q, burst_addr_q, beat_addr, burst_start;
  logic [4:0]  burst_cnt_q, burst_cnt_n;
  logic [14:0] buf_len_q, buf_len_n, bsize_bytes;
  logic [63:0] lo_data_q;
  logic [7:0]  lo_strb_q;
  logic [3:0]  nbytes;
  logic        st_hs, take, buf_full, end_desc, push_beat, close_burst, space_ok, desc_ok;

  assign bsize_bytes = 15'd2048 << bsize_i;

  // Combinational logic costs the simulation (Verilator) every cycle: what a beat does (its byte
  // count, burst and buffer decisions, the words pushed downstream) is computed only with a beat
  // offered (tvalid). Without one nothing is pushed or taken and those values are not read
  // (pushes and the cover points need take), so they are 0 there.
  always_comb begin
    space_ok = !wf_full_i && !bq_full_i && !pc_full_i;
    desc_ok  = have_desc_q || desc_valid_i;
    // while stopped, a frame already begun is consumed to its end and dropped
    s_axis_tready = run_i ? (desc_ok && space_ok) : in_frame_q;
    st_hs = s_axis_tvalid && s_axis_tready;
    take  = run_i && st_hs;

    nbytes      = 4'd0;
    beat_addr   = '0;
    buf_len_n   = '0;
    buf_full    = 1'b0;
    end_desc    = 1'b0;
    push_beat   = 1'b0;
    burst_cnt_n = '0;
    burst_start = '0;
    close_burst = 1'b0;
    wf_o        = '0;
    bq_o        = '0;
    pc_o        = '0;
    if (s_axis_tvalid) begin
      nbytes = {3'd0, s_axis_tkeep[0]} + {3'd0, s_axis_tkeep[1]} + {3'd0, s_axis_tkeep[2]} +
               {3'd0, s_axis_tkeep[3]} + {3'd0, s_axis_tkeep[4]} + {3'd0, s_axis_tkeep[5]} +
               {3'd0, s_axis_tkeep[6]} + {3'd0, s_axis_tkeep[7]};
      beat_addr   = have_desc_q ? wr_addr_q : desc_i;
      buf_len_n   = buf_len_q + 15'(nbytes);
      // BSIZE is a multiple of 16 and only a frame's last beat is partial: a buffer fills on a full beat
      buf_full    = (buf_len_n == bsize_bytes);
      end_desc    = s_axis_tlast || buf_full;
      push_beat   = half_q || end_desc;
      burst_cnt_n = (burst_open_q ? burst_cnt_q : 5'd0) + 5'd1;
      burst_start = burst_open_q ? burst_addr_q : beat_addr;
      close_burst = (burst_cnt_n == 5'd16) || (beat_addr[7:0] == 8'hFF) || end_desc;

      wf_o.data = half_q ? {s_axis_tdata, lo_data_q} : {64'd0, s_axis_tdata};
      wf_o.strb = half_q ? {s_axis_tkeep, lo_strb_q} : {8'd0, s_axis_tkeep};
      bq_o      = '{addr: burst_start, len: 4'(burst_cnt_n - 5'd1), last: end_desc};
      if (s_axis_tlast) begin
        pc_o = '{vlan: s_axis_tvlan, csum: s_axis_tcsum, idx: use_ptr_q, len: buf_len_n, eop: 1'b1,
                 ce: s_axis_tflag};
      end else begin
        pc_o = '{vlan: '0, csum: '0, idx: use_ptr_q, len: buf_len_n, eop: 1'b0, ce: 1'b0};
      end
    end
    wf_push_o  = take && push_beat;
    bq_push_o  = take && push_beat && close_burst;
    pc_push_o  = take && end_desc;
    desc_pop_o = take && !have_desc_q;

    in_frame_d = st_hs ? !s_axis_tlast : in_frame_q;

    // RNBC: the frame needs a descriptor and every one up to RDT is in use
    evt_rnbc_d  = run_i && s_axis_tvalid && !desc_ok && (use_ptr_q == tail_i) && !rnbc_done_q;
    rnbc_done_d = (st_hs && s_axis_tlast) ? 1'b0 : (rnbc_done_q || evt_rnbc_d);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      use_ptr_q    <= '0;
      evt_rnbc_q   <= 1'b0;
      in_frame_q   <= 1'b0;
      have_desc_q  <= 1'b0;
      half_q       <= 1'b0;
      burst_open_q <= 1'b0;
      rnbc_done_q  <= 1'b0;
      wr_addr_q    <= '0;
      burst_addr_q <= '0;
      burst_cnt_q  <= '0;
      buf_len_q    <= '0;
      lo_data_q    <= '0;
      lo_strb_q    <= '0;
    end else begin
      evt_rnbc_q  <= evt_rnbc_d;
      in_frame_q  <= in_frame_d;
      rnbc_done_q <= rnbc_done_d;
      // The buffer state moves only with a beat taken, a clear or an RDH write: updated at the edge
      // (as combinational next values they were copied every cycle in the Verilated model).
      if (take) begin
        have_desc_q <= !end_desc;
        buf_len_q   <= end_desc ? 15'd0 : buf_len_n;
        half_q      <= !push_beat;
        wr_addr_q   <= push_beat ? beat_addr + 60'd1 : beat_addr;
        if (!push_beat) begin
          lo_data_q <= s_axis_tdata;
          lo_strb_q <= s_axis_tkeep;
        end else begin
          burst_open_q <= !close_burst;
          burst_addr_q <= burst_start;
          burst_cnt_q  <= close_burst ? 5'd0 : burst_cnt_n;
        end
        if (end_desc) begin  // (the test reads use_ptr_q: Verilator 5.006 counts it, docs/coverage.md)
          if (use_ptr_q + 16'd1 == ring_n_i) use_ptr_q <= '0;
          else use_ptr_q <= use_ptr_q + 16'd1;
        end
      end
      if (clear_i) begin
        have_desc_q  <= 1'b0;
        half_q       <= 1'b0;
        burst_open_q <= 1'b0;
        burst_cnt_q  <= '0;
        buf_len_q    <= '0;
        use_ptr_q    <= head_next_i;
      end
      if (head_we_i) use_ptr_q <= head_wdata_i;
    end
  end

  assign evt_rnbc_o = evt_rnbc_q;
  assign use_ptr_o  = use_ptr_q;
  assign in_frame_o = in_frame_q;
  assign quiet_o    = !in_frame_q && !evt_rnbc_q;
  assign clean_o    = !have_desc_q && !half_q && !burst_open_q && (burst_cnt_q == '0) && (buf_len_q == '0);

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (take && !s_axis_tlast) assert (s_axis_tkeep == 8'hFF)
        else $error("nic_rx_collector: partial beat before tlast");
    end
  end
`endif
  // ==== cover points (docs/coverage.md; ./nicsim coverage prints each count) ====
`ifndef SYNTHESIS
  cov_ring_wrap: cover property (@(posedge clk_i) disable iff (!rst_ni) take && end_desc && (use_ptr_q + 16'd1 == ring_n_i));
  cov_chain_next_desc: cover property (@(posedge clk_i) disable iff (!rst_ni) take && buf_full && !s_axis_tlast);
  cov_burst_cut_at_4k: cover property (@(posedge clk_i) disable iff (!rst_ni) take && push_beat && beat_addr[7:0] == 8'hFF && !end_desc && burst_cnt_n != 5'd16);
  cov_burst_16_beats: cover property (@(posedge clk_i) disable iff (!rst_ni) take && push_beat && burst_cnt_n == 5'd16);
  cov_no_descriptor: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rnbc_d);
  cov_frame_dropped_while_stopped: cover property (@(posedge clk_i) disable iff (!rst_ni) !run_i && st_hs);
  cov_crc_error_flag: cover property (@(posedge clk_i) disable iff (!rst_ni) pc_push_o && pc_o.ce);
  cov_no_descriptor_mid_frame: cover property (@(posedge clk_i) disable iff (!rst_ni) evt_rnbc_d && in_frame_q);
`endif
  // ==== end cover points ====
endmodule
