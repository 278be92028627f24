// sk_buff and its pool.
#include "nicsim/kern/skbuff.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "nicsim/kern/platform.h"

namespace nicsim::kern {

// The data block, shared by clones. Freed through the pool's memory source.
struct SkBuff::Block {
  Platform* mem = nullptr;
  DmaBuffer buf;
  std::unique_ptr<uint8_t[]> heap;
  ~Block() {
    if (mem) mem->mem_free(buf);
  }
};

void SkbDeleter::operator()(SkBuff* skb) const {
  if (skb) skb->pool_->release(skb);
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
  if (n > len()) return nullptr;
  data_ += n;
  return data();
}

uint8_t* SkBuff::put(uint32_t n) {
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
  if (n < len()) tail_ = data_ + n;
}

bool SkBuff::unclone() {
  if (!cloned()) return false;
  std::shared_ptr<Block> b = pool_->new_block(end_);
  uint8_t* base = static_cast<uint8_t*>(b->buf.cpu);
  if (end_) std::memcpy(base, base_, end_);
  block_ = std::move(b);
  base_ = base;
  return true;
}

SkbPool::~SkbPool() {
  if (stats_.live) std::fprintf(stderr, "nicsim: SkbPool destroyed with %s\n", leak_report().c_str());
}

std::shared_ptr<SkBuff::Block> SkbPool::new_block(uint32_t size) {
  auto b = std::make_shared<SkBuff::Block>();
  if (mem_) {
    b->buf = mem_->mem_alloc(size ? size : 1, 64);
    b->mem = mem_;
  } else {
    b->heap.reset(new uint8_t[size ? size : 1]());
    b->buf.cpu = b->heap.get();
    b->buf.size = size;
  }
  return b;
}

SkbPtr SkbPool::wrap(SkBuff* skb) {
  skb->pool_ = this;
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
  skb->base_ = static_cast<uint8_t*>(skb->block_->buf.cpu);
  skb->end_ = size;
  return wrap(skb);
}

SkbPtr SkbPool::clone(const SkBuff& src) {
  auto* skb = new SkBuff(src);  // shares the block
  stats_.clones++;
  return wrap(skb);
}

SkbPtr SkbPool::copy(const SkBuff& src) {
  auto* skb = new SkBuff(src);
  skb->block_ = new_block(src.end_);
  skb->base_ = static_cast<uint8_t*>(skb->block_->buf.cpu);
  if (src.end_) std::memcpy(skb->base_, src.base_, src.end_);
  return wrap(skb);
}

SkbPtr SkbPool::copy_expand(const SkBuff& src, uint32_t newheadroom, uint32_t newtailroom) {
  auto* skb = new SkBuff(src);
  const uint32_t len = src.len(), size = newheadroom + len + newtailroom;
  skb->block_ = new_block(size);
  skb->base_ = static_cast<uint8_t*>(skb->block_->buf.cpu);
  const uint32_t head_copy = std::min(newheadroom, src.data_);
  std::memcpy(skb->base_ + newheadroom - head_copy, src.base_ + src.data_ - head_copy, head_copy + len);
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
  if (!stats_.live) return {};
  return std::to_string(stats_.live) + " sk_buff(s) still allocated (" +
         std::to_string(stats_.live_bytes) + " bytes; " + std::to_string(stats_.allocs) +
         " allocated, " + std::to_string(stats_.frees) + " freed)";
}

}  // namespace nicsim::kern
