// SPDX-License-Identifier: Apache-2.0
#include "cli/run_calibration.h"

#include <map>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/suggest.h"
#include "models/model_loader.h"

namespace hpusim::cli {
namespace {

// The share of the timed calls' time the resource a parameter scales bounds (the time split: each instant counted
// once, so a GEMM waiting on HBM counts for HBM, not for the matrix engine); engine busy shares without one.
double share_of(const std::string& scales, const sim::GenerationTiming& t) {
  if (!t.time_split.empty()) {
    const std::map<std::string, sim::TimeClass> classes{{"host", sim::TimeClass::host},
                                                        {"hbm", sim::TimeClass::hbm},
                                                        {"matrix", sim::TimeClass::matrix},
                                                        {"vector", sim::TimeClass::vector},
                                                        {"fabric", sim::TimeClass::fabric}};
    const auto c = classes.find(scales);
    sim::Picoseconds part = 0, all = 0;
    for (const auto& p : t.time_split) {
      all += p.total();
      if (c != classes.end()) part += p.ps[static_cast<std::size_t>(c->second)];
    }
    return all > 0 ? static_cast<double>(part) / static_cast<double>(all) : 0.0;
  }
  if (scales == "host") return t.host_busy_fraction;
  double best = 0;
  for (const auto& e : t.engines) {
    const bool match = (scales == "hbm" && e.name == "hbm") || (scales == "fabric" && e.name == "fabric") ||
                       (scales == "matrix" && (e.name == "mme" || e.name == "sm")) ||
                       (scales == "vector" && (e.name == "tpc" || e.name == "sm"));
    if (match) best = std::max(best, e.busy_fraction);
  }
  return best;
}

struct Dominant {
  const fit::FittedParameter* p;
  double share;
  double value;       // as run: the profile's, or the scenario's own
  bool by_scenario;
};

// A parameter that prices no part of this run (bitsandbytes' costs in a 16-bit run) has no share of its time.
std::vector<Dominant> dominant(const RunCalibration& c, const sim::GenerationSpec& spec,
                               const sim::GenerationTiming& t) {
  const std::string weights(workloads::name(spec.pass.weights));
  std::vector<Dominant> d;
  for (const auto& p : c.profile->parameters) {
    const auto o = c.overridden.find(p.key);
    d.push_back({&p, p.prices(weights) ? share_of(p.scales, t) : 0.0, o == c.overridden.end() ? p.value : o->second,
                 o != c.overridden.end()});
  }
  std::stable_sort(d.begin(), d.end(), [](const Dominant& a, const Dominant& b) { return a.share > b.share; });
  return d;
}

std::vector<std::string> outside(const fit::FittedProfile& f, const sim::GenerationSpec& spec,
                                 const sim::Scenario& sc) {
  const std::string release = spec.pass.transformers_minor > 0 ? fmt::format("4.{}", spec.pass.transformers_minor) : "";
  return fit::outside_coverage(f.coverage, spec.model.family, sc.mode, std::string(workloads::name(spec.pass.weights)),
                               sc.cards, sc.batch, spec.prompt_len, sc.new_tokens, release);
}

}  // namespace

RunCalibration apply_calibration(sim::Scenario& sc, const std::string& device_name, bool gaudi) {
  RunCalibration c;
  c.stack = fit::stack_of(gaudi, sc.kernels);
  std::string file;
  if (sc.calibration == "none") {
    c.note = "calibration=none: the model and runtime files' own figures";
    return c;
  }
  const bool is_path = sc.calibration.find('/') != std::string::npos || sc.calibration.ends_with(".json");
  if (sc.calibration == "auto") {
    const auto found = fit::fitted_profile_file(models::default_models_dir().string(), c.stack, device_name);
    if (!found) {
      c.note = fmt::format("uncalibrated: no fitted profile for {} on {} (models/fitted/)", c.stack, device_name);
      return c;
    }
    file = *found;
  } else if (!is_path) {  // a stack by name: another release's profile (transformers-4.35)
    const std::string dir = models::default_models_dir().string();
    const auto found = fit::fitted_profile_file(dir, sc.calibration, device_name);
    if (!found) {
      std::vector<std::string> stacks;
      const std::string tail = "-" + device_name + ".json";
      if (std::filesystem::exists(std::filesystem::path(dir) / "fitted"))
        for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(dir) / "fitted")) {
          const std::string n = e.path().filename().string();
          if (n.size() > tail.size() && n.ends_with(tail)) stacks.push_back(n.substr(0, n.size() - tail.size()));
        }
      std::sort(stacks.begin(), stacks.end());
      throw InputError("calibration", sc.calibration,
                       fmt::format("no fitted profile of that stack for {}; expected auto, none, a profile file or "
                                   "one of: {}",
                                   device_name, stacks.empty() ? std::string("(none)") : join(stacks)));
    }
    file = *found;
    c.stack = sc.calibration;
  } else {
    file = sc.calibration;
  }
  try {
    c.profile = fit::read_fitted_profile(file);
  } catch (const InputError& e) {
    throw InputError("calibration", "", e.what());  // the scenario key that named the file
  }
  if (c.profile->device != device_name)
    throw InputError("calibration", file,
                     fmt::format("is fitted for {}, not {}", c.profile->device, device_name));
  // transformers=auto: the release the profile's rows ran, so that the run's torch ops are the ones fitted.
  if (!gaudi && sc.transformers == "auto")
    if (const auto r = fit::profile_release(c.profile->coverage)) {
      sc.transformers = *r;
      c.release_from_profile = *r;
    }
  // The scenario's own sets come after the profile's and win: note which.
  const auto own = [](const std::vector<std::string>& sets, const std::string& key) -> std::optional<double> {
    std::optional<double> v;
    for (const auto& s : sets)
      if (s.rfind(key + "=", 0) == 0) {
        try {
          v = std::stod(s.substr(key.size() + 1));
        } catch (const std::exception&) {
        }
      }
    return v;
  };
  for (const auto& p : c.profile->parameters) {
    const bool rt = p.key.rfind("runtime.", 0) == 0;
    if (const auto v = rt ? own(sc.runtime_sets, p.key.substr(8)) : own(sc.hardware_sets, p.key)) c.overridden[p.key] = *v;
  }
  std::vector<std::string> hardware, runtime;
  for (const auto& p : c.profile->parameters) {
    if (p.key.rfind("runtime.", 0) == 0)
      runtime.push_back(fmt::format("{}={}", p.key.substr(8), p.value));
    else
      hardware.push_back(fmt::format("{}={}", p.key, p.value));
  }
  sc.hardware_sets.insert(sc.hardware_sets.begin(), hardware.begin(), hardware.end());
  sc.runtime_sets.insert(sc.runtime_sets.begin(), runtime.begin(), runtime.end());
  return c;
}

