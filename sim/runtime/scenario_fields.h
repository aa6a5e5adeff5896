// SPDX-License-Identifier: Apache-2.0
// Every scenario key is declared once here, as the hardware keys are (models/field_table.h): name, type, unit,
// meaning, default, allowed values or range, and the `hpusim run` flag that sets it. Parsing a scenario file,
// `--set`, the run flags, validation, `hpusim run --keys` and docs/SCENARIO_FILES.md all read this table, so a key
// is written in one place (shared/STYLE.md, take 3).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::sim {

struct Scenario;

enum class ScenarioKind {
  Text,       // JSON string
  Choice,     // JSON string from `choices`
  TriState,   // "auto", "true" or "false" (JSON booleans accepted)
  Integer,    // JSON integer in [min, max]
  Number,     // JSON number in [min, max] (or [min, max) when max_open)
  Boolean,    // true or false
  IdList,     // token ids: [5, 17, 42] (or "5,17,42" on the command line)
  Overrides,  // {"key": value}: runtime-profile keys
  Sections,   // {"section": {"key": value}}: hardware-model keys
};

using ScenarioMember = std::variant<std::string Scenario::*, int64_t Scenario::*, double Scenario::*, bool Scenario::*,
                                    std::vector<int64_t> Scenario::*, std::vector<std::string> Scenario::*>;

struct ScenarioField {
  std::string key;
  ScenarioKind kind;
  ScenarioMember member;
  nlohmann::json default_value;
  std::string meaning;  // one line
  std::string unit;     // "" for counts and text
  double min = 0, max = 0;
  bool max_open = false;  // Number: max itself is not allowed
  std::vector<std::string> choices;
  bool non_empty = false;  // Text: must not be empty
  std::string flag;        // the `hpusim run` flag that sets it, "" for none
  std::string json_name;   // its name in Scenario::to_json (traces' runs table); "" = key, "-" = left out
};

// All scenario keys, in display order.
const std::vector<ScenarioField>& scenario_fields();
const ScenarioField* find_scenario_field(std::string_view key);

// Sets a field from a JSON value; InputError naming `where` and "/key" for a wrong type.
void set_scenario_field(Scenario& s, const ScenarioField& field, const nlohmann::json& value, const std::string& where);
// The same from command-line text ("4", "true", "5,17,42", "bf16"), as --set and the run flags give it.
void set_scenario_field_text(Scenario& s, const ScenarioField& field, const std::string& text,
                             const std::string& where);
// InputError naming `where` and "/key" when the field's value is outside its choices or range.
void check_scenario_field(const Scenario& s, const ScenarioField& field, const std::string& where);
nlohmann::json scenario_field_json(const Scenario& s, const ScenarioField& field);

// "one of eager, lazy, ...", "1 .. 1024", "[0, 1)": the allowed values, for messages, --help and docs.
std::string describe_allowed(const ScenarioField& field);

// `hpusim run --keys`: the table as text, as Markdown (docs/SCENARIO_FILES.md) or as JSON.
std::string render_scenario_keys(bool markdown);
nlohmann::json scenario_keys_json();

}  // namespace hpusim::sim
