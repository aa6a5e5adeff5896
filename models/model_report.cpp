// SPDX-License-Identifier: Apache-2.0
#include "models/model_report.h"

#include <fmt/format.h>

#include "common/text_table.h"
#include "models/field_table.h"

namespace hpusim::models {
namespace {

std::string show_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return fmt::format("{:g}", v.get<double>());
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : v.items()) out += fmt::format("{}{}={:g}", out.empty() ? "" : " ", k, x.get<double>());
    return out;
  }
  return v.dump();
}

}  // namespace

nlohmann::json derived_figures(const HardwareModel& m) {
  nlohmann::json d;
  nlohmann::json peaks = nlohmann::json::object();
  for (const auto& dtype : rate_dtypes()) {
    const double p = m.peak_matrix_flops(dtype);
    if (p > 0) peaks[dtype] = p / 1e12;
  }
  d["matrix_peak_TFLOPS"] = peaks;
  d["vector_peak_fp32_TFLOPS"] = m.peak_vector_fp32_flops() / 1e12;
  if (m.tpc) d["vector_peak_bf16_TFLOPS"] = m.tpc->peak_flops(16) / 1e12;
  d["hbm_capacity_bytes"] = m.hbm.capacity_bytes();
  d["fabric_peer_bandwidth_GBps"] = m.fabric.peer_bandwidth_GBps();
  d["fabric_card_bandwidth_GBps"] = static_cast<double>(m.fabric.links_per_card) * m.fabric.link_bandwidth_GBps;
  // Machine balance: FLOP per HBM byte at which bf16 GEMMs stop being memory-bound.
  d["bf16_flop_per_hbm_byte"] = m.peak_matrix_flops("bf16") / (m.hbm.bandwidth_GBps * 1e9);
  return d;
}

std::string render_model_list(const std::vector<HardwareModel>& models) {
  TextTable t({"name", "family", "bf16 TFLOP/s", "HBM GiB", "HBM GB/s", "fabric", "description"},
              {false, false, true, true, true, false, false});
  for (const auto& m : models)
    t.add_row({m.name, m.family, fmt::format("{:.0f}", m.peak_matrix_flops("bf16") / 1e12),
               fmt::format("{:g}", m.hbm.capacity_GiB), fmt::format("{:g}", m.hbm.bandwidth_GBps),
               fmt::format("{} x{}", m.fabric.topology, m.fabric.cards_per_server), m.description});
  return t.render();
}

namespace {

// A table cell cut at a word boundary near `width` characters, so that one long meaning does not widen the table.
std::string clipped(const std::string& text, std::size_t width, bool& clipped_any) {
  if (text.size() <= width) return text;
  clipped_any = true;
  auto cut = text.rfind(' ', width);
  if (cut == std::string::npos || cut < width / 2) cut = width;
  return text.substr(0, cut) + " ...";
}

}  // namespace

std::string render_model_show(const HardwareModel& m, bool with_sources) {
  std::string out =
      fmt::format("{}: {}\nfamily: {}\nfiles: {}\n", m.name, m.description, m.family, fmt::join(m.files, " <- "));
  if (!m.sets.empty()) out += fmt::format("overrides: --set {}\n", fmt::join(m.sets, " --set "));
  out += "\n";
  TextTable t({"key", "value", "unit", with_sources ? "source" : "meaning"}, {false, true, false, false});
  bool shortened = false;
  for (const auto& section : sections()) {
    if (!m.resolved.contains(section.name)) continue;
    for (const auto& field : section.fields) {
      const std::string path = section.name + "." + field.key;
      const auto it = m.sources.find(path);
      const std::string note = with_sources ? (it == m.sources.end() ? "(no source)" : it->second) : field.meaning;
      t.add_row({path, show_value(m.resolved[section.name][field.key]), field.unit, clipped(note, 100, shortened)});
    }
  }
  out += t.render();
  if (shortened)
    out += with_sources ? "(sources shortened to 100 characters: --json gives them in full)\n"
                        : "(meanings shortened to 100 characters: `hpusim models keys` gives them in full)\n";
  out += "\nderived\n";
  TextTable d({"figure", "value", "unit"}, {false, true, false});
  for (const auto& dtype : rate_dtypes()) {
    const double p = m.peak_matrix_flops(dtype);
    if (p > 0) d.add_row({"matrix peak " + dtype, fmt::format("{:.1f}", p / 1e12), "TFLOP/s"});
  }
  if (m.tpc) d.add_row({"vector peak bf16", fmt::format("{:.1f}", m.tpc->peak_flops(16) / 1e12), "TFLOP/s"});
  d.add_row({"vector peak fp32", fmt::format("{:.1f}", m.peak_vector_fp32_flops() / 1e12), "TFLOP/s"});
  d.add_row({"fabric per peer, one way", fmt::format("{:g}", m.fabric.peer_bandwidth_GBps()), "GB/s"});
  d.add_row({"bf16 machine balance", fmt::format("{:.0f}", m.peak_matrix_flops("bf16") / (m.hbm.bandwidth_GBps * 1e9)),
             "FLOP/byte"});
  out += d.render();
  if (!m.not_modelled.empty()) {
    out += "\nnot modelled:\n";
    for (const auto& s : m.not_modelled) out += "  - " + s + "\n";
  }
  return out;
}

