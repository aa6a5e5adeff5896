// SPDX-License-Identifier: Apache-2.0
#include "sim/device/onchip_cache.h"

#include <algorithm>

namespace hpusim::sim {

int64_t OnChipCache::read(int64_t key, int64_t bytes) {
  if (bytes <= 0) return 0;
  const auto it = where_.find(key);
  int64_t hit = 0;
  if (it != where_.end()) {
    hit = std::min(bytes, it->second->bytes);
    lru_.splice(lru_.begin(), lru_, it->second);
  }
  hit_bytes_ += hit;
  miss_bytes_ += bytes - hit;
  return hit;
}

void OnChipCache::evict(int64_t bytes) {
  while (!lru_.empty() && used_ + bytes > capacity_) {
    used_ -= lru_.back().bytes;
    where_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void OnChipCache::erase(int64_t key) {
  const auto it = where_.find(key);
  if (it == where_.end()) return;
  used_ -= it->second->bytes;
  lru_.erase(it->second);
  where_.erase(it);
}

void OnChipCache::stream(int64_t bytes) {
  if (bytes > 0) evict(std::min(bytes, capacity_));
}

void OnChipCache::write(int64_t key, int64_t bytes) {
  erase(key);
  if (bytes <= 0) return;
  if (bytes > capacity_) {
    evict(capacity_);  // it passed through and pushed everything out, but does not fit itself
    return;
  }
  evict(bytes);
  lru_.push_front({key, bytes});
  where_[key] = lru_.begin();
  used_ += bytes;
}

void OnChipCache::clear() {
  lru_.clear();
  where_.clear();
  used_ = 0;
}

}  // namespace hpusim::sim
