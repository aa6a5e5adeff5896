// SPDX-License-Identifier: Apache-2.0
#include "cli/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "sim/device/time_split.h"
#include "sweep/sweep_db.h"
#include "sweep/sweep_run.h"
#include "traces/interrupt.h"

namespace hpusim::cli {
namespace {

namespace fs = std::filesystem;

std::string number(double v) { return fmt::format("{:.6g}", v); }

// An elasticity with two decimals, never "-0.00".
std::string elasticity(double e) { return fmt::format("{:.2f}", std::fabs(e) < 0.005 ? 0.0 : e); }

WhatIf figure(std::string name, std::string key, double base, bool cost, bool integer) {
  WhatIf w;
  w.figure = std::move(name);
  w.key = key;
  w.base = base;
  w.as_run = key + "=" + number(base);
  w.keys = {{key, base}};
  w.cost = cost;
  w.integer = integer;
  w.at_1_25 = sets_at(w, 1.25);
  w.at_2 = sets_at(w, 2.0);
  return w;
}

// The factor a point really applied (integers were rounded).
double applied_factor(const WhatIf& w, const std::vector<std::string>& sets, bool cost) {
  const std::string& first = sets.front();
  const double v = std::stod(first.substr(first.find('=') + 1));
  return cost ? w.base / v : v / w.base;
}


}  // namespace

// One figure made `factor` better: rates multiplied, costs divided (integers rounded, at least one more).
std::vector<std::string> sets_at(const WhatIf& w, double factor) {
  std::vector<std::string> out;
  for (const auto& [key, base] : w.keys) {
    double v = w.cost ? base / factor : base * factor;
    if (w.integer) v = std::max(std::round(v), base + 1);
    out.push_back(key + "=" + number(v));
  }
  return out;
}

std::vector<WhatIf> what_ifs(const SimulatedRun& run) {
  const auto& d = run.device;
  std::vector<WhatIf> out;
  out.push_back(figure("HBM bandwidth", "hbm.bandwidth_GBps", d.hbm.bandwidth_GBps, false, false));
  if (d.mme) out.push_back(figure("MME clock (matrix peak)", "mme.clock_MHz", d.mme->clock_MHz, false, false));
  if (d.tpc) out.push_back(figure("TPC clock (vector peak)", "tpc.clock_MHz", d.tpc->clock_MHz, false, false));
  if (d.sm) {
    out.push_back(figure("tensor cores per SM (matrix peak)", "sm.tensor_cores_per_sm",
                         static_cast<double>(d.sm->tensor_cores_per_sm), false, true));
    out.push_back(figure("CUDA-core lanes per SM (vector peak)", "sm.fp32_lanes", static_cast<double>(d.sm->fp32_lanes),
                         false, true));
  }
  if (run.scenario.cards > 1) {
    out.push_back(
        figure("fabric link bandwidth", "fabric.link_bandwidth_GBps", d.fabric.link_bandwidth_GBps, false, false));
    if (d.fabric.latency_us > 0)
      out.push_back(figure("fabric latency", "fabric.latency_us", d.fabric.latency_us, true, false));
  }
  // The host: every per-op cost of the runtime profile at once (a faster CPU); compile and capture are warm-up.
  const auto& rt = run.spec.execution.runtime;
  WhatIf host;
  host.figure = "host speed (per-op runtime costs)";
  host.cost = true;
  for (const auto& [key, v] : std::vector<std::pair<std::string, double>>{
           {"eager_dispatch_us", rt.eager_dispatch_us}, {"lazy_record_us", rt.lazy_record_us},
           {"graph_lookup_us_per_node", rt.graph_lookup_us_per_node}, {"launch_us", rt.launch_us},
           {"replay_graph_us", rt.replay_graph_us}, {"replay_per_node_us", rt.replay_per_node_us},
           {"guard_check_us", rt.guard_check_us}}) {
    if (v <= 0) continue;
    if (host.key.empty()) host.key = "runtime." + key, host.base = v;
    host.keys.push_back({"runtime." + key, v});
  }
  if (!host.key.empty()) {
    host.at_1_25 = sets_at(host, 1.25);
    host.at_2 = sets_at(host, 2.0);
    host.as_run = fmt::format("runtime.* ({} costs)", host.at_1_25.size());
    out.push_back(host);
  }
  if (rt.kernel_gap_us > 0)
    out.push_back(figure("kernel launch gap", "runtime.kernel_gap_us", rt.kernel_gap_us, true, false));
  return out;
}

namespace {

// A point's outcome: its latency and what bounds decode (or prefill, for one-token runs), or why it did not run.
struct PointResult {
  std::string error = "did not run (killed or interrupted)";
  double latency = 0;
  std::string bound;  // "MME-bound"
  double share = 0;
};

// Each set of assignments as a point of one sweep (the run as it ran, its calibration included, timing only), `jobs`
// processes at once, in its own folder (the sweep runner keeps finished points of a folder).
std::vector<PointResult> run_points(const SimulatedRun& run, const std::vector<std::vector<std::string>>& points,
                                    const std::string& dir, int64_t jobs) {
  nlohmann::json base = run.scenario.to_json();
  base.erase("hardware_sets");
  base.erase("runtime_sets");
  base["numerics"] = "off";
  std::vector<std::string> sets;
  for (const auto& s : run.scenario.hardware_sets) sets.push_back(s);
  for (const auto& s : run.scenario.runtime_sets) sets.push_back("runtime." + s);
  fs::create_directories(dir);
  sweep::SweepSpec spec;
  spec.path = (fs::path(dir) / "sensitivity.json").string();
  spec.base_inline = base;
  spec.keys = {"what_if"};
  nlohmann::json canonical = {{"base", base}, {"points", nlohmann::json::array()}};
  for (const auto& at : points) {
    sweep::Point p;
    p.id = static_cast<int64_t>(spec.points.size());
    p.assignments = sets;
    p.assignments.insert(p.assignments.end(), at.begin(), at.end());
    p.values = {fmt::format("{}", fmt::join(at, " "))};
    canonical["points"].push_back(p.assignments);
    spec.points.push_back(std::move(p));
  }
  spec.canonical = canonical.dump();
  sweep::RunOptions ro;
  ro.out_dir = dir;
  ro.jobs = jobs;
  ro.executable = self_executable();
  ro.progress = false;
  ro.traces = false;
  const auto sum = sweep::run_sweep(spec, ro);
  if (sum.interrupted_by) throw traces::Interrupted(sum.interrupted_by);
  sweep::SweepDb db(sum.database, spec);
  std::vector<PointResult> out(points.size());
  for (const auto& r : db.results()) {
    PointResult& p = out.at(static_cast<std::size_t>(r.id));
    if (!r.ok || !r.result.contains("latency_s")) {
      p.error = r.error.empty() ? "no latency" : r.error;
      continue;
    }
    p.error.clear();
    p.latency = r.result["latency_s"].get<double>();
    const auto& split = r.result.value("time_split", nlohmann::json::object());
    const auto& phase = split.contains("decode") ? split["decode"] : split.value("prefill", nlohmann::json());
    if (phase.is_object()) {
      p.bound = phase["bound_by"].get<std::string>();
      p.share = phase["share"].get<double>();
    }
  }
  return out;
}

std::string bound_text(const PointResult& p) { return fmt::format("{} ({:.0f}%)", p.bound, 100 * p.share); }

// What bounds the run's decode as it ran (prefill for one-token runs), worded as the points' JSON words it.
std::string bound_as_run(const SimulatedRun& run) {
  const auto& split = run.timing.time_split;
  if (split.empty()) return "";
  const auto& p = split.size() > 1 ? split[1] : split[0];
  return std::string(sim::bound_by(p.dominant(), run.device.is_gaudi()));
}

}  // namespace

void measure_what_ifs(const SimulatedRun& run, std::vector<WhatIf>& w, const std::string& work_dir, int64_t jobs) {
  std::vector<std::vector<std::string>> points;
  for (const auto& x : w) points.push_back(x.at_1_25), points.push_back(x.at_2);
  const auto results = run_points(run, points, (fs::path(work_dir) / "steps").string(), jobs);
  const double l0 = run.timing.latency_s;
  const std::string bound0 = bound_as_run(run);
  struct Search {
    std::size_t what;
    double lo, hi;
    PointResult at_hi;
    std::vector<std::string> sets_hi;
  };
  std::vector<Search> searches;
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto& x = w[i];
    const PointResult& r125 = results[2 * i];
    const PointResult& r2 = results[2 * i + 1];
    x.error_1_25 = r125.error;
    x.error_2 = r2.error;
    for (const auto* r : {&r125, &r2}) {
      if (!r->error.empty()) continue;
      const bool two = r == &r2;
      const double f = applied_factor(x, two ? x.at_2 : x.at_1_25, x.cost);
      const double e = r->latency > 0 && l0 > 0 && f > 1 ? -std::log(r->latency / l0) / std::log(f) : 0.0;
      (two ? x.latency_2 : x.latency_1_25) = r->latency;
      (two ? x.elasticity_2 : x.elasticity_1_25) = e;
    }
    if (r2.error.empty()) x.decode_bound_at_2 = bound_text(r2);
    // Another resource bounds decode by 2x: search where it takes over (integer figures cannot be bisected finely).
    if (!x.integer && r125.error.empty() && r2.error.empty() && !bound0.empty() && r2.bound != bound0) {
      if (r125.bound != bound0)
        searches.push_back({i, 1.0, 1.25, r125, x.at_1_25});
      else
        searches.push_back({i, 1.25, 2.0, r2, x.at_2});
    }
  }
  for (int round = 0; round < 4 && !searches.empty(); ++round) {
    std::vector<std::vector<std::string>> mids;
    for (const auto& s : searches) mids.push_back(sets_at(w[s.what], (s.lo + s.hi) / 2));
    const auto r = run_points(run, mids, (fs::path(work_dir) / fmt::format("search-{}", round)).string(), jobs);
    for (std::size_t k = 0; k < searches.size(); ++k) {
      auto& s = searches[k];
      if (!r[k].error.empty()) continue;  // keep the interval; the last good one is reported
      const double mid = (s.lo + s.hi) / 2;
      if (r[k].bound == bound0) {
        s.lo = mid;
      } else {
        s.hi = mid;
        s.at_hi = r[k];
        s.sets_hi = mids[k];
      }
    }
  }
  for (const auto& s : searches) {
    auto& x = w[s.what];
    x.takeover_below = s.lo;
    x.takeover_at = s.hi;
    x.takeover_sets = s.sets_hi;
    x.takeover_bound = bound_text(s.at_hi);
  }
  std::stable_sort(w.begin(), w.end(), [](const WhatIf& a, const WhatIf& b) {
    if (a.error_1_25.empty() != b.error_1_25.empty()) return a.error_1_25.empty();  // refused points last
    return a.elasticity_1_25 > b.elasticity_1_25;
  });
}