nlohmann::json model_json(const HardwareModel& m) {
  nlohmann::json j = m.resolved;
  j["derived"] = derived_figures(m);
  j["files"] = m.files;
  j["sets"] = m.sets;
  return j;
}

namespace {
std::string kind_name(const FieldDef& f) {
  switch (f.kind) {
    case FieldKind::Integer:
      return "integer";
    case FieldKind::Number:
      return "number";
    case FieldKind::Text:
      return "string";
    case FieldKind::Choice:
      return "choice";
    case FieldKind::Rates:
      return "dtype table";
  }
  return "";
}
std::string allowed(const FieldDef& f) {
  std::string a = describe_range(f);
  if (!f.required)
    a += f.kind == FieldKind::Choice ? fmt::format(" (default {})", f.default_choice)
                                     : fmt::format(" (default {:g})", f.default_value);
  return a;
}
}  // namespace

nlohmann::json model_keys_json() {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : sections())
    for (const auto& f : s.fields) {
      nlohmann::json k = {{"type", kind_name(f)},   {"unit", f.unit},         {"meaning", f.meaning},
                          {"required", f.required}, {"families", s.families}, {"allowed", allowed(f)}};
      if (f.kind == FieldKind::Integer || f.kind == FieldKind::Number) {
        k["min"] = f.min;
        k["max"] = f.max;
      }
      if (!f.choices.empty()) k["choices"] = f.choices;
      if (!f.required && f.kind == FieldKind::Choice)
        k["default"] = f.default_choice;
      else if (!f.required)
        k["default"] = f.default_value;
      out[s.name + "." + f.key] = k;
    }
  return {{"keys", out}};
}

std::string render_model_keys(bool markdown) {
  std::string out;
  if (markdown) {
    out += "# Hardware model files: every key\n\n";
    out +=
        "Generated by `hpusim models keys --markdown` from `models/field_table.cpp`; a test keeps this file equal to\n"
        "that output. Top-level keys: `name`, `description`, `family` (";
    out += fmt::format("{}", fmt::join(families(), " | "));
    out +=
        "), `base` (override files: a preset name or a path), `not_modelled` (list of strings), `sources`\n"
        "(`{\"section.key\": \"where the figure comes from\"}`). Units are in the key names; 1 GB = 1e9 bytes, "
        "1 GiB = 2^30 bytes.\n";
    for (const auto& s : sections()) {
      out += fmt::format("\n## `{}`: {}\n\nFamilies: {}.\n\n", s.name, s.meaning, fmt::join(s.families, ", "));
      out += "| key | type | unit | allowed | meaning |\n| --- | --- | --- | --- | --- |\n";
      for (const auto& f : s.fields)
        out += fmt::format("| `{}` | {} | {} | {} | {} |\n", f.key, kind_name(f), f.unit, allowed(f), f.meaning);
    }
    return out;
  }
  TextTable t({"key", "type", "allowed", "meaning"});
  for (const auto& s : sections())
    for (const auto& f : s.fields) t.add_row({s.name + "." + f.key, kind_name(f), allowed(f), f.meaning});
  return t.render();
}

}  // namespace hpusim::models
