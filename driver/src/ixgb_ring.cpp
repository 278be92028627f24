// ixgb: descriptor rings — allocation and programming, transmit, TX completion, RX refill
// and receive (ixgb_setup_*_resources, ixgb_configure_*, ixgb_xmit_frame, ixgb_clean_tx_irq,
// ixgb_alloc_rx_buffers, ixgb_clean_rx_irq).
#include <cstdio>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nic_regs.h"
#include "nicsim/driver/ixgb.h"
#include "nicsim/kern/etherdevice.h"
#include "nicsim/kern/if_vlan.h"

namespace nicsim::driver {

namespace {

// Smallest and largest ring the driver accepts (ixgb: 64..4096; smaller here so tests can
// fill a ring quickly). The NIC needs ring lengths in multiples of 128 bytes = 8 descriptors.
constexpr uint32_t kMinRing = 16, kMaxRing = 4096;

uint32_t ring_size(uint32_t n) {
  n = std::clamp(n, kMinRing, kMaxRing);
  return (n + 7) & ~7u;
}

}  // namespace

// --------------------------------------------------------------------------- resources

int IxgbAdapter::setup_tx_resources() {
  tx_ = Ring{};
  tx_.count = ring_size(params_.tx_ring);
  tx_.mem = k_.dma().dma_alloc_coherent(size_t(tx_.count) * regs::TXDESC_SIZE, 128);
  if (!tx_.mem.cpu) {
    tx_ = Ring{};
    return -ENOMEM;
  }
  tx_buf_.clear();
  tx_buf_.resize(tx_.count);
  apply_ring_tso_limit();
  return 0;
}

// A TSO skb may take kDescNeededTso descriptors: a ring below kMinTsoRing could stop its queue
// for good (never that many free), so the device cannot do TSO then (not in hw_features; ixgb
// itself has no ring below 64 descriptors, IXGB_MIN_TXD). A larger ring at the next open gives
// TSO back to hw_features; ethtool -K turns it on again.
void IxgbAdapter::apply_ring_tso_limit() {
  const uint32_t count = ring_size(params_.tx_ring);
  if (count >= kMinTsoRing) {
    netdev_.hw_features |= kern::NETIF_F_TSO;
    return;
  }
  if (netdev_.features & kern::NETIF_F_TSO)
    std::fprintf(stderr, "ixgb %s: a TX ring of %u descriptors is too small for TSO (%u): TSO off\n",
                 pdev_.name.c_str(), count, kMinTsoRing);
  netdev_.hw_features &= ~kern::NETIF_F_TSO;
  netdev_.features &= ~kern::NETIF_F_TSO;
  netdev_.wanted_features &= ~kern::NETIF_F_TSO;
}

int IxgbAdapter::setup_rx_resources() {
  // The buffer must hold the largest frame the NIC accepts (FCS stripped, 802.1Q tag
  // included): BSIZE steps. With rx_chain such frames span buffers instead.
  const uint32_t need = params_.rx_chain ? params_.rx_buffer_len() : std::max(params_.rx_buffer_len(), max_frame());
  rx_buffer_len_ = 2048;
  while (rx_buffer_len_ < need && rx_buffer_len_ < 16384) rx_buffer_len_ <<= 1;

  rx_ = Ring{};
  rx_.count = ring_size(params_.rx_ring);
  rx_.mem = k_.dma().dma_alloc_coherent(size_t(rx_.count) * regs::RXDESC_SIZE, 128);
  if (!rx_.mem.cpu) {
    rx_ = Ring{};
    return -ENOMEM;
  }
  rx_buf_.clear();
  rx_buf_.resize(rx_.count);
  return 0;
}

void IxgbAdapter::free_tx_resources() {
  clean_tx_ring();
  if (tx_.mem.cpu) k_.dma().dma_free_coherent(tx_.mem);
  tx_ = Ring{};
  tx_buf_.clear();
}

void IxgbAdapter::free_rx_resources() {
  clean_rx_ring();
  if (rx_.mem.cpu) k_.dma().dma_free_coherent(rx_.mem);
  rx_ = Ring{};
  rx_buf_.clear();
}

void IxgbAdapter::unmap_tx_buffer(TxBuffer& b) {
  if (b.dma && b.mapped_as_page)
    k_.dma().dma_unmap_page(b.dma, b.len, kern::kDmaToDevice);
  else if (b.dma)
    k_.dma().dma_unmap_single(b.dma, b.len, kern::kDmaToDevice);
  b.dma = 0;
  b.len = 0;
  b.mapped_as_page = false;
  b.skb.reset();
  b.next_to_watch = -1;
}

void IxgbAdapter::clean_tx_ring() {
  for (TxBuffer& b : tx_buf_) unmap_tx_buffer(b);
  if (tx_.mem.cpu) std::memset(tx_.mem.cpu, 0, tx_.mem.size);
  tx_.next_to_use = tx_.next_to_clean = 0;
}

void IxgbAdapter::clean_rx_ring() {
  for (RxBuffer& b : rx_buf_) {
    if (b.dma) k_.dma().dma_unmap_single(b.dma, rx_buffer_len_, kern::kDmaFromDevice);
    b.dma = 0;
    b.skb.reset();
  }
  if (rx_.mem.cpu) std::memset(rx_.mem.cpu, 0, rx_.mem.size);
  rx_.next_to_use = rx_.next_to_clean = 0;
  rx_chain_skb_.reset();
}

uint32_t IxgbAdapter::max_frame() const { return netdev_.mtu + kern::ETH_HLEN + kern::VLAN_HLEN; }

// --------------------------------------------------------------------------- programming

void IxgbAdapter::configure_tx() {
  const uint64_t base = tx_.mem.bus;
  wr(regs::TDBAL, uint32_t(base));
  wr(regs::TDBAH, uint32_t(base >> 32));
  wr(regs::TDLEN, tx_.count * regs::TXDESC_SIZE);
  wr(regs::TDH, 0);
  wr(regs::TDT, 0);
  tdt_ = 0;
  tx_ctx_loaded_ = TxCtx{};  // written again before the first frame that needs one
  wr(regs::TIDV, params_.tidv & regs::TIDV_DELAY_MASK);
  wr(regs::TCTL, regs::TCTL_TCE | regs::TCTL_TXEN | regs::TCTL_TPDE);
}

void IxgbAdapter::configure_rx() {
  wr(regs::RCTL, 0);  // off while the ring is programmed
  wr(regs::RDTR, params_.rdtr & regs::RDTR_DELAY_MASK);
  const uint64_t base = rx_.mem.bus;
  wr(regs::RDBAL, uint32_t(base));
  wr(regs::RDBAH, uint32_t(base >> 32));
  wr(regs::RDLEN, rx_.count * regs::RXDESC_SIZE);
  wr(regs::RDH, 0);
  wr(regs::RDT, 0);
  // Largest frame accepted, destination MAC through FCS (the MAC allows 4 more for an
  // 802.1Q tag). Jumbo frames also set CTRL0.JFE, as ixgb_up does.
  wr(regs::MFS, ((netdev_.mtu + kern::ETH_HLEN + kern::ETH_FCS_LEN) << regs::MFS_SHIFT) & regs::MFS_MASK);
  // VLAN stripping (CTRL0.VME) with NETIF_F_HW_VLAN_CTAG_RX, in the same write.
  if (const uint32_t ctrl0 = ctrl0_value(netdev_.features, false)) wr(regs::CTRL0, ctrl0);
  wr(regs::RXCSUM, (netdev_.features & kern::NETIF_F_RXCSUM) ? (regs::RXCSUM_IPOFL | regs::RXCSUM_TUOFL) : 0);
  rx_discard_ = false;
  rx_chain_skb_.reset();
  alloc_rx_buffers();  // count-1 buffers, RDT = count-1

  uint32_t bsize = 0;
  while ((2048u << bsize) < rx_buffer_len_) ++bsize;
  const uint32_t rctl = regs::RCTL_RXEN | regs::RCTL_BAM | regs::RCTL_SECRC |
                        ((bsize << regs::RCTL_BSIZE_SHIFT) & regs::RCTL_BSIZE_MASK) |
                        ((std::min(params_.rdmts(), 2u) << regs::RCTL_RDMTS_SHIFT) & regs::RCTL_RDMTS_MASK);
  wr(regs::RCTL, rctl);  // MO = 0: the hash set_rx_mode uses
}

// --------------------------------------------------------------------------- transmit

void IxgbAdapter::maybe_stop_tx(uint32_t needed) {
  if (desc_unused(tx_) >= needed) return;
  k_.net().netif_stop_queue(netdev_);
  counters_.tx_queue_stops++;
}

namespace {
// The IPv4 pseudo-header sum (addresses, protocol, len) folded to 16 bits, not complemented:
// what a CHECKSUM_PARTIAL / TSO checksum field holds for the NIC.
uint16_t pseudo_sum(const uint8_t* iph, uint8_t proto, uint32_t len) {
  uint32_t s = proto + (len >> 16) + (len & 0xFFFF);
  for (int i = 12; i < 20; i += 2) s += uint32_t(iph[i]) << 8 | iph[i + 1];
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return uint16_t(s);
}
}  // namespace

bool IxgbAdapter::tso(kern::SkBuff& skb, TxCtx& ctx) {
  const int32_t ip = skb.network_offset(), th = skb.transport_offset();
  if (!skb.network_header_set() || !skb.transport_header_set() || ip < 0 || th < ip + 20 ||
      uint32_t(th) + 20 > skb.headlen())
    return false;
  if (skb.cloned()) skb.unclone();  // skb_cow_head: the header is edited below
  uint8_t* d = skb.data();
  const uint32_t hdrlen = uint32_t(th) + ((d[th + 12] >> 4) * 4u);
  if (hdrlen > 255 || hdrlen >= skb.len() || hdrlen > skb.headlen() || d[ip + 9] != 6 || skb.gso_size == 0)
    return false;
  // iph->tot_len = 0, iph->check = 0; th->check = ~csum_tcpudp_magic(saddr, daddr, 0, TCP, 0).
  d[ip + 2] = d[ip + 3] = 0;
  d[ip + 10] = d[ip + 11] = 0;
  const uint16_t ps = pseudo_sum(d + ip, 6, 0);
  d[th + 16] = uint8_t(ps >> 8);
  d[th + 17] = uint8_t(ps);
  ctx.kind = 2;
  ctx.ipcss = uint8_t(ip);
  ctx.ipcso = uint8_t(ip + 10);
  ctx.ipcse = uint16_t(th - 1);
  ctx.tucss = uint8_t(th);
  ctx.tucso = uint8_t(th + 16);
  ctx.hdrlen = uint8_t(hdrlen);
  ctx.mss = skb.gso_size;
  ctx.paylen = skb.len() - hdrlen;
  return true;
}

bool IxgbAdapter::tx_csum(kern::SkBuff& skb, TxCtx& ctx) {
  const int32_t css = skb.checksum_start_offset();
  const int32_t cso = css + skb.csum_offset;
  if (css < 0 || css > 255 || cso + 2 > int32_t(skb.headlen()) || cso > 255) return false;
  ctx.kind = 1;
  ctx.tucss = uint8_t(css);
  ctx.tucso = uint8_t(cso);
  return true;
}

kern::NetdevTx IxgbAdapter::ndo_start_xmit(kern::SkbPtr& skb, kern::NetDevice&) {
  if (!up_) {
    counters_.tx_dropped++;
    skb.reset();
    return kern::NETDEV_TX_OK;
  }
  const uint32_t len = skb->len();
  const bool gso = skb->is_gso() && skb->gso_type;
  if (len == 0 || len > (gso ? kMaxTsoFrame : kMaxTxFrame)) {  // the NIC would send nothing: drop here
    counters_.tx_dropped++;
    skb.reset();
    return kern::NETDEV_TX_OK;
  }
  TxCtx ctx;
  bool ok = true;
  if (gso)
    ok = tso(*skb, ctx);  // edits only the header, the same way if the skb comes back after BUSY
  else if (skb->ip_summed == kern::CHECKSUM_PARTIAL)
    ok = tx_csum(*skb, ctx);
  if (!ok) {  // offsets the NIC cannot express: dropped, as ixgb drops what it cannot map
    counters_.tx_dropped++;
    skb.reset();
    return kern::NETDEV_TX_OK;
  }
  // TXD_USE_COUNT of the head and of each frag: each piece is split at kMaxDataPerTxd.
  const kern::SkbSharedInfo& sh = skb->shinfo();
  uint32_t ndata = txd_use_count(skb->headlen());
  for (uint8_t f = 0; f < sh.nr_frags; ++f) ndata += txd_use_count(kern::skb_frag_size(sh.frags[f]));
  const uint32_t ndesc = ndata + (ctx.kind ? 1 : 0);
  if (desc_unused(tx_) < ndesc + 2) {
    // The queue should have been stopped before the ring got this full (ixgb's BUG path).
    k_.net().netif_stop_queue(netdev_);
    counters_.tx_queue_stops++;
    counters_.tx_busy++;
    return kern::NETDEV_TX_BUSY;
  }
  if (tx_.next_to_use == tx_.next_to_clean) tx_progress_ns_ = k_.now_ns();  // from idle

  const uint32_t first = tx_.next_to_use;
  uint32_t i = first, last = first;
  // A context descriptor when this frame needs one the NIC does not hold (TSO changes PAYLEN,
  // so every TSO skb loads its own).
  if (ctx.kind && !(ctx == tx_ctx_loaded_)) {
    regs::TxCtxDescViewMut c = tx_.ctx_desc(i);
    c.clear();
    c.set_ipcss(ctx.ipcss);
    c.set_ipcso(ctx.ipcso);
    c.set_ipcse(ctx.ipcse);
    c.set_tucss(ctx.tucss);
    c.set_tucso(ctx.tucso);
    c.set_tucse(0);
    c.set_paylen(ctx.paylen);
    c.set_dtyp(c.kDtypContext);
    c.set_cmd_tcp(ctx.kind == 2);
    c.set_cmd_ip(ctx.kind == 2);
    c.set_cmd_tse(ctx.kind == 2);
    c.set_hdrlen(ctx.hdrlen);
    c.set_mss(ctx.mss);
    tx_buf_[i].dma = 0;
    tx_buf_[i].len = 0;
    tx_ctx_loaded_ = ctx;
    counters_.tx_ctx_desc++;
    i = i + 1 == tx_.count ? 0 : i + 1;
  }
  counters_.tx_vlan_hw += skb->vlan_present;
  if (ctx.kind == 2) {
    counters_.tx_tso_skbs++;
    counters_.tx_tso_segs += (ctx.paylen + ctx.mss - 1) / ctx.mss;
  } else if (ctx.kind == 1) {
    counters_.tx_csum_offload++;
  }
  // ixgb_tx_map + ixgb_tx_queue: the head mapped with dma_map_single, each frag with
  // dma_map_page (a gather list of one or more descriptors per piece), EOP and RS on the last.
  uint32_t done = 0;
  auto map_piece = [&](const kern::SkbFrag* frag, const uint8_t* cpu, uint32_t size) {
    for (uint32_t off = 0; off < size;) {
      const uint32_t chunk = std::min(kMaxDataPerTxd, size - off);
      TxBuffer& b = tx_buf_[i];
      b.dma = frag ? k_.dma().dma_map_page(*frag->page, frag->off + off, chunk, kern::kDmaToDevice)
                   : k_.dma().dma_map_single(cpu + off, chunk, kern::kDmaToDevice);
      b.mapped_as_page = frag != nullptr;
      b.len = chunk;
      off += chunk;
      const bool eop = ++done == ndata;
      regs::TxDescViewMut d = tx_.tx_desc(i);
      d.clear();
      d.set_buff_addr(b.dma);
      d.set_length(chunk);
      d.set_dtyp(d.kDtypData);  // legacy data descriptor, as ixgb sets it; the NIC ignores DTYP
      d.set_cmd_ifcs(true);
      d.set_cmd_ide(params_.tidv != 0);
      d.set_cmd_eop(eop);
      d.set_cmd_rs(eop);
      d.set_cmd_tse(ctx.kind == 2);
      d.set_popts_ixsm(ctx.kind == 2);
      d.set_popts_txsm(ctx.kind != 0);
      // the tag the stack left beside the data (NETIF_F_HW_VLAN_CTAG_TX), in every descriptor as ixgb_tx_queue
      d.set_cmd_vle(skb->vlan_present);
      d.set_vlan(skb->vlan_present ? skb->vlan_tci : 0);
      last = i;
      i = i + 1 == tx_.count ? 0 : i + 1;
    }
  };
  map_piece(nullptr, skb->data(), skb->headlen());
  for (uint8_t f = 0; f < sh.nr_frags; ++f) map_piece(&sh.frags[f], nullptr, kern::skb_frag_size(sh.frags[f]));
  if (sh.nr_frags) counters_.tx_sg_skbs++;
  uint64_t pkt = 0;
  if (kern::Timeline* tl = k_.tl()) {
    // Where this packet's descriptors and buffers are, so the NIC's DMA can be named.
    pkt = skb->trace;
    k_.trace(kern::Stage::kDrvXmit, pkt, len);
    const uint16_t node = k_.tl_node();
    for (uint32_t j = first;; j = j + 1 == tx_.count ? 0 : j + 1) {
      tl->tag(node, tx_.desc_bus(j), Ring::kDescSize, pkt, kern::Timeline::TagKind::kTxDesc);
      if (tx_buf_[j].dma) tl->tag(node, tx_buf_[j].dma, tx_buf_[j].len, pkt, kern::Timeline::TagKind::kTxBuf);
      if (j == last) break;
    }
    // The frames expected on the wire (a tag the NIC inserts and the checksums it fills in do
    // not change the fingerprint): a TSO skb's are the segments the NIC cuts from it.
    const std::vector<uint8_t> lin = skb->is_nonlinear() ? skb->bytes() : std::vector<uint8_t>{};
    const uint8_t* frame = skb->is_nonlinear() ? lin.data() : skb->data();
    if (ctx.kind == 2)
      tl->tx_tso(node, frame, len, kern::Timeline::TsoChain{ctx.ipcss, ctx.tucss, ctx.hdrlen, ctx.mss}, pkt);
    else
      tl->tx_frame(node, frame, len, pkt);
  }
  tx_buf_[last].skb = std::move(skb);
  tx_buf_[first].next_to_watch = int32_t(last);
  tx_.next_to_use = i;
  counters_.tx_packets++;
  counters_.tx_bytes += len;
  k_.cpu().charge_packet();
  // wmb(): the descriptors are in memory before the tail write reaches the NIC.
  k_.trace(kern::Stage::kTdtWrite, pkt, i);
  wr(regs::TDT, i);
  tdt_ = i;
  maybe_stop_tx(desc_needed());
  return kern::NETDEV_TX_OK;
}

bool IxgbAdapter::clean_tx_irq() {
  uint32_t i = tx_.next_to_clean;
  bool cleaned = false;
  while (i != tx_.next_to_use) {
    const int32_t eop = tx_buf_[i].next_to_watch;
    if (eop < 0) break;  // cannot happen: every frame's first buffer watches its EOP
    if (!tx_.tx_desc(uint32_t(eop)).status_dd()) break;
    for (;;) {
      const bool last = i == uint32_t(eop);
      if (kern::Timeline* tl = k_.tl_attached()) {  // also after a stop(): no stale tags
        tl->untag(k_.tl_node(), tx_.desc_bus(i));
        tl->untag(k_.tl_node(), tx_buf_[i].dma);
      }
      itr_tot_.tx_bytes += tx_buf_[i].len;  // e1000's total_tx_bytes (a TSO skb: one packet)
      unmap_tx_buffer(tx_buf_[i]);
      tx_.tx_desc(i).clear();
      counters_.tx_desc_cleaned++;
      i = i + 1 == tx_.count ? 0 : i + 1;
      if (last) break;
    }
    counters_.tx_cleaned++;
    itr_tot_.tx_packets++;
    cleaned = true;
  }
  tx_.next_to_clean = i;
  if (cleaned) {
    tx_progress_ns_ = k_.now_ns();
    if (netdev_.queue_stopped() && netdev_.carrier_ok() && desc_unused(tx_) >= desc_needed()) {
      k_.net().netif_wake_queue(netdev_);
      counters_.tx_queue_wakes++;
    }
  }
  return cleaned;
}

// --------------------------------------------------------------------------- receive

void IxgbAdapter::alloc_rx_buffers() {
  if (!rx_.mem.cpu) return;
  uint32_t n = desc_unused(rx_);
  uint32_t i = rx_.next_to_use;
  while (n--) {
    RxBuffer& b = rx_buf_[i];
    if (!b.skb) {
      b.skb = k_.netdev_alloc_skb(netdev_, rx_buffer_len_);
      if (!b.skb) {
        counters_.rx_alloc_failed++;
        break;
      }
    } else {
      b.skb->trim(0);  // a buffer kept for reuse (copybreak or a dropped frame)
    }
    b.dma = k_.dma().dma_map_single(b.skb->data(), rx_buffer_len_, kern::kDmaFromDevice);
    if (b.dma & 15) {  // the NIC ignores the low 4 address bits
      k_.dma().dma_unmap_single(b.dma, rx_buffer_len_, kern::kDmaFromDevice);
      b.dma = 0;
      b.skb.reset();
      counters_.rx_alloc_failed++;
      break;
    }
    regs::RxDescViewMut d = rx_.rx_desc(i);
    d.clear();
    d.set_buff_addr(b.dma);
    i = i + 1 == rx_.count ? 0 : i + 1;
  }
  if (i != rx_.next_to_use) {
    rx_.next_to_use = i;
    // wmb(): descriptors first. RDT is one past the last buffer the NIC may fill.
    wr(regs::RDT, i);
    counters_.rx_rdt_writes++;
  }
}

int IxgbAdapter::clean_rx_irq(int budget) {
  int work = 0;
  uint32_t cleaned = 0;
  uint32_t i = rx_.next_to_clean;
  while (work < budget && i != rx_.next_to_use) {
    regs::RxDescViewMut d = rx_.rx_desc(i);
    if (!d.status_dd()) break;
    // rmb(): read the rest of the descriptor only after DD.
    const uint32_t length = d.length();
    const bool eop = d.status_eop();
    const bool rx_error = d.errors_ce() || d.errors_rxe();
    const uint8_t status = d.status(), errors = d.errors();
    const uint16_t special = d.special();
    const uint64_t addr = d.buff_addr();
    d.clear();  // the write-back; the buffer address stays
    d.set_buff_addr(addr);
    RxBuffer& b = rx_buf_[i];
    kern::SkbPtr skb = std::move(b.skb);
    const uint64_t buf_dma = b.dma, desc_dma = rx_.desc_bus(i);
    if (b.dma) k_.dma().dma_unmap_single(b.dma, rx_buffer_len_, kern::kDmaFromDevice);
    b.dma = 0;
    i = i + 1 == rx_.count ? 0 : i + 1;
    ++work;
    ++cleaned;
    counters_.rx_desc_cleaned++;

    bool drop = true;
    kern::SkbPtr whole;  // rx_chain: a frame assembled from several buffers, complete at EOP
    if (!skb) {
      counters_.rx_drop_errors++;  // DD on a slot the driver never gave: ignore it
    } else if (rx_discard_) {
      rx_discard_ = !eop;  // the rest of a dropped frame
    } else if (!eop && !params_.rx_chain) {
      // Frames spanning buffers are not supported without rx_chain (as in ixgb): drop all of it.
      counters_.rx_drop_no_eop++;
      rx_discard_ = true;
    } else if (params_.rx_chain && (rx_chain_skb_ || !eop)) {
      whole = rx_chain_add(*skb, length, eop, rx_error);  // copied: the buffer goes back
    } else if (rx_error) {
      counters_.rx_drop_errors++;
    } else if (length < kern::ETH_HLEN || length > rx_buffer_len_) {
      counters_.rx_drop_length++;
    } else {
      drop = false;
    }
    if (drop) b.skb = std::move(skb);  // the buffer goes back to the ring
    if (whole) {
      const uint64_t pkt = k_.tl() ? k_.tl()->rx_frame(k_.tl_node(), whole->data(), whole->len()) : 0;
      k_.trace(kern::Stage::kNapiPoll, pkt, whole->len());
      rx_hand_up(std::move(whole), pkt, status, errors, special);
    } else if (!drop) {
      uint64_t pkt = 0;
      if (kern::Timeline* tl = k_.tl()) {
        // The frame's id from the wire; the NIC's writes into this buffer and descriptor are its.
        // (the fingerprint reads through VLAN tags: a frame the NIC stripped is found as it is)
        pkt = tl->rx_frame(k_.tl_node(), skb->data(), length);
        tl->claim(k_.tl_node(), buf_dma, length, desc_dma, pkt, k_.now_ns() * 1000);
        k_.trace(kern::Stage::kNapiPoll, pkt, length);
      }
      kern::SkbPtr small;
      if (length < params_.copybreak) small = k_.netdev_alloc_skb(netdev_, length);
      if (small) {
        // copybreak: a small skb for the stack, the big buffer stays in the ring
        small->put_data(skb->data(), length);
        k_.cpu().charge_copy(length);
        b.skb = std::move(skb);
        skb = std::move(small);
        counters_.rx_copybreak++;
      } else {
        skb->put(length);
        counters_.rx_large++;
      }
      rx_hand_up(std::move(skb), pkt, status, errors, special);
    }
    if (cleaned >= params_.rx_refill_batch) {
      rx_.next_to_clean = i;
      alloc_rx_buffers();
      cleaned = 0;
    }
  }
  rx_.next_to_clean = i;
  alloc_rx_buffers();
  return work;
}

}  // namespace nicsim::driver

