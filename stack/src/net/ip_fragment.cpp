// IPv4 fragmentation on output and forward (Linux's ip_output.c: ip_fragment, ip_do_fragment
// on its slow path, ip_options_fragment, ip_copy_metadata).
//
// Differs from Linux: always the slow path (each fragment a fresh buffer copied from the
// datagram; Linux reuses a frag list when the socket built one).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "nicsim/net/icmp.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/icmp.h"
#include "ip_options.h"

namespace nicsim::net {

using kern::SkbPtr;

namespace {

// ip_options_fragment: options without the copied flag are replaced by NOOPs in the header of
// every fragment after the first, so the header length stays the same.
void ip_options_fragment(uint8_t* opt, size_t len) {
  size_t i = 0;
  while (i < len) {
    const uint8_t type = opt[i];
    if (type == kIpoptEnd) return;
    if (type == kIpoptNoop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return;
    const size_t olen = opt[i + 1];
    if (olen < 2 || i + olen > len) return;  // malformed: leave the rest alone
    if (!(type & kIpoptCopied)) std::memset(opt + i, kIpoptNoop, olen);
    i += olen;
  }
}

}  // namespace

void ip_copy_metadata(kern::SkBuff& to, const kern::SkBuff& from) {
  to.dev = from.dev;
  to.protocol = from.protocol;
  to.pkt_type = from.pkt_type;
  to.priority = from.priority;
  to.mark = from.mark;
  to.tstamp_ns = from.tstamp_ns;
  to.trace = from.trace;
}

int Ipv4::ip_fragment(SkbPtr skb, uint32_t mtu, const OutputFn& output) {
  kern::Kernel& k = st_.kernel();
  wire::Ipv4Packet ip(skb->data(), skb->len());
  // DF: only a datagram reassembled here (conntrack) whose DF fragments all fit may be cut.
  // Without DF a reassembled datagram is cut again whatever size its fragments were.
  if (ip.dont_frag() && (!skb->ignore_df || (skb->frag_max_size && skb->frag_max_size > mtu))) {
    mib_.FragFails++;
    st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::FRAG_NEEDED, mtu);
    return -EMSGSIZE;
  }
  if (skb->frag_max_size && skb->frag_max_size < mtu) mtu = skb->frag_max_size;  // as it arrived
  const uint32_t hlen = uint32_t(ip.header_len());
  if (mtu < hlen + 8) {  // not even 8 bytes of payload per fragment
    mib_.FragFails++;
    return -EINVAL;
  }
  const uint32_t total = uint32_t(ip.payload_len());
  const uint32_t orig_offset = ip.frag_offset();
  const bool orig_mf = ip.more_frags();
  std::vector<uint8_t> later_hdr(ip.bytes(), ip.bytes() + hlen);
  ip_options_fragment(later_hdr.data() + wire::Ipv4Packet::kMinHeaderLen, hlen - wire::Ipv4Packet::kMinHeaderLen);
  for (uint32_t off = 0; off < total;) {
    uint32_t len = std::min(total - off, mtu - hlen);
    if (len < total - off) len &= ~7u;  // every fragment but the last: a multiple of 8
    SkbPtr f = k.alloc_skb(kMaxHeader + hlen + len);
    f->reserve(kMaxHeader);
    uint8_t* p = f->put(hlen + len);
    std::memcpy(p, off == 0 ? ip.bytes() : later_hdr.data(), hlen);
    std::memcpy(p + hlen, ip.payload() + off, len);
    k.cpu().charge_copy(len);
    wire::Ipv4PacketMut w(p, hlen + len);
    w.set_total_len(uint16_t(hlen + len));
    uint16_t frag = uint16_t((orig_offset + off) / 8);
    if (off + len < total || orig_mf) frag |= wire::Ipv4Packet::kFlagMf;
    w.set_frag_field(frag);
    w.fill_checksum();
    ip_copy_metadata(*f, *skb);
    if (off == 0) f->sk = skb->sk;  // errors about the datagram are matched on fragment 0
    f->reset_network_header();
    f->set_transport_header(int32_t(hlen));
    mib_.FragCreates++;
    off += len;
    const int r = output(std::move(f));
    if (r < 0) {
      mib_.FragFails++;
      return r;
    }
  }
  mib_.FragOKs++;
  return 0;
}

}  // namespace nicsim::net
