// SPDX-License-Identifier: Apache-2.0
#include "models/runtime_profile.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"

namespace hpusim::models {
namespace {

struct Field {
  const char* name;
  double RuntimeProfile::*member;
  double max;
  double min = 0;
  bool min_exclusive = false;  // a share: 0 would make a kernel take forever
};

const std::vector<Field>& fields() {
  static const std::vector<Field> f{
      // Maxima keep a run's simulated time far inside SystemC's 64-bit picoseconds (about 100 days).
      {"eager_dispatch_us", &RuntimeProfile::eager_dispatch_us, 1e4},
      {"lazy_record_us", &RuntimeProfile::lazy_record_us, 1e4},
      {"graph_lookup_us_per_node", &RuntimeProfile::graph_lookup_us_per_node, 1e4},
      {"launch_us", &RuntimeProfile::launch_us, 1e4},
      {"compile_base_ms", &RuntimeProfile::compile_base_ms, 1e6},
      {"compile_per_node_ms", &RuntimeProfile::compile_per_node_ms, 1e3},
      {"eager_op_compile_ms", &RuntimeProfile::eager_op_compile_ms, 1e4},
      {"capture_per_node_us", &RuntimeProfile::capture_per_node_us, 1e5},
      {"replay_graph_us", &RuntimeProfile::replay_graph_us, 1e5},
      {"replay_per_node_us", &RuntimeProfile::replay_per_node_us, 1e4},
      {"guard_check_us", &RuntimeProfile::guard_check_us, 1e5},
      {"autotune_compile_factor", &RuntimeProfile::autotune_compile_factor, 100},
      {"kernel_gap_us", &RuntimeProfile::kernel_gap_us, 1e4},
      {"step_host_ops", &RuntimeProfile::step_host_ops, 1e4},
      {"library_call_us", &RuntimeProfile::library_call_us, 1e4},
      {"library_op_us", &RuntimeProfile::library_op_us, 1e4},
      {"indexed_copy_efficiency", &RuntimeProfile::indexed_copy_efficiency, 1, 0, true},
      {"dequant4_efficiency", &RuntimeProfile::dequant4_efficiency, 1, 0, true},
  };
  return f;
}

const Field* find(const std::string& key) {
  for (const auto& f : fields())
    if (key == f.name) return &f;
  return nullptr;
}

[[noreturn]] void unknown(const std::string& where, const std::string& key) {
  const std::string bare = key.substr(key.find_last_of("./") + 1);  // "runtime.x", "/x", "/sources/x" -> "x"
  const auto near = nearest(bare, runtime_profile_keys());
  throw InputError(where, key,
                   near ? fmt::format("unknown key; did you mean '{}'?", *near)
                        : fmt::format("unknown key; known: name, description, sources, {}", join(runtime_profile_keys())));
}

void set(RuntimeProfile& p, const Field& f, double value, const std::string& where) {
  if (!(f.min_exclusive ? value > f.min : value >= f.min) || value > f.max)
    throw InputError(
        where, f.name,
        fmt::format("expected a number in {}{:g}, {:g}], got {:g}", f.min_exclusive ? "(" : "[", f.min, f.max, value));
  p.*(f.member) = value;
}

}  // namespace

const std::vector<std::string>& runtime_profile_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& f : fields()) k.emplace_back(f.name);
    return k;
  }();
  return keys;
}

std::string default_runtime_profile(const std::string& family) {
  return family == "gaudi" ? "habana-pytorch" : "cuda-pytorch";
}

RuntimeProfile load_runtime_profile(const std::string& name_or_path, const std::vector<std::string>& sets,
                                    const std::string& models_dir, const std::string& where) {
  const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
  const std::string path = is_path ? name_or_path : models_dir + "/runtime/" + name_or_path + ".json";
  if (!is_path && !std::filesystem::exists(path)) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(models_dir + "/runtime"))
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    throw InputError("runtime", name_or_path, fmt::format("no such runtime profile; known: {}", join(names)));
  }
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw InputError(path, "", "expected a JSON object");
  RuntimeProfile p;
  std::vector<bool> seen(fields().size(), false);
  for (const auto& [key, value] : j.items()) {
    if (key == "name" || key == "description") {
      if (!value.is_string()) throw InputError(path, "/" + key, "expected a string");
      (key == "name" ? p.name : p.description) = value.get<std::string>();
    } else if (key == "sources") {
      if (!value.is_object()) throw InputError(path, "/sources", "expected an object of field -> source");
      for (const auto& [field, text] : value.items()) {
        if (!find(field)) unknown(path, "/sources/" + field);
        if (!text.is_string()) throw InputError(path, "/sources/" + field, "expected a string");
        p.sources[field] = text.get<std::string>();
      }
    } else if (const Field* f = find(key)) {
      if (!value.is_number()) throw InputError(path, "/" + key, "expected a number");
      set(p, *f, value.get<double>(), path);
      seen[static_cast<std::size_t>(f - fields().data())] = true;
    } else {
      unknown(path, "/" + key);
    }
  }
  for (std::size_t i = 0; i < fields().size(); ++i) {
    if (!seen[i]) throw InputError(path, fmt::format("/{}", fields()[i].name), "missing");
    if (!p.sources.contains(fields()[i].name))
      throw InputError(path, fmt::format("/sources/{}", fields()[i].name), "every figure needs its source");
  }
  if (p.name.empty()) throw InputError(path, "/name", "missing");
  for (const auto& assignment : sets) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos) throw InputError(where, assignment, "expected runtime.KEY=VALUE");
    const std::string key = assignment.substr(0, eq);
    const Field* f = find(key);
    if (!f) unknown(where, "runtime." + key);
    double v = 0;
    try {
      std::size_t used = 0;
      v = std::stod(assignment.substr(eq + 1), &used);
      if (used != assignment.size() - eq - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw InputError(where, "runtime." + key, "expected a number");
    }
    set(p, *f, v, where);
    p.sources[key] = where;
  }
  return p;
}

nlohmann::json to_json(const RuntimeProfile& p) {
  nlohmann::json j{{"name", p.name}, {"description", p.description}};
  for (const auto& f : fields()) j[f.name] = p.*(f.member);
  return j;
}

}  // namespace hpusim::models