namespace nicsim::driver {

// ixgb_rx_checksum: IXSM (nothing checked) or no TCPCS leaves the checksum to the stack;
// TCPE is counted and also left to the stack, which verifies again and counts InCsumErrors.
// The IP header's IPCS/IPE are not used: ip_rcv checks the header in software, as Linux.
void IxgbAdapter::rx_checksum(uint8_t status, uint8_t errors, kern::SkBuff& skb) {
  skb.ip_summed = kern::CHECKSUM_NONE;
  if (!(netdev_.features & kern::NETIF_F_RXCSUM) || (status & regs::RXDESC_STATUS_IXSM) || !(status & regs::RXDESC_STATUS_TCPCS)) return;
  if (errors & regs::RXDESC_ERRORS_TCPE) {
    counters_.hw_csum_rx_error++;
    return;
  }
  skb.ip_summed = kern::CHECKSUM_UNNECESSARY;
  counters_.hw_csum_rx_good++;
}

void IxgbAdapter::rx_hand_up(kern::SkbPtr skb, uint64_t pkt, uint8_t status, uint8_t errors, uint16_t special) {
  const uint32_t length = skb->len();
  skb->trace = pkt;
  rx_checksum(status, errors, *skb);
  kern::eth_type_trans(*skb, netdev_);
  // the NIC stripped the tag (CTRL0.VME): the stack takes it from the skb (__vlan_hwaccel_put_tag)
  if (status & regs::RXDESC_STATUS_VP) {
    kern::vlan_hwaccel_put_tag(*skb, special);
    counters_.rx_vlan_hw++;
  }
  counters_.rx_packets++;
  counters_.rx_bytes += length;
  itr_tot_.rx_packets++;
  itr_tot_.rx_bytes += length;
  k_.cpu().charge_packet();
  k_.net().napi_gro_receive(napi_, std::move(skb));
}

kern::SkbPtr IxgbAdapter::rx_chain_add(kern::SkBuff& buf, uint32_t length, bool eop, bool error) {
  auto give_up = [&](uint64_t& counter) {
    counter++;
    rx_chain_skb_.reset();
    rx_discard_ = !eop;
    return kern::SkbPtr{};
  };
  if (error) return give_up(counters_.rx_drop_errors);
  if (length > rx_buffer_len_) return give_up(counters_.rx_drop_length);
  if (!rx_chain_skb_) {
    rx_chain_skb_ = k_.netdev_alloc_skb(netdev_, max_frame());
    if (!rx_chain_skb_) return give_up(counters_.rx_alloc_failed);
  }
  if (rx_chain_skb_->len() + length > max_frame()) return give_up(counters_.rx_drop_chain);
  rx_chain_skb_->put_data(buf.data(), length);
  k_.cpu().charge_copy(length);
  if (!eop) return nullptr;
  kern::SkbPtr s = std::move(rx_chain_skb_);
  if (s->len() < kern::ETH_HLEN) {
    counters_.rx_drop_length++;
    return nullptr;
  }
  counters_.rx_chained++;
  return s;
}

}  // namespace nicsim::driver
