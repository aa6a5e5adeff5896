// SPDX-License-Identifier: Apache-2.0
#include "sim/device/collectives.h"

#include <cmath>
#include <string_view>

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

// NCCL's ring over `steps` steps of `bytes` in all (the buffer on each card): its fastest protocol, plus the call's
// own latency. Bus bandwidth B turns into the algorithm's as B x cards / steps (tuning.cc: "Convert bus BW to
// algorithm BW"); time = latency + bytes / algorithm bandwidth.
CollectiveTime nccl_ring(const models::FabricSpec& f, int64_t bytes, int64_t cards, int64_t steps, bool reduce) {
  CollectiveTime t;
  t.steps = steps;
  t.bytes_per_step = (bytes + cards - 1) / cards;
  double best_us = -1;
  for (const auto& p : nccl_ring_protocols()) {
    // LL on a collective without a reduction moves a third of the bus bandwidth, not a quarter (tuning.cc).
    const double factor = std::string_view(p.name) == "LL" && !reduce ? 1.0 / 3.0 : p.bandwidth_factor;
    const double algorithm_GBps =
        step_bandwidth_GBps(f) * factor * static_cast<double>(cards) / static_cast<double>(steps);
    const double us =
        p.base_us + static_cast<double>(steps) * p.hop_us + static_cast<double>(bytes) / (1000.0 * algorithm_GBps);
    if (best_us < 0 || us < best_us) {
      best_us = us;
      t.protocol = p.name;
    }
  }
  t.ps = static_cast<Picoseconds>(std::llround((f.latency_us + best_us) * 1e6));
  return t;
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

const std::vector<NcclProtocol>& nccl_ring_protocols() {
  // NVIDIA/nccl src/graph/tuning.cc @ 01afd20a (NCCL 2.7.5): baseLat Ring {3.6, 10.0, 8.4} us; hwLat NVLink Ring
  // {0.47, 1.9, 3.4} us per step; all-reduce bus bandwidth x 1/4 (LL), x 0.92 (LL128, NCCL's rounding of 120/128),
  // x 1 (Simple). Not modelled: LL128's per-channel cap (16.7 GB/s x channels; it binds below 14 channels) and the
  // A100 cap of 235 GB/s (the calibrated 231.7 sits under it); later releases retuned the table (2.2x: Ring LL base
  // 6.6 us, hop 0.6 us, LL at half the bus bandwidth up to a cap on Hopper).
  static const std::vector<NcclProtocol> protocols{
      {"LL", 3.6, 0.47, 0.25}, {"LL128", 10.0, 1.9, 0.92}, {"Simple", 8.4, 3.4, 1.0}};
  return protocols;
}

CollectiveAlgorithm default_algorithm(const models::FabricSpec& f) {
  return f.topology == "roce-mesh" ? CollectiveAlgorithm::direct : CollectiveAlgorithm::ring;
}

CollectiveTime all_reduce_time(const models::FabricSpec& f, int64_t bytes, int64_t cards, CollectiveAlgorithm algo) {
  check_cards(f, cards);
  if (f.collectives == "nccl" && cards > 1 && algo == CollectiveAlgorithm::ring)
    return nccl_ring(f, bytes, cards, 2 * (cards - 1), true);
  CollectiveTime t = half(f, bytes, cards, algo);
  t.steps *= 2;
  t.ps *= 2;
  return t;
}

CollectiveTime all_gather_time(const models::FabricSpec& f, int64_t bytes, int64_t cards, CollectiveAlgorithm algo) {
  check_cards(f, cards);
  if (f.collectives == "nccl" && cards > 1 && algo == CollectiveAlgorithm::ring)
    return nccl_ring(f, bytes * cards, cards, cards - 1, false);
  return half(f, bytes * cards, cards, algo);  // each card ends with `cards` pieces of `bytes`
}

}  // namespace hpusim::sim
