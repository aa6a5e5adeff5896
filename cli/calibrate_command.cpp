// SPDX-License-Identifier: Apache-2.0
// hpusim calibrate --device NAME [--file models/calibration/NAME.json] [--json]
// The device model against its component measurements: measured, predicted, error; and the efficiencies that a
// fit to those measurements gives (to copy into the model file with the calibration file as their source).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/text_table.h"
#include "models/model_loader.h"
#include "sim/device/calibration.h"
#include "traces/trace_report.h"

namespace hpusim::cli {

void add_calibrate_command(CLI::App& app) {
  struct Options {
    std::string device, file;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("calibrate", "Compare a device model with its component measurements and fit efficiencies");
  cmd->add_option("--device", o->device, "A model name (see `hpusim models list`)")->required();
  cmd->add_option("--file", o->file, "Calibration data (default: models/calibration/DEVICE.json)");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
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
      const double err = (p - m.measured) / m.measured;
      rows.push_back({{"measurement", what},
                      {"unit", m.unit},
                      {"measured", m.measured},
                      {"model", p},
                      {"error", err},
                      {"source", m.source}});
      t.add_row({what, fmt::format("{:.1f} {}", m.measured, m.unit), fmt::format("{:.1f}", p),
                 fmt::format("{:+.1f}%", 100 * err), m.source.substr(0, 60)});
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
