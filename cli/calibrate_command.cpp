// SPDX-License-Identifier: Apache-2.0
// hpusim calibrate --device NAME [--file models/calibration/NAME.json] [--json]
// The device model against its component measurements: measured, predicted, error; and the efficiencies that a
// fit to those measurements gives (to copy into the model file with the calibration file as their source).
// hpusim calibrate --fit [--stack S] [--device D] [--out DIR] [--profiles DIR] [--jobs N]: the end-to-end fit
// (calibrate_fit.h).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/calibrate_fit.h"
#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "models/model_loader.h"
#include "sim/device/calibration.h"
#include "sim/device/collectives.h"
#include "traces/trace_report.h"

namespace hpusim::cli {

void add_calibrate_command(CLI::App& app) {
  struct Options {
    std::string device, file;
    bool json = false, fit = false;
    CalibrateFitOptions f;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Compare a device model with its component measurements and fit efficiencies; with --fit, fit each stack's "
      "parameters on the measured generations of other models and cross-validate them");
  cmd->add_option("--device", o->device, "A model name (see `hpusim models list`); with --fit: only this device");
  cmd->add_option("--file", o->file, "Calibration data (default: models/calibration/DEVICE.json)");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->add_flag("--fit", o->fit, "Fit the stacks' parameters on the measured generation rows (calibration/)");
  cmd->add_option("--stacks", o->f.stacks_file, "--fit: the stacks file (default calibration/fit/stacks.json)");
  cmd->add_option("--stack", o->f.stack, "--fit: only this stack");
  cmd->add_option("--out", o->f.out_dir, "--fit: residuals, summary and the simulation cache")->capture_default_str();
  cmd->add_option("--profiles", o->f.profiles_dir, "--fit: where the fitted profiles go (default models/fitted)");
  cmd->add_option("--jobs", o->f.jobs, "--fit: simulations at once")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--iterations", o->f.iterations, "--fit: Gauss-Newton iterations (0: the priors only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  cmd->callback([o] {
    if (o->fit) {
      o->f.device = o->device;
      o->f.json = o->json;
      run_calibration_fit(o->f);
      return;
    }
    if (o->device.empty()) throw InputError("--device", "", "is required (or --fit)");
    const auto device = models::load_model(o->device);
    std::string file = o->file;
    if (file.empty()) {  // the shipped data, named relative to the current folder when it is inside it
      const auto p = models::default_models_dir() / "calibration" / (device.name + ".json");
      std::error_code ec;
      const auto rel = std::filesystem::relative(p, ec);
      file = (ec || rel.empty() || rel.native().rfind("..", 0) == 0) ? p.string() : rel.string();
    }
    const auto data = sim::read_calibration(file);
    const auto fit = sim::fit_efficiencies(sim::at_peak(device), data);
    nlohmann::json rows = nlohmann::json::array();
    TextTable t({"measurement", "measured", "model", "error", "source"}, {false, true, true, true, false});
    for (const auto& m : data.measurements) {
      const double p = sim::predict(device, m);
      const std::string what =
          m.kind == "gemm"   ? fmt::format("gemm {}x{}x{} {}", m.shape.m, m.shape.n, m.shape.k, kernels::name(m.dtype))
          : m.kind == "copy" ? fmt::format("copy {:.3g} GB", static_cast<double>(m.bytes) / 1e9)
                             : fmt::format("all_reduce {} x {}", m.cards, traces::format_bytes(static_cast<double>(m.bytes)));
      // NCCL's fabrics: the protocol its model picks for this size (LL, LL128, Simple).
      const std::string protocol =
          m.kind == "all_reduce"
              ? sim::all_reduce_time(device.fabric, m.bytes, m.cards, sim::default_algorithm(device.fabric)).protocol
              : "";
      const double err = (p - m.measured) / m.measured;
      rows.push_back({{"measurement", what},
                      {"unit", m.unit},
                      {"measured", m.measured},
                      {"model", p},
                      {"error", err},
                      {"source", m.source}});
      if (!protocol.empty()) rows.back()["protocol"] = protocol;
      t.add_row({protocol.empty() ? what : what + " " + protocol, fmt::format("{:.1f} {}", m.measured, m.unit),
                 fmt::format("{:.1f}", p), fmt::format("{:+.1f}%", 100 * err), m.source.substr(0, 60)});
    }
    const char* matrix_key = device.mme ? "mme.efficiency" : "sm.tensor_efficiency";
    nlohmann::json fitted = {{matrix_key, fit.matrix}, {"hbm.efficiency", fit.hbm}};
    std::string fitted_text = fmt::format("{} = {:.4f}, hbm.efficiency = {:.4f}", matrix_key, fit.matrix, fit.hbm);
    if (fit.fabric_latency_us) {
      fitted["fabric.latency_us"] = *fit.fabric_latency_us;
      fitted["fabric.efficiency"] = *fit.fabric_efficiency;
      fitted_text += fmt::format(", fabric.latency_us = {:.3f}, fabric.efficiency = {:.4f}", *fit.fabric_latency_us,
                                 *fit.fabric_efficiency);
    }
    if (o->json) {
      print_json({{"device", device.name}, {"file", file}, {"rows", rows}, {"fitted", fitted}});
      return;
    }
    std::cout << fmt::format("{} against {}\n\n{}\nfitted: {}\n", device.name, file, t.render(), fitted_text);
  });
}

}  // namespace hpusim::cli
