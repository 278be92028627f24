// Idle skip on the plain C++ harness (no SystemC, so several runs fit in one process):
//   - idle_o keeps its promise: stepping the RTL through cycles that start idle with quiet
//     inputs changes no output and leaves idle_o high (checked on every such cycle of the
//     register-level scenario, skipping off);
//   - skipping on and off give the same record (frames, IRQ times, ICR values, statistics
//     registers, MSI/DMA/link counters) and the same pcap bytes, while skipping on really
//     skips most cycles.
//   - one input pass per cycle (NicParams::one_input_pass) and a full eval() at every rising
//     edge give the same record and pcap, every cycle evaluated.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "Vnic_top.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/plain_harness.h"
#include "scenario.h"

namespace nicsim::skiptest {
namespace {

using sim::NicCore;
using sim::PlainHarness;

// Every output of nic_top plus idle_o.
struct Outputs {
  uint8_t b[64 + 16 * 2] = {};
  size_t n = 0;
  template <class T>
  void put(const T& v) {
    std::memcpy(b + n, &v, sizeof v);
    n += sizeof v;
  }
  bool operator==(const Outputs& o) const { return n == o.n && std::memcmp(b, o.b, n) == 0; }
};

Outputs outputs(Vnic_top& m) {
  Outputs o;
  o.put(uint8_t(m.s_axil_awready | m.s_axil_wready << 1 | m.s_axil_bvalid << 2 |
                m.s_axil_arready << 3 | m.s_axil_rvalid << 4 | m.s_axil_bresp << 5));
  o.put(uint32_t(m.s_axil_rdata));
  o.put(uint8_t(m.s_axil_rresp));
  o.put(uint64_t(m.m_axi_awaddr));
  o.put(uint64_t(m.m_axi_araddr));
  o.put(uint32_t(m.m_axi_awid | m.m_axi_awlen << 4 | m.m_axi_awsize << 12 | m.m_axi_awburst << 15 |
                 m.m_axi_awvalid << 17 | m.m_axi_wlast << 18 | m.m_axi_wvalid << 19 |
                 m.m_axi_bready << 20));
  o.put(uint32_t(m.m_axi_arid | m.m_axi_arlen << 4 | m.m_axi_arsize << 12 | m.m_axi_arburst << 15 |
                 m.m_axi_arvalid << 17 | m.m_axi_rready << 18));
  for (int i = 0; i < 4; ++i) o.put(uint32_t(m.m_axi_wdata[i]));
  o.put(uint16_t(m.m_axi_wstrb));
  o.put(uint8_t(m.msi_req_o | m.msi_vector_o << 1));
  o.put(uint64_t(m.xgmii_txd_o));
  o.put(uint8_t(m.xgmii_txc_o));
  o.put(uint8_t(m.idle_o));
  return o;
}

// Watches one NIC stepped every cycle (skipping off): once a cycle starts with idle_o high
// and its inputs are quiet, the outputs after it are the reference; every following such
// cycle must leave them unchanged and idle_o high.
class IdleWatch {
 public:
  explicit IdleWatch(NicCore& c) : core_(c) {}
  void after_step() {
    Vnic_top& m = core_.model();
    if (core_.cycle() != last_cycle_ + 1) {  // stepped elsewhere (a blocking MMIO read): start over
      armed_ = was_idle_ = false;
    }
    last_cycle_ = core_.cycle();
    const bool quiet = m.rst_ni && !m.s_axil_awvalid && !m.s_axil_wvalid && !m.s_axil_arvalid &&
                       !m.m_axi_rvalid && !m.m_axi_bvalid && !m.msi_ack_i &&
                       m.xgmii_rxd_i == 0x0707070707070707ull && m.xgmii_rxc_i == 0xFF &&
                       m.link_up_i == prev_link_;
    if (was_idle_ && quiet) {
      Outputs o = outputs(m);
      if (armed_) {
        checked_++;
        if (!(o == ref_) || !core_.rtl_idle()) {
          failures_++;
          if (failures_ <= 5)
            ADD_FAILURE() << core_.name() << ": state moved during an idle cycle at cycle "
                          << core_.cycle() - 1;
        }
      } else {
        ref_ = o;
        armed_ = true;
        spans_++;
      }
    } else {
      armed_ = false;
    }
    was_idle_ = core_.rtl_idle();
    prev_link_ = m.link_up_i;
  }
  uint64_t checked() const { return checked_; }
  uint64_t spans() const { return spans_; }

