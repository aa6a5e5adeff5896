// SPDX-License-Identifier: Apache-2.0
// hpusim kernel NAME --in name=FILE.npy ... --out [name=]FILE.npy ... [--dtype D] [--param k=v ...] [--json]
// hpusim kernel --list
// hpusim validate [--kernel NAME] [--dtype D] [--json]
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "kernels/npy.h"
#include "kernels/registry.h"
#include "kernels/validation.h"
#include "traces/output_path.h"

namespace hpusim::cli {
namespace {

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& flag) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(flag + " " + text, "", "expected name=value (e.g. " + flag + " a=a.npy)");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

kernels::DType parse_dtype(const std::string& text) {
  const auto t = kernels::dtype_from_name(text);
  std::vector<std::string> allowed;
  for (auto d : kernels::compute_dtypes()) allowed.emplace_back(kernels::name(d));
  if (!t || !kernels::is_float(*t))
    throw InputError("--dtype", "", fmt::format("unknown format '{}' (allowed: {})", text, fmt::join(allowed, ", ")));
  return *t;
}

nlohmann::json cost_json(const kernels::KernelCost& c) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : c.parts)
    parts.push_back({{"engine", kernels::name(p.engine)},
                     {"flops", p.flops},
                     {"bytes_read", p.bytes_read},
                     {"bytes_written", p.bytes_written},
                     {"transcendentals", p.transcendentals}});
  return {{"flops", c.flops()},
          {"bytes_read", c.bytes_read()},
          {"bytes_written", c.bytes_written()},
          {"engine", kernels::name(c.main_engine())},
          {"parts", parts}};
}

void add_kernel(CLI::App& app) {
  struct Options {
    std::string name, dtype = "fp32";
    std::vector<std::string> inputs, outputs, params;
    bool json = false, list = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("kernel", "Run one numeric kernel on .npy files in a hardware number format");
  cmd->add_option("name", o->name, "Kernel name (see --list)");
  cmd->add_option("--in", o->inputs, "Input: name=FILE.npy (float32/float64/float16/int8/int32/int64, C order)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--out", o->outputs, "Output: FILE.npy for the main output, or name=FILE.npy (always float32)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--dtype", o->dtype,
                  "fp32|bf16|fp16|fp8e4m3|fp8e4m3fnuz|fp8e5m2: inputs are rounded to it and the "
                  "kernel computes as the hardware does");
  cmd->add_option("--param", o->params, "Kernel parameter k=v (see --list)")->take_all()->allow_extra_args(false);
  cmd->add_flag("--list", o->list, "List the kernels with their inputs, parameters and outputs");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout: output shapes and the kernel's cost");
  cmd->callback([o] {
    if (o->list) {
      TextTable t({"kernel", "inputs", "parameters (default)", "outputs", "what"});
      for (const auto& k : kernels::kernel_registry()) {
        std::vector<std::string> ins(k.inputs.begin(), k.inputs.end()), ps;
        for (const auto& x : k.optional_inputs) ins.push_back("[" + x + "]");
        for (const auto& p : k.params)
          ps.push_back(p.name + "=" + (p.default_value.empty() ? "auto" : p.default_value));
        t.add_row({k.name, fmt::format("{}", fmt::join(ins, " ")), fmt::format("{}", fmt::join(ps, " ")),
                   fmt::format("{}", fmt::join(k.outputs, " ")), k.description});
      }
      std::cout << t.render();
      return;
    }
    if (o->name.empty()) throw InputError("kernel", "", "give a kernel name (see hpusim kernel --list)");
    const auto& def = kernels::find_kernel(o->name);
    kernels::KernelCall call;
    call.dtype = parse_dtype(o->dtype);
    std::vector<std::string> input_paths;
    for (const auto& text : o->inputs) {
      auto [name, path] = split_assignment(text, "--in");
      if (call.inputs.count(name)) throw InputError("--in " + text, "", "input '" + name + "' given twice");
      call.inputs.emplace(name, kernels::read_npy(path));
      input_paths.push_back(path);
    }
    for (const auto& text : o->params) {
      auto [k, v] = split_assignment(text, "--param");
      call.params[k] = v;
    }
    // Where each output goes: a bare FILE is the first output.
    std::map<std::string, std::string> out_paths;
    for (const auto& text : o->outputs) {
      const auto eq = text.find('=');
      const bool named = eq != std::string::npos && eq > 0 && text.find('/') > eq;
      const std::string name = named ? text.substr(0, eq) : def.outputs.front();
      const std::string path = named ? text.substr(eq + 1) : text;
      if (std::find(def.outputs.begin(), def.outputs.end(), name) == def.outputs.end())
        throw InputError(
            "--out " + text, "",
            fmt::format("{} has no output '{}' (outputs: {})", def.name, name, fmt::join(def.outputs, ", ")));
      traces::check_output_path(path, input_paths);
      out_paths[name] = path;
    }
    if (out_paths.empty() && !o->json)
      throw InputError("--out", "",
                       fmt::format("give --out FILE.npy (outputs of {}: {})", def.name, fmt::join(def.outputs, ", ")));
    const auto cost = kernels::kernel_cost(def, call);
    const auto outputs = kernels::run_kernel(def, call);
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& [name, t] : outputs) shapes[name] = t.shape();
    for (const auto& [name, path] : out_paths) kernels::write_npy_float32(path, outputs.at(name));
    if (o->json) {
      print_json({{"kernel", def.name},
                  {"dtype", o->dtype},
                  {"outputs", shapes},
                  {"written", out_paths},
                  {"cost", cost_json(cost)}});
    } else {
      for (const auto& [name, path] : out_paths)
        std::cout << fmt::format("wrote {} ({} {})\n", path, name, kernels::shape_text(outputs.at(name).shape()));
      std::cout << fmt::format("cost: {:.4g} flop, {} bytes read, {} written, on the {} engines\n", cost.flops(),
                               cost.bytes_read(), cost.bytes_written(), kernels::name(cost.main_engine()));
    }
  });
}

