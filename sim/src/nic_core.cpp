// The Verilated NIC and its adapters, one clock cycle per step().
#include "nicsim/sim/nic_core.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "Vnic_top.h"
#include "nicsim/sim/debug.h"
#include "nicsim/sim/rtl_coverage.h"
#include "nicsim/sim/xgmii.h"
#include "nicsim/waves/fst_tracer.h"
#include "verilated.h"

namespace nicsim::sim {

MacAddr MacAddr::parse(const std::string& s) {
  MacAddr m;
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6)
    throw std::invalid_argument("bad MAC address '" + s + "'");
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 255) throw std::invalid_argument("bad MAC address '" + s + "'");
    m.b[i] = static_cast<uint8_t>(v[i]);
  }
  return m;
}

MacAddr MacAddr::local(uint32_t n) {
  MacAddr m;
  m.b = {0x02, 0x00, 0x00, 0x00, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  return m;
}

uint64_t MacAddr::to_u48() const {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
  return v;
}

std::string MacAddr::str() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return buf;
}

// NICSIM_NO_SKIP set to anything but "" or "0" turns the idle skip off for every NIC.
static bool skip_vetoed() {
  const char* e = std::getenv("NICSIM_NO_SKIP");
  return e && *e && std::strcmp(e, "0") != 0;
}

// One Verilated context for every NIC of the process, never destroyed: Verilator keeps
// process-wide pointers to the current and the last context (used by model destructors
// and $stop), which must never dangle. RTL errors are attributed to the NIC whose step
// raised them.
static VerilatedContext* shared_context() {
  static VerilatedContext* ctx = [] {
    auto* c = new VerilatedContext;
    c->fatalOnError(false);  // an RTL assertion is reported, not an abort of the test
    return c;
  }();
  return ctx;
}

NicCore::NicCore(std::string name, MacAddr mac, const NicParams& p)
    : name_(std::move(name)),
      mac_(mac),
      params_(p),
      axil_(name_ + ".axil"),
      dma_(name_ + ".dma", static_cast<uint32_t>(p.dma_max_reads),
           static_cast<uint32_t>(p.dma_max_writes)),
      msi_(name_ + ".msi") {
  skip_ = p.skip_idle && !skip_vetoed();
  ctx_ = err_ctx_ = shared_context();
  Verilated::threadContextp(ctx_);
  model_ = std::make_unique<Vnic_top>(ctx_, name_.c_str());
  tracer_ = std::make_unique<waves::FstTracer<Vnic_top>>(*model_);
  Vnic_top& m = *model_;
  m.clk_i = 0;
  m.rst_ni = 0;
  m.mac_addr_i = mac_.to_u48();
  m.link_up_i = 0;
  m.xgmii_rxd_i = 0x0707070707070707ull;
  m.xgmii_rxc_i = 0xFF;
}

NicCore::~NicCore() {
  close_trace();
  rtl_coverage_flush(ctx_);  // coverage build: save the counters the model's destructor frees
}

void NicCore::trace_window(uint64_t start_ps, uint64_t stop_ps, const std::string& path) {
  tracer_->add_window(start_ps, stop_ps, path);
  trace_check_ps_ = 0;
  NICSIM_DPRINTF(kWaves, name_.c_str(), "window %llu..%llu ps -> %s",
                 (unsigned long long)start_ps, (unsigned long long)stop_ps, path.c_str());
}

void NicCore::close_trace() {
  if (tracer_) tracer_->close();
  tracing_ = false;
}

bool NicCore::rtl_error() const { return rtl_error_; }

void NicCore::set_windowed(bool on) {
  Deferral* d = on ? this : nullptr;
  axil_.set_deferral(d);
  dma_.set_deferral(d);
  msi_.set_deferral(d);
  xgmii_.set_windowed(on);
}

void NicCore::defer(std::function<void()> fn) { effects_.push_back(Effect{xgmii_.outbox(), std::move(fn)}); }

void NicCore::apply() {
  // An effect may defer nothing further: it runs on the kernel thread, not in a step.
  for (Effect& e : effects_) {
    xgmii_.send(e.sent);
    e.fn();
  }
  effects_.clear();
  xgmii_.send();
}

