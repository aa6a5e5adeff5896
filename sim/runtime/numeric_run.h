// SPDX-License-Identifier: Apache-2.0
// The numerics of a simulated generation (shared/DESIGN.md: every op runs its numeric kernel when numerics are on,
// so the simulated machine produces real tokens). An observer of every card: when the device model ends an op on a
// card, that op's kernels run on that card's shard of the real weights, in the run's compute format
// (workloads/decoder_pass.h), projections in the run's weight format (LLM.int8, 4-bit, fp8, 16-bit), attention by
// the flash kernel when the run times flash attention; a fused node of a
// compiled graph runs the ops it stands for. When a pass's argmax ends
// on a card, that card's token is chosen, recorded in the trace (`tokens`) and embedded by its next pass. Numerics
// take no simulated time and the timing model never reads a value, so a run with numerics has exactly the timing of
// the same run without them (tests compare the traces).
//
// Each generate call is a fresh generation over the same prompt. Every sequence of a batch carries that prompt, so
// one sequence is computed and its tokens stand for the batch. Static shapes pad the prompt in the timed passes; the
// numerics compute the unpadded positions, which is what the padding's attention mask leaves (the same tokens).
#pragma once
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "kernels/tensor.h"
#include "sim/runtime/card.h"
#include "sim/runtime/host_process.h"
#include "traces/recorder.h"
#include "workloads/decoder_model.h"

namespace hpusim::sim {

struct GeneratedTokens {
  std::vector<int64_t> prompt;
  std::vector<std::vector<int64_t>> calls;  // per generate call: its new tokens
  std::vector<double> token_logits;         // the last call's: each chosen token's logit
  std::vector<kernels::Tensor> logits;      // the last call's, per new token: [V] fp32 (when kept)
  bool eos_seen = false;                    // the last call emitted eos_token_id (the timed run does not stop there)
};

class NumericRun final : public OpObserver {
 public:
  // The schedule must be a plain generation (no draft passes); the model's cards run it in tensor parallel. Every
  // distinct pass is checked here, before the simulation, to compute the ops it times (logic_error if not).
  // `keep_logits`: keep the last call's full logits (for --logits-out), not only the chosen tokens'.
  // Calls before `first_call` are warm-up calls: timed only (each call is a fresh generation over the same prompt,
  // so their tokens would be the timed calls' own).
  NumericRun(const workloads::DecoderModel& model, std::vector<int64_t> prompt,
             const std::vector<ScheduledPass>& schedule, bool flash_attention, bool keep_logits,
             traces::Recorder& recorder, int64_t first_call = 0);
  // A kernel that throws stops the simulation (sc_stop); result() rethrows it.
  void op_ended(int card, int64_t pass_index, std::size_t vertex) override;
  // After the simulation: what a kernel threw, rethrown; else the tokens (every card chose the same ones).
  GeneratedTokens result();

 private:
  struct Live {
    std::unique_ptr<workloads::DecoderPass> pass;
    std::vector<int64_t> ops_run;  // per card
    int64_t cards_done = 0;
  };
  struct Place {
    int64_t call = 0, step = 0;  // step within the call: 0 = the prompt's pass
  };
  Live& live(int64_t pass_index);
  void choose_token(int card, int64_t pass_index, Live& live);
  void check_same_ops(const workloads::OpGraph& timed, const workloads::OpGraph& computed, int64_t pass_index) const;

  const workloads::DecoderModel& model_;
  std::vector<int64_t> prompt_;
  const std::vector<ScheduledPass>& schedule_;
  int64_t first_call_ = 0;
  bool flash_, keep_logits_;
  traces::Recorder& rec_;
  int64_t cards_;
  std::vector<Place> place_;  // per pass index
  std::vector<int64_t> last_pass_of_call_;
  std::map<int64_t, Live> live_;                           // passes in flight on some card
  std::map<int64_t, workloads::DecoderCache> caches_;      // per call in flight
  std::vector<std::vector<std::vector<int64_t>>> tokens_;  // [card][call] new tokens
  std::vector<kernels::Tensor> last_call_logits_;
  std::vector<double> last_call_token_logits_;
  std::exception_ptr failure_;
};

}  // namespace hpusim::sim
