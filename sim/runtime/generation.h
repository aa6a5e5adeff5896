// SPDX-License-Identifier: Apache-2.0
// sim/runtime: a whole generation workload on N cards, as SystemC: the generate calls (iterations, and the batches
// the requests make, the last one possibly smaller), each a prefill and one decode step per further token; the passes
// prepared once per distinct shape (op graph, graph-compiler recipe, torch ops per op); one host process and one card
// per card (host_process.h, card.h), the fabric between them. The figures a user asks for come back, and the trace
// holds every host and device span, compile and replay.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/hardware_model.h"
#include "sim/device/engine_timing.h"
#include "sim/device/time_split.h"
#include "sim/runtime/card.h"
#include "sim/runtime/execution_mode.h"
#include "sim/runtime/numeric_run.h"
#include "traces/recorder.h"
#include "workloads/model_catalog.h"
#include "workloads/memory_plan.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {

struct GenerationSpec {
  workloads::DecoderConfig model;
  workloads::PassSpec pass;  // batch, cards, dtype, weights, trim_logits; tokens and KV set per step
  int64_t prompt_len = 7;
  int64_t new_tokens = 20;
  bool static_shapes = false;  // prompt padded to prompt + new tokens, KV cache allocated up front
  int64_t bucket_size = 0;     // with static shapes: the allocation grows in buckets instead
  // With static shapes, optimum-habana's --reuse_cache: the KV cache is allocated up front and the first forward
  // runs on the prompt alone (prepare_inputs_for_generation slices input_ids to token_idx), not on the padded length.
  bool reuse_cache = false;
  // With buckets, optimum-habana's --bucket_internal: the first forward also runs on the prompt alone
  // (prepare_inputs_for_generation slices to token_idx "with reuse cache or bucket internal"); the prefill's KV is
  // padded to the whole length before decode, which attends over the filled buckets only.
  bool bucket_internal = false;
  bool flash_attention = false;
  int64_t warmup = 0;          // generate calls before the timed ones (compiles, captures)
  int64_t iterations = 1;      // timed generate calls over the same requests
  int64_t requests = 0;        // prompts in all (0: one batch)
  bool l2_reuse = true;
  ExecutionOptions execution;
  TimingOptions timing;  // the stack's use of the engines (allow_tf32)
  // Assisted generation (timing only): a draft model proposes tokens, the target verifies them in one pass; rounds
  // come from the acceptance rate (workloads/assisted.h, HF's heuristic schedule from 5 drafts).
  std::optional<workloads::DecoderConfig> draft;
  double acceptance = 0.7;
  // Numerics (numeric_run.h): the checkpoint whose weights the kernels run, the prompt, and the loaded model (set by
  // load_numeric_model); without it the run is timing only, and `numerics_note` says why when a checkpoint was given.
  std::string checkpoint;
  std::vector<int64_t> prompt_ids;
  bool numerics = false;
  bool fp8_pow2_scales = false;  // numerics of fp8 weights: scales rounded up to powers of two (Gaudi)
  bool keep_logits = false;      // numerics: keep the last call's full logits (--logits-out)
  std::string numerics_note;
  std::shared_ptr<const workloads::DecoderModel> numeric_model;
};

// What each card must hold for this generation (workloads/memory_plan.h).
workloads::MemoryRequest memory_request(const GenerationSpec& spec);

// The pass of a generate call's step `step` (0 = the prompt) for `batch` sequences, as the mode shapes it.
workloads::PassSpec pass_for_step(const GenerationSpec& spec, int64_t step, int64_t batch);

struct EngineUse {
  std::string name;
  double busy_fraction = 0;
};

// Where a phase's time goes (time_split.h), summed over the steps of the timed calls: the prompt's pass ("prefill")
// or every later one ("decode").
struct PhaseSplit {
  std::string phase;
  int64_t steps = 0;
  TimeSplit ps{};
  Picoseconds total() const;
  TimeClass dominant() const;  // the class with the most time
};

// One pass of card 0 with its time split: from the previous pass's end on host 0 to this one's, its parts summing to
// the length. Phase as in PhaseSplit: "prefill" up to and including the call's first pass that completes a token.
struct StepTime {
  int64_t step = 0;  // the pass over the whole run (ops.step)
  int64_t call = 0;
  std::string phase;
  int64_t tokens = 0;  // new tokens it completes (a draft model's passes: 0)
  bool timed = false;  // a timed call's pass, not a warm-up's
  Picoseconds start_ps = 0, end_ps = 0;
  TimeSplit ps{};
};

struct GenerationTiming {
  double latency_s = 0;            // the mean of the timed generate calls, each from its first op to its last token
  double first_call_s = 0;         // the first generate call (pays compilation)
  std::vector<double> calls_s;     // every generate call, warm-up ones first
  int64_t warmup_calls = 0, timed_calls = 0;
  double throughput_tokens_per_s = 0;  // tokens generated by the timed calls (every sequence) over their time
  double prefill_ms = 0;           // the last call's prompt pass
  double decode_ms_per_token = 0;  // the last call's further tokens
  int64_t tokens = 0;              // per call
  int64_t ops = 0;                 // device op rows, all cards
  int64_t tasks = 0;               // engine tasks, all cards
  int64_t distinct_part_timings = 0;
  int64_t distinct_passes = 0;
  int64_t graph_compiles = 0;      // card 0's host: recipe-cache misses, torch.compile compiles and recompiles
  double compile_s = 0;
  int64_t captures = 0;            // card 0's host: HPU/CUDA graph captures
  double capture_s = 0;
  int64_t eager_op_compiles = 0;
  int64_t host_launches = 0;       // card 0's host
  int64_t replays = 0;
  int64_t device_kernels = 0;      // card 0: kernels (or fused nodes) run
  double host_busy_fraction = 0;   // card 0's host process over the last call
  double device_busy_fraction = 0; // card 0: time with any engine busy over the last call
  double run_s = 0;                // the whole run, every call
  std::vector<EngineUse> engines;  // card 0
  workloads::MemoryPlan memory;    // per card
  int64_t hbm_bytes_per_card = 0;  // card 0, moved
  int64_t on_chip_hit_bytes = 0;   // card 0: op inputs read from L2 (GPUs) or SRAM (Gaudi graphs)
  std::optional<GeneratedTokens> numerics;  // with a numeric model: the tokens and the last call's logits
  std::vector<PhaseSplit> time_split;       // card 0 and host 0 over the timed calls: prefill, then decode
  std::vector<StepTime> steps;              // every pass of every call, warm-up included
};

// Runs the SystemC simulation (once per process). InputError for shapes the model cannot take.
GenerationTiming simulate_generation(const models::HardwareModel& device, const GenerationSpec& spec,
                                     traces::Recorder& recorder);

}  // namespace hpusim::sim
