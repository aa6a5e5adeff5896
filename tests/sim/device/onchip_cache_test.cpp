// SPDX-License-Identifier: Apache-2.0
// OnChipCache: LRU residency by bytes, on sequences worked out by hand.
#include <gtest/gtest.h>

#include "sim/device/onchip_cache.h"

namespace hpusim::sim {
namespace {

TEST(OnChipCache, AnOutputIsReadBackWhileItFits) {
  OnChipCache c(100);
  c.write(1, 40);
  EXPECT_EQ(c.read(1, 40), 40);
  EXPECT_EQ(c.read(2, 10), 0);  // never written
  EXPECT_EQ(c.hit_bytes(), 40);
  EXPECT_EQ(c.miss_bytes(), 10);
}

TEST(OnChipCache, TheOldestGoesFirst) {
  OnChipCache c(100);
  c.write(1, 40);
  c.write(2, 40);
  EXPECT_EQ(c.read(1, 40), 40);  // 1 is now the most recent
  c.write(3, 40);                // needs 20 more: evicts 2, the oldest
  EXPECT_EQ(c.read(2, 40), 0);
  EXPECT_EQ(c.read(1, 40), 40);
  EXPECT_EQ(c.read(3, 40), 40);
  EXPECT_EQ(c.used(), 80);
}

TEST(OnChipCache, AStreamEvictsAsMuchAsItMoves) {
  OnChipCache c(100);
  c.write(1, 30);
  c.write(2, 30);
  c.write(3, 30);
  c.stream(15);  // 90 + 15 > 100: the oldest (1) goes
  EXPECT_EQ(c.read(1, 30), 0);
  EXPECT_EQ(c.read(2, 30), 30);
  c.stream(1000);  // larger than the cache: everything goes
  EXPECT_EQ(c.used(), 0);
  EXPECT_EQ(c.read(3, 30), 0);
}

TEST(OnChipCache, ATensorLargerThanTheCacheIsNeverResident) {
  OnChipCache c(100);
  c.write(1, 50);
  c.write(2, 150);
  EXPECT_EQ(c.used(), 0);
  EXPECT_EQ(c.read(2, 150), 0);
  EXPECT_EQ(c.read(1, 50), 0);
}

TEST(OnChipCache, APartialReadHitsOnlyWhatIsThere) {
  OnChipCache c(100);
  c.write(1, 20);                // the producer wrote 20 bytes (e.g. one new KV entry)
  EXPECT_EQ(c.read(1, 60), 20);  // the consumer reads 60 (the whole cache line of history)
  EXPECT_EQ(c.miss_bytes(), 40);
}

TEST(OnChipCache, RewritingATensorReplacesIt) {
  OnChipCache c(100);
  c.write(1, 60);
  c.write(1, 30);
  EXPECT_EQ(c.used(), 30);
  c.clear();
  EXPECT_EQ(c.used(), 0);
}

}  // namespace
}  // namespace hpusim::sim
