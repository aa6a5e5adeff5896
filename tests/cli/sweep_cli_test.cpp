// SPDX-License-Identifier: Apache-2.0
// `hpusim sweep`: a grid run in parallel processes into one database and CSV; resume after a killed sweep (no point
// lost, none run twice); shards merged; refusals; and a run under mpirun when Open MPI is installed.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/sqlite_db.h"

namespace hpusim {
namespace {

const char* kSweep = R"({"base": {"device": "gaudi2", "model": "bloom-560m", "new_tokens": 2},
  "grid": {"hbm.bandwidth_GBps": [1200, 2450], "batch": [1, 2]},
  "zip": {"mode": ["eager", "hpu-graph"]}})";

struct Rows {
  std::vector<int64_t> ids;
  std::vector<std::string> status;
};

Rows rows(const std::string& db_path) {
  traces::Database db(db_path, traces::Database::Mode::ReadOnly, false);
  auto q = db.prepare("SELECT id, status FROM points ORDER BY id");
  Rows r;
  while (q.step()) {
    r.ids.push_back(q.column_int(0));
    r.status.push_back(q.column_text(1));
  }
  return r;
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(SweepCli, AGridRunsInParallelIntoOneDatabaseAndCsv) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  const auto r = test::run_cli({"sweep", dir.file("s.json"), "--jobs", "2", "--out", dir.file("out"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["points"], 8);
  EXPECT_EQ(j["ran"], 8);
  EXPECT_EQ(j["failed"], 0);
  const auto got = rows(dir.file("out/sweep.sqlite"));
  EXPECT_EQ(got.ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  // The CSV: a header with the swept keys and the figures, then one line per point in id order.
  const auto csv = lines(dir.file("out/results.csv"));
  ASSERT_EQ(csv.size(), 9u);
  EXPECT_EQ(csv[0].rfind("id,mode,batch,hbm.bandwidth_GBps,status,latency_s,latency_s_low,latency_s_high,"
                         "prefill_ms,",
                         0),
            0u)
      << csv[0];
  EXPECT_EQ(csv[1].rfind("0,eager,1,1200,done,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[8].rfind("7,hpu-graph,2,2450,done,", 0), 0u) << csv[8];
  // Each point's figure is what `hpusim run` gives for the same settings.
  const auto one = test::run_cli({"run", "--device", "gaudi2", "--model", "bloom-560m", "--new-tokens", "2", "--set",
                                  "mode=hpu-graph", "--set", "batch=2", "--set", "hbm.bandwidth_GBps=2450", "--json",
                                  "--trace", dir.file("one.sqlite")});
  ASSERT_EQ(one.status, 0) << one.err;
  std::stringstream expect;
  expect << "7,hpu-graph,2,2450,done," << std::setprecision(9) << nlohmann::json::parse(one.out)["latency_s"].get<double>();
  EXPECT_EQ(csv[8].rfind(expect.str(), 0), 0u) << csv[8] << " vs " << expect.str();
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/traces/point-7.sqlite")));
}

TEST(SweepCli, AResumedSweepRunsOnlyWhatIsMissing) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--quiet"}).status, 0);
  {  // two points lost, as if the sweep had been killed while they ran
    traces::Database db(dir.file("out/sweep.sqlite"), traces::Database::Mode::ReadWriteCreate, false);
    db.exec("DELETE FROM points WHERE id IN (2, 5)");
  }
  const auto r = test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ran"], 2);
  EXPECT_EQ(j["skipped"], 6);
  EXPECT_EQ(rows(dir.file("out/sweep.sqlite")).ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(SweepCli, AKilledSweepResumesWithNoPointLostOrRunTwice) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string out = dir.file("out"), file = dir.file("s.json");
    ::execl(HPUSIM_CLI_PATH, HPUSIM_CLI_PATH, "sweep", file.c_str(), "--out", out.c_str(), "--quiet", nullptr);
    ::_exit(127);
  }
  // Kill the whole sweep (its running point too) once a point or two are in.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!std::filesystem::exists(dir.file("out/sweep.sqlite"))) continue;
    try {
      if (!rows(dir.file("out/sweep.sqlite")).ids.empty()) break;
    } catch (const std::exception&) {
    }
  }
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto before = rows(dir.file("out/sweep.sqlite")).ids;
  const auto r = test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["skipped"].get<int64_t>(), static_cast<int64_t>(before.size()));
  EXPECT_EQ(j["ran"].get<int64_t>() + j["skipped"].get<int64_t>(), 8);
  EXPECT_EQ(rows(dir.file("out/sweep.sqlite")).ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(SweepCli, ShardsMergeIntoOneAndAMissingShardIsRefused) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--shard", "0/3", "--quiet"}).status, 0);
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--shard", "2/3", "--quiet"}).status, 0);
  const auto missing = test::run_cli({"sweep", "merge", dir.file("s.json"), "--out", dir.file("out")});
  EXPECT_EQ(missing.status, 2) << missing.err;
  EXPECT_NE(missing.err.find("5 of the sweep's 8 points"), std::string::npos) << missing.err;
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--shard", "1/3", "--quiet"}).status, 0);
  const auto merged = test::run_cli({"sweep", "merge", dir.file("s.json"), "--out", dir.file("out"), "--json"});
  ASSERT_EQ(merged.status, 0) << merged.err;
  EXPECT_EQ(rows(dir.file("out/sweep.sqlite")).ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(lines(dir.file("out/results.csv")).size(), 9u);
}

TEST(SweepCli, RefusesWhatItCannotRun) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--quiet"}).status, 0);
  test::write_file(dir.file("t.json"), R"({"base": {"model": "bloom-560m"}, "grid": {"batch": [1, 3]}})");
  const auto other = test::run_cli({"sweep", dir.file("t.json"), "--out", dir.file("out")});  // another sweep's folder
  EXPECT_EQ(other.status, 2);
  EXPECT_NE(other.err.find("different sweep"), std::string::npos) << other.err;
  EXPECT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--shard", "3/2"}).status, 2);
  // A point that cannot run (the model does not fit) is a failed row with its error, not a failed sweep.
  test::write_file(dir.file("u.json"), R"({"base": {"model": "bloom-560m", "new_tokens": 2},
      "grid": {"model": ["bloom-560m", "bloomz-176b"]}})");
  const auto r = test::run_cli({"sweep", dir.file("u.json"), "--out", dir.file("u"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["failed"], 1);
  EXPECT_EQ(rows(dir.file("u/sweep.sqlite")).status, (std::vector<std::string>{"done", "failed"}));
}

TEST(SweepCli, UnderMpirunEachRankTakesItsShareAndRankZeroMerges) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun is not installed";
  test::TempDir dir;
  test::write_file(dir.file("s.json"), kSweep);
  const std::string cmd = std::string("mpirun --allow-run-as-root --oversubscribe -n 2 ") + HPUSIM_CLI_PATH +
                          " sweep " + dir.file("s.json") + " --out " + dir.file("out") + " --quiet > " +
                          dir.file("log") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(dir.file("log"));
  EXPECT_EQ(rows(dir.file("out/sweep.sqlite")).ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/shards/shard-0-of-2.sqlite")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/shards/shard-1-of-2.sqlite")));
  EXPECT_EQ(lines(dir.file("out/results.csv")).size(), 9u);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {

// Every shipped scenario runs (shortened to 2 new tokens, one timed call after its warm-up) and reports a warm
// latency with the first call apart; every shipped sweep file reads.
TEST(ShippedFiles, EveryScenarioRunsAndEverySweepReads) {
  test::TempDir dir;
  int scenarios = 0, sweeps = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/scenarios")) {
    if (e.is_directory()) continue;
    const auto r = test::run_cli({"run", e.path().string(), "--new-tokens", "2", "--set", "iterations=1", "--set",
                                  "requests=0", "--json", "--trace", dir.file(std::to_string(scenarios) + ".sqlite")});
    EXPECT_EQ(r.status, 0) << e.path() << ": " << r.err;
    if (r.status == 0) {  // a warm figure, and the first call (compiles, captures) on its own
      const auto j = nlohmann::json::parse(r.out);
      EXPECT_GE(j["warmup_calls"].get<int64_t>(), 1) << e.path();
      EXPECT_GE(j["timed_calls"].get<int64_t>(), 1) << e.path();
      EXPECT_GT(j["latency_s"].get<double>(), 0) << e.path();
      EXPECT_TRUE(j.contains("first_call_s")) << e.path();
    }
    ++scenarios;
  }
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/scenarios/sweeps")) {
    const auto r = test::run_cli({"sweep", e.path().string(), "--shard", "0/1000000", "--out", dir.file("sw"),
                                  "--quiet", "--json"});  // reads and expands the file; runs at most one point
    EXPECT_EQ(r.status, 0) << e.path() << ": " << r.err;
    ++sweeps;
  }
  EXPECT_GE(scenarios, 20);
  EXPECT_GE(sweeps, 1);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {

TEST(SweepCli, BadPointsAreRefusedBeforeAnythingRuns) {
  test::TempDir dir;
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"base": {"model": "bloom-560m"}, "grid": {"bacth": [1, 2]}})", "bacth"},
           {R"({"base": {"model": "bloom-560m"}, "grid": {"batch": ["x"]}})", "batch"},
           {R"({"base": {"model": "bloom-560m"}, "grid": {"hbm.bandwith_GBps": [1000]}})", "hbm.bandwith_GBps"},
           {R"({"base": {"modle": "bloom-560m"}, "grid": {"batch": [1]}})", ""}}) {
    test::write_file(dir.file("s.json"), text);
    const auto r = test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out")});
    EXPECT_EQ(r.status, 2) << text;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(dir.file("s.json")), std::string::npos) << r.err;
    if (!key.empty()) {
      EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.file("out/sweep.sqlite"))) << text;
  }
  test::write_file(dir.file("s.json"), kSweep);
  EXPECT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--shard", "1/2x"}).status, 2);
}

