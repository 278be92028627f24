// Checksum offload through two Verilated nic_top in the SystemC testbench, programmed at register level:
// A inserts the IP and UDP checksums (context + POPTS), B checks them (RXCSUM) and reports them in
// its EOP descriptors; A cuts a TSO chain into segments that B checks. Each TEST runs in its own process.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "frame_scenario.h"
#include "nic_regs.h"
#include "nicsim/sim/testbench.h"
#include "tso_ref.h"

using namespace nicsim::sim;
using nicsim::test::FrameScenario;
namespace regs = nicsim::regs;
namespace kern = nicsim::kern;

namespace {

using Bytes = std::vector<uint8_t>;

const MacAddr kMacA = MacAddr::parse("02:00:00:00:00:0a");
const MacAddr kMacB = MacAddr::parse("02:00:00:00:00:0b");

void put16(Bytes& f, size_t off, uint16_t v) {
  f[off] = static_cast<uint8_t>(v >> 8);
  f[off + 1] = static_cast<uint8_t>(v);
}
uint32_t sum16(const Bytes& f, size_t from, size_t to_excl) {
  uint32_t s = 0;
  for (size_t p = from; p < to_excl; ++p) s += ((p - from) % 2 == 0) ? uint32_t(f[p]) << 8 : f[p];
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// A UDP/IPv4 frame from A to B: IP checksum 0, UDP checksum field holding the pseudo-header sum
// (what ixgb leaves for the NIC); `done` gets the frame with both checksums computed in software.
Bytes udp_frame(unsigned payload, uint8_t seed, Bytes& done) {
  Bytes f(42 + payload);
  std::memcpy(&f[0], kMacB.b.data(), 6);
  std::memcpy(&f[6], kMacA.b.data(), 6);
  f[12] = 0x08, f[13] = 0x00;
  f[14] = 0x45;
  put16(f, 16, static_cast<uint16_t>(28 + payload));
  put16(f, 18, 0x1234);
  f[22] = 64, f[23] = 17;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(&f[26], src, 4);
  std::memcpy(&f[30], dst, 4);
  put16(f, 34, 5000);
  put16(f, 36, 6000);
  put16(f, 38, static_cast<uint16_t>(8 + payload));
  for (unsigned i = 0; i < payload; ++i) f[42 + i] = static_cast<uint8_t>(seed + 7 * i);
  put16(f, 40, fold(sum16(f, 26, 34) + 17 + 8 + payload));
  done = f;
  put16(done, 24, static_cast<uint16_t>(~fold(sum16(done, 14, 34))));
  put16(done, 40, 0);
  uint16_t u = static_cast<uint16_t>(~fold(sum16(done, 26, 34) + 17 + 8 + payload + sum16(done, 34, done.size())));
  put16(done, 40, u ? u : 0xFFFF);
  return f;
}

}  // namespace

// Frame 0: both checksums inserted by A; B sees both right. Frame 1: only the UDP checksum
// inserted, the IP checksum left wrong by software; B reports IPE and a good UDP checksum.
TEST(NicOffload, ChecksumsInsertedByAAndCheckedByB) {
  TestbenchConfig cfg;
  cfg.run_name = "NicOffload.ChecksumsInsertedByAAndCheckedByB";
  Testbench tb(cfg);
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  tb.connect(a, b, {}, "a-b.pcap");
  a.enable_pci();
  b.enable_pci();
  tb.run_ns(1000);

  FrameScenario s;
  s.setup_rx(b.platform());
  b.platform().mmio_write32(regs::RXCSUM, regs::RXCSUM_IPOFL | regs::RXCSUM_TUOFL);

  kern::Platform& pa = a.platform();
  Bytes done0, done1;
  const Bytes f0 = udp_frame(300, 1, done0);
  Bytes f1 = udp_frame(77, 9, done1);
  put16(f1, 24, 0xBEEF);  // a wrong IP checksum that A leaves alone (no IXSM)
  Bytes sent1 = done1;    // what B receives for frame 1: the UDP checksum inserted, the IP one not
  put16(sent1, 24, 0xBEEF);

  auto ring = pa.dma_alloc_coherent(FrameScenario::kDesc * regs::TXDESC_SIZE, 128);
  auto* slots = static_cast<uint8_t*>(ring.cpu);
  std::vector<kern::DmaBuffer> bufs;
  auto data_desc = [&](unsigned slot, const Bytes& f, uint8_t popts) {
    bufs.push_back(pa.mem_alloc(f.size(), 64));
    std::memcpy(bufs.back().cpu, f.data(), f.size());
    pa.dma_map(bufs.back().bus, f.size(), kern::kDmaToDevice);
    regs::TxDescViewMut d(slots + slot * regs::TXDESC_SIZE, regs::TXDESC_SIZE);
    d.set_buff_addr(bufs.back().bus);
    d.set_length(static_cast<uint32_t>(f.size()));
    d.set_dtyp(d.kDtypData);
    d.set_cmd_eop(true);
    d.set_cmd_rs(true);
    d.set_popts(popts);
  };
  {
    regs::TxCtxDescViewMut c(slots, regs::TXDESC_SIZE);
    c.set_ipcss(14);
    c.set_ipcso(24);
    c.set_ipcse(33);
    c.set_tucss(34);
    c.set_tucso(40);
    c.set_tucse(0);
    c.set_dtyp(c.kDtypContext);
    c.set_cmd_ip(true);
    c.set_cmd_rs(true);
  }
  data_desc(1, f0, regs::TXDESC_POPTS_IXSM | regs::TXDESC_POPTS_TXSM);
  data_desc(2, f1, regs::TXDESC_POPTS_TXSM);
  pa.mmio_write32(regs::TDBAL, static_cast<uint32_t>(ring.bus));
  pa.mmio_write32(regs::TDBAH, static_cast<uint32_t>(ring.bus >> 32));
  pa.mmio_write32(regs::TDLEN, FrameScenario::kDesc * regs::TXDESC_SIZE);
  pa.mmio_write32(regs::TDH, 0);
  pa.mmio_write32(regs::TDT, 0);
  pa.mmio_write32(regs::TCTL, regs::TCTL_TXEN | regs::TCTL_TPDE);
  pa.mmio_write32(regs::TDT, 3);

  ASSERT_TRUE(tb.run_until([&] { return s.rx_desc(1).status_dd(); }, 100'000)) << "B did not receive two frames";
  EXPECT_TRUE(regs::TxCtxDescView(slots, regs::TXDESC_SIZE).status_dd()) << "context descriptor written back";
  EXPECT_EQ(pa.mmio_read32(regs::TDH), 3u);

  auto got = [&](unsigned i) {
    auto* p = static_cast<const uint8_t*>(s.rx_bufs[i].cpu);
    return Bytes(p, p + s.rx_desc(i).length());
  };
  EXPECT_EQ(got(0), done0) << "both checksums as software computes them";
  EXPECT_EQ(got(1), sent1) << "the UDP checksum inserted, the IP header as sent";
  const uint8_t cs = regs::RXDESC_STATUS_IPCS | regs::RXDESC_STATUS_TCPCS;
  EXPECT_EQ(s.rx_desc(0).status() & (cs | regs::RXDESC_STATUS_IXSM), cs);
  EXPECT_EQ(s.rx_desc(0).errors(), 0);
  EXPECT_EQ(s.rx_desc(1).status() & (cs | regs::RXDESC_STATUS_IXSM), cs);
  EXPECT_EQ(s.rx_desc(1).errors(), regs::RXDESC_ERRORS_IPE) << "IP checksum wrong, UDP checksum right";
}

// TCP segmentation: A gets one TSE chain (context + 3 data descriptors, the header split across two)
// of 7 segments; B receives segments byte-equal to software segmentation, each with the IP and TCP
// checksums verified by its RX checksum offload; A's TSCTC counts the chain.
TEST(NicOffload, TsoChainCutByAIntoSegmentsCheckedByB) {
  TestbenchConfig cfg;
  cfg.run_name = "NicOffload.TsoChainCutByAIntoSegmentsCheckedByB";
  Testbench tb(cfg);
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  tb.connect(a, b, {}, "a-b.pcap");
  a.enable_pci();
  b.enable_pci();
  tb.run_ns(1000);

  FrameScenario s;
  s.setup_rx(b.platform());
  b.platform().mmio_write32(regs::RXCSUM, regs::RXCSUM_IPOFL | regs::RXCSUM_TUOFL);

  std::mt19937_64 rng(12);
  nicsim::test::tso::Chain ch = nicsim::test::tso::make_chain(rng, true, 0, 0, 3, 0x19, 6 * 1448 + 500, 1448);
  std::memcpy(&ch.bytes[0], kMacB.b.data(), 6);
  std::memcpy(&ch.bytes[6], kMacA.b.data(), 6);
  const auto segs = nicsim::test::tso::segments(ch.bytes, ch.ctx, ch.bytes.size());
  ASSERT_EQ(segs.size(), 7u);

  kern::Platform& pa = a.platform();
  auto ring = pa.dma_alloc_coherent(FrameScenario::kDesc * regs::TXDESC_SIZE, 128);
  auto* slots = static_cast<uint8_t*>(ring.cpu);
  {
    regs::TxCtxDescViewMut c(slots, regs::TXDESC_SIZE);
    c.set_ipcss(static_cast<uint8_t>(ch.ctx.ipcss));
    c.set_ipcso(static_cast<uint8_t>(ch.ctx.ipcso));
    c.set_ipcse(static_cast<uint16_t>(ch.ctx.ipcse));
    c.set_tucss(static_cast<uint8_t>(ch.ctx.tucss));
    c.set_tucso(static_cast<uint8_t>(ch.ctx.tucso));
    c.set_tucse(0);
    c.set_paylen(ch.ctx.paylen);
    c.set_hdrlen(static_cast<uint8_t>(ch.ctx.hdrlen));
    c.set_mss(static_cast<uint16_t>(ch.ctx.mss));
    c.set_dtyp(c.kDtypContext);
    c.set_cmd_tcp(true);
    c.set_cmd_ip(true);
    c.set_cmd_tse(true);
    c.set_cmd_rs(true);
  }
  std::vector<kern::DmaBuffer> bufs;
  const size_t cuts[] = {0, 30, 4000, ch.bytes.size()};
  for (unsigned i = 0; i < 3; ++i) {
    const size_t len = cuts[i + 1] - cuts[i];
    bufs.push_back(pa.mem_alloc(len, 64));
    std::memcpy(bufs.back().cpu, ch.bytes.data() + cuts[i], len);
    pa.dma_map(bufs.back().bus, len, kern::kDmaToDevice);
    regs::TxDescViewMut d(slots + (i + 1) * regs::TXDESC_SIZE, regs::TXDESC_SIZE);
    d.set_buff_addr(bufs.back().bus);
    d.set_length(static_cast<uint32_t>(len));
    d.set_dtyp(d.kDtypData);
    d.set_cmd_tse(true);
    d.set_cmd_eop(i == 2);
    d.set_cmd_rs(true);
    d.set_popts(regs::TXDESC_POPTS_IXSM | regs::TXDESC_POPTS_TXSM);
  }
  pa.mmio_write32(regs::TDBAL, static_cast<uint32_t>(ring.bus));
  pa.mmio_write32(regs::TDBAH, static_cast<uint32_t>(ring.bus >> 32));
  pa.mmio_write32(regs::TDLEN, FrameScenario::kDesc * regs::TXDESC_SIZE);
  pa.mmio_write32(regs::TDH, 0);
  pa.mmio_write32(regs::TDT, 0);
  pa.mmio_write32(regs::TCTL, regs::TCTL_TXEN | regs::TCTL_TPDE);
  pa.mmio_write32(regs::TDT, 4);

  ASSERT_TRUE(tb.run_until([&] { return s.rx_desc(6).status_dd(); }, 1'000'000)) << "B did not receive 7 segments";
  EXPECT_EQ(pa.mmio_read32(regs::TDH), 4u);
  const uint8_t cs = regs::RXDESC_STATUS_IPCS | regs::RXDESC_STATUS_TCPCS;
  for (unsigned i = 0; i < 7; ++i) {
    auto* p = static_cast<const uint8_t*>(s.rx_bufs[i].cpu);
    EXPECT_EQ(Bytes(p, p + s.rx_desc(i).length()), segs[i]) << "segment " << i;
    EXPECT_EQ(s.rx_desc(i).status() & (cs | regs::RXDESC_STATUS_IXSM), cs) << "segment " << i;
    EXPECT_EQ(s.rx_desc(i).errors(), 0) << "segment " << i;
  }
  EXPECT_EQ(pa.mmio_read32(regs::TSCTC), 1u);
  EXPECT_EQ(pa.mmio_read32(regs::TSCTFC), 0u);
  EXPECT_EQ(pa.mmio_read32(regs::TSCTC), 0u) << "clear on read";
}
