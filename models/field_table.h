// SPDX-License-Identifier: Apache-2.0
// Every hardware-model parameter is declared once here: key (with its unit in the name), kind, unit, meaning,
// required or default, and allowed range. Parsing, error messages, `hpusim models show` and docs/MODEL_FILES.md all
// read this table, so a default or a range is written in exactly one place (shared/STYLE.md, take 3).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace hpusim::models {

enum class FieldKind {
  Integer,  // JSON integer
  Number,   // JSON number
  Text,     // JSON string
  Choice,   // JSON string from `choices`
  Rates,    // JSON object {dtype: number > 0}, keys from `choices`
};

struct FieldDef {
  std::string key;
  FieldKind kind;
  std::string unit;     // "" for plain counts/text
  std::string meaning;  // one line
  bool required = true;
  double default_value = 0;  // used when !required (numbers only)
  double min = 0;            // inclusive range for Integer/Number, and for every value of Rates
  double max = 0;
  std::vector<std::string> choices;  // Choice: allowed strings; Rates: allowed dtype keys
  std::string default_choice;        // used when !required (Choice)
};

struct SectionDef {
  std::string name;
  std::string meaning;
  std::vector<std::string> families;  // families that must have this section (others must not)
  std::vector<FieldDef> fields;
};

// The data types the per-dtype rate tables may name.
const std::vector<std::string>& rate_dtypes();

// Top-level keys that are not sections.
const std::vector<std::string>& top_level_keys();

// The families a model file may declare.
const std::vector<std::string>& families();

// All sections, in display order.
const std::vector<SectionDef>& sections();

// Lookups; nullptr when unknown.
const SectionDef* find_section(const std::string& name);
const FieldDef* find_field(const SectionDef& section, const std::string& key);

// "1 .. 4096 cycles" style text for error messages.
std::string describe_range(const FieldDef& field);

}  // namespace hpusim::models
