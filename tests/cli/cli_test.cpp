// SPDX-License-Identifier: Apache-2.0
// The command-line contract (DESIGN.md): --json prints exactly one JSON object on stdout and nothing else there;
// logs and errors go to stderr; exit 0 on success, 2 on bad input (one line naming file and key), never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/sqlite_db.h"

namespace traces_stub {
void make_foreign_database(const std::string& path) {
  hpusim::traces::Database db(path, hpusim::traces::Database::Mode::ReadWriteCreate);
  db.exec("CREATE TABLE foo (x); PRAGMA user_version = 1;");
}
}  // namespace traces_stub

namespace hpusim {
namespace {

using test::run_cli;

nlohmann::json only_json(const test::CliResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out);  // throws unless stdout is exactly one JSON document
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, HelpAndVersion) {
  const auto help = run_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("models"), std::string::npos);
  EXPECT_NE(help.out.find("trace"), std::string::npos);
  for (const char* sub : {"models", "trace"}) EXPECT_EQ(run_cli({sub, "--help"}).status, 0) << sub;
  EXPECT_EQ(run_cli({"trace", "export", "--help"}).status, 0);
  const auto v = run_cli({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("hpusim "), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"models"}, {"models", "show"}, {"models", "list", "--bogus"}, {"trace", "summary"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

TEST(Cli, ModelsListJsonIsOneObjectAndStderrStaysQuiet) {
  const auto r = run_cli({"models", "list", "--json"});
  const auto j = only_json(r);
  EXPECT_TRUE(r.err.empty()) << r.err;  // no SystemC banner, no logs on success
  ASSERT_EQ(j["models"].size(), 5u);
  EXPECT_EQ(j["models"][0]["name"], "a100-40gb");
}

TEST(Cli, ModelsShowWithSetAndOverrideFile) {
  const auto j = only_json(run_cli({"models", "show", "--set", "models.hbm.bandwidth_GBps=3200", "gaudi2", "--json"}));
  EXPECT_EQ(j["hbm"]["bandwidth_GBps"], 3200);
  EXPECT_EQ(j["sets"][0], "models.hbm.bandwidth_GBps=3200");
  const auto text = run_cli({"models", "show", "h100-sxm", "--sources"});
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("hardware.md"), std::string::npos);
  EXPECT_NE(text.out.find("989.4"), std::string::npos) << text.out;  // 132 x 4 x 1024 x 1.83 GHz
}

TEST(Cli, BadModelInputsExitTwoWithOneLineNamingFileAndKey) {
  test::TempDir dir;
  test::write_file(dir.file("bad.json"), R"({"base": "gaudi2", "hbm": {"bandwidth_GBps": -1}})");
  test::write_file(dir.file("trunc.json"), R"({"base": "gaudi2", "hbm": {)");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases{
      {{"models", "show", dir.file("bad.json")}, {dir.file("bad.json"), "/hbm/bandwidth_GBps", "allowed 0.001"}},
      {{"models", "show", dir.file("trunc.json")}, {dir.file("trunc.json"), "malformed JSON"}},
      {{"models", "show", "gaudi2", "--set", "tpc.count=0"}, {"--set tpc.count=0", "/tpc/count", "1 .. 1024"}},
      {{"models", "show", "gaudi2", "--set", "tpc.cnt=3"}, {"/tpc/cnt", "did you mean 'count'"}},
      {{"models", "show", "gaudy2"}, {"gaudy2", "did you mean 'gaudi2'"}},
      {{"models", "show", dir.file("none.json")}, {"no such model file"}},
  };
  for (const auto& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(lines(r.err), 1) << r.err;
    for (const auto& w : c.words) EXPECT_NE(r.err.find(w), std::string::npos) << "missing '" << w << "' in " << r.err;
  }
}

// Paths that cannot be used say why, in one line, exit 2: a folder given as a file, a file given as a folder.
TEST(Cli, UnusablePathsSayWhy) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("folder"));
  test::write_file(dir.file("plain"), "x");
  test::write_file(dir.file("s.json"), R"({"base": {"model": "bloom-560m", "new_tokens": 2}, "grid": {"batch": [1]}})");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases{
      {{"run", dir.file("folder")}, {dir.file("folder"), "is a directory"}},
      {{"sweep", dir.file("folder")}, {dir.file("folder"), "is a directory"}},
      {{"run", dir.file("none.json")}, {dir.file("none.json"), "No such file or directory"}},
      {{"run", "--model", "bloom-560m", "--new-tokens", "2", "--trace", dir.file("plain") + "/t.sqlite"},
       {dir.file("plain"), "is not a folder"}},
      {{"sweep", dir.file("s.json"), "--out", dir.file("plain") + "/sw"}, {dir.file("plain"), "cannot make"}},
  };
  for (const auto& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    for (const auto& w : c.words) EXPECT_NE(r.err.find(w), std::string::npos) << "missing '" << w << "' in " << r.err;
  }
}

