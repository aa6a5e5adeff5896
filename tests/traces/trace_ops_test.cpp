// SPDX-License-Identifier: Apache-2.0
// `trace ops` with a limit merges each engine's first spans (read through the (engine, start) index); without one a
// single query sorts every span. On a simulated two-card run the two give the same first rows, with and without
// filters, in time order.
#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "traces/trace_reader.h"

namespace hpusim::traces {
namespace {

void expect_same_first_rows(TraceReader& reader, OpFilter filter, std::size_t n) {
  filter.limit = 0;
  const auto all = reader.ops(1, filter);
  filter.limit = n;
  const auto first = reader.ops(1, filter);
  ASSERT_EQ(first.size(), std::min(n, all.size()));
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].start_ps, all[i].start_ps) << i;
    EXPECT_EQ(first[i].engine, all[i].engine) << i;
    if (i > 0) {
      EXPECT_LE(first[i - 1].start_ps, first[i].start_ps) << i;
    }
  }
}

TEST(TraceOps, TheFirstRowsThroughTheIndexAreTheFirstRowsOfTheWholeSort) {
  test::TempDir dir;
  ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--cards", "2", "--new-tokens", "3", "--trace",
                           dir.file("t.sqlite")})
                .status,
            0);
  TraceReader reader(dir.file("t.sqlite"));
  expect_same_first_rows(reader, {}, 50);
  OpFilter kind;
  kind.kind = "all_reduce";
  expect_same_first_rows(reader, kind, 7);
  OpFilter step;
  step.step = 4;  // the timed call's second pass (warm-up: steps 0..2)
  expect_same_first_rows(reader, step, 20);
  OpFilter engine;
  engine.engine = "mme";
  engine.step = 5;
  expect_same_first_rows(reader, engine, 9);
}

}  // namespace
}  // namespace hpusim::traces
