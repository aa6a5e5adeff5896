// SPDX-License-Identifier: Apache-2.0
#include "fit/fit_inputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/input_error.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::fit {
namespace {

nlohmann::json read_json(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "", "cannot be read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, "", fmt::format("is not valid JSON: {}", e.what()));
  }
}

void only_keys(const std::string& file, const std::string& at, const nlohmann::json& j,
               const std::set<std::string>& allowed) {
  if (!j.is_object()) throw InputError(file, at, "must be an object");
  for (const auto& [k, v] : j.items())
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw InputError(file, at + "/" + k, fmt::format("unknown key (allowed: {})", list));
    }
}

const nlohmann::json& need(const std::string& file, const std::string& at, const nlohmann::json& j,
                           const char* key) {
  if (!j.contains(key)) throw InputError(file, at + "/" + key, "is missing");
  return j[key];
}

std::string text(const std::string& file, const std::string& at, const nlohmann::json& j, const char* key) {
  const auto& v = need(file, at, j, key);
  if (!v.is_string() || v.get<std::string>().empty()) throw InputError(file, at + "/" + key, "must be a non-empty string");
  return v.get<std::string>();
}

double number(const std::string& file, const std::string& at, const nlohmann::json& j, const char* key, double lo,
              double hi) {
  const auto& v = need(file, at, j, key);
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi)
    throw InputError(file, at + "/" + key, fmt::format("must be a number in [{:g}, {:g}]", lo, hi));
  return v.get<double>();
}

std::string source_line(const nlohmann::json& s) {
  if (!s.is_object()) return s.is_string() ? s.get<std::string>() : "";
  if (s.contains("url")) return s["url"].get<std::string>();
  std::string out = s.value("repo", "");
  if (s.contains("path")) out += "/" + s["path"].get<std::string>();
  if (s.contains("commit")) out += "@" + s["commit"].get<std::string>().substr(0, 12);
  return out;
}

}  // namespace

const char* name(Scales s) {
  switch (s) {
    case Scales::host: return "host";
    case Scales::hbm: return "hbm";
    case Scales::matrix: return "matrix";
    case Scales::vector: return "vector";
    case Scales::fabric: return "fabric";
  }
  return "?";
}

std::vector<CalibrationRow> read_rows(const std::string& file) {
  const auto j = read_json(file);
  if (!j.is_object() || !j.contains("rows") || !j["rows"].is_array() || j["rows"].empty())
    throw InputError(file, "/rows", "must be a non-empty array of measured rows");
  std::vector<CalibrationRow> rows;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < j["rows"].size(); ++i) {
    const auto& r = j["rows"][i];
    const std::string at = fmt::format("/rows/{}", i);
    if (!r.is_object()) throw InputError(file, at, "must be an object");
    CalibrationRow row;
    row.id = text(file, at, r, "id");
    if (!ids.insert(row.id).second) throw InputError(file, at + "/id", "repeats the id " + row.id);
    row.scenario = need(file, at, r, "scenario");
    if (!row.scenario.is_object()) throw InputError(file, at + "/scenario", "must be an object of scenario keys");
    row.model = text(file, at + "/scenario", row.scenario, "model");
    (void)text(file, at + "/scenario", row.scenario, "device");
    try {
      row.family = workloads::model_config(row.model).family;
    } catch (const InputError& e) {
      throw InputError(file, at + "/scenario/model", e.what());
    }
    row.measured_s = number(file, at, r, "measured_s", 1e-6, 1e7);
    if (r.contains("source")) row.source = source_line(r["source"]);
    rows.push_back(std::move(row));
  }
  return rows;
}

