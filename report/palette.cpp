// SPDX-License-Identifier: Apache-2.0
#include "report/palette.h"

#include <array>
#include <cmath>
#include <functional>
#include <utility>

#include <fmt/format.h>

namespace hpusim::report {
namespace {

// The simulator's op kinds (ops.kind): the device's kernels in strong colours, the host's bookkeeping in muted ones;
// none of them is a time class's colour (time_class below).
constexpr std::array<std::pair<const char*, const char*>, 24> kFixed{{
    {"linear", "#1f5f99"},      {"attention", "#ffbe7d"},  {"kv_append", "#ff9d9a"},   {"layernorm", "#86bcb6"},
    {"rmsnorm", "#8cd17d"},     {"gelu", "#f1ce63"},       {"silu_mul", "#d4a6c8"},    {"rotary", "#fabfd2"},
    {"rotary_table", "#9d7660"}, {"alibi", "#d37295"},     {"add", "#a0cbe8"},         {"embedding", "#637939"},
    {"argmax", "#bcbd22"},      {"all_reduce", "#17becf"}, {"memcpy_h2d", "#499894"},  {"memcpy_d2h", "#2b6f6b"},
    {"host_step", "#79706e"},   {"host_record", "#d7b5a6"}, {"launch", "#b6992d"},     {"graph_lookup", "#e7ba52"},
    {"guard_check", "#e377c2"}, {"replay", "#8c564b"},     {"capture", "#843c39"},     {"compile", "#393b79"},
}};

// The n-th further colour: hues a golden angle apart, two lightnesses, so that neighbours differ.
std::string further(std::size_t n) {
  const double hue = std::fmod(20.0 + 137.508 * static_cast<double>(n), 360.0);
  return fmt::format("hsl({:.0f},62%,{}%)", hue, n % 2 ? 42 : 58);
}

}  // namespace

Palette::Palette(const std::set<std::string>& kinds) {
  for (const auto& [kind, colour] : kFixed) colours_.emplace(kind, colour);
  std::size_t n = 0;
  for (const auto& k : kinds)  // std::set: sorted, so the page's other kinds get colours in a stable order
    if (!colours_.contains(k)) colours_.emplace(k, further(n++));
}

std::string Palette::op_kind(const std::string& kind) const {
  const auto it = colours_.find(kind);
  if (it != colours_.end()) return it->second;
  return further(std::hash<std::string>{}(kind) % 97 + 40);
}

std::string Palette::time_class(const std::string& cls) {
  static const std::pair<const char*, const char*> kClasses[] = {
      {"host", "#f28e2b"}, {"matrix", "#4e79a7"}, {"vector", "#59a14f"}, {"hbm", "#e15759"},
      {"fabric", "#b07aa1"}, {"copy", "#76b7b2"}, {"gap", "#bab0ac"}};
  for (const auto& [name, colour] : kClasses)
    if (cls == name) return colour;
  return "#333333";
}

std::string Palette::series(std::size_t i) {  // dark: lightness 28%, below every kind's and class's
  const double hue = std::fmod(210.0 + 137.508 * static_cast<double>(i), 360.0);
  return fmt::format("hsl({:.0f},45%,28%)", hue);
}

std::string SeriesColours::of(const std::string& name) {
  const auto [it, added] = given_.try_emplace(name, "");
  if (added) it->second = Palette::series(given_.size() - 1);
  return it->second;
}

}  // namespace hpusim::report
