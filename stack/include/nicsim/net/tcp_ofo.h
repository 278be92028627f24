// The out-of-order queue of one connection (Linux's tp->out_of_order_queue and
// tcp_data_queue_ofo): segments received beyond RCV.NXT, kept without overlaps, keyed by their
// start in the unwrapped sequence space (0 = irs + 1), so no wrap-around comparisons.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "nicsim/kern/skbuff.h"

namespace nicsim::net {

class TcpOfoQueue {
 public:
  // One queued range [start, end), its payload and whether a FIN follows it.
  struct Seg {
    uint64_t start = 0, end = 0;
    bool fin = false;
    kern::SkbPtr skb;  // payload (end - start bytes)
  };
  // Queues payload [start, end) (+ FIN). Parts already queued are cut off the new segment;
  // queued segments it covers are merged into it (counted in *merged). Returns false, queuing
  // nothing, if the whole segment was already queued (a duplicate: the caller D-SACKs it).
  bool insert(kern::SkbPtr skb, uint64_t start, uint64_t end, bool fin, uint64_t* merged);
  // Takes out the first segment if it starts at or before upto (it may end before upto: an
  // old duplicate the caller discards); false if none.
  bool pop_ready(uint64_t upto, Seg* out);
  // The queued data as contiguous ranges [start, end) (a FIN counts one), ascending.
  std::vector<std::pair<uint64_t, uint64_t>> ranges() const;
  // Start of the most recently queued segment (the first SACK block names its range).
  uint64_t last_start() const { return last_start_; }
  size_t bytes() const { return bytes_; }
  bool empty() const { return q_.empty(); }
  size_t size() const { return q_.size(); }
  void clear() {
    q_.clear();
    bytes_ = 0;
  }

 private:
  struct Entry {
    uint64_t end = 0;
    bool fin = false;
    kern::SkbPtr skb;
  };
  std::map<uint64_t, Entry> q_;  // by start
  size_t bytes_ = 0;
  uint64_t last_start_ = 0;
};

}  // namespace nicsim::net
