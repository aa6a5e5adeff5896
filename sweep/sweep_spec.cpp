// SPDX-License-Identifier: Apache-2.0
#include "sweep/sweep_spec.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"

namespace hpusim::sweep {
namespace {

constexpr int64_t kMaxPoints = 1'000'000;

using Lists = std::vector<std::pair<std::string, std::vector<nlohmann::json>>>;

Lists read_lists(const nlohmann::json& j, const std::string& path, const std::string& section) {
  Lists out;
  if (!j.is_object()) throw InputError(path, "/" + section, "expected an object of key -> list of values");
  for (const auto& [key, values] : j.items()) {
    const std::string where = "/" + section + "/" + key;
    if (!values.is_array() || values.empty()) throw InputError(path, where, "expected a non-empty list of values");
    if (key.find('=') != std::string::npos || key.empty()) throw InputError(path, where, "expected a key name");
    std::vector<nlohmann::json> v;
    for (const auto& x : values) {
      if (x.is_object() || x.is_array() || x.is_null())
        throw InputError(path, where, fmt::format("expected numbers, strings or booleans, got {}", x.dump()));
      v.push_back(x);
    }
    out.emplace_back(key, std::move(v));
  }
  return out;
}

}  // namespace

std::string set_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

SweepSpec read_sweep(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw InputError(path, "", "a sweep is one JSON object with base, grid and/or zip");
  static const std::vector<std::string> known{"base", "grid", "zip", "description"};
  for (const auto& [key, value] : j.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const auto near = nearest(key, known);
      throw InputError(path, "/" + key,
                       fmt::format("unknown key{}; allowed: {}", near ? fmt::format(" (did you mean '{}'?)", *near) : "",
                                   join(known)));
    }
  SweepSpec s;
  s.path = path;
  if (!j.contains("base")) throw InputError(path, "/base", "expected a scenario file or an inline scenario object");
  if (j["base"].is_string()) {
    std::filesystem::path base = j["base"].get<std::string>();
    if (base.is_relative() && !std::filesystem::exists(base))  // relative to the sweep file, else to the cwd
      base = std::filesystem::path(path).parent_path() / base;
    if (!std::filesystem::exists(base)) throw InputError(path, "/base", fmt::format("no such file: {}", base.string()));
    s.base_file = base.string();
  } else if (j["base"].is_object()) {
    s.base_inline = j["base"];
  } else {
    throw InputError(path, "/base", "expected a scenario file or an inline scenario object");
  }
  const Lists zip = j.contains("zip") ? read_lists(j["zip"], path, "zip") : Lists{};
  const Lists grid = j.contains("grid") ? read_lists(j["grid"], path, "grid") : Lists{};
  std::size_t zip_len = zip.empty() ? 1 : zip.front().second.size();
  for (const auto& [key, values] : zip)
    if (values.size() != zip_len)
      throw InputError(path, "/zip/" + key,
                       fmt::format("has {} values; every zipped list must have {} (the first one's)", values.size(),
                                   zip_len));
  for (const auto& [key, values] : grid)
    for (const auto& [zkey, zvalues] : zip)
      if (key == zkey) throw InputError(path, "/grid/" + key, "is also zipped; a key is swept one way only");
  int64_t total = static_cast<int64_t>(zip_len);
  for (const auto& [key, values] : grid) {
    total *= static_cast<int64_t>(values.size());
    if (total > kMaxPoints) throw InputError(path, "/grid", fmt::format("more than {} points", kMaxPoints));
  }
  for (const auto& [key, values] : zip) s.keys.push_back(key);
  for (const auto& [key, values] : grid) s.keys.push_back(key);
  for (int64_t id = 0; id < total; ++id) {
    Point p;
    p.id = id;
    int64_t rest = id;
    std::vector<std::size_t> index(grid.size());
    for (std::size_t g = grid.size(); g-- > 0;) {  // the last grid key varies fastest
      index[g] = static_cast<std::size_t>(rest % static_cast<int64_t>(grid[g].second.size()));
      rest /= static_cast<int64_t>(grid[g].second.size());
    }
    const auto z = static_cast<std::size_t>(rest);
    for (const auto& [key, values] : zip) {
      p.assignments.push_back(key + "=" + set_text(values[z]));
      p.values.push_back(set_text(values[z]));
    }
    for (std::size_t g = 0; g < grid.size(); ++g) {
      p.assignments.push_back(grid[g].first + "=" + set_text(grid[g].second[index[g]]));
      p.values.push_back(set_text(grid[g].second[index[g]]));
    }
    s.points.push_back(std::move(p));
  }
  nlohmann::json canon = j;
  canon.erase("description");
  if (!s.base_file.empty()) canon["base_content"] = read_json_file(s.base_file);  // an edited base is another sweep
  s.canonical = canon.dump();
  return s;
}

}  // namespace hpusim::sweep
