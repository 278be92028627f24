// The part of struct sock that the layers below a socket use.
#pragma once

#include <cstdint>
#include <memory>

namespace nicsim::kern {
class SkBuff;
}

namespace nicsim::net {

// poll() bits (Linux values).
enum : uint32_t {
  kPollIn = 0x001,
  kPollPri = 0x002,
  kPollOut = 0x004,
  kPollErr = 0x008,
  kPollHup = 0x010,
  kPollNval = 0x020,
  kPollRdHup = 0x2000,
};

// Base of every socket that sends packets (skb->sk points to it while the packet is inside
// the stack, e.g. waiting in a neighbour's queue).
class Sock {
 public:
  Sock() = default;
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;
  virtual ~Sock() = default;
  // Expires when this socket is destroyed. A layer that keeps one of the socket's packets for
  // later (a neighbour's queue) keeps this beside skb->sk and checks it before following the
  // pointer, so a socket never has to withdraw its packets when it goes away (Linux instead
  // holds a reference to the socket from each skb).
  std::weak_ptr<const void> sk_alive() const { return alive_; }
  // One of this socket's packets was dropped below it with err (EHOSTUNREACH when address
  // resolution failed). skb data is at the IP header.
  // Differs from Linux: there arp_error_report sends an ICMP host unreachable that loops back
  // to the socket's err handler; here the neighbour layer calls the socket directly.
  virtual void sk_error_report_skb(int err, const kern::SkBuff& skb) = 0;
  // True if the headroom of this socket's cloned skbs is private to the clone, so lower
  // layers may write headers there without copying (Linux's skb_header_release / nohdr:
  // TCP's queued segment never uses the room in front of its payload, and TCP never has two
  // clones of one segment in flight at once).
  virtual bool sk_owns_clone_headroom() const { return false; }

 private:
  std::shared_ptr<const char> alive_ = std::make_shared<const char>(0);
};

}  // namespace nicsim::net
