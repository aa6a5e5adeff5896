// SPDX-License-Identifier: Apache-2.0
// Assisted (speculative) greedy generation as Hugging Face does it (shared/reference/numerics.md, "Speculative /
// assisted generation"): a draft model proposes gamma tokens, the target scores them in one forward pass, the
// longest prefix that matches the target's own argmax is kept plus the target's next token, both KV caches are cut
// back, and gamma follows the schedule (start 5, +2 after a round where every draft was accepted, -1 otherwise,
// at least 1; or constant). Greedy verification makes the output the target's own greedy tokens.
#pragma once
#include <cstdint>
#include <vector>

#include "workloads/decoder_model.h"

namespace hpusim::workloads {

struct AssistedOptions {
  int64_t start_gamma = 5;
  enum class Schedule { heuristic, constant } schedule = Schedule::heuristic;
};

struct AssistedRound {
  int64_t gamma = 0;     // draft tokens proposed
  int64_t accepted = 0;  // of them kept; the round yields accepted + 1 tokens
};

struct AssistedResult {
  std::vector<int64_t> new_tokens;
  std::vector<AssistedRound> rounds;
  bool stopped_at_eos = false;
  double tokens_per_round() const;
  double acceptance() const;  // accepted / proposed draft tokens
};

// InputError when the two models do not share a vocabulary.
AssistedResult generate_assisted(const DecoderModel& target, const DecoderModel& draft, const std::vector<int64_t>& prompt,
                                 int64_t max_new_tokens, bool stop_at_eos, const AssistedOptions& options);

// For timing-only runs (no weights): rounds drawn with each draft token accepted independently with probability
// alpha (seeded, deterministic), under the same schedule and token budget.
std::vector<AssistedRound> assisted_rounds_from_rate(double alpha, int64_t max_new_tokens,
                                                     const AssistedOptions& options, uint64_t seed);

// Expected tokens per round with i.i.d. acceptance alpha and gamma drafts: (1 - alpha^(gamma+1)) / (1 - alpha).
double expected_tokens_per_round(double alpha, int64_t gamma);

}  // namespace hpusim::workloads
