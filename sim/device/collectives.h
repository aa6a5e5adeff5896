// SPDX-License-Identifier: Apache-2.0
// Collectives over the card-to-card fabric as latency + bytes / bandwidth per step (the alpha-beta model), in plain
// C++. Algorithms (shared/STYLE.md take 8; hardware.md fabric rows):
//  - ring: 2 (N-1) steps, each moving bytes / N over one link direction of the ring;
//  - direct (Gaudi's all-to-all RoCE mesh): a reduce-scatter and an all-gather, each one step in which every card
//    exchanges bytes / N with each of its N-1 peers at once over the dedicated per-peer links.
// NVSwitch fabrics run the ring over all of a card's NVLinks (links_per_card x link bandwidth).
#pragma once
#include <cstdint>
#include <string>

#include "models/hardware_model.h"
#include "sim/device/engine_timing.h"

namespace hpusim::sim {

enum class CollectiveAlgorithm { ring, direct };

// The algorithm a fabric uses by default: direct on a RoCE mesh, ring on NVSwitch.
CollectiveAlgorithm default_algorithm(const models::FabricSpec& fabric);

struct CollectiveTime {
  int64_t steps = 0;
  int64_t bytes_per_step = 0;  // per card, per peer link
  Picoseconds ps = 0;
};

// All-reduce of `bytes` (the tensor's size on each card) over `cards` cards. InputError for more cards than the
// server has.
CollectiveTime all_reduce_time(const models::FabricSpec& fabric, int64_t bytes, int64_t cards,
                               CollectiveAlgorithm algo);
CollectiveTime all_gather_time(const models::FabricSpec& fabric, int64_t bytes, int64_t cards,
                               CollectiveAlgorithm algo);

}  // namespace hpusim::sim
