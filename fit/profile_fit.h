// SPDX-License-Identifier: Apache-2.0
// The fit of one device under one stack (issue 14): bounded least squares on the log of predicted over measured
// seconds, in the log of each parameter, with the priors as pseudo-rows (a prior off by one spread costs as much as
// a row off by the stacks file's model error). Each Gauss-Newton step simulates the rows at the current point and
// at one step of each parameter (elasticities by finite differences), solves the linearised problem inside the
// bounds and a trust region, and moves; the fitted point is then simulated again.
// Cross-validation leaves one model family out: its parameters are fitted on the other families' rows, on the
// linearisation around the priors (which no measurement informed), and the held-out rows are then simulated at those
// parameters: the error reported is of real simulations of rows the fit never saw.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fit/fit_inputs.h"

namespace hpusim::fit {

struct EvalPoint {
  nlohmann::json scenario;                               // a row's scenario
  std::vector<std::pair<std::string, double>> settings;  // the parameters' values, as --set key=value
};
struct EvalResult {
  std::optional<double> latency_s;  // none: the simulator refused the point
  std::string error;
};
// Simulates every point (in any order, possibly in parallel); one result per point, in order.
using Evaluator = std::function<std::vector<EvalResult>(const std::vector<EvalPoint>&)>;

struct FitOptions {
  int max_iterations = 2;
  double step = 0.25;        // finite-difference step in the log of a parameter (a factor of e^0.25 = 1.28)
  double trust = 1.386;      // largest move in the log of a parameter per iteration (a factor of 4)
  double model_error = 0.1;  // see StacksFile::model_error
};

struct RowOutcome {
  const CalibrationRow* row = nullptr;
  std::optional<double> prior_s, fitted_s, cv_s;  // predictions: at the priors, fitted, held out
  std::optional<double> roofline_s;               // the plain roofline's (roofline.h), when priced
  std::string error;                              // the simulator's refusal, if any
};

struct Fold {
  std::string family;        // the held-out family, or "model M" when the rows are all of one family
  int64_t rows = 0;          // held-out rows simulated
  std::vector<double> values;
};

struct GroupFit {
  std::string stack, device;
  std::vector<FitParameter> parameters;  // priors resolved
  std::vector<double> values;            // fitted, one per parameter
  std::vector<bool> fitted;              // false: held at its prior (no row is sensitive to it)
  std::vector<int> at_bound;             // -1 at min, +1 at max, 0 inside
  std::vector<RowOutcome> rows;
  std::vector<Fold> folds;
  int iterations = 0;
  int64_t simulations = 0;
};

// `rows` are the group's (same device, same scenario keys); `params` have their priors resolved (> 0).
GroupFit fit_group(const std::string& stack, const std::string& device, const std::vector<const CalibrationRow*>& rows,
                   const std::vector<FitParameter>& params, const FitOptions& options, const Evaluator& evaluate);

// Error statistics over outcomes: relative error = predicted / measured - 1.
struct ErrorStats {
  int64_t rows = 0;
  double mean_abs = 0, worst_abs = 0, mean_signed = 0;
  double log_ratio_p10 = 0, log_ratio_p90 = 0;  // of ln(predicted / measured)
};
enum class Which { prior, fitted, cv, roofline };
ErrorStats error_stats(const std::vector<RowOutcome>& rows, Which which);

}  // namespace hpusim::fit
