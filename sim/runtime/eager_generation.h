// SPDX-License-Identifier: Apache-2.0
// sim/runtime: what runs in front of the device models. A whole generation on N cards in eager mode, as SystemC: one
// driver thread per card walks each pass's op graph in order (prefill, then one decode step per new token), handing
// every part of every op to its engine (MME / TPC / DMA on Gaudi, SMs on GPUs) and every collective to the fabric,
// which synchronises the cards. Engines share the card's HBM. Spans, ops and metrics go to the trace. No host time yet:
// dispatch, compilation and graph replay come with the execution modes (issue 6), so this is the device-bound time of
// eager execution.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/hardware_model.h"
#include "traces/recorder.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {

struct GenerationSpec {
  workloads::BloomConfig model;
  workloads::PassSpec pass;  // batch, cards, dtype, weights, static KV options; tokens and KV set per step
  int64_t prompt_len = 7;
  int64_t new_tokens = 20;
};

struct EngineUse {
  std::string name;
  double busy_fraction = 0;
};

struct GenerationTiming {
  double latency_s = 0;            // first op to last, whole generation
  double prefill_ms = 0;           // the prompt's pass
  double decode_ms_per_token = 0;  // the rest over the new tokens after the first
  int64_t tokens = 0;
  int64_t ops = 0;
  std::vector<EngineUse> engines;  // card 0
};

// Runs the SystemC simulation (once per process). InputError for shapes the model cannot take.
GenerationTiming simulate_generation(const models::HardwareModel& device, const GenerationSpec& spec,
                                     traces::Recorder& recorder);

}  // namespace hpusim::sim
