// Test top for nic_tx_tso: segmenter -> checksum offload (observing) -> VLAN insertion -> TX frame
// FIFO (its patch port), as in nic_tx_dma and nic_top, with the option FIFO head as flat ports.
module tso_tb_top (
  input  logic        clk_i,
  input  logic        rst_ni,
  // chain stream (as nic_tx_packer gives it)
  input  logic [63:0] s_axis_tdata,
  input  logic [7:0]  s_axis_tkeep,
  input  logic        s_axis_tvalid,
  output logic        s_axis_tready,
  input  logic        s_axis_tlast,
  input  logic        s_axis_tuser,
  // option FIFO head
  input  logic        opt_valid_i,
  input  logic        opt_tso_i,
  input  logic        opt_tse_i,
  input  logic        opt_ip_i,
  input  logic [7:0]  opt_hdrlen_i,
  input  logic [15:0] opt_mss_i,
  input  logic [19:0] opt_paylen_i,
  input  logic        opt_ixsm_i,
  input  logic        opt_txsm_i,
  input  logic [7:0]  opt_ipcss_i,
  input  logic [7:0]  opt_ipcso_i,
  input  logic [15:0] opt_ipcse_i,
  input  logic [7:0]  opt_tucss_i,
  input  logic [7:0]  opt_tucso_i,
  input  logic [15:0] opt_tucse_i,
  input  logic        opt_vle_i,
  input  logic [15:0] opt_vlan_i,
  input  logic [15:0] vet_i,
  output logic        opt_pop_o,
  // segments between the segmenter and the FIFO (observed)
  output logic        seg_tvalid_o,
  output logic        seg_tready_o,
  output logic        seg_tlast_o,
  output logic        seg_tuser_o,
  // frames out of the FIFO (segments discarded with tuser are gone)
  output logic [63:0] m_axis_tdata,
  output logic [7:0]  m_axis_tkeep,
  output logic        m_axis_tvalid,
  input  logic        m_axis_tready,
  output logic        m_axis_tlast,
  output logic        done_o,
  output logic        fail_o,
  output logic        quiet_o
);
  nic_dma_pkg::tx_opt_t   opt;
  nic_dma_pkg::tx_patch_t patch, v_patch;
  logic [63:0] t_tdata, v_tdata;
  logic [7:0]  t_tkeep, v_tkeep;
  logic        t_tvalid, t_tready, t_tlast, t_tuser, v_tvalid, v_tready, v_tlast, v_tuser;
  logic        tso_quiet, vlan_quiet;

  assign opt = '{vle: opt_vle_i, vlan: opt_vlan_i, tso: opt_tso_i,
                 tso_ctx: '{tse: opt_tse_i, ip: opt_ip_i, hdrlen: opt_hdrlen_i, mss: opt_mss_i, paylen: opt_paylen_i},
                 ixsm: opt_ixsm_i, txsm: opt_txsm_i,
                 ctx: '{ipcss: opt_ipcss_i, ipcso: opt_ipcso_i, ipcse: opt_ipcse_i,
                        tucss: opt_tucss_i, tucso: opt_tucso_i, tucse: opt_tucse_i}};

  nic_tx_tso u_tso (
    .clk_i, .rst_ni,
    .s_axis_tdata, .s_axis_tkeep, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast, .s_axis_tuser,
    .opt_valid_i, .opt_i (opt), .opt_pop_o,
    .m_axis_tdata (t_tdata), .m_axis_tkeep (t_tkeep), .m_axis_tvalid (t_tvalid), .m_axis_tready (t_tready),
    .m_axis_tlast (t_tlast), .m_axis_tuser (t_tuser),
    .done_o, .fail_o, .quiet_o (tso_quiet)
  );

  /* verilator lint_off PINCONNECTEMPTY */
  nic_tx_csum u_csum (
    .clk_i, .rst_ni,
    .s_axis_tdata (t_tdata), .s_axis_tkeep (t_tkeep), .s_axis_tvalid (t_tvalid),
    .s_axis_tready (t_tready), .s_axis_tlast (t_tlast), .s_axis_tuser (t_tuser),
    .opt_valid_i, .opt_i (opt), .opt_pop_o (), .patch_o (patch), .quiet_o ()
  );

  nic_tx_vlan u_vlan (
    .clk_i, .rst_ni, .vet_i,
    .s_axis_tdata (t_tdata), .s_axis_tkeep (t_tkeep), .s_axis_tvalid (t_tvalid), .s_axis_tready (t_tready),
    .s_axis_tlast (t_tlast), .s_axis_tuser (t_tuser), .s_axis_tpatch (patch),
    .opt_valid_i, .opt_i (opt),
    .m_axis_tdata (v_tdata), .m_axis_tkeep (v_tkeep), .m_axis_tvalid (v_tvalid), .m_axis_tready (v_tready),
    .m_axis_tlast (v_tlast), .m_axis_tuser (v_tuser), .m_axis_tpatch (v_patch), .quiet_o (vlan_quiet)
  );

  nic_frame_fifo #(.Depth(2048), .DropWhenFull(1'b0)) u_fifo (
    .clk_i, .rst_ni,
    .s_axis_tdata (v_tdata), .s_axis_tkeep (v_tkeep), .s_axis_tvalid (v_tvalid), .s_axis_tready (v_tready),
    .s_axis_tlast (v_tlast), .s_axis_tuser (v_tuser), .s_axis_tflag (1'b0),
    .s_axis_tpatch_en (v_patch.en), .s_axis_tpatch_off (v_patch.off), .s_axis_tpatch_val (v_patch.val),
    .m_axis_tdata, .m_axis_tkeep, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast, .m_axis_tflag (),
    .overflow_o (), .frame_count_o (), .level_o (), .idle_o ()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  assign quiet_o      = tso_quiet && vlan_quiet;
  assign seg_tvalid_o = t_tvalid;
  assign seg_tready_o = t_tready;
  assign seg_tlast_o  = t_tlast;
  assign seg_tuser_o  = t_tuser;
endmodule
