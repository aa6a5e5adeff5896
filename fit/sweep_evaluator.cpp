// SPDX-License-Identifier: Apache-2.0
#include "fit/sweep_evaluator.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "common/input_error.h"
#include "sweep/sweep_db.h"
#include "sweep/sweep_run.h"
#include "sweep/sweep_spec.h"

namespace hpusim::fit {
namespace fs = std::filesystem;
namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The binary's contents: a cached simulation is only reused by the simulator that ran it.
std::string binary_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot be read (the hpusim binary the simulations run)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return fmt::format("{:016x}", fnv1a(bytes));
}

}  // namespace

Evaluator sweep_evaluator(const SweepEvaluatorOptions& o) {
  const std::string binary = binary_identity(o.executable);
  return [o, binary](const std::vector<EvalPoint>& points) {
    std::vector<EvalResult> out(points.size());
    if (points.empty()) return out;
    // One zipped list per key: the scenarios' keys, then the settings'.
    nlohmann::json zip = nlohmann::json::object();
    for (const auto& [k, v] : points.front().scenario.items()) zip[k] = nlohmann::json::array();
    for (const auto& [k, v] : points.front().settings) zip[k] = nlohmann::json::array();
    // The fit's own figures, on the files' priors: never under a profile an earlier fit wrote.
    zip["calibration"] = nlohmann::json::array();
    for (const auto& p : points) {
      if (p.scenario.size() + p.settings.size() + 1 != zip.size() || p.scenario.contains("calibration"))
        throw InputError("calibrate --fit", "", "the rows of one device must have the same scenario keys");
      for (const auto& [k, v] : p.scenario.items()) {
        if (!zip.contains(k)) throw InputError("calibrate --fit", k, "a row has a scenario key the others lack");
        zip[k].push_back(v);
      }
      for (const auto& [k, v] : p.settings) zip[k].push_back(v);
      zip["calibration"].push_back("none");
    }
    const nlohmann::json sweep = {{"description", "calibrate --fit: one batch of simulations"},
                                  {"base", nlohmann::json::object()},
                                  {"zip", zip}};
    const std::string text = sweep.dump(1);
    const fs::path dir = fs::path(o.cache_dir) / binary / fmt::format("{:016x}", fnv1a(text));
    fs::create_directories(dir);
    const fs::path file = dir / "sweep.json";
    {
      std::ofstream f(file);
      f << text << "\n";
      if (!f) throw InputError(file.string(), "", "cannot be written");
    }
    const auto spec = sweep::read_sweep(file.string());
    sweep::RunOptions ro;
    ro.out_dir = dir.string();
    ro.jobs = o.jobs;
    ro.executable = o.executable;
    ro.progress = false;
    ro.traces = false;
    const auto sum = sweep::run_sweep(spec, ro);
    if (sum.interrupted_by) throw InputError("calibrate --fit", "", fmt::format("interrupted (signal {})", sum.interrupted_by));
    if (o.progress)
      std::fprintf(stderr, "  %lld simulations (%lld cached) in %.1f s: %s\n", static_cast<long long>(sum.points),
                   static_cast<long long>(sum.skipped), sum.seconds, dir.string().c_str());
    sweep::SweepDb db(sum.database, spec);
    for (const auto& r : db.results()) {
      if (r.id < 0 || static_cast<std::size_t>(r.id) >= out.size()) continue;
      auto& e = out[static_cast<std::size_t>(r.id)];
      if (r.ok && r.result.contains("latency_s") && r.result["latency_s"].is_number())
        e.latency_s = r.result["latency_s"].get<double>();
      else
        e.error = r.error.empty() ? "no latency" : r.error;
    }
    return out;
  };
}

}  // namespace hpusim::fit