 private:
  NicCore& core_;
  Outputs ref_;
  bool armed_ = false, was_idle_ = false;
  uint8_t prev_link_ = 0;
  uint64_t last_cycle_ = 0;
  uint64_t checked_ = 0, spans_ = 0, failures_ = 0;
};

std::unique_ptr<PlainRun> make_run(bool skip, const std::string& tag) {
  sim::NicParams np;
  np.skip_idle = skip;
  return make_plain_run(np, ::testing::TempDir() + "idle_plain_" + tag + ".pcap");
}

TEST(IdleRtl, IdleCyclesChangeNoOutputAndStayIdle) {
  auto r = make_run(false, "watch");
  IdleWatch wa(*r->hs.core[0]), wb(*r->hs.core[1]);
  PlainHarness* hp = r->h.get();
  // check after every cycle: run_ns steps through advance_to, one cycle at a time
  r->hs.run_ns = [hp, &wa, &wb](uint64_t ns) {
    const uint64_t end = hp->now_ps() + ns * 1000;
    while (hp->now_ps() <= end) {
      hp->run_cycles(1);
      wa.after_step();
      wb.after_step();
    }
    hp->events().run_until(end);
  };
  Record rec = run_reg_scenario(r->hs, 8);
  EXPECT_EQ(r->hs.core[0]->skipped_cycles() + r->hs.core[1]->skipped_cycles(), 0u);
  // the scenario is mostly idle: many spans, most cycles checked
  EXPECT_GE(wa.spans(), 10u);
  EXPECT_GE(wb.spans(), 10u);
  EXPECT_GT(wa.checked(), r->hs.core[0]->cycle() / 2);
  EXPECT_GT(wb.checked(), r->hs.core[1]->cycle() / 2);
}

// The two runs saw the same: record line by line, pcap byte by byte (and a real pcap).
void expect_same_run(PlainRun& a, const Record& ra, PlainRun& b, const Record& rb) {
  a.pcap->close();
  b.pcap->close();
  ASSERT_EQ(rb.lines.size(), ra.lines.size());
  for (size_t i = 0; i < rb.lines.size(); ++i) ASSERT_EQ(rb.lines[i], ra.lines[i]) << "line " << i;
  EXPECT_EQ(slurp(b.pcap_path), slurp(a.pcap_path));
  EXPECT_GT(slurp(b.pcap_path).size(), 10'000u);
}

TEST(IdleSkip, PlainHarnessSkippingMatchesSteppingEveryCycle) {
  auto off = make_run(false, "off");
  Record r_off = run_reg_scenario(off->hs);
  auto on = make_run(true, "on");
  Record r_on = run_reg_scenario(on->hs);
  expect_same_run(*off, r_off, *on, r_on);
  for (int s = 0; s < 2; ++s) {
    EXPECT_EQ(off->hs.core[s]->skipped_cycles(), 0u);
    EXPECT_EQ(on->hs.core[s]->cycle(), off->hs.core[s]->cycle());
    EXPECT_GT(on->hs.core[s]->skipped_cycles(), on->hs.core[s]->cycle() * 9 / 10)
        << "the scenario is idle most of the time";
  }
}

TEST(EdgeEval, OneInputPassMatchesFullEvalAtEveryEdge) {
  unsetenv("NICSIM_FULL_EVAL");  // (it would turn the one pass off in both runs)
  sim::NicParams full, one;
  full.skip_idle = one.skip_idle = false;  // every cycle evaluated
  full.one_input_pass = false;
  auto r_full = make_plain_run(full, ::testing::TempDir() + "edge_full.pcap");
  Record rec_full = run_reg_scenario(r_full->hs);
  auto r_one = make_plain_run(one, ::testing::TempDir() + "edge_one.pcap");
  Record rec_one = run_reg_scenario(r_one->hs);
  for (int s = 0; s < 2; ++s) {
    EXPECT_FALSE(r_full->hs.core[s]->one_input_pass());
    EXPECT_TRUE(r_one->hs.core[s]->one_input_pass()) << "the model's scheduling functions were not found";
    EXPECT_EQ(r_one->hs.core[s]->cycle(), r_full->hs.core[s]->cycle());
    EXPECT_EQ(r_one->hs.core[s]->skipped_cycles(), 0u);
  }
  expect_same_run(*r_full, rec_full, *r_one, rec_one);
}

}  // namespace
}  // namespace nicsim::skiptest
