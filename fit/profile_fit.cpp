// SPDX-License-Identifier: Apache-2.0
#include "fit/profile_fit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include <fmt/format.h>

#include "fit/box_least_squares.h"

namespace hpusim::fit {
namespace {

using Vec = std::vector<double>;

// A parameter from its log, to 12 significant digits (so that the prior 50 is set as 50, not 49.99999999999999).
double value_of(double log_value) { return std::stod(fmt::format("{:.12g}", std::exp(log_value))); }

std::vector<EvalPoint> points_at(const std::vector<const CalibrationRow*>& rows,
                                 const std::vector<FitParameter>& params, const Vec& x) {
  std::vector<EvalPoint> out;
  for (const auto* r : rows) {
    EvalPoint p{r->scenario, {}};
    for (std::size_t i = 0; i < params.size(); ++i) p.settings.emplace_back(params[i].key, value_of(x[i]));
    out.push_back(std::move(p));
  }
  return out;
}

// The linearised problem: rows j with ln(pred_j / meas_j) ~ r0_j + sum_i e_ji (x_i - x0_i), plus the priors.
struct Linearisation {
  Vec x0;
  std::vector<std::optional<double>> r0;  // none: refused at x0
  std::vector<Vec> e;                     // elasticities, per row
};

Vec solve(const Linearisation& lin, const std::vector<bool>& use, const std::vector<FitParameter>& params,
          const std::vector<bool>& free, const FitOptions& o, double trust, std::vector<int>* at_bound) {
  const std::size_t n = params.size();
  BoxProblem p;
  for (std::size_t j = 0; j < lin.r0.size(); ++j) {
    if (!use[j] || !lin.r0[j]) continue;
    Vec a(n, 0);
    double b = -*lin.r0[j];
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = free[i] ? lin.e[j][i] : 0;
      b += a[i] * lin.x0[i];
    }
    p.a.push_back(a);
    p.b.push_back(b);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double w = o.model_error / std::log(params[i].prior_factor);
    Vec a(n, 0);
    a[i] = w;
    p.a.push_back(a);
    p.b.push_back(w * std::log(params[i].prior));
    const double lo = std::log(params[i].min), hi = std::log(params[i].max);
    if (!free[i]) {
      p.lo.push_back(std::log(params[i].prior));
      p.hi.push_back(std::log(params[i].prior));
    } else {
      p.lo.push_back(std::max(lo, std::min(hi, lin.x0[i] - trust)));
      p.hi.push_back(std::min(hi, std::max(lo, lin.x0[i] + trust)));
    }
  }
  const auto s = solve_box_least_squares(p);
  if (at_bound) {
    at_bound->assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (free[i] && s.x[i] <= std::log(params[i].min) + 1e-9) (*at_bound)[i] = -1;
      if (free[i] && s.x[i] >= std::log(params[i].max) - 1e-9) (*at_bound)[i] = 1;
    }
  }
  return s.x;
}

}  // namespace

