// SPDX-License-Identifier: Apache-2.0
// `hpusim trace steps`: each pass of each call with card 0's time split (the `steps` table). The parts of every step
// sum to its length, the steps tile the run without gaps, the warm-up call's compiles show as host-bound spikes, the
// timed steps add up to the per-phase split `run --json` reports and to its latency, prefill and decode figures.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/sqlite_db.h"

namespace hpusim {
namespace {

class TraceSteps : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto r = test::run_cli({"run", "--json", "--device", "gaudi2", "--model", "bloom-560m", "--new-tokens", "6",
                                  "--mode", "lazy", "--set", "calibration=none", "--set", "warmup=1", "--set",
                                  "iterations=2", "--trace", trace()});
    ASSERT_EQ(r.status, 0) << r.err;
    run = nlohmann::json::parse(r.out);
  }
  std::string trace() const { return dir.file("t.sqlite"); }
  nlohmann::json steps(const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"trace", "steps", trace(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out)["steps"];
  }
  test::TempDir dir;
  nlohmann::json run;
};

TEST_F(TraceSteps, EveryStepSumsToItsLengthAndTheStepsTileTheRun) {
  const auto all = steps({"--all"});
  ASSERT_EQ(all.size(), 3u * 6u);  // three calls (one warm-up) of six passes
  double end_ms = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& s = all[i];
    EXPECT_EQ(s["step"], static_cast<int>(i));
    EXPECT_EQ(s["call"], static_cast<int>(i / 6));
    EXPECT_EQ(s["timed"], i >= 6);
    EXPECT_EQ(s["phase"], i % 6 == 0 ? "prefill" : "decode");
    double parts = 0;
    for (const auto& [cls, ms] : s["split_ms"].items()) parts += ms.get<double>();
    EXPECT_NEAR(parts, s["ms"].get<double>(), 1e-9 * (1 + parts)) << s.dump();
    EXPECT_NEAR(s["start_ms"].get<double>(), end_ms, 1e-9 * (1 + end_ms)) << "a gap before step " << i;
    end_ms = s["start_ms"].get<double>() + s["ms"].get<double>();
  }
  // The warm-up's first passes compile their graphs on the host: the longest steps of the run, host-bound.
  double longest_timed = 0;
  for (std::size_t i = 6; i < all.size(); ++i) longest_timed = std::max(longest_timed, all[i]["ms"].get<double>());
  EXPECT_GT(all[0]["ms"].get<double>(), 5 * longest_timed);
  EXPECT_EQ(all[0]["bound_by"], "host");
}

TEST_F(TraceSteps, TheTimedStepsAddUpToThePhaseSplitOfRun) {
  const auto timed = steps({});
  ASSERT_EQ(timed.size(), 12u);
  for (const char* phase : {"prefill", "decode"}) {
    const auto& want = run["time_split"][phase];
    nlohmann::json sum = nlohmann::json::object();
    int64_t tokens = 0;
    for (const auto& s : timed) {
      if (s["phase"] != phase) continue;
      tokens += s["tokens"].get<int64_t>();
      for (const auto& [cls, ms] : s["split_ms"].items()) sum[cls] = sum.value(cls, 0.0) + ms.get<double>();
    }
    EXPECT_EQ(tokens, want["steps"].get<int64_t>()) << phase;
    for (const auto& [cls, ms] : want["ms_per_step_by_class"].items())
      EXPECT_NEAR(sum.value(cls, 0.0) / static_cast<double>(tokens), ms.get<double>(), 1e-6) << phase << " " << cls;
  }
  // Against run's own figures, computed apart from the split: the timed steps tile the timed calls, the last call's
  // first step is its prefill and the rest its decode steps.
  double total = 0, last_decode = 0;
  int64_t decode_steps = 0;
  for (const auto& s : timed) {
    total += s["ms"].get<double>();
    if (s["call"] == 2 && s["phase"] == "decode") last_decode += s["ms"].get<double>(), ++decode_steps;
  }
  EXPECT_NEAR(total, 1e3 * run["latency_s"].get<double>() * run["timed_calls"].get<double>(), 1e-6 * total);
  EXPECT_NEAR(timed[6]["ms"].get<double>(), run["prefill_ms"].get<double>(), 1e-6);
  EXPECT_NEAR(last_decode / static_cast<double>(decode_steps), run["decode_ms_per_token"].get<double>(), 1e-6);
  const auto text = test::run_cli({"trace", "steps", trace()});
  EXPECT_EQ(text.out.find("warm-up"), std::string::npos);
  EXPECT_NE(test::run_cli({"trace", "steps", trace(), "--all"}).out.find("0 (warm-up)"), std::string::npos);
}

TEST_F(TraceSteps, ATraceBeforeTheStepsTableIsStillReadAndSaysSo) {
  {
    traces::Database db(trace(), traces::Database::Mode::ReadWriteCreate);
    db.exec("DROP TABLE steps; PRAGMA user_version = 2;");
  }
  const auto r = test::run_cli({"trace", "steps", trace()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("no steps recorded for this run"), std::string::npos) << r.out;
  EXPECT_EQ(test::run_cli({"trace", "summary", trace()}).status, 0);
  EXPECT_EQ(test::run_cli({"trace", "steps", trace(), "--run", "7"}).status, 2);
  EXPECT_EQ(test::run_cli({"trace", "ops", trace(), "--step", "-3"}).status, 2);  // steps count from 0
}

}  // namespace
}  // namespace hpusim
