// SPDX-License-Identifier: Apache-2.0
#include "sim/device/collectives.h"

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::sim {
namespace {

// One direction of the path a step uses: a ring neighbour's links, or one peer's links in the mesh.
// A ring on the mesh uses the links to its next card, the direct algorithm those to each peer: the same width.
double step_bandwidth_GBps(const models::FabricSpec& f) {
  const double peak = f.topology == "nvswitch" ? static_cast<double>(f.links_per_card) * f.link_bandwidth_GBps
                                               : f.peer_bandwidth_GBps();
  return peak * f.efficiency;
}

void check_cards(const models::FabricSpec& f, int64_t cards) {
  if (cards < 1 || cards > f.cards_per_server)
    throw InputError("--cards", "", fmt::format("{} cards; this fabric connects 1 .. {}", cards, f.cards_per_server));
}

// half: one of the two halves of an all-reduce (reduce-scatter or all-gather).
CollectiveTime half(const models::FabricSpec& f, int64_t bytes, int64_t cards, CollectiveAlgorithm algo) {
  CollectiveTime t;
  if (cards <= 1) return t;
  const Picoseconds latency = static_cast<Picoseconds>(f.latency_us * 1e6);
  t.bytes_per_step = (bytes + cards - 1) / cards;
  t.steps = algo == CollectiveAlgorithm::direct && f.topology == "roce-mesh" ? 1 : cards - 1;
  t.ps = t.steps * (latency + bytes_to_ps(t.bytes_per_step, step_bandwidth_GBps(f)));
  return t;
}

}  // namespace

CollectiveAlgorithm default_algorithm(const models::FabricSpec& f) {
  return f.topology == "roce-mesh" ? CollectiveAlgorithm::direct : CollectiveAlgorithm::ring;
}

CollectiveTime all_reduce_time(const models::FabricSpec& f, int64_t bytes, int64_t cards, CollectiveAlgorithm algo) {
  check_cards(f, cards);
  CollectiveTime t = half(f, bytes, cards, algo);
  t.steps *= 2;
  t.ps *= 2;
  return t;
}

CollectiveTime all_gather_time(const models::FabricSpec& f, int64_t bytes, int64_t cards, CollectiveAlgorithm algo) {
  check_cards(f, cards);
  return half(f, bytes * cards, cards, algo);  // each card ends with `cards` pieces of `bytes`
}

}  // namespace hpusim::sim
