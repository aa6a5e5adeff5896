// SPDX-License-Identifier: Apache-2.0
// Which tensors are still on chip (a GPU's L2, Gaudi's SRAM when the graph compiler keeps a tensor there), in plain
// C++: least-recently-used residency by bytes. An op reads its inputs (a resident one is served on chip instead of
// from HBM), streams its other reads (weights, the KV cache) through the cache, evicting what was there, and leaves
// its output resident. A tensor larger than the capacity is never resident and flushes everything. Whole tensors,
// not lines or sets: what matters at this level is whether a producer's output survives until its consumer runs
// (shared/DESIGN.md, "Timing model"). Deterministic: the same sequence gives the same hits.
#pragma once
#include <cstdint>
#include <list>
#include <unordered_map>

namespace hpusim::sim {

class OnChipCache {
 public:
  explicit OnChipCache(int64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Bytes of tensor `key` (of `bytes` wanted) that are resident; a hit refreshes it. Counts hits and misses.
  int64_t read(int64_t key, int64_t bytes);
  // `bytes` passing through that are never reused (weights streamed once per pass): they evict the oldest tensors.
  void stream(int64_t bytes);
  // Tensor `key` written: resident from now, evicting the oldest to make room.
  void write(int64_t key, int64_t bytes);
  void clear();

  int64_t capacity() const { return capacity_; }
  int64_t used() const { return used_; }
  int64_t hit_bytes() const { return hit_bytes_; }
  int64_t miss_bytes() const { return miss_bytes_; }

 private:
  void evict(int64_t bytes);  // oldest first, until `bytes` of room beyond used() - capacity()
  void erase(int64_t key);

  struct Entry {
    int64_t key, bytes;
  };
  int64_t capacity_;
  int64_t used_ = 0;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<int64_t, std::list<Entry>::iterator> where_;
  int64_t hit_bytes_ = 0, miss_bytes_ = 0;
};

}  // namespace hpusim::sim
