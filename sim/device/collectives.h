// SPDX-License-Identifier: Apache-2.0
// Collectives over the card-to-card fabric as latency + bytes / bandwidth per step (the alpha-beta model), in plain
// C++. Algorithms (shared/STYLE.md take 8; hardware.md fabric rows):
//  - ring: 2 (N-1) steps, each moving bytes / N over one link direction of the ring;
//  - direct (Gaudi's all-to-all RoCE mesh): a reduce-scatter and an all-gather, each one step in which every card
//    exchanges bytes / N with each of its N-1 peers at once over the dedicated per-peer links.
// NVSwitch fabrics run the ring over all of a card's NVLinks (links_per_card x link bandwidth).
// fabric.collectives = "nccl" (the GPU models): NCCL's own cost model of its ring (src/graph/tuning.cc), which
// picks, per call, the fastest of its three protocols: LL (8-byte stores carrying 4 bytes of data and a flag: low
// latency, a quarter of the bus bandwidth on an all-reduce), LL128 (128-byte lines carrying 120: 0.92 of it) and
// Simple (the full bandwidth, the highest latency). Each protocol's time is its base latency + steps x its
// per-hop NVLink latency + bytes / its bandwidth; fabric.latency_us is then the call's own cost on top (the kernel
// launch and the host's wait, what nccl-tests measures beyond NCCL's model), once per call.
// "alpha-beta" (Gaudi's HCCL): fabric.latency_us per step, the links' bandwidth.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
  const char* protocol = "";  // nccl: "LL", "LL128" or "Simple"; "" for alpha-beta
};

// NCCL's ring protocols on NVLink inside one server: tuning.cc's baseLat (Ring), hwLat[NVLINK] (Ring) and the bus
// bandwidth factors of an all-reduce (LL 1/4, LL128 0.92, Simple 1).
struct NcclProtocol {
  const char* name;
  double base_us, hop_us, bandwidth_factor;
};
const std::vector<NcclProtocol>& nccl_ring_protocols();

// All-reduce of `bytes` (the tensor's size on each card) over `cards` cards. InputError for more cards than the
// server has.
CollectiveTime all_reduce_time(const models::FabricSpec& fabric, int64_t bytes, int64_t cards,
                               CollectiveAlgorithm algo);
CollectiveTime all_gather_time(const models::FabricSpec& fabric, int64_t bytes, int64_t cards,
                               CollectiveAlgorithm algo);

}  // namespace hpusim::sim
