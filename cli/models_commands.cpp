// SPDX-License-Identifier: Apache-2.0
// hpusim models list | show NAME|FILE [--set section.key=value ...] [--sources] [--json]
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "models/model_loader.h"
#include "models/model_report.h"
#include "common/text_table.h"
#include "workloads/model_catalog.h"

namespace hpusim::cli {

void add_models_commands(CLI::App& app) {
  auto* models = app.add_subcommand("models", "List and show the hardware model files in models/");
  models->require_subcommand(1);

  struct ListOptions {
    bool json = false;
    std::string dir;
  };
  auto list_opts = std::make_shared<ListOptions>();
  auto* list = models->add_subcommand("list", "One line per shipped hardware model");
  list->add_flag("--json", list_opts->json, "Print one JSON object on stdout");
  list->add_option("--dir", list_opts->dir, "Folder of model files (default: HPUSIM_MODELS_DIR or the source tree's)");
  list->callback([list_opts] {
    const auto dir = list_opts->dir.empty() ? models::default_models_dir() : std::filesystem::path(list_opts->dir);
    std::vector<models::HardwareModel> all;
    for (const auto& name : models::list_models(dir)) all.push_back(models::load_model(name, {}, dir));
    if (list_opts->json) {
      nlohmann::json j = {{"models", nlohmann::json::array()}};
      for (const auto& m : all)
        j["models"].push_back({{"name", m.name},
                               {"family", m.family},
                               {"description", m.description},
                               {"file", m.files.front()},
                               {"derived", models::derived_figures(m)}});
      print_json(j);
    } else {
      std::cout << models::render_model_list(all);
    }
  });

  auto presets_json = std::make_shared<bool>(false);
  auto* presets = models->add_subcommand("presets", "One line per transformer preset of every family (--model NAME)");
  presets->add_flag("--json", *presets_json, "Print one JSON object on stdout");
  presets->callback([presets_json] {
    nlohmann::json j = {{"presets", nlohmann::json::array()}};
    TextTable table({"preset", "family", "layers", "hidden", "heads/kv", "mlp", "parameters"},
                    {false, false, true, true, true, true, true});
    for (const auto& name : workloads::model_preset_names()) {
      const auto c = workloads::model_preset(name);
      j["presets"].push_back({{"name", name}, {"family", c.family}, {"layers", c.n_layer}, {"hidden", c.hidden_size},
                              {"heads", c.n_head}, {"kv_heads", c.n_kv_head}, {"ffn", c.ffn_hidden},
                              {"vocab", c.vocab_size}, {"parameters", c.parameter_count()}});
      table.add_row({name, c.family, std::to_string(c.n_layer), std::to_string(c.hidden_size),
                      fmt::format("{}/{}", c.n_head, c.n_kv_head), std::to_string(c.ffn_hidden),
                      fmt::format("{:.2f} B", static_cast<double>(c.parameter_count()) / 1e9)});
    }
    if (*presets_json)
      print_json(j);
    else
      std::cout << table.render();
  });

  auto keys_opts = std::make_shared<std::pair<bool, bool>>(false, false);  // markdown, json
  auto* keys = models->add_subcommand("keys", "Every key a model or override file may hold: type, range, meaning");
  keys->add_flag("--markdown", keys_opts->first, "Print docs/MODEL_FILES.md");
  keys->add_flag("--json", keys_opts->second, "Print one JSON object on stdout");
  keys->callback([keys_opts] {
    if (keys_opts->second)
      print_json(models::model_keys_json());
    else
      std::cout << models::render_model_keys(keys_opts->first);
  });

  struct ShowOptions {
    std::string name;
    std::vector<std::string> sets;
    bool sources = false, json = false;
    std::string dir;
  };
  auto show_opts = std::make_shared<ShowOptions>();
  auto* show = models->add_subcommand("show", "Every parameter of one model, with units, meanings or sources");
  show->add_option("model", show_opts->name, "A shipped model name (see `models list`) or a path to a .json file")
      ->required();
  show->add_option("--set", show_opts->sets, "Override one parameter: section.key=value (e.g. hbm.bandwidth_GBps=3200)")
      ->take_all()
      ->allow_extra_args(false);  // one value per --set, so a positional may follow
  show->add_flag("--sources", show_opts->sources, "Show where each figure comes from instead of its meaning");
  show->add_flag("--json", show_opts->json, "Print the resolved model and derived figures as one JSON object");
  show->add_option("--dir", show_opts->dir, "Folder of model files (default: HPUSIM_MODELS_DIR or the source tree's)");
  show->callback([show_opts] {
    const auto dir = show_opts->dir.empty() ? models::default_models_dir() : std::filesystem::path(show_opts->dir);
    const auto model = models::load_model(show_opts->name, show_opts->sets, dir);
    if (show_opts->json)
      print_json(models::model_json(model));
    else
      std::cout << models::render_model_show(model, show_opts->sources);
  });
}

}  // namespace hpusim::cli
