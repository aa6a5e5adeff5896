// SPDX-License-Identifier: Apache-2.0
// Perfetto/Chrome export: valid JSON, one process per card and one for the host, one thread per engine, every span
// an event with exact times. Import: the export read back gives the same spans; torch.profiler-style files import;
// bad files are refused before anything is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "tests/test_support.h"
#include "traces/chrome_trace.h"
#include "traces/sqlite_recorder.h"
#include "traces/trace_reader.h"

namespace hpusim::traces {
namespace {

// Host + 2 cards, 3 engines each on the cards; returns the number of spans.
int record_sample(const std::string& path) {
  SqliteRecorder rec(path, {"sample", "test", "{}", "{}"});
  const int64_t host = rec.add_device(-1, "host");
  const int64_t h = rec.add_engine(host, "host", EngineKind::Host);
  int spans = 0;
  OpRecord d{"dispatch qkv", "dispatch", "", "", 0, 0, 0, std::nullopt, 0, "prefill"};
  rec.span(h, rec.add_op(d), 0, 7'000'001);  // 7.000001 us: needs all six decimals
  ++spans;
  for (int card = 0; card < 2; ++card) {
    const int64_t dev = rec.add_device(card, "gaudi2");
    const int64_t mme = rec.add_engine(dev, "mme0", EngineKind::Matrix);
    const int64_t tpc = rec.add_engine(dev, "tpc", EngineKind::Vector);
    const int64_t nic = rec.add_engine(dev, "fabric", EngineKind::Fabric);
    OpRecord g{"h.0.qkv \"fused\"", "gemm", "[1,7,4096]x[4096,12288]", "bf16", 704643072, 12, 34, 3, 0, "prefill"};
    OpRecord a{"allreduce", "all_reduce", "[1,7,4096]", "bf16", 0, 57344, 57344, 3, 0, "prefill"};
    rec.span(mme, rec.add_op(g), 7'000'001 + card, 9'123'457);
    rec.span(tpc, -1, 9'123'457, 9'200'000);
    rec.span(nic, rec.add_op(a), 9'200'000, 12'345'678'901);
    spans += 3;
  }
  rec.finish(RunStatus::Complete, "");
  return spans;
}

TEST(PerfettoExport, ValidJsonWithOneProcessPerCardAndHostAndOneThreadPerEngine) {
  test::TempDir dir;
  const int spans = record_sample(dir.file("t.sqlite"));
  const auto stats = export_chrome_trace(dir.file("t.sqlite"), dir.file("t.json"));
  const auto doc = nlohmann::json::parse(test::read_file(dir.file("t.json")));  // throws if not valid JSON
  ASSERT_TRUE(doc["traceEvents"].is_array());
  std::map<int64_t, std::string> processes;
  std::map<std::pair<int64_t, int64_t>, std::string> threads;
  std::vector<nlohmann::json> complete;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") processes[e["pid"]] = e["args"]["name"];
    if (e["ph"] == "M" && e["name"] == "thread_name") threads[{e["pid"], e["tid"]}] = e["args"]["name"];
    if (e["ph"] == "X") complete.push_back(e);
  }
  std::multiset<std::string> names;
  for (const auto& [pid, name] : processes) names.insert(name);
  EXPECT_EQ(names, (std::multiset<std::string>{"host", "card 0 gaudi2", "card 1 gaudi2"}));
  EXPECT_EQ(threads.size(), 7u);
  EXPECT_EQ(static_cast<int>(complete.size()), spans);
  EXPECT_EQ(stats.events, spans);
  for (const auto& e : complete) EXPECT_TRUE(threads.count({e["pid"], e["tid"]})) << "event on an undeclared track";
  // Times are microseconds printed from picoseconds without loss.
  const std::string text = test::read_file(dir.file("t.json"));
  EXPECT_NE(text.find(R"("ts":0.000000,"dur":7.000001)"), std::string::npos);
  EXPECT_NE(text.find(R"("ts":9.200000,"dur":12336.478901)"), std::string::npos);
  EXPECT_NE(text.find(R"(h.0.qkv \"fused\")"), std::string::npos);  // names are escaped
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.json.partial")));
}

// Filters for traces too large to open whole: a card, a range of steps, the host left out; a card the run does not
// have is refused before anything is written.
TEST(PerfettoExport, FiltersByCardStepsAndHost) {
  test::TempDir dir;
  record_sample(dir.file("t.sqlite"));
  ExportFilter f;
  f.cards = {1};
  f.steps = std::make_pair(int64_t{0}, int64_t{0});
  f.host = false;
  const auto stats = export_chrome_trace(dir.file("t.sqlite"), dir.file("t.json"), std::nullopt, f);
  EXPECT_EQ(stats.processes, 1);
  EXPECT_EQ(stats.threads, 3);
  EXPECT_EQ(stats.events, 2);  // card 1's GEMM and all-reduce (step 0); its TPC span has no op, so no step
  const auto doc = nlohmann::json::parse(test::read_file(dir.file("t.json")));
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "X") {
      EXPECT_EQ(e["args"]["step"], 0);
      EXPECT_NE(e["name"], "dispatch qkv");  // the host's
    }
  f.steps = std::make_pair(int64_t{1}, int64_t{5});
  EXPECT_EQ(export_chrome_trace(dir.file("t.sqlite"), dir.file("later.json"), std::nullopt, f).events, 0);
  f.steps.reset();
  f.host = true;
  f.cards = {};
  EXPECT_EQ(export_chrome_trace(dir.file("t.sqlite"), dir.file("all.json"), std::nullopt, f).events, 7);
  f.cards = {4};
  EXPECT_THROW(export_chrome_trace(dir.file("t.sqlite"), dir.file("none.json"), std::nullopt, f), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.json")));
  EXPECT_EQ(parse_step_range("150..199"), std::make_pair(int64_t{150}, int64_t{199}));
  EXPECT_EQ(parse_step_range("7"), std::make_pair(int64_t{7}, int64_t{7}));
  for (const char* bad : {"", "a", "5..2", "-1..3", "1..", "1...3"}) EXPECT_THROW(parse_step_range(bad), InputError) << bad;
}

TEST(ChromeImport, ExportThenImportGivesTheSameSpans) {
  test::TempDir dir;
  record_sample(dir.file("a.sqlite"));
  export_chrome_trace(dir.file("a.sqlite"), dir.file("a.json"));
  import_chrome_trace(dir.file("a.json"), dir.file("b.sqlite"), "", "test", false);
  TraceReader a(dir.file("a.sqlite")), b(dir.file("b.sqlite"));
  OpFilter all;
  all.limit = 0;
  const auto ra = a.ops(1, all), rb = b.ops(1, all);
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].start_ps, rb[i].start_ps);
    EXPECT_EQ(ra[i].end_ps, rb[i].end_ps);
    EXPECT_EQ(ra[i].engine, rb[i].engine);
    EXPECT_EQ(ra[i].device, rb[i].device);
    EXPECT_EQ(ra[i].kind, rb[i].kind == "span" ? "(none)" : rb[i].kind);
    if (ra[i].op_id >= 0) {
      EXPECT_EQ(ra[i].name, rb[i].name);
      EXPECT_EQ(ra[i].shapes, rb[i].shapes);
      EXPECT_EQ(ra[i].flops, rb[i].flops);
      EXPECT_EQ(ra[i].step, rb[i].step);
    }
  }
  const auto sa = a.summary(1), sb = b.summary(1);
  EXPECT_EQ(sa.makespan_ps, sb.makespan_ps);
  EXPECT_EQ(sa.host_busy_ps, sb.host_busy_ps);
  EXPECT_EQ(sa.device_busy_ps, sb.device_busy_ps);
  ASSERT_EQ(sa.engines.size(), sb.engines.size());
  for (std::size_t i = 0; i < sa.engines.size(); ++i) EXPECT_EQ(sa.engines[i].engine_kind, sb.engines[i].engine_kind);
}

