// sk_buff and its pool.
#include "nicsim/kern/skbuff.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "nicsim/kern/platform.h"

namespace nicsim::kern {

Page::~Page() {
  if (mem_) mem_->mem_free(DmaBuffer{cpu_, bus_, size_});
  if (pool_) {
    pool_->stats_.page_frees++;
    pool_->stats_.pages_live--;
  }
}

void SkbDeleter::operator()(SkBuff* skb) const {
  if (!skb) return;
  if (skb->destructor) {
    void (*d)(SkBuff&) = skb->destructor;
    skb->destructor = nullptr;
    d(*skb);
  }
  skb->pool_->release(skb);
}

void SkBuff::reserve(uint32_t n) {
  if (len() != 0 || n > tailroom()) throw std::length_error("skb_reserve on a non-empty or too small buffer");
  data_ += n;
  tail_ += n;
}

uint8_t* SkBuff::push(uint32_t n) {
  if (n > data_) throw std::length_error("skb_push: no headroom (skb_under_panic)");
  data_ -= n;
  return data();
}

uint8_t* SkBuff::pull(uint32_t n) {
  if (n > headlen()) return nullptr;
  data_ += n;
  return data();
}

uint8_t* SkBuff::put(uint32_t n) {
  if (is_nonlinear()) throw std::logic_error("skb_put on a nonlinear skb (SKB_LINEAR_ASSERT)");
  if (n > tailroom()) throw std::length_error("skb_put: no tailroom (skb_over_panic)");
  uint8_t* p = tail_ptr();
  tail_ += n;
  return p;
}

uint8_t* SkBuff::put_data(const void* src, uint32_t n) {
  uint8_t* p = put(n);
  if (n) std::memcpy(p, src, n);
  return p;
}

void SkBuff::trim(uint32_t n) {
  if (n >= len()) return;
  if (n <= headlen()) {
    tail_ = data_ + n;
    for (uint8_t i = 0; i < shinfo_.nr_frags; ++i) shinfo_.frags[i] = SkbFrag{};
    shinfo_.nr_frags = 0;
    data_len = 0;
    return;
  }
  // ___pskb_trim: keep the frags that hold bytes below n, the last one cut.
  uint32_t at = headlen();
  uint8_t keep = 0;
  while (keep < shinfo_.nr_frags && at < n) {
    SkbFrag& f = shinfo_.frags[keep++];
    if (at + f.size > n) f.size = n - at;
    at += f.size;
  }
  for (uint8_t i = keep; i < shinfo_.nr_frags; ++i) shinfo_.frags[i] = SkbFrag{};
  shinfo_.nr_frags = keep;
  data_len = n - headlen();
}

std::vector<uint8_t> SkBuff::bytes() const {
  std::vector<uint8_t> v(len());
  if (!v.empty()) copy_bits(0, v.data(), len());
  return v;
}

bool SkBuff::add_frag(PageRef page, uint32_t off, uint32_t size) {
  if (!page || shinfo_.nr_frags >= MAX_SKB_FRAGS || off > page->size() || size > page->size() - off) return false;
  shinfo_.frags[shinfo_.nr_frags++] = SkbFrag{std::move(page), off, size};
  data_len += size;
  return true;
}

int SkBuff::copy_bits(uint32_t offset, void* to, uint32_t n) const {
  if (offset > len() || n > len() - offset) return -EFAULT;
  if (n == 0) return 0;  // `to` may be null then (memcpy must not see it)
  uint8_t* out = static_cast<uint8_t*>(to);
  const uint32_t hl = headlen();
  if (offset < hl) {
    const uint32_t c = std::min(n, hl - offset);
    std::memcpy(out, data() + offset, c);
    out += c;
    n -= c;
    offset = hl;
  }
  uint32_t at = hl;  // offset of frag i from data
  for (uint8_t i = 0; i < shinfo_.nr_frags && n; ++i) {
    const SkbFrag& f = shinfo_.frags[i];
    if (offset < at + f.size) {
      const uint32_t in = offset - at, c = std::min(n, f.size - in);
      std::memcpy(out, skb_frag_address(f) + in, c);
      out += c;
      n -= c;
      offset += c;
    }
    at += f.size;
  }
  return 0;
}

int SkBuff::linearize() {
  if (!is_nonlinear()) return 0;
  const uint32_t hl = headlen();
  if (data_len > tailroom() || cloned()) {
    // __pskb_pull_tail -> pskb_expand_head: a new private head with room for the frags.
    const uint64_t size = uint64_t(data_) + hl + data_len;
    if (size > UINT32_MAX) return -ENOMEM;
    std::shared_ptr<Page> b;
    try {
      b = pool_->new_block(uint32_t(size));
    } catch (const std::exception&) {
      return -ENOMEM;
    }
    if (!b || !b->address()) return -ENOMEM;
    std::memcpy(b->address(), base_, data_ + hl);
    pool_->stats_.live_bytes += size - end_;
    block_ = std::move(b);
    base_ = block_->address();
    end_ = uint32_t(size);
  }
  uint8_t* p = base_ + tail_;
  for (uint8_t i = 0; i < shinfo_.nr_frags; ++i) {
    SkbFrag& f = shinfo_.frags[i];
    std::memcpy(p, skb_frag_address(f), f.size);
    p += f.size;
    f = SkbFrag{};
  }
  tail_ += data_len;
  data_len = 0;
  shinfo_.nr_frags = 0;
  pool_->stats_.linearized++;
  return 0;
}

bool SkBuff::unclone() {
  if (!cloned()) return false;
  std::shared_ptr<Page> b = pool_->new_block(end_);
  uint8_t* base = b->address();
  if (end_) std::memcpy(base, base_, end_);
  block_ = std::move(b);
  base_ = base;
  return true;
}

SkbPool::~SkbPool() {
  if (live()) std::fprintf(stderr, "nicsim: SkbPool destroyed with %s\n", leak_report().c_str());
}

std::shared_ptr<Page> SkbPool::new_block(uint32_t size) {
  auto b = std::make_shared<Page>();
  if (mem_) {
    const DmaBuffer buf = mem_->mem_alloc(size ? size : 1, 64);
    b->mem_ = mem_;
    b->cpu_ = buf.cpu;
    b->bus_ = buf.bus;
  } else {
    b->heap_.reset(new uint8_t[size ? size : 1]());
    b->cpu_ = b->heap_.get();
  }
  b->size_ = size;
  return b;
}

PageRef SkbPool::alloc_page(uint32_t size) {
  std::shared_ptr<Page> p;
  try {
    p = new_block(size);
  } catch (const std::exception&) {
    return nullptr;
  }
  if (!p->address()) return nullptr;
  p->pool_ = this;
  stats_.page_allocs++;
  stats_.pages_live++;
  return p;
}

SkbPtr SkbPool::wrap(SkBuff* skb) {
  skb->pool_ = this;
  skb->destructor = nullptr;  // a clone or copy is not charged to the socket
  skb->sk_charge = 0;
  skb->owner_sk = nullptr;
  skb->sk_alive.reset();
  skb->id = next_id_++;
  stats_.allocs++;
  stats_.live++;
  stats_.live_bytes += skb->end_;
  if (stats_.live > stats_.peak) stats_.peak = stats_.live;
  return SkbPtr(skb);
}

SkbPtr SkbPool::alloc(uint32_t size) {
  auto* skb = new SkBuff();
  skb->block_ = new_block(size);
  skb->base_ = skb->block_->address();
  skb->end_ = size;
  return wrap(skb);
}

SkbPtr SkbPool::clone(const SkBuff& src) {
  auto* skb = new SkBuff(src);  // shares the block
  stats_.clones++;
  return wrap(skb);
}

SkbPtr SkbPool::copy(const SkBuff& src) {
  if (src.is_nonlinear()) {  // the frags land in the head, after the old tailroom is gone
    SkbPtr skb = copy_expand(src, src.headroom(), 0);
    return skb;
  }
  auto* skb = new SkBuff(src);
  skb->block_ = new_block(src.end_);
  skb->base_ = skb->block_->address();
  if (src.end_) std::memcpy(skb->base_, src.base_, src.end_);
  return wrap(skb);
}

SkbPtr SkbPool::copy_expand(const SkBuff& src, uint32_t newheadroom, uint32_t newtailroom) {
  auto* skb = new SkBuff(src);
  const uint32_t len = src.len(), size = newheadroom + len + newtailroom;
  skb->block_ = new_block(size);
  skb->base_ = skb->block_->address();
  const uint32_t head_copy = std::min(newheadroom, src.data_);
  std::memcpy(skb->base_ + newheadroom - head_copy, src.base_ + src.data_ - head_copy, head_copy);
  src.copy_bits(0, skb->base_ + newheadroom, len);
  skb->shinfo_ = SkbSharedInfo{};
  skb->data_len = 0;
  const int32_t shift = int32_t(newheadroom) - int32_t(src.data_);
  for (int32_t* h : {&skb->mac_header_, &skb->network_header_, &skb->transport_header_})
    if (*h >= 0) *h = std::max(*h + shift, -1);
  if (skb->ip_summed == CHECKSUM_PARTIAL) skb->csum_start = uint16_t(int32_t(skb->csum_start) + shift);
  skb->data_ = newheadroom;
  skb->tail_ = newheadroom + len;
  skb->end_ = size;
  return wrap(skb);
}

void SkbPool::release(SkBuff* skb) {
  stats_.frees++;
  stats_.live--;
  stats_.live_bytes -= skb->end_;
  delete skb;
}

std::string SkbPool::leak_report() const {
  std::string r;
  if (stats_.live)
    r = std::to_string(stats_.live) + " sk_buff(s) still allocated (" + std::to_string(stats_.live_bytes) +
        " bytes; " + std::to_string(stats_.allocs) + " allocated, " + std::to_string(stats_.frees) + " freed)";
  if (stats_.pages_live)
    r += (r.empty() ? "" : ", ") + std::to_string(stats_.pages_live) + " page(s) still referenced (" +
         std::to_string(stats_.page_allocs) + " allocated, " + std::to_string(stats_.page_frees) + " freed)";
  return r;
}

}  // namespace nicsim::kern
