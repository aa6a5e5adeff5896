// SPDX-License-Identifier: Apache-2.0
// `hpusim run ... --sensitivity` (issue 15): the run again with each main figure made 1.25x and 2x better (HBM
// bandwidth, the matrix and vector engines' peak, the fabric's bandwidth and latency, the host's per-op costs, the
// kernel launch gap), each a separate `hpusim run` process (one simulation per process), two at a time through the
// sweep runner. For each: the latency, the elasticity (-d ln latency / d ln figure: 1 when the latency follows the
// figure, 0 when it does not care), most important first, what bounds decode at 2x and, where that is another
// resource than as run, the factor at which it takes over: where the what-if stops paying.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/simulated_run.h"

namespace hpusim::cli {

struct WhatIf {
  std::string figure;                // "HBM bandwidth"
  std::string key;                   // the first key changed ("hbm.bandwidth_GBps")
  double base = 0;                   // its value as run
  std::string as_run;                // "hbm.bandwidth_GBps=2450", or "runtime.* (7 costs)" for a group
  std::vector<std::string> at_1_25;  // --set assignments at 1.25x better
  std::vector<std::string> at_2;     // --set assignments at 2x better
  double latency_1_25 = 0, latency_2 = 0;
  double elasticity_1_25 = 0, elasticity_2 = 0;  // -ln(L'/L) / ln(factor)
  std::string decode_bound_at_2;                 // "MME-bound (62%)", or the prefill's for one-token runs
  std::string error_1_25, error_2;  // a point the simulator refused, or that did not run (killed, interrupted)
  // Where another resource takes over decode (its bound differs from the run's at 2x): bisected between 1x and 2x,
  // the last factor that kept the run's bound and the first that did not, with that point's sets and bound.
  double takeover_below = 0, takeover_at = 0;  // 0: no takeover before 2x (or a point failed)
  std::vector<std::string> takeover_sets;
  std::string takeover_bound;

  // What it changes: each key with its value as run; costs are divided, rates multiplied; integers rounded.
  std::vector<std::pair<std::string, double>> keys;
  bool cost = false, integer = false;
};

// The what-ifs of a run's device (Gaudi: MME and TPC clocks; GPUs: tensor cores per SM and CUDA-core lanes), with
// the fabric's only for runs on more than one card and the launch gap only where the runtime has one.
std::vector<WhatIf> what_ifs(const SimulatedRun& run);

// The --set assignments that make a what-if `factor` times better.
std::vector<std::string> sets_at(const WhatIf& w, double factor);

// Runs them (`jobs` at once, in `work_dir`), fills the latencies and elasticities, sorts by elasticity at 1.25x,
// then bisects (4 rounds) where another resource takes over decode for those whose bound changed by 2x.
void measure_what_ifs(const SimulatedRun& run, std::vector<WhatIf>& w, const std::string& work_dir, int64_t jobs);

std::string sensitivity_text(const SimulatedRun& run, const std::vector<WhatIf>& w);
nlohmann::json sensitivity_json(const std::vector<WhatIf>& w);

}  // namespace hpusim::cli
