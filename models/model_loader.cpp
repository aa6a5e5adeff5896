// SPDX-License-Identifier: Apache-2.0
// Two layers (shared/STYLE.md, take 2): raw JSON documents are checked key by key against models/field_table.h,
// merged (base <- override <- --set), completed with defaults, checked across fields, and only then turned into the
// typed HardwareModel.
#include "models/model_loader.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"
#include "hpusim/version.h"
#include "models/field_table.h"

namespace hpusim::models {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kMaxBaseDepth = 8;

std::string pointer(const std::string& section, const std::string& key = {}) {
  return key.empty() ? "/" + section : "/" + section + "/" + key;
}

std::string unknown_message(const std::string& what, const std::string& name, const std::vector<std::string>& known) {
  std::string msg = fmt::format("unknown {} '{}'", what, name);
  if (auto near = nearest(name, known)) msg += fmt::format("; did you mean '{}'?", *near);
  return msg + fmt::format(" (allowed: {})", join(known));
}

// A JSON value for an error message; user strings with invalid UTF-8 are replaced, not fatal.
std::string shown(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string type_name(const json& v) {
  if (v.is_number_integer()) return "integer";
  return v.type_name();
}

json read_json_file(const fs::path& path) { return hpusim::read_json_file(path.string()); }

void check_value(const FieldDef& f, const json& v, const std::string& where, const std::string& ptr) {
  auto range_error = [&](const std::string& shown) {
    return InputError(where, ptr, fmt::format("{} is out of range; allowed {}", shown, describe_range(f)));
  };
  switch (f.kind) {
    case FieldKind::Integer: {
      if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
        throw InputError(where, ptr,
                         fmt::format("expected an integer ({}), got {} {}", describe_range(f), type_name(v), shown(v)));
      const double x = v.get<double>();
      if (x < f.min || x > f.max) throw range_error(shown(v));
      return;
    }
    case FieldKind::Number: {
      if (!v.is_number())
        throw InputError(where, ptr,
                         fmt::format("expected a number ({}), got {} {}", describe_range(f), type_name(v), shown(v)));
      const double x = v.get<double>();
      if (!(x >= f.min && x <= f.max)) throw range_error(shown(v));
      return;
    }
    case FieldKind::Text:
      if (!v.is_string()) throw InputError(where, ptr, fmt::format("expected a string, got {}", type_name(v)));
      return;
    case FieldKind::Choice: {
      if (!v.is_string())
        throw InputError(where, ptr, fmt::format("expected {}, got {} {}", describe_range(f), type_name(v), shown(v)));
      const auto s = v.get<std::string>();
      if (std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end())
        throw InputError(where, ptr, unknown_message("value", s, f.choices));
      return;
    }
    case FieldKind::Rates: {
      if (!v.is_object())
        throw InputError(where, ptr, fmt::format("expected {}, got {}", describe_range(f), type_name(v)));
      for (const auto& [dtype, rate] : v.items()) {
        const std::string sub = ptr + "/" + dtype;
        if (std::find(f.choices.begin(), f.choices.end(), dtype) == f.choices.end())
          throw InputError(where, sub, unknown_message("dtype", dtype, f.choices));
        if (!rate.is_number())
          throw InputError(
              where, sub,
              fmt::format("expected a number ({} .. {} {}), got {}", f.min, f.max, f.unit, type_name(rate)));
        const double x = rate.get<double>();
        if (!(x >= f.min && x <= f.max))
          throw InputError(where, sub,
                           fmt::format("{} is out of range; allowed {} .. {} {}", shown(rate), f.min, f.max, f.unit));
      }
      return;
    }
  }
}

std::vector<std::string> section_names() {
  std::vector<std::string> names;
  for (const auto& s : sections()) names.push_back(s.name);
  return names;
}

std::vector<std::string> field_names(const SectionDef& s) {
  std::vector<std::string> names;
  for (const auto& f : s.fields) names.push_back(f.key);
  return names;
}

std::vector<std::string> all_field_paths() {
  std::vector<std::string> paths;
  for (const auto& s : sections())
    for (const auto& f : s.fields) paths.push_back(s.name + "." + f.key);
  return paths;
}

// Checks names, types and ranges of whatever keys a document has; completeness is checked after merging.
void check_document(const json& doc, const std::string& where) {
  if (!doc.is_object()) throw InputError(where, "", "a model file must hold one JSON object");
  std::vector<std::string> known = top_level_keys();
  const auto sections_known = section_names();
  known.insert(known.end(), sections_known.begin(), sections_known.end());
  for (const auto& [key, value] : doc.items()) {
    const std::string ptr = "/" + key;
    if (key == "name" || key == "description" || key == "base") {
      if (!value.is_string() || value.get<std::string>().empty())
        throw InputError(where, ptr, "expected a non-empty string");
    } else if (key == "family") {
      if (!value.is_string() ||
          std::find(families().begin(), families().end(), value.get<std::string>()) == families().end())
        throw InputError(where, ptr, fmt::format("expected one of [{}], got {}", join(families()), shown(value)));
    } else if (key == "not_modelled") {
      if (!value.is_array() || !std::all_of(value.begin(), value.end(), [](const json& x) { return x.is_string(); }))
        throw InputError(where, ptr, "expected an array of strings");
    } else if (key == "sources") {
      if (!value.is_object()) throw InputError(where, ptr, "expected an object {\"section.key\": \"source\"}");
      const auto paths = all_field_paths();
      for (const auto& [path, text] : value.items()) {
        if (std::find(paths.begin(), paths.end(), path) == paths.end())
          throw InputError(where, ptr + "/" + path, unknown_message("field", path, paths));
        if (!text.is_string()) throw InputError(where, ptr + "/" + path, "expected a string");
      }
    } else if (const SectionDef* section = find_section(key)) {
      if (!value.is_object()) throw InputError(where, ptr, fmt::format("expected an object ({})", section->meaning));
      for (const auto& [field_key, field_value] : value.items()) {
        const FieldDef* field = find_field(*section, field_key);
        if (!field)
          throw InputError(where, pointer(key, field_key), unknown_message("key", field_key, field_names(*section)));
        check_value(*field, field_value, where, pointer(key, field_key));
      }
    } else {
      throw InputError(where, ptr, unknown_message("key", key, known));
    }
  }
}

// Merges `over` into `base`: objects recursively, everything else replaced. Leaves that `over` sets without a
// source of its own get `source_note` as their source, so an overridden figure never keeps the datasheet's citation.
void merge_into(json& base, const json& over, const std::string& source_note) {
  for (const auto& [key, value] : over.items()) {
    if (key == "base") continue;
    if (key == "sources") {
      for (const auto& [path, text] : value.items()) base["sources"][path] = text;
      continue;
    }
    if (find_section(key)) {
      for (const auto& [field_key, field_value] : value.items()) {
        json& slot = base[key][field_key];
        if (field_value.is_object() && slot.is_object())
          slot.update(field_value);
        else
          slot = field_value;
        const std::string path = key + "." + field_key;
        if (!(over.contains("sources") && over["sources"].contains(path))) base["sources"][path] = source_note;
      }
      continue;
    }
    base[key] = value;
  }
}

// Presets are found by absolute path; name them relative to the current folder when they are inside it.
fs::path display_path(const fs::path& p) {
  std::error_code ec;
  const auto rel = fs::relative(p, ec);
  if (ec || rel.empty() || rel.native().rfind("..", 0) == 0) return p;
  return rel;
}

fs::path locate(const std::string& name_or_path, const fs::path& dir, const fs::path& relative_to) {
  const fs::path as_path(name_or_path);
  if (name_or_path.find('/') != std::string::npos || as_path.extension() == ".json") {
    fs::path p = as_path.is_relative() && !relative_to.empty() ? relative_to / as_path : as_path;
    if (!fs::exists(p) && as_path.is_relative() && fs::exists(as_path)) p = as_path;
    if (!fs::exists(p)) throw InputError(name_or_path, "", "no such model file");
    return p;
  }
  const fs::path p = display_path(dir / (name_or_path + ".json"));
  if (!fs::exists(p)) {
    const auto names = list_models(dir);
    throw InputError(name_or_path, "",
                     unknown_message("model", name_or_path, names) +
                         fmt::format(" in {}; or give a path to a .json file", dir.string()));
  }
  return p;
}

// Reads a file and, recursively, its bases; returns the merged document.
json load_merged(const std::string& name_or_path, const fs::path& dir, const fs::path& relative_to,
                 std::vector<std::string>& files) {
  const fs::path path = locate(name_or_path, dir, relative_to);
  for (const auto& seen : files) {
    std::error_code ec;
    if (fs::equivalent(seen, path, ec))
      throw InputError(
          files.back(), "/base",
          fmt::format("the base chain comes back to {} ({} -> {})", path.string(), join(files, " -> "), path.string()));
  }
  if (static_cast<int>(files.size()) >= kMaxBaseDepth)
    throw InputError(path.string(), "/base", fmt::format("base chain deeper than {} files", kMaxBaseDepth));
  const json doc = read_json_file(path);
  check_document(doc, path.string());
  files.push_back(path.string());
  if (!doc.contains("base")) return doc;
  json merged;
  const std::string base = doc["base"].get<std::string>();
  try {
    (void)locate(base, dir, path.parent_path());
  } catch (const InputError& e) {  // the base cannot be found: the error is in this file's /base
    throw InputError(path.string(), "/base", e.what());
  }
  merged = load_merged(base, dir, path.parent_path(), files);
  // A variant is its own model: it takes its name from its file unless it gives one.
  merged["name"] = path.stem().string();
  merged.erase("description");
  merge_into(merged, doc, "override in " + path.filename().string());
  return merged;
}

json parse_set(const std::string& assignment) {
  const std::string where = "--set " + assignment;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(where, "", "expected section.key=value, e.g. hbm.bandwidth_GBps=3200");
  std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  for (const char* prefix : {"models.", "model."})
    if (path.rfind(prefix, 0) == 0) path = path.substr(std::string(prefix).size());
  if (path == "base" || path == "sources")
    throw InputError(where, "/" + path, "cannot be set with --set; write an override file with \"base\": NAME");
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;
  const auto dot = path.find('.');
  json doc;
  if (dot == std::string::npos) {
    doc[path] = value;  // a top-level key such as name or description
  } else {
    const std::string section = path.substr(0, dot);
    std::string key = path.substr(dot + 1);
    const auto sub = key.find('.');
    if (sub != std::string::npos) {  // mme.dtype_rate.fp8=2
      doc[section][key.substr(0, sub)][key.substr(sub + 1)] = value;
    } else {
      doc[section][key] = value;
    }
  }
  check_document(doc, where);
  return doc;
}

// Fills defaults, checks the family's sections and required fields, and the figures that must agree.
void complete(json& doc, const std::string& where) {
  if (!doc.contains("name")) throw InputError(where, "/name", "missing (a short model name)");
  if (!doc.contains("family"))
    throw InputError(where, "/family", fmt::format("missing; allowed [{}]", join(families())));
  if (!doc.contains("description")) doc["description"] = "";
  if (!doc.contains("not_modelled")) doc["not_modelled"] = json::array();
  if (!doc.contains("sources")) doc["sources"] = json::object();
  const std::string family = doc["family"].get<std::string>();
  for (const auto& s : sections()) {
    const bool wanted = std::find(s.families.begin(), s.families.end(), family) != s.families.end();
    if (!wanted) {
      if (doc.contains(s.name))
        throw InputError(where, pointer(s.name),
                         fmt::format("section not used by family '{}' (it is for [{}])", family, join(s.families)));
      continue;
    }
    if (!doc.contains(s.name))
      throw InputError(where, pointer(s.name),
                       fmt::format("missing section ({}); required for family '{}'", s.meaning, family));
    json& sec = doc[s.name];
    for (const auto& f : s.fields) {
      if (sec.contains(f.key)) continue;
      if (f.required)
        throw InputError(where, pointer(s.name, f.key),
                         fmt::format("missing; required: {} ({})", f.meaning, describe_range(f)));
      if (f.kind == FieldKind::Integer)
        sec[f.key] = static_cast<int64_t>(f.default_value);
      else if (f.kind == FieldKind::Choice)
        sec[f.key] = f.default_choice;
      else
        sec[f.key] = f.default_value;
    }
  }
  if (family == "gaudi" && !doc["mme"]["dtype_rate"].contains("bf16"))
    throw InputError(where, "/mme/dtype_rate/bf16", "missing; the rates are relative to bf16, which must be 1");
  if (family == "gaudi" && doc["mme"]["rows"].get<int64_t>() % doc["mme"]["cores"].get<int64_t>() != 0)
    throw InputError(where, "/mme/cores",
                     fmt::format("must divide mme.rows = {} (each core has rows / cores rows)",
                                 doc["mme"]["rows"].get<int64_t>()));
  const json& fabric = doc["fabric"];
  const auto topology = fabric["topology"].get<std::string>();
  const auto per_peer = fabric["links_per_peer"].get<int64_t>();
  const auto cards = fabric["cards_per_server"].get<int64_t>();
  const auto links = fabric["links_per_card"].get<int64_t>();
  if (topology == "roce-mesh") {
    if (per_peer < 1) throw InputError(where, "/fabric/links_per_peer", "must be >= 1 for topology roce-mesh");
    if (per_peer * (cards - 1) > links)
      throw InputError(
          where, "/fabric/links_per_peer",
          fmt::format("{} links to each of {} peers exceed links_per_card = {}", per_peer, cards - 1, links));
  } else if (per_peer != 0) {
    throw InputError(where, "/fabric/links_per_peer", "must be 0 (or absent) for topology nvswitch");
  }
  // NCCL's protocol model is of its ring over NVLink; a RoCE mesh runs HCCL's steps.
  if (fabric["collectives"].get<std::string>() == "nccl" && topology != "nvswitch")
    throw InputError(where, "/fabric/collectives", "nccl needs topology nvswitch; allowed for roce-mesh: alpha-beta");
}

DtypeRates rates_of(const json& v) {
  DtypeRates r;
  for (const auto& [k, x] : v.items()) r[k] = x.get<double>();
  return r;
}

HardwareModel build(const json& doc) {
  HardwareModel m;
  m.name = doc["name"].get<std::string>();
  m.description = doc["description"].get<std::string>();
  m.family = doc["family"].get<std::string>();
  m.not_modelled = doc["not_modelled"].get<std::vector<std::string>>();
  auto i = [](const json& s, const char* k) { return s.at(k).get<int64_t>(); };
  auto d = [](const json& s, const char* k) { return s.at(k).get<double>(); };
  if (m.is_gaudi()) {
    const json& mme = doc["mme"];
    m.mme = MmeSpec{i(mme, "count"),
                    i(mme, "rows"),
                    i(mme, "cols"),
                    d(mme, "clock_MHz"),
                    rates_of(mme["dtype_rate"]),
                    i(mme, "pipeline_latency_cycles"),
                    i(mme, "reconfigurable") != 0,
                    d(mme, "efficiency"),
                    i(mme, "cores")};
    const json& tpc = doc["tpc"];
    m.tpc = TpcSpec{i(tpc, "count"),     i(tpc, "vector_bits"),      i(tpc, "vliw_slots"),
                    d(tpc, "clock_MHz"), i(tpc, "local_memory_KiB"), d(tpc, "transcendental_cycles")};
    m.dma = DmaSpec{i(doc["dma"], "engines"), d(doc["dma"], "bandwidth_GBps")};
    m.sram = SramSpec{d(doc["sram"], "capacity_MiB"), d(doc["sram"], "bandwidth_GBps")};
  } else {
    const json& sm = doc["sm"];
    m.sm = SmSpec{
        i(sm, "count"),      i(sm, "tensor_cores_per_sm"), d(sm, "clock_MHz"),   rates_of(sm["tensor_flops_per_clock"]),
        i(sm, "fp32_lanes"), i(sm, "shared_memory_KiB"),   i(sm, "max_threads"), d(sm, "tensor_efficiency")};
    m.l2 = L2Spec{d(doc["l2"], "capacity_MiB"), d(doc["l2"], "bandwidth_GBps")};
  }
  const json& hbm = doc["hbm"];
  m.hbm = HbmSpec{d(hbm, "capacity_GiB"), d(hbm, "bandwidth_GBps"), i(hbm, "stacks"), d(hbm, "latency_ns"),
                  d(hbm, "efficiency")};
  const json& f = doc["fabric"];
  m.fabric = FabricSpec{
      f["topology"].get<std::string>(),   i(f, "cards_per_server"), i(f, "links_per_card"), i(f, "links_per_peer"),
      d(f, "link_bandwidth_GBps"),        i(f, "scale_out_links"),  d(f, "latency_us"),     d(f, "efficiency"),
      f["collectives"].get<std::string>()};
  const json& h = doc["host_link"];
  m.host_link = HostLinkSpec{i(h, "pcie_generation"), i(h, "lanes"), d(h, "bandwidth_GBps"), d(h, "latency_us")};
  m.power = PowerSpec{d(doc["power"], "tdp_W")};
  for (const auto& [path, text] : doc["sources"].items()) m.sources[path] = text.get<std::string>();
  m.resolved = doc;
  return m;
}

}  // namespace

fs::path default_models_dir() {
  if (const char* env = std::getenv("HPUSIM_MODELS_DIR"); env && *env) return env;
  return hpusim::kModelsDir;
}

std::vector<std::string> list_models(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(dir.string(), "", "no such models folder (set HPUSIM_MODELS_DIR or --dir)");
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

HardwareModel load_model(const std::string& name_or_path, const std::vector<std::string>& sets, const fs::path& dir) {
  std::vector<std::string> files;
  json doc = load_merged(name_or_path, dir, {}, files);
  for (const auto& assignment : sets) merge_into(doc, parse_set(assignment), "--set " + assignment);
  // Cross-field problems may come from any layer: name the top file and the --set overrides applied to it.
  std::string where = files.front();
  if (!sets.empty()) where += fmt::format(" with --set {}", fmt::join(sets, " --set "));
  complete(doc, where);
  HardwareModel model = build(doc);
  model.files = files;
  model.sets = sets;
  return model;
}

}  // namespace hpusim::models
