// SPDX-License-Identifier: Apache-2.0
// The fit recovers parameters that generated its rows: first from a closed-form latency model (exact, fast), then
// from rows the simulator itself produced at known parameters (through the same sweep machinery the command uses).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "common/input_error.h"
#include "fit/fitted_profile.h"
#include "fit/profile_fit.h"
#include "fit/sweep_evaluator.h"
#include "tests/test_support.h"

namespace hpusim::fit {
namespace {

FitParameter param(const std::string& key, double prior, double lo, double hi, Scales scales) {
  FitParameter p;
  p.key = key;
  p.prior = prior;
  p.min = lo;
  p.max = hi;
  p.prior_factor = 100;  // a weak prior: the rows decide
  p.scales = scales;
  p.meaning = "m";
  p.source = "s";
  return p;
}

std::vector<const CalibrationRow*> row_pointers(const std::vector<CalibrationRow>& rows) {
  std::vector<const CalibrationRow*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  return ptrs;
}

// latency = bytes / (bw * eff) + steps * host_us: a memory-bound part and a host part, as a decode loop.
Evaluator closed_form() {
  return [](const std::vector<EvalPoint>& points) {
    std::vector<EvalResult> out;
    for (const auto& p : points) {
      double eff = 0, host = 0;
      for (const auto& [k, v] : p.settings) (k == "hbm.efficiency" ? eff : host) = v;
      const double bytes = p.scenario["bytes"].get<double>(), steps = p.scenario["steps"].get<double>();
      out.push_back({bytes / (1e12 * eff) + steps * host * 1e-6, ""});
    }
    return out;
  };
}

std::vector<CalibrationRow> closed_form_rows(double eff, double host_us) {
  std::vector<CalibrationRow> rows;
  const std::vector<std::pair<std::string, std::pair<double, double>>> cases{
      {"llama", {1.4e10, 100}}, {"llama", {2.8e10, 100}}, {"gpt2", {3e9, 100}},
      {"gpt2", {3e9, 400}},     {"falcon", {8e10, 50}},   {"falcon", {1e10, 1000}}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CalibrationRow r;
    r.id = "row" + std::to_string(i);
    r.family = cases[i].first;
    r.model = r.family;
    r.scenario = {{"bytes", cases[i].second.first}, {"steps", cases[i].second.second}};
    r.measured_s = cases[i].second.first / (1e12 * eff) + cases[i].second.second * host_us * 1e-6;
    rows.push_back(r);
  }
  return rows;
}

// `rows` fitted by the closed form for hbm.efficiency (prior 1, bounds [0.3, 1]) and replay_graph_us (prior 50);
// `rows` must outlive the GroupFit's pointers.
GroupFit fit_closed_form_rows(const std::vector<CalibrationRow>& rows, int iterations) {
  const auto ptrs = row_pointers(rows);
  const std::vector<FitParameter> params{param("hbm.efficiency", 1.0, 0.3, 1.0, Scales::hbm),
                                         param("runtime.replay_graph_us", 50, 5, 3000, Scales::host)};
  FitOptions o;
  o.max_iterations = iterations;
  return fit_group("optimum-habana", "gaudi2", ptrs, params, o, closed_form());
}

GroupFit fit_closed_form(double eff, double host_us, int iterations) {
  static std::vector<CalibrationRow> rows;  // outlives the GroupFit's pointers
  rows = closed_form_rows(eff, host_us);
  return fit_closed_form_rows(rows, iterations);
}

TEST(ProfileFit, RecoversTheParametersOfAClosedFormModel) {
  const auto g = fit_closed_form(0.7, 250, 8);
  EXPECT_NEAR(g.values[0], 0.7, 0.7 * 0.01);
  EXPECT_NEAR(g.values[1], 250, 250 * 0.01);
  EXPECT_LT(error_stats(g.rows, Which::fitted).worst_abs, 0.01);
  EXPECT_GT(error_stats(g.rows, Which::prior).mean_abs, 0.3);
  // Three families, three folds; every row held out once.
  ASSERT_EQ(g.folds.size(), 3u);
  EXPECT_EQ(error_stats(g.rows, Which::cv).rows, 6);
}

// Rows of one family: one model held out at a time; one model alone: no fold (nothing can be held out).
TEST(ProfileFit, OneFamilyHoldsOutOneModelAtATime) {
  static std::vector<CalibrationRow> rows;
  rows = closed_form_rows(0.7, 250);
  for (auto& r : rows) {
    r.model = r.family + "-x";  // two models of one family: llama's and gpt2's rows, falcon's
    r.family = "llama";
  }
  rows[4].model = rows[5].model = "llama-x";
  const auto g = fit_closed_form_rows(rows, 8);
  ASSERT_EQ(g.folds.size(), 2u);
  EXPECT_EQ(g.folds[0].family, "model gpt2-x");
  EXPECT_EQ(g.folds[1].family, "model llama-x");
  EXPECT_EQ(error_stats(g.rows, Which::cv).rows, 6);
  for (auto& r : rows) r.model = "llama-x";
  EXPECT_TRUE(fit_closed_form_rows(rows, 8).folds.empty());
}

TEST(ProfileFit, ABoundHoldsAndIsReported) {
  const auto g = fit_closed_form(0.2, 250, 8);  // below the lowest efficiency allowed
  EXPECT_NEAR(g.values[0], 0.3, 1e-9);
  EXPECT_EQ(g.at_bound[0], -1);
  const auto j = to_json(g, "rows.json");
  EXPECT_NE(j["parameters"][0]["source"].get<std::string>().find("at its lower bound"), std::string::npos);
}

TEST(ProfileFit, AFabricParameterNoRowExercisesStaysAtItsPrior) {
  const auto rows = closed_form_rows(0.7, 250);
  const auto ptrs = row_pointers(rows);
  std::vector<FitParameter> params{param("hbm.efficiency", 1.0, 0.3, 1.0, Scales::hbm),
                                   param("fabric.latency_us", 3, 1, 100, Scales::fabric)};
  FitOptions o;
  o.max_iterations = 3;
  int64_t calls = 0;
  const Evaluator count = [&](const std::vector<EvalPoint>& pts) {
    ++calls;
    std::vector<EvalResult> out;
    for (const auto& p : pts) {
      double eff = 1;
      for (const auto& [k, v] : p.settings)
        if (k == "hbm.efficiency") eff = v;
      out.push_back({p.scenario["bytes"].get<double>() / (1e12 * eff) + p.scenario["steps"].get<double>() * 250e-6, ""});
    }
    return out;
  };
  const auto g = fit_group("s", "d", ptrs, params, o, count);
  EXPECT_FALSE(g.fitted[1]);
  EXPECT_DOUBLE_EQ(g.values[1], 3);
  EXPECT_NEAR(g.values[0], 0.7, 0.01);
}

// A parameter the stack fits on other devices only (stacks.json "devices") stays at its prior on this one, says so,
// and the others are fitted as before.
TEST(ProfileFit, AParameterFittedOnOtherDevicesOnlyStaysAtItsPriorHere) {
  const auto rows = closed_form_rows(0.7, 250);
  const auto ptrs = row_pointers(rows);
  std::vector<FitParameter> params{param("hbm.efficiency", 1.0, 0.3, 1.0, Scales::hbm),
                                   param("runtime.replay_graph_us", 50, 5, 3000, Scales::host)};
  params[1].devices = {"h100-sxm"};
  FitOptions o;
  o.max_iterations = 3;
  const auto g = fit_group("s", "gaudi2", ptrs, params, o, closed_form());
  EXPECT_TRUE(g.fitted[0]);
  EXPECT_FALSE(g.fitted[1]);
  EXPECT_DOUBLE_EQ(g.values[1], 50);
  const auto j = to_json(g, "rows.json");
  EXPECT_NE(j["parameters"][1]["source"].get<std::string>().find("not fitted on gaudi2"), std::string::npos);
  params[1].devices = {"gaudi2"};
  EXPECT_TRUE(fit_group("s", "gaudi2", ptrs, params, o, closed_form()).fitted[1]);
}

// Rows the simulator produced at hbm.efficiency 0.8 and replay_graph_us 300 on Gaudi2 (hpu-graph, batch 1): the
// fit from the priors (1.0, 50) finds them again, and leave-one-family-out predicts each family within 2%.
TEST(ProfileFit, RecoversKnownParametersFromRowsTheSimulatorGenerated) {
  test::TempDir dir;
  const auto evaluate = sweep_evaluator({dir.file("cache"), HPUSIM_CLI_PATH, 2, false});
  std::vector<CalibrationRow> rows;
  const std::vector<std::pair<std::string, std::string>> models{
      {"llama-2-7b", "llama"}, {"mistral-7b", "mistral"}, {"gpt2-xl", "gpt2"}, {"gpt-j-6b", "gptj"}};
  std::vector<EvalPoint> truth;
  for (const auto& [model, family] : models)
    for (int64_t tokens : {4, 12}) {
      CalibrationRow r;
      r.id = model + "-" + std::to_string(tokens);
      r.model = model;
      r.family = family;
      r.scenario = {{"device", "gaudi2"}, {"model", model},         {"mode", "hpu-graph"},
                    {"batch", 1},         {"prompt_len", 8},        {"new_tokens", tokens},
                    {"iterations", 1}};
      rows.push_back(r);
      truth.push_back({r.scenario, {{"hbm.efficiency", 0.8}, {"runtime.replay_graph_us", 300}}});
    }
  const auto measured = evaluate(truth);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_TRUE(measured[i].latency_s) << measured[i].error;
    rows[i].measured_s = *measured[i].latency_s;
  }
  const auto ptrs = row_pointers(rows);
  const std::vector<FitParameter> params{param("hbm.efficiency", 1.0, 0.5, 1.0, Scales::hbm),
                                         param("runtime.replay_graph_us", 50, 5, 3000, Scales::host)};
  FitOptions o;
  o.max_iterations = 6;
  const auto g = fit_group("optimum-habana", "gaudi2", ptrs, params, o, evaluate);
  EXPECT_NEAR(g.values[0], 0.8, 0.8 * 0.03);
  EXPECT_NEAR(g.values[1], 300, 300 * 0.08);  // hidden behind the device in part: less identifiable
  EXPECT_LT(error_stats(g.rows, Which::fitted).worst_abs, 0.02);
  EXPECT_LT(error_stats(g.rows, Which::cv).worst_abs, 0.05);
  // A second identical fit simulates nothing new (the cache) and gives the same figures, bit for bit.
  const auto again = fit_group("optimum-habana", "gaudi2", ptrs, params, o, evaluate);
  EXPECT_EQ(to_json(again, "r").dump(), to_json(g, "r").dump());
}

TEST(FittedProfile, RoundTripsAndRefusesAValueOutsideItsBounds) {
  const auto g = fit_closed_form(0.7, 250, 2);
  test::TempDir dir;
  auto j = to_json(g, "rows.json");
  test::write_file(dir.file("p.json"), j.dump());
  const auto p = read_fitted_profile(dir.file("p.json"));
  EXPECT_EQ(p.device, "gaudi2");
  ASSERT_EQ(p.parameters.size(), 2u);
  EXPECT_DOUBLE_EQ(p.parameters[1].value, g.values[1]);
  EXPECT_EQ(p.cv_rows, 6);
  EXPECT_EQ(p.coverage.families, (std::vector<std::string>{"falcon", "gpt2", "llama"}));
  EXPECT_TRUE(p.coverage.transformers.empty());  // the rows name no release
  // Rows that name their release: the profile lists each once, sorted.
  auto named = g;
  std::vector<CalibrationRow> copies;
  for (const auto& r : named.rows) copies.push_back(*r.row);
  for (std::size_t i = 0; i < copies.size(); ++i) copies[i].scenario["transformers"] = i % 2 ? "4.40" : "4.35";
  for (std::size_t i = 0; i < copies.size(); ++i) named.rows[i].row = &copies[i];
  test::write_file(dir.file("named.json"), to_json(named, "rows.json").dump());
  EXPECT_EQ(read_fitted_profile(dir.file("named.json")).coverage.transformers,
            (std::vector<std::string>{"4.35", "4.40"}));
  // A release no run could take (transformers=auto would run it) is refused where the profile is read.
  for (const char* bad : {"4.46.3", "4.47", "4.4", "5.0"}) {
    auto k = to_json(named, "rows.json");
    k["coverage"]["transformers"] = {bad};
    test::write_file(dir.file("bad_release.json"), k.dump());
    EXPECT_THROW(read_fitted_profile(dir.file("bad_release.json")), InputError) << bad;
  }
  // The weight formats a parameter prices: read back, and a name no run has refused naming the parameter.
  auto priced = j;
  priced["parameters"][1]["weights"] = {"int8", "nf4"};
  test::write_file(dir.file("priced.json"), priced.dump());
  const auto q = read_fitted_profile(dir.file("priced.json"));
  EXPECT_TRUE(q.parameters[1].prices("nf4"));
  EXPECT_FALSE(q.parameters[1].prices("bf16"));
  EXPECT_TRUE(q.parameters[0].prices("bf16"));  // no list: every run
  priced["parameters"][1]["weights"] = {"int4"};
  test::write_file(dir.file("priced_bad.json"), priced.dump());
  try {
    read_fitted_profile(dir.file("priced_bad.json"));
    ADD_FAILURE() << "int4 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/parameters/runtime.replay_graph_us/weights"), std::string::npos) << e.what();
  }
  j["parameters"][0]["value"] = 1.5;
  test::write_file(dir.file("bad.json"), j.dump());
  EXPECT_THROW(read_fitted_profile(dir.file("bad.json")), InputError);
  test::write_file(dir.file("cut.json"), j.dump().substr(0, 40));
  EXPECT_THROW(read_fitted_profile(dir.file("cut.json")), InputError);
}

