// SPDX-License-Identifier: Apache-2.0
// sim/runtime: what runs in front of the device models. A whole generation on N cards, as SystemC: one Card per card
// (card.h) walks each pass's op graph (prefill, then one decode step per new token), handing every part of every op
// to its engine and every collective to the fabric, which synchronises the cards. Engines share the card's HBM.
// Spans, ops, counters and metrics go to the trace. No host time yet: dispatch, compilation and graph replay come
// with the execution modes (issue 6), so this is the device-bound time of eager execution.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/hardware_model.h"
#include "sim/runtime/card.h"
#include "traces/recorder.h"
#include "workloads/memory_plan.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {

struct GenerationSpec {
  workloads::BloomConfig model;
  workloads::PassSpec pass;  // batch, cards, dtype, weights, static KV options; tokens and KV set per step
  int64_t prompt_len = 7;
  int64_t new_tokens = 20;
  CardOptions card;
};

// What each card must hold for this generation (workloads/memory_plan.h).
workloads::MemoryRequest memory_request(const GenerationSpec& spec);

struct EngineUse {
  std::string name;
  double busy_fraction = 0;
};

struct GenerationTiming {
  double latency_s = 0;            // first op to last, whole generation
  double prefill_ms = 0;           // the prompt's pass
  double decode_ms_per_token = 0;  // the rest over the new tokens after the first
  int64_t tokens = 0;
  int64_t ops = 0;                 // all cards
  int64_t tasks = 0;               // engine tasks, all cards
  int64_t distinct_part_timings = 0;  // part timings computed; the rest came from the memo
  std::vector<EngineUse> engines;  // card 0
  workloads::MemoryPlan memory;    // per card
  int64_t hbm_bytes_per_card = 0;  // card 0, moved
  int64_t on_chip_hit_bytes = 0;   // card 0: op inputs read from L2 (GPUs) or SRAM (Gaudi graphs)
};

// Runs the SystemC simulation (once per process). InputError for shapes the model cannot take.
GenerationTiming simulate_generation(const models::HardwareModel& device, const GenerationSpec& spec,
                                     traces::Recorder& recorder);

}  // namespace hpusim::sim
