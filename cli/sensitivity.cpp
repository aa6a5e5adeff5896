// SPDX-License-Identifier: Apache-2.0
#include "cli/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "sweep/sweep_db.h"
#include "sweep/sweep_run.h"
#include "traces/interrupt.h"

namespace hpusim::cli {
namespace {

namespace fs = std::filesystem;

std::string number(double v) { return fmt::format("{:.6g}", v); }

// One figure made `factor` better: rates multiplied, costs divided (integers rounded, at least one more).
WhatIf figure(std::string name, std::string key, double base, bool cost, bool integer) {
  WhatIf w;
  w.figure = std::move(name);
  w.key = key;
  w.base = base;
  w.as_run = key + "=" + number(base);
  for (double f : {1.25, 2.0}) {
    double v = cost ? base / f : base * f;
    if (integer) v = std::max(std::round(v), base + 1);
    (f == 2.0 ? w.at_2 : w.at_1_25).push_back(key + "=" + number(v));
  }
  return w;
}

// The factor a point really applied (integers were rounded).
double applied_factor(const WhatIf& w, const std::vector<std::string>& sets, bool cost) {
  const std::string& first = sets.front();
  const double v = std::stod(first.substr(first.find('=') + 1));
  return cost ? w.base / v : v / w.base;
}

bool is_cost(const WhatIf& w) { return w.key.rfind("runtime.", 0) == 0 || w.key == "fabric.latency_us"; }

}  // namespace

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
  for (const auto& [key, v] : std::vector<std::pair<std::string, double>>{
           {"eager_dispatch_us", rt.eager_dispatch_us}, {"lazy_record_us", rt.lazy_record_us},
           {"graph_lookup_us_per_node", rt.graph_lookup_us_per_node}, {"launch_us", rt.launch_us},
           {"replay_graph_us", rt.replay_graph_us}, {"replay_per_node_us", rt.replay_per_node_us},
           {"guard_check_us", rt.guard_check_us}}) {
    if (v <= 0) continue;
    if (host.key.empty()) host.key = "runtime." + key, host.base = v;
    host.at_1_25.push_back("runtime." + key + "=" + number(v / 1.25));
    host.at_2.push_back("runtime." + key + "=" + number(v / 2));
  }
  if (!host.key.empty()) {
    host.as_run = fmt::format("runtime.* ({} costs)", host.at_1_25.size());
    out.push_back(host);
  }
  if (rt.kernel_gap_us > 0)
    out.push_back(figure("kernel launch gap", "runtime.kernel_gap_us", rt.kernel_gap_us, true, false));
  return out;
}

void measure_what_ifs(const SimulatedRun& run, std::vector<WhatIf>& w, const std::string& work_dir, int64_t jobs) {
  // The run as it ran (its sets, the calibration profile's included), timing only, each point one what-if.
  nlohmann::json base = run.scenario.to_json();
  base.erase("hardware_sets");
  base.erase("runtime_sets");
  base["numerics"] = "off";
  std::vector<std::string> sets;
  for (const auto& s : run.scenario.hardware_sets) sets.push_back(s);
  for (const auto& s : run.scenario.runtime_sets) sets.push_back("runtime." + s);
  fs::create_directories(work_dir);
  sweep::SweepSpec spec;
  spec.path = (fs::path(work_dir) / "sensitivity.json").string();
  spec.base_inline = base;
  spec.keys = {"what_if"};
  nlohmann::json canonical = {{"base", base}, {"points", nlohmann::json::array()}};
  for (const auto& x : w)
    for (const auto* at : {&x.at_1_25, &x.at_2}) {
      sweep::Point p;
      p.id = static_cast<int64_t>(spec.points.size());
      p.assignments = sets;
      p.assignments.insert(p.assignments.end(), at->begin(), at->end());
      p.values = {fmt::format("{} x{}", x.figure, at == &x.at_2 ? "2" : "1.25")};
      canonical["points"].push_back(p.assignments);
      spec.points.push_back(std::move(p));
    }
  spec.canonical = canonical.dump();
  sweep::RunOptions ro;
  ro.out_dir = work_dir;
  ro.jobs = jobs;
  ro.executable = self_executable();
  ro.progress = false;
  ro.traces = false;
  const auto sum = sweep::run_sweep(spec, ro);
  if (sum.interrupted_by) throw traces::Interrupted(sum.interrupted_by);
  sweep::SweepDb db(sum.database, spec);
  const double l0 = run.timing.latency_s;
  for (auto& x : w) x.error_1_25 = x.error_2 = "did not run (killed or interrupted)";  // until a row says otherwise
  for (const auto& r : db.results()) {
    auto& x = w.at(static_cast<std::size_t>(r.id / 2));
    const bool two = r.id % 2 == 1;
    std::string& error = two ? x.error_2 : x.error_1_25;
    if (!r.ok || !r.result.contains("latency_s")) {
      error = r.error.empty() ? "no latency" : r.error;
      continue;
    }
    error.clear();
    const double l = r.result["latency_s"].get<double>();
    const double f = applied_factor(x, two ? x.at_2 : x.at_1_25, is_cost(x));
    const double e = l > 0 && l0 > 0 && f > 1 ? -std::log(l / l0) / std::log(f) : 0.0;
    (two ? x.latency_2 : x.latency_1_25) = l;
    (two ? x.elasticity_2 : x.elasticity_1_25) = e;
    if (two) {
      const auto& split = r.result.value("time_split", nlohmann::json::object());
      const auto& phase = split.contains("decode") ? split["decode"] : split.value("prefill", nlohmann::json());
      if (phase.is_object())
        x.decode_bound_at_2 = fmt::format("{} ({:.0f}%)", phase["bound_by"].get<std::string>(),
                                          100 * phase["share"].get<double>());
    }
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
      t.add_row({x.figure, x.as_run, fmt::format("{:.4g} s", x.latency_1_25), fmt::format("{:.2f}", x.elasticity_1_25),
                 "refused", "-", x.error_2});
      continue;
    }
    t.add_row({x.figure, x.as_run, fmt::format("{:.4g} s", x.latency_1_25), fmt::format("{:.2f}", x.elasticity_1_25),
               fmt::format("{:.4g} s", x.latency_2), fmt::format("{:.2f}", x.elasticity_2), x.decode_bound_at_2});
  }
  out += t.render();
  // Where a what-if stops paying: its elasticity over 1x..2x well below the first step's.
  for (const auto& x : w)
    if (x.error_1_25.empty() && x.error_2.empty() && x.elasticity_1_25 >= 0.2 &&
        x.elasticity_2 < 0.6 * x.elasticity_1_25)
      out += fmt::format("  {}: the gain flattens before 2x ({:.2f} -> {:.2f}); at 2x decode is {}\n", x.figure,
                         x.elasticity_1_25, x.elasticity_2, x.decode_bound_at_2);
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
                 {"error_2", x.error_2}});
  return a;
}

}  // namespace hpusim::cli