std::string sensitivity_text(const SimulatedRun& run, const std::vector<WhatIf>& w) {
  std::string out = fmt::format(
      "sensitivity of {:.4g} s to each figure made better (elasticity: -d ln latency / d ln figure; 1 = the latency "
      "follows it, 0 = no gain):\n",
      run.timing.latency_s);
  TextTable t({"figure", "as run", "x1.25: latency", "elasticity", "x2: latency", "elasticity", "decode at x2"},
              {false, true, true, true, true, true, false});
  for (const auto& x : w) {
    if (!x.error_1_25.empty()) {
      t.add_row({x.figure, x.as_run, "refused", "-", "-", "-", x.error_1_25});
      continue;
    }
    if (!x.error_2.empty()) {
      t.add_row({x.figure, x.as_run, fmt::format("{:.4g} s", x.latency_1_25), elasticity(x.elasticity_1_25),
                 "refused", "-", x.error_2});
      continue;
    }
    t.add_row({x.figure, x.as_run, fmt::format("{:.4g} s", x.latency_1_25), elasticity(x.elasticity_1_25),
               fmt::format("{:.4g} s", x.latency_2), elasticity(x.elasticity_2), x.decode_bound_at_2});
  }
  out += t.render();
  // Where a what-if stops paying: another resource takes over decode, or its elasticity falls well below the first
  // step's.
  for (const auto& x : w) {
    if (x.takeover_at > 0) {
      out += fmt::format("  {} stops paying between x{:.3g} and x{:.3g} ({}): decode turns {} there\n", x.figure,
                         x.takeover_below, x.takeover_at, fmt::join(x.takeover_sets, " "), x.takeover_bound);
    } else if (x.error_1_25.empty() && x.error_2.empty() && x.elasticity_1_25 >= 0.2 &&
               x.elasticity_2 < 0.6 * x.elasticity_1_25) {
      out += fmt::format("  {}: the gain flattens before 2x ({:.2f} -> {:.2f}); at 2x decode is {}\n", x.figure,
                         x.elasticity_1_25, x.elasticity_2, x.decode_bound_at_2);
    }
  }
  return out;
}

nlohmann::json sensitivity_json(const std::vector<WhatIf>& w) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : w)
    a.push_back({{"figure", x.figure},
                 {"key", x.key},
                 {"as_run", x.as_run},
                 {"sets_1_25", x.at_1_25},
                 {"sets_2", x.at_2},
                 {"latency_s_1_25", x.latency_1_25},
                 {"latency_s_2", x.latency_2},
                 {"elasticity_1_25", x.elasticity_1_25},
                 {"elasticity_2", x.elasticity_2},
                 {"bound_at_2", x.decode_bound_at_2},
                 {"error_1_25", x.error_1_25},
                 {"error_2", x.error_2},
                 {"takeover", x.takeover_at > 0 ? nlohmann::json{{"below", x.takeover_below},
                                                                  {"at", x.takeover_at},
                                                                  {"sets", x.takeover_sets},
                                                                  {"bound", x.takeover_bound}}
                                                : nlohmann::json()}});
  return a;
}

}  // namespace hpusim::cli
