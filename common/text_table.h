// SPDX-License-Identifier: Apache-2.0
// Plain-text tables for the command line: left-aligned text, right-aligned numbers, one header rule.
#pragma once
#include <string>
#include <vector>

namespace hpusim {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, std::vector<bool> right_aligned = {});
  void add_row(std::vector<std::string> cells);
  std::string render() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace hpusim
