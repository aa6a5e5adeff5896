// SPDX-License-Identifier: Apache-2.0
#include "workloads/assisted.h"

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/vector_ops.h"

namespace hpusim::workloads {
namespace {

int64_t next_gamma(int64_t gamma, bool all_accepted, const AssistedOptions& o) {
  if (o.schedule == AssistedOptions::Schedule::constant) return gamma;
  return all_accepted ? gamma + 2 : std::max<int64_t>(1, gamma - 1);
}

int64_t argmax_row(const kernels::Tensor& logits, int64_t row) {
  const int64_t vocab = logits.dim(-1);
  int64_t best = 0;
  float best_v = logits.get(row * vocab);
  for (int64_t j = 1; j < vocab; ++j) {
    const float v = logits.get(row * vocab + j);
    if (v > best_v) {
      best_v = v;
      best = j;
    }
  }
  return best;
}

}  // namespace

double AssistedResult::tokens_per_round() const {
  return rounds.empty() ? 0.0 : static_cast<double>(new_tokens.size()) / static_cast<double>(rounds.size());
}

double AssistedResult::acceptance() const {
  int64_t proposed = 0, accepted = 0;
  for (const auto& r : rounds) {
    proposed += r.gamma;
    accepted += r.accepted;
  }
  return proposed ? static_cast<double>(accepted) / static_cast<double>(proposed) : 0.0;
}

AssistedResult generate_assisted(const DecoderModel& target, const DecoderModel& draft, const std::vector<int64_t>& prompt,
                                 int64_t max_new_tokens, bool stop_at_eos, const AssistedOptions& o) {
  if (target.config().vocab_size != draft.config().vocab_size)
    throw InputError("--draft", "",
                     fmt::format("the draft's vocabulary ({}) differs from the target's ({})",
                                 draft.config().vocab_size, target.config().vocab_size));
  if (prompt.empty()) throw InputError("--prompt-ids", "", "give at least one token id");
  if (o.start_gamma < 1) throw InputError("--num-assistant-tokens", "", "must be >= 1");
  AssistedResult r;
  std::vector<int64_t> committed = prompt;
  DecoderCache target_cache, draft_cache;
  int64_t gamma = o.start_gamma;
  auto uncached = [&](const DecoderCache& c) {
    return std::vector<int64_t>(committed.begin() + c.length(), committed.end());
  };
  while (static_cast<int64_t>(r.new_tokens.size()) < max_new_tokens) {
    const int64_t remaining = max_new_tokens - static_cast<int64_t>(r.new_tokens.size());
    const int64_t g = std::min(gamma, remaining - 1);  // the target adds one token of its own
    // 1. The draft proposes g tokens, one forward pass each.
    std::vector<int64_t> proposal;
    std::vector<int64_t> feed = uncached(draft_cache);
    for (int64_t i = 0; i < g; ++i) {
      const int64_t next = kernels::argmax(draft.forward(feed, draft_cache)).get_int(0);
      proposal.push_back(next);
      feed = {next};
    }
    // 2. The target scores the uncommitted tokens and every proposal in one pass.
    std::vector<int64_t> verify = uncached(target_cache);
    const auto before = static_cast<int64_t>(verify.size());
    verify.insert(verify.end(), proposal.begin(), proposal.end());
    const kernels::Tensor logits = target.forward_all_positions(verify, target_cache);
    // Row before - 1 + i predicts the token after proposal[i - 1] (row before - 1: after the last committed one).
    int64_t accepted = 0;
    while (accepted < g && argmax_row(logits, before - 1 + accepted) == proposal[static_cast<std::size_t>(accepted)])
      ++accepted;
    const int64_t own = argmax_row(logits, before - 1 + accepted);
    // 3. Keep the accepted drafts and the target's token; cut both caches back to what is committed.
    const auto committed_before = static_cast<int64_t>(committed.size());
    r.rounds.push_back({g, accepted});
    std::vector<int64_t> produced(proposal.begin(), proposal.begin() + accepted);
    produced.push_back(own);
    for (int64_t tok : produced) {
      committed.push_back(tok);
      r.new_tokens.push_back(tok);
      if (stop_at_eos && tok == target.config().eos_token_id) {
        r.stopped_at_eos = true;
        return r;
      }
    }
    target_cache.crop(committed_before + accepted);
    draft_cache.crop(committed_before + accepted);
    gamma = next_gamma(gamma, g > 0 && accepted == g, o);
  }
  return r;
}

std::vector<AssistedRound> assisted_rounds_from_rate(double alpha, int64_t max_new_tokens, const AssistedOptions& o,
                                                     uint64_t seed) {
  if (!(alpha >= 0 && alpha <= 1)) throw InputError("--acceptance", "", "must be between 0 and 1");
  std::mt19937_64 rng(seed);
  std::vector<AssistedRound> rounds;
  int64_t produced = 0, gamma = o.start_gamma;
  while (produced < max_new_tokens) {
    const int64_t g = std::min(gamma, max_new_tokens - produced - 1);
    int64_t accepted = 0;
    while (accepted < g && static_cast<double>(rng() >> 11) * 0x1p-53 < alpha) ++accepted;
    rounds.push_back({g, accepted});
    produced += accepted + 1;
    gamma = next_gamma(gamma, g > 0 && accepted == g, o);
  }
  return rounds;
}

double expected_tokens_per_round(double alpha, int64_t gamma) {
  if (alpha >= 1) return static_cast<double>(gamma + 1);
  return (1 - std::pow(alpha, static_cast<double>(gamma + 1))) / (1 - alpha);
}

}  // namespace hpusim::workloads