void NicCore::step() {
  const uint64_t c = cycle_;
  const uint64_t t = cycle_to_ps(c);
  Vnic_top& m = *model_;

  if (__builtin_expect(t >= trace_check_ps_, 0)) {
    tracer_->update(t);
    trace_check_ps_ = tracer_->next_check_ps();
    tracing_ = tracer_->active();
  }

  // 0. Idle skip: nothing in the NIC, nothing arriving at this cycle -> nothing to evaluate.
  //    (idle_ is only set with skipping on; the link is asked exactly as in step 1.)
  bool xgmii_driven = false;
  if (idle_ && !tracing_ && axil_.quiet_at(c) && dma_.idle() && msi_.idle()) {
    xgmii_.drive(xp_, c);
    xgmii_driven = true;
    if (xp_.rxd == xgmii::kIdleData && xp_.rxc == xgmii::kIdleCtrl &&
        xp_.link_up == static_cast<bool>(m.link_up_i)) {
      axil_.skip_to(c);
      dma_.skip_to(c);
      skipped_++;
      cycle_ = c + 1;
      return;
    }
  }

  // 1. Inputs for the edge at cycle c.
  axil_.drive(lp_, c);
  dma_.drive(ap_, c);
  msi_.drive(mp_, c);
  if (!xgmii_driven) xgmii_.drive(xp_, c);
  m.rst_ni = c >= params_.reset_cycles;
  m.link_up_i = xp_.link_up;
  m.s_axil_awaddr = lp_.awaddr;
  m.s_axil_awvalid = lp_.awvalid;
  m.s_axil_wdata = lp_.wdata;
  m.s_axil_wstrb = lp_.wstrb;
  m.s_axil_wvalid = lp_.wvalid;
  m.s_axil_bready = lp_.bready;
  m.s_axil_araddr = lp_.araddr;
  m.s_axil_arvalid = lp_.arvalid;
  m.s_axil_rready = lp_.rready;
  m.m_axi_awready = ap_.awready;
  m.m_axi_wready = ap_.wready;
  m.m_axi_bid = ap_.bid;
  m.m_axi_bresp = ap_.bresp;
  m.m_axi_bvalid = ap_.bvalid;
  m.m_axi_arready = ap_.arready;
  m.m_axi_rid = ap_.rid;
  std::memcpy(&m.m_axi_rdata[0], ap_.rdata.data(), kAxiDataBytes);
  m.m_axi_rresp = ap_.rresp;
  m.m_axi_rlast = ap_.rlast;
  m.m_axi_rvalid = ap_.rvalid;
  m.msi_ack_i = mp_.ack;
  m.xgmii_rxd_i = xp_.rxd;
  m.xgmii_rxc_i = xp_.rxc;

  // 2. Settle with the clock low.
  m.clk_i = 0;
  m.eval();
  if (__builtin_expect(tracing_, 0)) tracer_->dump(c ? t - kCyclePs / 2 : 0);

  // 3. Outputs before the edge: the handshakes of this edge.
  lp_.awready = m.s_axil_awready;
  lp_.wready = m.s_axil_wready;
  lp_.bvalid = m.s_axil_bvalid;
  lp_.bresp = m.s_axil_bresp;
  lp_.arready = m.s_axil_arready;
  lp_.rvalid = m.s_axil_rvalid;
  lp_.rdata = m.s_axil_rdata;
  lp_.rresp = m.s_axil_rresp;
  ap_.awid = m.m_axi_awid;
  ap_.awaddr = m.m_axi_awaddr;
  ap_.awlen = m.m_axi_awlen;
  ap_.awsize = m.m_axi_awsize;
  ap_.awburst = m.m_axi_awburst;
  ap_.awvalid = m.m_axi_awvalid;
  std::memcpy(ap_.wdata.data(), &m.m_axi_wdata[0], kAxiDataBytes);
  ap_.wstrb = m.m_axi_wstrb;
  ap_.wlast = m.m_axi_wlast;
  ap_.wvalid = m.m_axi_wvalid;
  ap_.bready = m.m_axi_bready;
  ap_.arid = m.m_axi_arid;
  ap_.araddr = m.m_axi_araddr;
  ap_.arlen = m.m_axi_arlen;
  ap_.arsize = m.m_axi_arsize;
  ap_.arburst = m.m_axi_arburst;
  ap_.arvalid = m.m_axi_arvalid;
  ap_.rready = m.m_axi_rready;
  mp_.req = m.msi_req_o;
  mp_.vector = m.msi_vector_o;
  xp_.txd = m.xgmii_txd_o;
  xp_.txc = m.xgmii_txc_o;
  axil_.sample(lp_, c);
  dma_.sample(ap_, c);
  msi_.sample(mp_, c);
  xgmii_.sample(xp_, c);

  // 4. The rising edge.
  m.clk_i = 1;
  m.eval();
  if (__builtin_expect(tracing_, 0)) tracer_->dump(t);
  // idle_o: with rst_ni high from now on (it rises once), a promise about the next cycles.
  rtl_idle_ = m.idle_o && c + 1 >= params_.reset_cycles;
  idle_ = skip_ && rtl_idle_;
  if (__builtin_expect(err_ctx_->gotError(), 0)) {
    rtl_error_ = true;
    err_ctx_->gotError(false);
    err_ctx_->gotFinish(false);
    NICSIM_DPRINTF(kNic, name_.c_str(), "RTL error at cycle %llu", (unsigned long long)c);
  }
  cycle_ = c + 1;
}

}  // namespace nicsim::sim