TEST(SweepCli, AnEditedBaseFileIsAnotherSweep) {
  test::TempDir dir;
  test::write_file(dir.file("base.json"), R"({"model": "bloom-560m", "new_tokens": 2})");
  test::write_file(dir.file("s.json"), R"({"base": "base.json", "grid": {"batch": [1, 2]}})");
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--quiet"}).status, 0);
  test::write_file(dir.file("base.json"), R"({"model": "bloom-560m", "new_tokens": 3})");
  const auto r = test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--quiet"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("different sweep"), std::string::npos) << r.err;
}

TEST(ReportOnSweeps, NoPointRanAndUnknownMetricsAndTheOutputMustNotBeAnInput) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), R"({"base": {"model": "bloomz-176b", "new_tokens": 2}, "grid": {"batch": [1, 2]}})");
  ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("out"), "--quiet"}).status, 0);
  EXPECT_EQ(test::run_cli({"report", dir.file("out"), "-o", dir.file("r.html")}).status, 0);  // every point failed
  test::write_file(dir.file("t.json"), R"({"base": {"model": "bloom-560m", "new_tokens": 2}, "grid": {"batch": [1, 2]}})");
  ASSERT_EQ(test::run_cli({"sweep", dir.file("t.json"), "--out", dir.file("t"), "--quiet"}).status, 0);
  const auto metric = test::run_cli({"report", dir.file("t"), "--metric", "nonsense", "-o", dir.file("m.html")});
  EXPECT_EQ(metric.status, 2);
  EXPECT_NE(metric.err.find("decode_ms_per_token"), std::string::npos) << metric.err;
  const auto db_before = test::read_file(dir.file("t/sweep.sqlite"));
  EXPECT_EQ(test::run_cli({"report", dir.file("t"), "-o", dir.file("t/sweep.sqlite")}).status, 2);
  EXPECT_EQ(test::read_file(dir.file("t/sweep.sqlite")), db_before);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
// --no-traces: every figure in results.csv, no trace database written (sweeps of long generations).
TEST(SweepCli, NoTracesKeepsTheFiguresAndWritesNoTrace) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), R"({"base": {"device": "gaudi2", "model": "bloom-560m", "new_tokens": 2},
    "zip": {"mode": ["eager", "hpu-graph"]}})");
  const auto r = test::run_cli(
      {"sweep", dir.file("s.json"), "--jobs", "2", "--out", dir.file("out"), "--no-traces", "--quiet", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ran"], 2);
  std::ifstream csv(dir.file("out/results.csv"));
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  EXPECT_NE(header.find("latency_s"), std::string::npos);
  EXPECT_NE(first.find(",done,"), std::string::npos) << first;
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("out/traces")));
}
}  // namespace
}  // namespace hpusim
