// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "common/suggest.h"
#include "common/text_table.h"

namespace hpusim {
namespace {

TEST(EditDistance, TextbookValues) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}

TEST(Nearest, SuggestsOnlyCloseNames) {
  const std::vector<std::string> keys{"bandwidth_GBps", "capacity_GiB", "stacks"};
  EXPECT_EQ(nearest("bandwith_GBps", keys), "bandwidth_GBps");
  EXPECT_EQ(nearest("stack", keys), "stacks");
  EXPECT_EQ(nearest("frequency", keys), std::nullopt);
}

TEST(TextTable, AlignsColumnsAndCountsUtf8AsOneColumn) {
  TextTable t({"name", "value"}, {false, true});
  t.add_row({"µs", "1"});
  t.add_row({"abc", "100"});
  EXPECT_EQ(t.render(), "name  value\n-----------\nµs        1\nabc     100\n");
  EXPECT_THROW(t.add_row({"one"}), std::logic_error);
}

}  // namespace
}  // namespace hpusim
