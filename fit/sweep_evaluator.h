// SPDX-License-Identifier: Apache-2.0
// The Evaluator that simulates points as a sweep does: each point one `hpusim run` process (one SystemC simulation
// per process), `jobs` at a time. Every batch is a sweep in CACHE/<hash of its definition>/, so a fit run again
// with the same inputs simulates nothing twice (a killed fit resumes where it stopped).
#pragma once
#include <cstdint>
#include <string>

#include "fit/profile_fit.h"

namespace hpusim::fit {

struct SweepEvaluatorOptions {
  std::string cache_dir;
  std::string executable;  // the hpusim binary
  int64_t jobs = 1;
  bool progress = true;    // one line per batch on stderr
};

Evaluator sweep_evaluator(const SweepEvaluatorOptions& options);

}  // namespace hpusim::fit