StacksFile read_stacks(const std::string& file) {
  const auto j = read_json(file);
  only_keys(file, "", j, {"about", "model_error", "stacks"});
  StacksFile out;
  out.path = file;
  if (j.contains("model_error")) out.model_error = number(file, "", j, "model_error", 0.01, 1);
  const auto& stacks = need(file, "", j, "stacks");
  if (!stacks.is_object() || stacks.empty()) throw InputError(file, "/stacks", "must be a non-empty object");
  const auto dir = std::filesystem::path(file).parent_path();
  for (const auto& [stack_name, s] : stacks.items()) {
    const std::string at = "/stacks/" + stack_name;
    only_keys(file, at, s, {"description", "rows", "devices", "parameters"});
    StackSpec spec;
    spec.name = stack_name;
    spec.description = s.value("description", "");
    spec.rows_file = (dir / text(file, at, s, "rows")).lexically_normal().string();
    const auto& devices = need(file, at, s, "devices");
    if (!devices.is_array() || devices.empty()) throw InputError(file, at + "/devices", "must be a non-empty array");
    for (const auto& d : devices) {
      if (!d.is_string()) throw InputError(file, at + "/devices", "must list device names");
      spec.devices.push_back(d.get<std::string>());
    }
    const auto& params = need(file, at, s, "parameters");
    if (!params.is_array() || params.empty() || params.size() > 8)
      throw InputError(file, at + "/parameters", "must be an array of 1 to 8 parameters");
    std::set<std::string> keys;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      const std::string pat = fmt::format("{}/parameters/{}", at, i);
      only_keys(file, pat, p,
                {"key", "min", "max", "prior", "prior_factor", "scales", "meaning", "source", "devices", "weights"});
      FitParameter f;
      f.key = text(file, pat, p, "key");
      if (f.key.find('.') == std::string::npos)
        throw InputError(file, pat + "/key", "must be a --set key: section.key or runtime.key");
      if (!keys.insert(f.key).second) throw InputError(file, pat + "/key", "repeats " + f.key);
      f.min = number(file, pat, p, "min", 1e-9, 1e9);
      f.max = number(file, pat, p, "max", f.min, 1e9);
      const auto& prior = need(file, pat, p, "prior");
      if (prior.is_string() && prior.get<std::string>() == "model") {
        f.prior = 0;
      } else {
        f.prior = number(file, pat, p, "prior", f.min, f.max);
      }
      if (p.contains("prior_factor")) f.prior_factor = number(file, pat, p, "prior_factor", 1.01, 100);
      const std::string sc = text(file, pat, p, "scales");
      const std::vector<std::pair<std::string, Scales>> all{{"host", Scales::host}, {"hbm", Scales::hbm},
                                                            {"matrix", Scales::matrix}, {"vector", Scales::vector},
                                                            {"fabric", Scales::fabric}};
      bool found = false;
      for (const auto& [n, v] : all)
        if (n == sc) {
          f.scales = v;
          found = true;
        }
      if (!found) throw InputError(file, pat + "/scales", "must be one of host, hbm, matrix, vector, fabric");
      f.meaning = text(file, pat, p, "meaning");
      f.source = text(file, pat, p, "source");
      if (p.contains("devices")) {
        const auto& d = p["devices"];
        if (!d.is_array() || d.empty())
          throw InputError(file, pat + "/devices", "must be a non-empty array of the stack's devices");
        for (const auto& name : d) {
          if (!name.is_string() ||
              std::find(spec.devices.begin(), spec.devices.end(), name.get<std::string>()) == spec.devices.end())
            throw InputError(file, pat + "/devices",
                             fmt::format("{} is not one of the stack's devices ({})", name.dump(),
                                         fmt::join(spec.devices, ", ")));
          f.devices.push_back(name.get<std::string>());
        }
      }
      if (p.contains("weights")) {
        const auto& w = p["weights"];
        if (!w.is_array() || w.empty())
          throw InputError(file, pat + "/weights", "must be a non-empty array of weight formats");
        for (const auto& name : w) {
          if (!name.is_string() || !workloads::weight_format_from_name(name.get<std::string>()))
            throw InputError(file, pat + "/weights",
                             fmt::format("{} is not a weight format (bf16, fp16, fp32, int8, nf4, fp4, fp8)",
                                         name.dump()));
          f.weights.push_back(name.get<std::string>());
        }
      }
      spec.parameters.push_back(std::move(f));
    }
    out.stacks.push_back(std::move(spec));
  }
  return out;
}

bool FitParameter::fitted_on(const std::string& device) const {
  return devices.empty() || std::find(devices.begin(), devices.end(), device) != devices.end();
}

}  // namespace hpusim::fit