void add_validate(CLI::App& app) {
  struct Options {
    std::string kernel, dtype;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("validate", "Every kernel x format against a float64 reference; exit 1 if any fails");
  cmd->add_option("--kernel", o->kernel, "Only this kernel");
  cmd->add_option("--dtype", o->dtype, "Only this format");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    std::optional<std::string> kernel;
    std::optional<kernels::DType> dtype;
    if (!o->kernel.empty()) kernel = o->kernel;
    if (!o->dtype.empty()) dtype = parse_dtype(o->dtype);
    const auto rows = kernels::validate(kernel, dtype);
    int failed = 0;
    for (const auto& r : rows) failed += r.pass ? 0 : 1;
    if (o->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : rows)
        j.push_back({{"kernel", r.kernel},
                     {"dtype", kernels::name(r.dtype)},
                     {"shape", r.shape},
                     {"rel_error", r.rel_error},
                     {"max_ulp", r.max_ulp},
                     {"tolerance", r.tolerance},
                     {"pass", r.pass},
                     {"basis", r.basis}});
      print_json({{"rows", j}, {"passed", static_cast<int>(rows.size()) - failed}, {"failed", failed}});
    } else {
      TextTable t({"kernel", "dtype", "case", "rel error", "max ulp", "tolerance", "result", "tolerance basis"},
                  {false, false, false, true, true, true, false, false});
      for (const auto& r : rows)
        t.add_row({r.kernel, std::string(kernels::name(r.dtype)), r.shape, fmt::format("{:.3e}", r.rel_error),
                   fmt::format("{:.2f}", r.max_ulp), fmt::format("{:.1e}", r.tolerance), r.pass ? "pass" : "FAIL",
                   r.basis});
      std::cout << t.render()
                << fmt::format("{} passed, {} failed\n", rows.size() - static_cast<std::size_t>(failed), failed);
    }
    if (failed) throw ValidationFailed();
  });
}

}  // namespace

void add_kernel_commands(CLI::App& app) {
  add_kernel(app);
  add_validate(app);
}

}  // namespace hpusim::cli
