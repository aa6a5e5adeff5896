// SPDX-License-Identifier: Apache-2.0
#include "fit/fitted_profile.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/input_error.h"
#include "workloads/op_graph.h"

namespace hpusim::fit {
namespace {

std::string weights_of(const nlohmann::json& s) {
  const std::string w = s.value("weights", "auto");
  return w == "auto" ? s.value("dtype", "bf16") : w;
}

template <typename T>
std::vector<T> sorted(const std::set<T>& s) {
  return {s.begin(), s.end()};
}

}  // namespace

nlohmann::json to_json(const GroupFit& g, const std::string& rows_file) {
  const ErrorStats prior = error_stats(g.rows, Which::prior), fitted = error_stats(g.rows, Which::fitted),
                   cv = error_stats(g.rows, Which::cv), roofline = error_stats(g.rows, Which::roofline);
  std::vector<std::string> used;
  std::set<std::string> families, modes, weights, releases;
  std::set<int64_t> cards;
  int64_t bmin = INT64_MAX, bmax = 0, pmin = INT64_MAX, pmax = 0, nmin = INT64_MAX, nmax = 0;
  nlohmann::json refused = nlohmann::json::array();
  for (const auto& r : g.rows) {
    if (!r.fitted_s) {
      refused.push_back({{"id", r.row->id}, {"error", r.error.substr(0, 200)}});
      continue;
    }
    used.push_back(r.row->id);
    const auto& s = r.row->scenario;
    families.insert(r.row->family);
    modes.insert(s.value("mode", "eager"));
    weights.insert(weights_of(s));
    if (s.contains("transformers")) releases.insert(s.at("transformers").get<std::string>());
    cards.insert(s.value("cards", int64_t{1}));
    bmin = std::min(bmin, s.value("batch", int64_t{1}));
    bmax = std::max(bmax, s.value("batch", int64_t{1}));
    pmin = std::min(pmin, s.value("prompt_len", int64_t{7}));
    pmax = std::max(pmax, s.value("prompt_len", int64_t{7}));
    nmin = std::min(nmin, s.value("new_tokens", int64_t{20}));
    nmax = std::max(nmax, s.value("new_tokens", int64_t{20}));
  }
  nlohmann::json params = nlohmann::json::array();
  for (std::size_t i = 0; i < g.parameters.size(); ++i) {
    const auto& p = g.parameters[i];
    const std::string bound = g.at_bound[i] < 0 ? " (at its lower bound)" : g.at_bound[i] > 0 ? " (at its upper bound)" : "";
    params.push_back(
        {{"key", p.key},
         {"value", g.values[i]},
         {"prior", p.prior},
         {"min", p.min},
         {"max", p.max},
         {"scales", name(p.scales)},
         {"meaning", p.meaning},
         {"source", g.fitted[i] ? fmt::format("fitted: {} rows of {} on {} ({} families), bounded least squares on "
                                              "log(predicted/measured) with the prior {:g} (x/{:g}){}",
                                              used.size(), rows_file, g.device, families.size(), p.prior,
                                              p.prior_factor, bound)
                                : g.iterations == 0
                                    ? fmt::format("prior, not fitted (--iterations 0): the errors below are the "
                                                  "model files' own on {} rows of {} on {}",
                                                  used.size(), rows_file, g.device)
                                    : !p.fitted_on(g.device)
                                        ? fmt::format("prior, not fitted on {}: its rows do not identify it "
                                                      "(stacks.json fits it on {} only)",
                                                      g.device, fmt::join(p.devices, ", "))
                                        : fmt::format("prior, not fitted: no row of {} exercises it", g.device)},
         {"prior_source", p.source}});
    if (!p.weights.empty()) params.back()["weights"] = p.weights;
  }
  const auto stats = [](const ErrorStats& s) {
    return nlohmann::json{{"rows", s.rows},
                          {"mean_abs_error", s.mean_abs},
                          {"worst_abs_error", s.worst_abs},
                          {"mean_signed_error", s.mean_signed},
                          {"log_ratio_p10", s.log_ratio_p10},
                          {"log_ratio_p90", s.log_ratio_p90}};
  };
  nlohmann::json folds = nlohmann::json::array();
  for (const auto& f : g.folds) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 0; i < g.parameters.size(); ++i) values[g.parameters[i].key] = f.values[i];
    std::vector<RowOutcome> held;
    for (const auto& r : g.rows)
      if (r.row->family == f.family) held.push_back(r);
    folds.push_back({{"held_out_family", f.family}, {"parameters", values}, {"error", stats(error_stats(held, Which::cv))}});
  }
  nlohmann::json cv_j = stats(cv);
  cv_j["method"] = "leave one model family out: parameters fitted on the other families' rows (linearised at the "
                   "priors), the held-out rows simulated at them";
  cv_j["folds"] = folds;
  return {{"stack", g.stack},
          {"device", g.device},
          {"rows_file", rows_file},
          {"rows_used", used},
          {"parameters", params},
          {"error_at_priors", stats(prior)},
          {"error_roofline", stats(roofline)},
          {"error_fitted", stats(fitted)},
          {"cross_validation", cv_j},
          {"coverage",
           {{"families", sorted(families)},
            {"modes", sorted(modes)},
            {"weights", sorted(weights)},
            {"cards", sorted(cards)},
            {"batch", {used.empty() ? 0 : bmin, bmax}},
            {"prompt_len", {used.empty() ? 0 : pmin, pmax}},
            {"new_tokens", {used.empty() ? 0 : nmin, nmax}},
            {"transformers", sorted(releases)}}},
          {"refused", refused},
          {"gauss_newton_iterations", g.iterations},
          {"simulations", g.simulations}};
}