TEST(FittedProfile, SaysWhereARunLeavesTheRows) {
  Coverage c;
  c.families = {"llama"};
  c.modes = {"hpu-graph"};
  c.weights = {"bf16"};
  c.cards = {1, 8};
  c.batch_min = 1;
  c.batch_max = 4;
  c.prompt_min = 7;
  c.prompt_max = 128;
  c.new_min = 100;
  c.new_max = 100;
  EXPECT_TRUE(outside_coverage(c, "llama", "hpu-graph", "bf16", 8, 4, 8, 100).empty());
  const auto far = outside_coverage(c, "bloom", "lazy", "fp8", 2, 64, 8, 100);
  ASSERT_EQ(far.size(), 5u);
  EXPECT_EQ(far[0], "family bloom: the rows cover llama");
  EXPECT_EQ(far[4], "batch 64 outside the rows' 1..4");
  // A GPU profile's rows ran named transformers releases: another one is said, Gaudi's "" is never compared.
  EXPECT_FALSE(profile_release(c));
  c.transformers = {"4.33", "4.35", "4.4"};
  EXPECT_EQ(profile_release(c), "4.35");  // by minor number, not by text
  c.transformers = {"4.40"};
  EXPECT_EQ(profile_release(c), "4.40");
  EXPECT_TRUE(outside_coverage(c, "llama", "hpu-graph", "bf16", 8, 4, 8, 100, "4.40").empty());
  EXPECT_TRUE(outside_coverage(c, "llama", "hpu-graph", "bf16", 8, 4, 8, 100, "").empty());
  const auto other = outside_coverage(c, "llama", "hpu-graph", "bf16", 8, 4, 8, 100, "4.46");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0], "transformers 4.46: the rows ran 4.40");
}

}  // namespace
}  // namespace hpusim::fit
