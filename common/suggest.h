// SPDX-License-Identifier: Apache-2.0
// "Did you mean ...?" for unknown keys and names: the closest candidate by edit distance, if it is close enough.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpusim {

// Edit distance counting an adjacent transposition as one edit (optimal string alignment), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, or nullopt when none is within a third of the word's length (at least 2 edits).
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c" for error messages.
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace hpusim