FittedProfile read_fitted_profile(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "", "cannot be read");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, "", fmt::format("is not valid JSON: {}", e.what()));
  }
  FittedProfile p;
  p.path = file;
  try {
    p.stack = j.at("stack").get<std::string>();
    p.device = j.at("device").get<std::string>();
    p.rows_file = j.at("rows_file").get<std::string>();
    for (const auto& q : j.at("parameters")) {
      FittedParameter f;
      f.key = q.at("key").get<std::string>();
      f.value = q.at("value").get<double>();
      f.prior = q.at("prior").get<double>();
      f.min = q.at("min").get<double>();
      f.max = q.at("max").get<double>();
      f.scales = q.at("scales").get<std::string>();
      f.meaning = q.at("meaning").get<std::string>();
      f.source = q.at("source").get<std::string>();
      if (q.contains("weights")) {  // absent: it prices every run
        const auto& w = q.at("weights");
        if (!w.is_array() || w.empty())
          throw InputError(file, "/parameters/" + f.key + "/weights", "must be a non-empty array of weight formats");
        for (const auto& name : w) {
          if (!name.is_string() || !workloads::weight_format_from_name(name.get<std::string>()))
            throw InputError(file, "/parameters/" + f.key + "/weights",
                             fmt::format("{} is not a weight format (bf16, fp16, fp32, int8, nf4, fp4, fp8)",
                                         name.dump()));
          f.weights.push_back(name.get<std::string>());
        }
      }
      if (!(f.value >= f.min * (1 - 1e-9) && f.value <= f.max * (1 + 1e-9)))
        throw InputError(file, "/parameters/" + f.key, fmt::format("{:g} is outside its bounds [{:g}, {:g}]", f.value,
                                                                    f.min, f.max));
      p.parameters.push_back(std::move(f));
    }
    const auto& cv = j.at("cross_validation");
    p.cv_rows = cv.at("rows").get<int64_t>();
    p.cv_mean_abs = cv.at("mean_abs_error").get<double>();
    p.cv_worst_abs = cv.at("worst_abs_error").get<double>();
    p.cv_log_p10 = cv.at("log_ratio_p10").get<double>();
    p.cv_log_p90 = cv.at("log_ratio_p90").get<double>();
    const auto& c = j.at("coverage");
    p.coverage.families = c.at("families").get<std::vector<std::string>>();
    p.coverage.modes = c.at("modes").get<std::vector<std::string>>();
    p.coverage.weights = c.at("weights").get<std::vector<std::string>>();
    p.coverage.cards = c.at("cards").get<std::vector<int64_t>>();
    p.coverage.transformers = c.value("transformers", std::vector<std::string>{});  // absent in Gaudi profiles
    for (const auto& r : p.coverage.transformers) {  // runs take one as transformers=auto: a release modelled
      const int minor = r.size() > 2 && r.rfind("4.", 0) == 0 ? std::atoi(r.c_str() + 2) : 0;
      if (minor < 33 || minor > 46 || r != fmt::format("4.{}", minor))
        throw InputError(file, "/coverage/transformers",
                         fmt::format("{} is not a transformers release modelled (4.33 ... 4.46)", r));
    }
    const auto range = [&](const char* k, int64_t& lo, int64_t& hi) {
      lo = c.at(k).at(0).get<int64_t>();
      hi = c.at(k).at(1).get<int64_t>();
    };
    range("batch", p.coverage.batch_min, p.coverage.batch_max);
    range("prompt_len", p.coverage.prompt_min, p.coverage.prompt_max);
    range("new_tokens", p.coverage.new_min, p.coverage.new_max);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, "", fmt::format("is not a fitted profile: {}", e.what()));
  }
  return p;
}