TEST(Cli, TraceCommandsRoundTrip) {
  test::TempDir dir;
  test::write_file(dir.file("in.json"), R"({"traceEvents": [
    {"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "host"}},
    {"ph": "M", "pid": 2, "name": "process_name", "args": {"name": "card 0 gaudi2"}},
    {"ph": "M", "pid": 2, "tid": 5, "name": "thread_name", "args": {"name": "mme0", "hpusim_kind": "matrix"}},
    {"ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 5, "name": "dispatch", "cat": "dispatch", "args": {"op_kind": "dispatch"}},
    {"ph": "X", "pid": 2, "tid": 5, "ts": 5, "dur": 20, "name": "qkv", "cat": "gemm", "args": {"op_kind": "gemm", "flops": 1000}}
  ]})");
  const auto imp = only_json(run_cli({"trace", "import", dir.file("in.json"), "-o", dir.file("t.sqlite"), "--json"}));
  EXPECT_EQ(imp["spans"], 2);
  const auto sum = only_json(run_cli({"trace", "summary", dir.file("t.sqlite"), "--json"}));
  EXPECT_EQ(sum["makespan_ps"], 25'000'000);
  EXPECT_EQ(sum["host_busy_ps"], 5'000'000);
  EXPECT_EQ(sum["device_busy_ps"], 20'000'000);
  const auto text = run_cli({"trace", "summary", dir.file("t.sqlite")});
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("device-bound"), std::string::npos) << text.out;
  const auto ops = only_json(run_cli({"trace", "ops", dir.file("t.sqlite"), "--kind", "gemm", "--json"}));
  ASSERT_EQ(ops["ops"].size(), 1u);
  EXPECT_EQ(ops["ops"][0]["flops"], 1000);
  const auto exp =
      only_json(run_cli({"trace", "export", dir.file("t.sqlite"), "--perfetto", dir.file("o.json"), "--json"}));
  EXPECT_EQ(exp["events"], 2);
  EXPECT_TRUE(nlohmann::json::accept(test::read_file(dir.file("o.json"))));
  EXPECT_EQ(run_cli({"trace", "import", dir.file("o.json"), "-o", dir.file("t.sqlite"), "--append", "--label", "again"})
                .status,
            0);
  const auto cmp =
      only_json(run_cli({"trace", "compare", dir.file("t.sqlite"), "--run-a", "1", "--run-b", "2", "--json"}));
  EXPECT_EQ(cmp["totals"][0]["diff_ps"], 0);
}

