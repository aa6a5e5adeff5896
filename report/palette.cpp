// SPDX-License-Identifier: Apache-2.0
#include "report/palette.h"

#include <array>
#include <cmath>
#include <functional>
#include <utility>

#include <fmt/format.h>

namespace hpusim::report {
namespace {

// The simulator's op kinds (ops.kind): the device's kernels in strong colours, the host's bookkeeping in muted ones.
constexpr std::array<std::pair<const char*, const char*>, 24> kFixed{{
    {"linear", "#4e79a7"},      {"attention", "#f28e2b"},  {"kv_append", "#e15759"},   {"layernorm", "#76b7b2"},
    {"rmsnorm", "#59a14f"},     {"gelu", "#edc948"},       {"silu_mul", "#b07aa1"},    {"rotary", "#ff9da7"},
    {"rotary_table", "#9c755f"}, {"alibi", "#d37295"},     {"add", "#a0cbe8"},         {"embedding", "#8cd17d"},
    {"argmax", "#ffbe7d"},      {"all_reduce", "#17becf"}, {"memcpy_h2d", "#86bcb6"},  {"memcpy_d2h", "#499894"},
    {"host_step", "#79706e"},   {"host_record", "#bab0ac"}, {"launch", "#d7b5a6"},     {"graph_lookup", "#f1ce63"},
    {"guard_check", "#fabfd2"}, {"replay", "#9d7660"},     {"capture", "#b6992d"},     {"compile", "#555555"},
}};

// The n-th further colour: hues a golden angle apart, two lightnesses, so that neighbours differ.
std::string further(std::size_t n) {
  const double hue = std::fmod(20.0 + 137.508 * static_cast<double>(n), 360.0);
  return fmt::format("hsl({:.0f},62%,{}%)", hue, n % 2 ? 40 : 55);
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

std::string Palette::series(std::size_t i) {
  static const char* kSeries[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                                  "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#79706e"};
  return i < 10 ? kSeries[i] : further(i);
}

}  // namespace hpusim::report