TEST(ChromeImport, TorchProfilerStyleEvents) {
  test::TempDir dir;
  // The shape torch.profiler's export_chrome_trace writes: wall-clock microseconds with nanosecond digits,
  // string pids for devices, aten:: names, Input Dims, and B/E pairs from other producers.
  test::write_file(dir.file("p.json"), R"({"traceEvents": [
    {"ph": "M", "pid": 1234, "name": "process_name", "args": {"name": "python3"}},
    {"ph": "M", "pid": 0, "name": "process_name", "args": {"name": "GPU 0"}},
    {"ph": "M", "pid": 0, "tid": 7, "name": "thread_name", "args": {"name": "stream 7"}},
    {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "pid": 1234, "tid": 1234, "ts": 1731000000000100.125,
     "dur": 12.5, "args": {"Input Dims": [[4096], [7, 4096], [4096, 4096]], "Input type": ["float", "float", "float"]}},
    {"ph": "X", "cat": "kernel", "name": "sgemm_128x64", "pid": 0, "tid": 7, "ts": 1731000000000110.001, "dur": 40.0},
    {"ph": "B", "name": "step", "pid": 1234, "tid": 1234, "ts": 1731000000000100.000},
    {"ph": "E", "pid": 1234, "tid": 1234, "ts": 1731000000000200.000},
    {"ph": "i", "name": "marker", "pid": 1234, "tid": 1234, "ts": 1731000000000150.0}
  ]})");
  const auto stats = import_chrome_trace(dir.file("p.json"), dir.file("p.sqlite"), "measured", "test", false);
  EXPECT_EQ(stats.spans, 3);
  EXPECT_EQ(stats.devices, 2);
  TraceReader r(dir.file("p.sqlite"));
  const auto s = r.summary(1);
  EXPECT_EQ(s.makespan_ps, 100'000'000);  // B at +0 to E at +100 us
  OpFilter all;
  const auto ops = r.ops(1, all);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[1].kind, "addmm");
  // Wall-clock timestamps (~1.7e15 us) keep nanosecond resolution through the long double parse: within 1 ns.
  EXPECT_NEAR(static_cast<double>(ops[1].start_ps), 125'000, 1000);
  EXPECT_EQ(ops[1].shapes, "[[4096],[7,4096],[4096,4096]]");
  EXPECT_EQ(ops[2].kind, "kernel");
  EXPECT_EQ(ops[2].device, "GPU 0");
  EXPECT_NEAR(static_cast<double>(ops[2].start_ps), 10'001'000, 1000);
}

