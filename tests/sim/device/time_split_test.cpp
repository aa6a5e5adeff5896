// SPDX-License-Identifier: Apache-2.0
// The time split against hand-built timelines whose critical path is known: walked back from the step's end through
// the interval that ends at each instant (else the one running into it, else a gap), each instant charged once, the
// parts of each step summing to its length.
#include <gtest/gtest.h>

#include "sim/device/time_split.h"

namespace hpusim::sim {
namespace {

Picoseconds at(const TimeSplit& s, TimeClass c) { return s[static_cast<std::size_t>(c)]; }
Picoseconds sum(const TimeSplit& s) {
  Picoseconds t = 0;
  for (Picoseconds p : s) t += p;
  return t;
}

TEST(TimeSplit, AHostBoundStepIsTheHostsExposedTime) {
  // Eager decode: the host dispatches for 80, the card runs short kernels while it does (5 of HBM each), the last
  // one after the last dispatch. The kernels under the dispatch made the step no longer: only the last is on the path.
  const std::vector<TimedInterval> host{{0, 80, TimeClass::host}};
  const std::vector<TimedInterval> card{{20, 25, TimeClass::hbm}, {50, 55, TimeClass::hbm}, {80, 85, TimeClass::hbm}};
  const auto s = split_steps({0, 100}, card, host);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(at(s[0], TimeClass::host), 80);
  EXPECT_EQ(at(s[0], TimeClass::hbm), 5);
  EXPECT_EQ(at(s[0], TimeClass::gap), 15);  // 85 .. 100: nothing runs
  EXPECT_EQ(sum(s[0]), 100);
}

TEST(TimeSplit, EagerDispatchesAndKernelsAlternateOnThePath) {
  // Host dispatch 0..40, kernel 40..45; dispatch 40..80 overlaps it, kernel 80..85; the host is slower than the
  // card, so the path is dispatch, dispatch, kernel: 80 of host, 5 of HBM. A GPU launch gap of 2 before a kernel
  // (ended 90, kernel from 92) is a gap; a kernel waiting on the one before it (stream order) follows it.
  const std::vector<TimedInterval> host{{0, 40, TimeClass::host}, {40, 80, TimeClass::host}, {85, 90, TimeClass::host}};
  const std::vector<TimedInterval> card{{40, 45, TimeClass::hbm}, {80, 85, TimeClass::hbm}, {92, 130, TimeClass::matrix},
                                        {130, 140, TimeClass::vector}};
  const auto s = split_steps({0, 85, 140}, card, host);
  EXPECT_EQ(at(s[0], TimeClass::host), 80);
  EXPECT_EQ(at(s[0], TimeClass::hbm), 5);
  EXPECT_EQ(at(s[1], TimeClass::vector), 10);  // 130 .. 140, released by the matrix task's end
  EXPECT_EQ(at(s[1], TimeClass::matrix), 38);  // 92 .. 130
  EXPECT_EQ(at(s[1], TimeClass::gap), 2);      // 90 .. 92: the launch gap
  EXPECT_EQ(at(s[1], TimeClass::host), 5);     // 85 .. 90
  EXPECT_EQ(sum(s[0]), 85);
  EXPECT_EQ(sum(s[1]), 55);
}

TEST(TimeSplit, AnHbmBoundStepHidesTheHostAndTheOverlappedCompute) {
  // A graph replay: 10 of host launch, then a long HBM-bound GEMM with a TPC task beside it that ends first.
  const std::vector<TimedInterval> host{{0, 10, TimeClass::host}};
  const std::vector<TimedInterval> card{{10, 90, TimeClass::hbm}, {20, 40, TimeClass::vector}};
  const auto s = split_steps({0, 90}, card, host);
  EXPECT_EQ(at(s[0], TimeClass::host), 10);
  EXPECT_EQ(at(s[0], TimeClass::hbm), 80);  // the TPC task ends first: the GEMM is what the step waits for
  EXPECT_EQ(at(s[0], TimeClass::vector), 0);
  EXPECT_EQ(sum(s[0]), 90);
}

TEST(TimeSplit, AnMmeBoundStepAndTwoStepsSplitAtTheirBoundary) {
  // Prefill: compute-bound products; a TPC task that outlasts the last product takes the tail. Step 2 is a gap.
  const std::vector<TimedInterval> card{{0, 60, TimeClass::matrix}, {60, 100, TimeClass::matrix},
                                        {90, 110, TimeClass::vector}};
  const auto s = split_steps({0, 110, 130}, card, {});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(at(s[0], TimeClass::matrix), 90);
  EXPECT_EQ(at(s[0], TimeClass::vector), 20);  // 90 .. 110: it ends last
  EXPECT_EQ(sum(s[0]), 110);
  EXPECT_EQ(at(s[1], TimeClass::gap), 20);
  EXPECT_EQ(sum(s[1]), 20);
}

TEST(TimeSplit, AFabricBoundStepAndIntervalsAcrossBoundaries) {
  // Tensor parallel: an all-reduce from 30 to 95 outlasts the GEMM beside it; a task spans the step boundary at 50.
  const std::vector<TimedInterval> card{{0, 40, TimeClass::matrix}, {30, 95, TimeClass::fabric}};
  const auto s = split_steps({0, 50, 100}, card, {});
  EXPECT_EQ(at(s[0], TimeClass::matrix), 30);
  EXPECT_EQ(at(s[0], TimeClass::fabric), 20);  // 30 .. 50: the all-reduce ends last
  EXPECT_EQ(at(s[1], TimeClass::fabric), 45);  // 50 .. 95
  EXPECT_EQ(at(s[1], TimeClass::gap), 5);
  EXPECT_EQ(sum(s[0]) + sum(s[1]), 100);
  // Intervals before the first bound count where they overlap it; empty intervals count for nothing.
  const auto late = split_steps({20, 60}, {{0, 40, TimeClass::matrix}, {45, 45, TimeClass::hbm}}, {});
  EXPECT_EQ(at(late[0], TimeClass::matrix), 20);
  EXPECT_EQ(at(late[0], TimeClass::gap), 20);
  EXPECT_TRUE(split_steps({5}, {}, {}).empty());
}

TEST(TimeSplit, EdgesAtTheSameInstantAndRepeatedBounds) {
  // One task ends as the next starts; two end together (the one that started first is followed); a zero-length
  // step; host intervals that overlap each other; a task past the last bound.
  const std::vector<TimedInterval> card{{0, 10, TimeClass::matrix}, {10, 20, TimeClass::hbm},
                                        {20, 30, TimeClass::vector}, {22, 30, TimeClass::matrix},
                                        {35, 60, TimeClass::hbm}};
  const std::vector<TimedInterval> host{{30, 33, TimeClass::host}, {31, 34, TimeClass::host}};
  const auto s = split_steps({0, 20, 20, 35, 40}, card, host);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(at(s[0], TimeClass::matrix), 10);
  EXPECT_EQ(at(s[0], TimeClass::hbm), 10);
  EXPECT_EQ(sum(s[1]), 0);  // [20, 20)
  EXPECT_EQ(at(s[2], TimeClass::vector), 10);  // 20 .. 30: both end at 30; the vector task started first
  EXPECT_EQ(at(s[2], TimeClass::matrix), 0);
  EXPECT_EQ(at(s[2], TimeClass::host), 4);     // 30 .. 34, the two host intervals counted once
  EXPECT_EQ(at(s[2], TimeClass::gap), 1);      // 34 .. 35
  EXPECT_EQ(at(s[3], TimeClass::hbm), 5);      // 35 .. 40: the rest lies past the last bound
  EXPECT_EQ(sum(s[2]), 15);
}

TEST(TimeSplit, VerdictsNameTheEngine) {
  EXPECT_EQ(bound_by(TimeClass::matrix, true), "MME-bound");
  EXPECT_EQ(bound_by(TimeClass::matrix, false), "tensor-core-bound");
  EXPECT_EQ(bound_by(TimeClass::hbm, true), "HBM-bound");
  EXPECT_EQ(name(TimeClass::gap), "gap");
}

}  // namespace
}  // namespace hpusim::sim