GroupFit fit_group(const std::string& stack, const std::string& device, const std::vector<const CalibrationRow*>& rows,
                   const std::vector<FitParameter>& params, const FitOptions& o, const Evaluator& evaluate) {
  GroupFit g;
  g.stack = stack;
  g.device = device;
  g.parameters = params;
  const std::size_t n = params.size(), m = rows.size();
  bool any_tp = false;
  for (const auto* r : rows) any_tp = any_tp || r->scenario.value("cards", 1) > 1;
  // A fabric figure no row exercises stays at its prior (and costs no simulations).
  g.fitted.assign(n, o.max_iterations > 0);  // no iterations: every parameter at its prior
  for (std::size_t i = 0; i < n; ++i)
    if ((params[i].scales == Scales::fabric && !any_tp) || !params[i].fitted_on(device)) g.fitted[i] = false;
  const auto run = [&](const Vec& x) {
    g.simulations += static_cast<int64_t>(m);
    return evaluate(points_at(rows, params, x));
  };
  const auto residuals = [&](const std::vector<EvalResult>& res) {
    std::vector<std::optional<double>> r(m);
    for (std::size_t j = 0; j < m; ++j)
      if (res[j].latency_s && *res[j].latency_s > 0) r[j] = std::log(*res[j].latency_s / rows[j]->measured_s);
    return r;
  };
  const auto linearise = [&](const Vec& x, const std::vector<EvalResult>& base) {
    Linearisation lin{x, residuals(base), std::vector<Vec>(m, Vec(n, 0))};
    for (std::size_t i = 0; i < n; ++i) {
      if (!g.fitted[i]) continue;
      Vec xs = x;
      const double h = x[i] + o.step > std::log(params[i].max) ? -o.step : o.step;
      xs[i] += h;
      const auto r = residuals(run(xs));
      for (std::size_t j = 0; j < m; ++j)
        if (lin.r0[j] && r[j]) lin.e[j][i] = (*r[j] - *lin.r0[j]) / h;
    }
    return lin;
  };

  Vec prior(n);
  for (std::size_t i = 0; i < n; ++i) prior[i] = std::log(params[i].prior);
  std::vector<EvalResult> at = run(prior);
  g.rows.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    g.rows[j].row = rows[j];
    g.rows[j].prior_s = at[j].latency_s;
    g.rows[j].error = at[j].error;
  }
  const std::vector<bool> all(m, true);
  Vec x = prior;
  Linearisation last;
  // The objective the linearisation approximates, over the rows both evaluations simulated.
  const auto objective = [&](const Vec& xa, const std::vector<EvalResult>& ra, const std::vector<EvalResult>& rb) {
    const auto r = residuals(ra), other = residuals(rb);
    double f = 0;
    for (std::size_t j = 0; j < m; ++j)
      if (r[j] && other[j]) f += *r[j] * *r[j];
    for (std::size_t i = 0; i < n; ++i) {
      const double w = o.model_error / std::log(params[i].prior_factor) * (xa[i] - prior[i]);
      f += w * w;
    }
    return f;
  };
  for (int it = 0; it < o.max_iterations; ++it) {
    const Linearisation lin = linearise(x, at);
    last = lin;
    ++g.iterations;
    // A step is taken only when the simulations confirm it lowers the objective; else the trust region shrinks
    // (the latency is not linear in the parameters: an engine that was not the bottleneck becomes one).
    bool moved_on = false;
    double trust = o.trust;
    for (int attempt = 0; attempt < 3 && !moved_on; ++attempt, trust /= 4) {
      std::vector<int> bound;
      const Vec next = solve(lin, all, params, g.fitted, o, trust, &bound);
      double moved = 0;
      for (std::size_t i = 0; i < n; ++i) moved = std::max(moved, std::fabs(next[i] - x[i]));
      if (moved < 1e-3) break;
      const auto there = run(next);
      if (objective(next, there, at) < objective(x, at, there)) {
        x = next;
        at = there;
        g.at_bound = bound;
        moved_on = true;
      }
    }
    if (!moved_on) break;
  }
  if (g.at_bound.size() != n) g.at_bound.assign(n, 0);
  g.values.resize(n);
  for (std::size_t i = 0; i < n; ++i) g.values[i] = value_of(x[i]);
  for (std::size_t j = 0; j < m; ++j) g.rows[j].fitted_s = at[j].latency_s;

  // Leave one family out, on the last linearisation: the held-out rows' measurements enter only through the point
  // it was taken at, never the fold's objective (to first order the fold's point is the other families' optimum).
  if (g.iterations == 0) last = Linearisation{prior, residuals(at), std::vector<Vec>(m, Vec(n, 0))};
  // A device whose rows are all of one family holds out one model at a time instead (Llama-3.1-8B against 70B):
  // a weaker check, the nearest one its rows allow.
  std::map<std::string, std::vector<std::size_t>> families;
  for (std::size_t j = 0; j < m; ++j) families[rows[j]->family].push_back(j);
  if (families.size() == 1) {
    families.clear();
    for (std::size_t j = 0; j < m; ++j) families["model " + rows[j]->model].push_back(j);
    if (families.size() == 1) families.clear();  // one model too: nothing to hold out
  }
  std::vector<EvalPoint> held;
  std::vector<std::size_t> held_row;
  for (const auto& [family, members] : families) {
    std::vector<bool> use(m, true);
    for (std::size_t j : members) use[j] = false;
    const Vec xf = solve(last, use, params, g.fitted, o, o.trust, nullptr);
    Fold f{family, 0, Vec(n)};
    for (std::size_t i = 0; i < n; ++i) f.values[i] = value_of(xf[i]);
    for (std::size_t j : members) {
      if (!g.rows[j].prior_s) continue;  // refused at the priors: not held out either
      EvalPoint p{rows[j]->scenario, {}};
      for (std::size_t i = 0; i < n; ++i) p.settings.emplace_back(params[i].key, f.values[i]);
      held.push_back(std::move(p));
      held_row.push_back(j);
      ++f.rows;
    }
    g.folds.push_back(std::move(f));
  }
  if (!held.empty()) {
    g.simulations += static_cast<int64_t>(held.size());
    const auto res = evaluate(held);
    for (std::size_t k = 0; k < held.size(); ++k) g.rows[held_row[k]].cv_s = res[k].latency_s;
  }
  return g;
}

ErrorStats error_stats(const std::vector<RowOutcome>& rows, Which which) {
  ErrorStats s;
  std::vector<double> logs;
  for (const auto& r : rows) {
    const auto& p = which == Which::prior    ? r.prior_s
                    : which == Which::fitted ? r.fitted_s
                    : which == Which::cv     ? r.cv_s
                                             : r.roofline_s;
    if (!p) continue;
    const double e = *p / r.row->measured_s - 1;
    ++s.rows;
    s.mean_abs += std::fabs(e);
    s.mean_signed += e;
    s.worst_abs = std::max(s.worst_abs, std::fabs(e));
    logs.push_back(std::log(*p / r.row->measured_s));
  }
  if (s.rows == 0) return s;
  s.mean_abs /= static_cast<double>(s.rows);
  s.mean_signed /= static_cast<double>(s.rows);
  std::sort(logs.begin(), logs.end());
  // Linear interpolation between order statistics (numpy's default).
  const auto q = [&](double f) {
    const double pos = f * static_cast<double>(logs.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, logs.size() - 1);
    return logs[lo] + (pos - static_cast<double>(lo)) * (logs[hi] - logs[lo]);
  };
  s.log_ratio_p10 = q(0.1);
  s.log_ratio_p90 = q(0.9);
  return s;
}

}  // namespace hpusim::fit