struct BadImport {
  std::string label, text, key;
};
void PrintTo(const BadImport& b, std::ostream* os) { *os << b.label; }

class ChromeImportRejects : public testing::TestWithParam<BadImport> {};

TEST_P(ChromeImportRejects, BeforeWritingAnything) {
  test::TempDir dir;
  test::write_file(dir.file("bad.json"), GetParam().text);
  try {
    import_chrome_trace(dir.file("bad.json"), dir.file("out.sqlite"), "", "test", false);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), dir.file("bad.json")) << e.what();
    EXPECT_EQ(e.key(), GetParam().key) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.sqlite")));
}

INSTANTIATE_TEST_SUITE_P(
    Import, ChromeImportRejects,
    testing::Values(BadImport{"truncated", R"({"traceEvents": [{"ph": "X", "ts": 1)", ""},
                    BadImport{"no_events", R"({"otherData": {}})", "/traceEvents"},
                    BadImport{"events_not_array", R"({"traceEvents": 3})", "/traceEvents"},
                    BadImport{"ts_not_number", R"([{"ph": "X", "ts": "soon", "dur": 1}])", "/traceEvents/0/ts"},
                    BadImport{"negative_dur", R"([{"ph": "X", "ts": 1, "dur": -1}])", "/traceEvents/0/dur"},
                    BadImport{"end_without_begin", R"([{"ph": "E", "ts": 1}])", "/traceEvents/0"},
                    BadImport{"nothing_to_import", R"([{"ph": "i", "ts": 1}])", "/traceEvents"}),
    [](const testing::TestParamInfo<BadImport>& p) { return p.param.label; });

TEST(PerfettoExport, UnknownRunAndMissingFileAreBadInput) {
  test::TempDir dir;
  record_sample(dir.file("t.sqlite"));
  EXPECT_THROW(export_chrome_trace(dir.file("t.sqlite"), dir.file("t.json"), 9), InputError);
  EXPECT_THROW(export_chrome_trace(dir.file("none.sqlite"), dir.file("t.json")), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.json")));
}

}  // namespace
}  // namespace hpusim::traces