void add_calibration_json(nlohmann::json& j, const RunCalibration& c, const sim::GenerationSpec& spec,
                          const sim::GenerationTiming& t, const sim::Scenario& sc) {
  nlohmann::json cal{{"stack", c.stack}};
  if (!c.profile) {
    j["latency_s_low"] = nullptr;
    j["latency_s_high"] = nullptr;
    cal["profile"] = nullptr;
    cal["note"] = c.note;
    j["calibration"] = cal;
    return;
  }
  const auto& f = *c.profile;
  j["latency_s_low"] = t.latency_s * std::exp(-f.cv_log_p90);
  j["latency_s_high"] = t.latency_s * std::exp(-f.cv_log_p10);
  cal["profile"] = f.path;
  cal["interval"] = fmt::format(
      "latency_s divided by the 90th and 10th percentiles of predicted/measured over {} held-out rows of {} on {} "
      "(leave one model family out)",
      f.cv_rows, f.stack, f.device);
  cal["cross_validated_mean_abs_error"] = f.cv_mean_abs;
  cal["cross_validated_worst_abs_error"] = f.cv_worst_abs;
  nlohmann::json params = nlohmann::json::array();
  for (const auto& d : dominant(c, spec, t))
    params.push_back({{"key", d.p->key},
                      {"value", d.value},
                      {"set_by", d.by_scenario ? "scenario" : "profile"},
                      {"scales", d.p->scales},
                      {"time_share", d.share}});  // of the timed calls, by the time split
  cal["parameters_by_share"] = params;
  if (!c.release_from_profile.empty()) cal["transformers_from_profile"] = c.release_from_profile;
  cal["outside_calibrated_range"] = outside(f, spec, sc);
  j["calibration"] = cal;
}

std::string calibration_text(const RunCalibration& c, const sim::GenerationSpec& spec, const sim::GenerationTiming& t,
                             const sim::Scenario& sc) {
  if (!c.profile) return c.note + "\n";
  const auto& f = *c.profile;
  std::string dom;
  int shown = 0;
  for (const auto& d : dominant(c, spec, t)) {
    if (shown == 2 || d.share < 0.05) break;
    dom += fmt::format("{}{} = {:.4g}{} ({} {:.0f}% of the time)", shown ? ", " : "", d.p->key, d.value,
                       d.by_scenario ? " (the scenario's)" : "", d.p->scales, 100 * d.share);
    ++shown;
  }
  std::string out = fmt::format(
      "calibrated ({} on {}, {}{}): {:.4g} s, 80% interval from held-out rows [{:.4g}, {:.4g}] s "
      "(cross-validated mean error {:.0f}%){}\n",
      f.stack, f.device, f.path,
      c.release_from_profile.empty() ? "" : ", transformers " + c.release_from_profile + " as its rows", t.latency_s, t.latency_s * std::exp(-f.cv_log_p90),
      t.latency_s * std::exp(-f.cv_log_p10), 100 * f.cv_mean_abs, dom.empty() ? "" : "; dominated by " + dom);
  const auto far = outside(f, spec, sc);
  if (!far.empty()) {
    out += "  outside the calibrated range:";
    for (std::size_t i = 0; i < far.size(); ++i) out += (i ? "; " : " ") + far[i];
    out += "\n";
  }
  return out;
}

}  // namespace hpusim::cli
