// SPDX-License-Identifier: Apache-2.0
#include "cli/calibrate_fit.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "fit/fitted_profile.h"
#include "fit/roofline.h"
#include "fit/sweep_evaluator.h"
#include "models/model_loader.h"
#include "models/runtime_profile.h"

namespace hpusim::cli {
namespace fs = std::filesystem;
namespace {

// The prior of each parameter on this device: the stacks file's figure, or ("model") the device model's or the
// runtime profile's own; each key is checked by loading the model or profile with it set.
std::vector<fit::FitParameter> resolve_priors(const fit::StackSpec& stack, const std::string& device_name,
                                              const std::string& stacks_file) {
  const auto device = models::load_model(device_name);
  const std::string runtime = models::default_runtime_profile(device.family);
  const std::string dir = models::default_models_dir().string();
  const auto profile = models::to_json(models::load_runtime_profile(runtime, {}, dir));
  std::vector<fit::FitParameter> out;
  for (std::size_t i = 0; i < stack.parameters.size(); ++i) {
    fit::FitParameter p = stack.parameters[i];
    const std::string at = fmt::format("/stacks/{}/parameters/{}", stack.name, i);
    const bool is_runtime = p.key.rfind("runtime.", 0) == 0;
    if (p.prior == 0) {
      const nlohmann::json* v = nullptr;
      if (is_runtime) {
        const std::string k = p.key.substr(8);
        if (profile.contains(k)) v = &profile[k];
      } else {
        const auto dot = p.key.find('.');
        const auto& r = device.resolved;
        const std::string sec = p.key.substr(0, dot), k = p.key.substr(dot + 1);
        if (r.contains(sec) && r[sec].contains(k)) v = &r[sec][k];
      }
      if (!v || !v->is_number() || v->get<double>() <= 0)
        throw InputError(stacks_file, at + "/prior",
                         fmt::format("\"model\": {} gives no positive figure for {}", is_runtime ? runtime : device_name,
                                     p.key));
      p.prior = std::clamp(v->get<double>(), p.min, p.max);
    }
    const std::string set = fmt::format("{}={}", is_runtime ? p.key.substr(8) : p.key, p.prior);
    try {
      if (is_runtime)
        (void)models::load_runtime_profile(runtime, {set}, dir);
      else
        (void)models::load_model(device_name, {set});
    } catch (const InputError& e) {
      throw InputError(stacks_file, at + "/key", e.what());
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string pct(double x) { return fmt::format("{:.0f}%", 100 * x); }

// The families the rows hold; "1 (N models held out)" where the folds are models of one family.
std::string families_text(const fit::GroupFit& g) {
  std::set<std::string> families;
  for (const auto& r : g.rows) families.insert(r.row->family);
  if (families.size() == 1 && !g.folds.empty() && g.folds.front().family.rfind("model ", 0) == 0)
    return fmt::format("1 ({} models held out)", g.folds.size());
  return std::to_string(families.size());
}

void write_atomically(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path().empty() ? fs::path(".") : file.parent_path());
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f) throw InputError(file.string(), "", "cannot be written");
  }
  fs::rename(tmp, file);
}

}  // namespace

void run_calibration_fit(const CalibrateFitOptions& o) {
  const fs::path root = models::default_models_dir().parent_path();
  const std::string stacks_file = o.stacks_file.empty() ? (root / "calibration" / "fit" / "stacks.json").string()
                                                        : o.stacks_file;
  const auto stacks = fit::read_stacks(stacks_file);
  const std::string profiles = o.profiles_dir.empty() ? (models::default_models_dir() / "fitted").string()
                                                      : o.profiles_dir;
  fit::FitOptions fo;
  fo.max_iterations = static_cast<int>(o.iterations);
  fo.model_error = stacks.model_error;
  const auto evaluate =
      fit::sweep_evaluator({(fs::path(o.out_dir) / "simulations").string(), self_executable(), o.jobs, !o.json});
  nlohmann::json summary = nlohmann::json::array();
  std::string csv = "stack,device,id,family,model,cards,batch,weights,measured_s,roofline_s,prior_s,fitted_s,cv_s,"
                    "fitted_error,cv_error,source\n";
  TextTable table({"stack", "device", "rows", "families", "roofline", "at priors", "fitted", "cross-validated",
                   "worst (CV)"},
                  {false, false, true, true, true, true, true, true, true});
  std::string parameters_text;
  bool any = false;
  for (const auto& stack : stacks.stacks) {
    if (!o.stack.empty() && stack.name != o.stack) continue;
    const auto rows = fit::read_rows(stack.rows_file);
    for (const auto& device : stack.devices) {
      if (!o.device.empty() && device != o.device) continue;
      std::vector<const fit::CalibrationRow*> mine;
      for (const auto& r : rows)
        if (r.scenario.value("device", "") == device) mine.push_back(&r);
      if (mine.empty()) continue;
      any = true;
      if (!o.json) std::fprintf(stderr, "fitting %s on %s: %zu rows\n", stack.name.c_str(), device.c_str(), mine.size());
      const auto params = resolve_priors(stack, device, stacks_file);
      auto g = fit::fit_group(stack.name, device, mine, params, fo, evaluate);
      for (auto& r : g.rows)
        if (r.prior_s) r.roofline_s = fit::roofline_seconds(r.row->scenario);
      std::error_code ec;
      const auto rel = fs::relative(stack.rows_file, root, ec);
      const std::string rows_name = ec || rel.empty() ? stack.rows_file : rel.string();
      const auto profile = fit::to_json(g, rows_name);
      write_atomically(fs::path(profiles) / (stack.name + "-" + device + ".json"), profile.dump(1) + "\n");
      summary.push_back(profile);
      const auto cell = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string(); };
      for (const auto& r : g.rows) {
        const auto err = [&](const std::optional<double>& v) {
          return v ? fmt::format("{:.4f}", *v / r.row->measured_s - 1) : std::string();
        };
        const auto& s = r.row->scenario;
        csv += fmt::format("{},{},{},{},{},{},{},{},{:.6g},{},{},{},{},{},{},\"{}\"\n", stack.name, device, r.row->id,
                           r.row->family, r.row->model, s.value("cards", 1), s.value("batch", 1),
                           s.value("weights", "auto"), r.row->measured_s, cell(r.roofline_s), cell(r.prior_s),
                           cell(r.fitted_s),
                           cell(r.cv_s), err(r.fitted_s), err(r.cv_s), r.row->source);
      }
      const auto pr = fit::error_stats(g.rows, fit::Which::prior), ft = fit::error_stats(g.rows, fit::Which::fitted),
                 cv = fit::error_stats(g.rows, fit::Which::cv), rf = fit::error_stats(g.rows, fit::Which::roofline);
      table.add_row({stack.name, device, std::to_string(ft.rows), families_text(g), pct(rf.mean_abs), pct(pr.mean_abs),
                     pct(ft.mean_abs), pct(cv.mean_abs), pct(cv.worst_abs)});
      for (std::size_t i = 0; i < g.parameters.size(); ++i)
        parameters_text += fmt::format("  {} {}: {} = {:.4g} (prior {:.4g}, bounds [{:g}, {:g}]){}\n", stack.name,
                                       device, g.parameters[i].key, g.values[i], g.parameters[i].prior,
                                       g.parameters[i].min, g.parameters[i].max,
                                       !g.fitted[i] ? " held at its prior" : g.at_bound[i] ? " AT A BOUND" : "");
    }
  }
  if (!any)
    throw InputError(stacks_file, "", fmt::format("no rows for stack '{}' and device '{}'", o.stack, o.device));
  write_atomically(fs::path(o.out_dir) / "residuals.csv", csv);
  write_atomically(fs::path(o.out_dir) / "summary.json", summary.dump(1) + "\n");
  if (o.json) {
    print_json({{"profiles_dir", profiles}, {"out_dir", o.out_dir}, {"groups", summary}});
    return;
  }
  std::cout << "mean |predicted / measured - 1| per device and stack (cross-validated: leave one model family out)\n\n"
            << table.render() << "\nparameters:\n"
            << parameters_text
            << fmt::format("\nprofiles: {}/STACK-DEVICE.json; residuals: {}/residuals.csv\n", profiles, o.out_dir);
}

}  // namespace hpusim::cli