std::string stack_of(bool gaudi, const std::string& kernels) {
  if (gaudi) return "optimum-habana";
  return kernels == "deepspeed" ? "deepspeed" : "transformers";
}

std::optional<std::string> fitted_profile_file(const std::string& models_dir, const std::string& stack,
                                               const std::string& device) {
  const auto p = std::filesystem::path(models_dir) / "fitted" / (stack + "-" + device + ".json");
  if (!std::filesystem::exists(p)) return std::nullopt;
  std::error_code ec;  // named from the current folder when it is inside it
  const auto rel = std::filesystem::relative(p, ec);
  return ec || rel.empty() || rel.native().rfind("..", 0) == 0 ? p.string() : rel.string();
}

std::vector<std::string> outside_coverage(const Coverage& c, const std::string& family, const std::string& mode,
                                          const std::string& weights, int64_t cards, int64_t batch,
                                          int64_t prompt_len, int64_t new_tokens, const std::string& transformers) {
  std::vector<std::string> out;
  const auto list = [](const auto& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + fmt::format("{}", x);
    return s;
  };
  const auto has = [](const auto& v, const auto& x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  if (!has(c.families, family)) out.push_back(fmt::format("family {}: the rows cover {}", family, list(c.families)));
  if (!has(c.modes, mode)) out.push_back(fmt::format("mode {}: the rows ran {}", mode, list(c.modes)));
  if (!has(c.weights, weights)) out.push_back(fmt::format("weights {}: the rows ran {}", weights, list(c.weights)));
  if (!has(c.cards, cards)) out.push_back(fmt::format("{} cards: the rows ran {}", cards, list(c.cards)));
  if (!transformers.empty() && !c.transformers.empty() && !has(c.transformers, transformers))
    out.push_back(fmt::format("transformers {}: the rows ran {}", transformers, list(c.transformers)));
  const auto range = [&](const char* what, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) out.push_back(fmt::format("{} {} outside the rows' {}..{}", what, v, lo, hi));
  };
  range("batch", batch, c.batch_min, c.batch_max);
  range("prompt_len", prompt_len, c.prompt_min, c.prompt_max);
  range("new_tokens", new_tokens, c.new_min, c.new_max);
  return out;
}

std::optional<std::string> profile_release(const Coverage& c) {
  std::optional<std::string> latest;
  const auto minor = [](const std::string& r) { return r.size() > 2 ? std::atoi(r.c_str() + 2) : 0; };
  for (const auto& r : c.transformers)
    if (!latest || minor(r) > minor(*latest)) latest = r;
  return latest;
}

bool FittedParameter::prices(const std::string& run_weights) const {
  return weights.empty() || std::find(weights.begin(), weights.end(), run_weights) != weights.end();
}

}  // namespace hpusim::fit
