// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/numeric_run.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/vector_ops.h"

namespace hpusim::sim {

NumericRun::NumericRun(const workloads::DecoderModel& model, std::vector<int64_t> prompt,
                       const std::vector<ScheduledPass>& schedule, bool flash_attention, bool keep_logits,
                       traces::Recorder& recorder, int64_t first_call)
    : model_(model),
      prompt_(std::move(prompt)),
      schedule_(schedule),
      first_call_(first_call),
      flash_(flash_attention),
      keep_logits_(keep_logits),
      rec_(recorder),
      cards_(model.cards()) {
  if (prompt_.empty()) throw std::logic_error("numeric run: no prompt");
  int64_t step = 0, calls = 0;
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const ScheduledPass& s = schedule[i];
    if (s.tokens_out != 1) throw std::logic_error("numeric run: only plain generation (no draft passes)");
    step = s.first_of_call ? 0 : step + 1;
    place_.push_back({s.call, step});
    if (s.call >= calls) {
      calls = s.call + 1;
      last_pass_of_call_.resize(static_cast<std::size_t>(calls), 0);
    }
    last_pass_of_call_[static_cast<std::size_t>(s.call)] = static_cast<int64_t>(i);
  }
  tokens_.assign(static_cast<std::size_t>(cards_), std::vector<std::vector<int64_t>>(static_cast<std::size_t>(calls)));
  std::set<const PreparedPass*> checked;  // each distinct pass once, at its first step
  const auto n = static_cast<int64_t>(prompt_.size());
  for (std::size_t i = 0; i < schedule.size(); ++i)
    if (checked.insert(schedule[i].pass).second) {
      const Place& p = place_[i];
      const auto spec = workloads::DecoderPass::spec_for(model_, p.step == 0 ? n : 1, p.step == 0 ? 0 : n + p.step - 1,
                                                         false, flash_);
      check_same_ops(schedule[i].pass->source.graph, workloads::build_forward_graph(model_.config(), spec),
                     static_cast<int64_t>(i));
    }
}

void NumericRun::check_same_ops(const workloads::OpGraph& timed, const workloads::OpGraph& computed,
                                int64_t pass_index) const {
  bool same = boost::num_vertices(timed) == boost::num_vertices(computed);
  for (std::size_t v = 0; same && v < boost::num_vertices(timed); ++v)
    same = timed[v].name == computed[v].name && timed[v].role == computed[v].role;
  if (!same)
    throw std::logic_error(fmt::format(
        "numeric run: pass {} computes other ops than the ones timed (the description drifted)", pass_index));
}

NumericRun::Live& NumericRun::live(int64_t pass_index) {
  auto it = live_.find(pass_index);
  if (it != live_.end()) return it->second;
  const Place& p = place_.at(static_cast<std::size_t>(pass_index));
  const auto prompt = static_cast<int64_t>(prompt_.size());
  const int64_t tokens = p.step == 0 ? prompt : 1, past = p.step == 0 ? 0 : prompt + p.step - 1;
  Live l;
  l.pass = std::make_unique<workloads::DecoderPass>(model_, tokens, past, false, caches_[p.call], flash_);
  l.ops_run.assign(static_cast<std::size_t>(cards_), 0);
  return live_.emplace(pass_index, std::move(l)).first->second;
}

void NumericRun::op_ended(int card, int64_t pass_index, std::size_t vertex) {
  if (failure_) return;  // a kernel threw: the timing goes on, the numerics stop, result() says why
  if (place_[static_cast<std::size_t>(pass_index)].call < first_call_) return;  // a warm-up call: timed only
  try {
    Live& l = live(pass_index);
    const Place& p = place_[static_cast<std::size_t>(pass_index)];
    auto& ran = l.ops_run[static_cast<std::size_t>(card)];
    if (ran++ == 0)  // this card's first op of the pass: the ids it embeds are the ones it chose
      l.pass->set_ids(
          card, p.step == 0 ? prompt_
                            : std::vector<int64_t>{
                                  tokens_[static_cast<std::size_t>(card)][static_cast<std::size_t>(p.call)].back()});
    l.pass->run(vertex, card);
    if (l.pass->graph()[vertex].role == "argmax") choose_token(card, pass_index, l);
    if (ran == static_cast<int64_t>(boost::num_vertices(l.pass->graph())) && ++l.cards_done == cards_) {
      live_.erase(pass_index);
      if (last_pass_of_call_[static_cast<std::size_t>(p.call)] == pass_index) caches_.erase(p.call);
    }
  } catch (...) {
    failure_ = std::current_exception();
    sc_core::sc_stop();
  }
}

void NumericRun::choose_token(int card, int64_t pass_index, Live& l) {
  const Place& p = place_[static_cast<std::size_t>(pass_index)];
  kernels::Tensor logits = l.pass->logits(card);
  const int64_t token = kernels::argmax(logits).get_int(0);
  const double logit = logits.to_floats()[static_cast<std::size_t>(token)];
  tokens_[static_cast<std::size_t>(card)][static_cast<std::size_t>(p.call)].push_back(token);
  rec_.token({card, pass_index, p.call, p.step, token, logit, now_ps()});
  if (card == 0 && p.call + 1 == static_cast<int64_t>(last_pass_of_call_.size())) {
    last_call_token_logits_.push_back(logit);
    if (keep_logits_) last_call_logits_.push_back(std::move(logits));
  }
}

GeneratedTokens NumericRun::result() {
  if (failure_) std::rethrow_exception(failure_);
  for (int64_t c = 1; c < cards_; ++c)
    if (tokens_[static_cast<std::size_t>(c)] != tokens_[0])
      throw std::logic_error(fmt::format("numeric run: card {} chose other tokens than card 0", c));
  GeneratedTokens g;
  g.prompt = prompt_;
  g.calls.assign(tokens_[0].begin() + std::min<std::ptrdiff_t>(first_call_, std::ssize(tokens_[0])), tokens_[0].end());
  g.logits = std::move(last_call_logits_);
  g.token_logits = std::move(last_call_token_logits_);
  if (!g.calls.empty())
    for (int64_t t : g.calls.back()) g.eos_seen = g.eos_seen || t == model_.config().eos_token_id;
  return g;
}

}  // namespace hpusim::sim