TEST(Cli, BadTraceInputsExitTwo) {
  test::TempDir dir;
  test::write_file(dir.file("text.sqlite"), std::string(4096, 'x'));
  test::write_file(dir.file("bad.json"), "{\"traceEvents\": [");
  test::write_file(dir.file("ok.json"), R"([{"ph": "X", "ts": 0, "dur": 1, "name": "a"}])");
  test::write_file(dir.file("overflow.json"), R"([{"ph": "X", "ts": 1e5000, "dur": 1}])");
  test::write_file(dir.file("too_long.json"), R"([{"ph": "X", "ts": 0, "dur": 1}, {"ph": "X", "ts": 1e13, "dur": 1}])");
  ASSERT_EQ(run_cli({"trace", "import", dir.file("ok.json"), "-o", dir.file("good.sqlite")}).status, 0);
  std::filesystem::create_directory(dir.file("folder"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"trace", "summary", dir.file("none.sqlite")},
           {"trace", "summary", dir.file("text.sqlite")},
           {"trace", "ops", dir.file("text.sqlite")},
           {"trace", "compare", dir.file("none.sqlite"), dir.file("text.sqlite")},
           {"trace", "export", dir.file("text.sqlite"), "--perfetto", dir.file("o.json")},
           {"trace", "import", dir.file("bad.json"), "-o", dir.file("t.sqlite")},
           {"trace", "import", dir.file("overflow.json"), "-o", dir.file("t.sqlite")},
           {"trace", "import", dir.file("too_long.json"), "-o", dir.file("t.sqlite")},
           {"trace", "import", dir.file("ok.json"), "-o", dir.file("folder")},
           {"trace", "import", dir.file("ok.json"), "-o", dir.file("ok.json")},
           {"trace", "export", dir.file("good.sqlite"), "--perfetto", dir.file("folder")},
           {"trace", "export", dir.file("good.sqlite"), "--perfetto", dir.file("good.sqlite")},
           {"trace", "export", dir.file("good.sqlite"), "--perfetto", dir.file("nofolder/o.json")},
           {"trace", "export", dir.file("good.sqlite"), "--perfetto", ""},
           {"trace", "ops", dir.file("good.sqlite"), "--limit", "-1"},
           {"trace", "summary", dir.file("good.sqlite"), "--run", "0"},
           {"trace", "summary", dir.file("good.sqlite"), "--run", "2"},
           {"trace", "compare", dir.file("good.sqlite")},
           {"trace", "compare", dir.file("good.sqlite"), "--run-b", "9"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o.json")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.sqlite")));
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("folder")));
  EXPECT_EQ(test::read_file(dir.file("ok.json")), R"([{"ph": "X", "ts": 0, "dur": 1, "name": "a"}])");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_NE(entry.path().extension(), ".partial") << "half-written output left: " << entry.path();
}

TEST(Cli, ATableThatIsNotATraceIsBadInput) {
  test::TempDir dir;
  // A SQLite file claiming our schema version but without our tables.
  { traces_stub::make_foreign_database(dir.file("foreign.sqlite")); }
  const auto r = run_cli({"trace", "summary", dir.file("foreign.sqlite")});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("not a complete hpusim trace"), std::string::npos) << r.err;
}

TEST(Cli, CompareOfOneFileDefaultsToItsLastTwoRuns) {
  test::TempDir dir;
  test::write_file(dir.file("a.json"), R"([{"ph": "X", "ts": 0, "dur": 3, "name": "g", "args": {"op_kind": "gemm"}}])");
  test::write_file(dir.file("b.json"), R"([{"ph": "X", "ts": 0, "dur": 1, "name": "g", "args": {"op_kind": "gemm"}}])");
  ASSERT_EQ(run_cli({"trace", "import", dir.file("a.json"), "-o", dir.file("t.sqlite")}).status, 0);
  ASSERT_EQ(run_cli({"trace", "import", dir.file("b.json"), "-o", dir.file("t.sqlite"), "--append"}).status, 0);
  const auto cmp = only_json(run_cli({"trace", "compare", dir.file("t.sqlite"), "--json"}));
  EXPECT_EQ(cmp["totals"][0]["a_ps"], 3'000'000);
  EXPECT_EQ(cmp["totals"][0]["b_ps"], 1'000'000);
}

TEST(Cli, BadModelNumbersAndNamesExitTwo) {
  test::TempDir dir;
  test::write_file(dir.file("big.json"), R"({"base": "gaudi2", "hbm": {"bandwidth_GBps": 1e400}})");
  test::write_file(dir.file("c1.json"), R"({"base": "c2.json"})");
  test::write_file(dir.file("c2.json"), R"({"base": "c1.json"})");
  for (const auto& args : std::vector<std::vector<std::string>>{{"models", "show", dir.file("big.json")},
                                                                {"models", "show", dir.file("c1.json")},
                                                                {"models", "show", "gaudi2", "--set", "family=\xff"},
                                                                {"models", "show", "gaudi2", "--set", "base=h100-sxm"},
                                                                {"models", "list", "--dir", dir.file("nothing")}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

}  // namespace
}  // namespace hpusim
