// SPDX-License-Identifier: Apache-2.0
// Trace round trip: spans written through the recorder read back exactly (raw SQL, not our reader), and the
// summary figures of the views equal those computed here independently from the spans we wrote.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "common/input_error.h"
#include "tests/test_support.h"
#include "traces/schema.h"
#include "traces/sqlite_recorder.h"
#include "traces/trace_reader.h"
#include "traces/trace_compare.h"
#include "traces/trace_report.h"

namespace hpusim::traces {
namespace {

struct Written {
  int64_t engine, op, start, end;
  bool operator==(const Written&) const = default;
  bool operator<(const Written& o) const {
    return std::tie(engine, op, start, end) < std::tie(o.engine, o.op, o.start, o.end);
  }
};

std::vector<Written> read_spans_raw(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT engine_id, COALESCE(op_id, -1), start_ps, end_ps FROM spans", -1, &s, nullptr);
  std::vector<Written> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out.push_back({sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                   sqlite3_column_int64(s, 3)});
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

std::string query_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// Union length of intervals, computed by sorting and sweeping.
int64_t union_length(std::vector<std::pair<int64_t, int64_t>> v) {
  std::sort(v.begin(), v.end());
  int64_t total = 0, cur_start = 0, cur_end = -1;
  bool open = false;
  for (auto [s, e] : v) {
    if (!open || s > cur_end) {
      if (open) total += cur_end - cur_start;
      cur_start = s;
      cur_end = e;
      open = true;
    } else {
      cur_end = std::max(cur_end, e);
    }
  }
  if (open) total += cur_end - cur_start;
  return total;
}

TEST(Recorder, SpansRoundTripExactlyAndSummaryMatchesAnIndependentComputation) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  std::mt19937_64 rng(7);
  std::vector<Written> written;
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> per_engine;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> per_side;
  std::map<std::string, int64_t> per_kind;
  int64_t engine_ids[4];
  int64_t min_start = INT64_MAX, max_end = 0;
  {
    SqliteRecorder rec(path, {"eager", "test", R"({"x":1})", "{}"}, RecorderOptions{false, 1000});
    const int64_t host = rec.add_device(-1, "host");
    const int64_t card = rec.add_device(0, "gaudi2");
    engine_ids[0] = rec.add_engine(host, "host", EngineKind::Host);
    engine_ids[1] = rec.add_engine(card, "mme0", EngineKind::Matrix);
    engine_ids[2] = rec.add_engine(card, "tpc", EngineKind::Vector);
    engine_ids[3] = rec.add_engine(card, "dma", EngineKind::Dma);
    const char* kinds[] = {"dispatch", "gemm", "layernorm", "copy"};
    // 10,007 spans (not a multiple of the 64-row batch), overlapping on some engines, some without an op.
    for (int i = 0; i < 10007; ++i) {
      const int e = static_cast<int>(rng() % 4);
      const int64_t start = static_cast<int64_t>(rng() % 100'000'000);
      const int64_t end = start + 1 + static_cast<int64_t>(rng() % 50'000);
      int64_t op = -1;
      if (i % 10 != 0) {
        OpRecord o;
        o.name = "op" + std::to_string(i);
        o.kind = kinds[e];
        o.step = i % 5;
        op = rec.add_op(o);
        per_kind[std::string(e == 0 ? "host " : "card ") + kinds[e]] += end - start;
      } else {
        per_kind[std::string(e == 0 ? "host " : "card ") + "(none)"] += end - start;
      }
      rec.span(engine_ids[e], op, start, end);
      written.push_back({engine_ids[e], op, start, end});
      per_engine[engine_ids[e]].push_back({start, end});
      per_side[e == 0 ? "host" : "card"].push_back({start, end});
      min_start = std::min(min_start, start);
      max_end = std::max(max_end, end);
    }
    rec.metric("latency_s", "s", 1.5, "whole generation");
    rec.finish(RunStatus::Complete, "done");
  }
  auto back = read_spans_raw(path);
  std::sort(back.begin(), back.end());
  std::sort(written.begin(), written.end());
  ASSERT_EQ(back.size(), written.size());
  EXPECT_TRUE(back == written);

  TraceReader reader(path);
  const auto s = reader.summary(reader.default_run_id());
  EXPECT_EQ(s.run.status, "complete");
  EXPECT_EQ(s.run.label, "eager");
  EXPECT_EQ(s.span_count, 10007);
  EXPECT_EQ(s.makespan_ps, max_end - min_start);
  EXPECT_EQ(s.host_busy_ps, union_length(per_side["host"]));
  EXPECT_EQ(s.device_busy_ps, union_length(per_side["card"]));
  ASSERT_EQ(s.engines.size(), 4u);
  for (const auto& e : s.engines) {
    EXPECT_EQ(e.busy_ps, union_length(per_engine[e.engine_id])) << e.engine;
    EXPECT_NEAR(e.busy_fraction, static_cast<double>(e.busy_ps) / static_cast<double>(max_end - min_start), 1e-12);
  }
  for (const auto& k : s.op_kinds) EXPECT_EQ(k.total_ps, per_kind[k.device_kind + " " + k.op_kind]) << k.op_kind;
  EXPECT_EQ(s.op_kinds.size(), per_kind.size());
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(s.metrics[0].value, 1.5);
  EXPECT_EQ(query_text(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query_text(path, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(query_text(path, "PRAGMA journal_mode"), "delete");  // WAL while recording, one plain file after
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(Recorder, OpsFilterAndOrder) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  {
    SqliteRecorder rec(path, {"x", "test", "{}", "{}"});
    const int64_t card = rec.add_device(0, "gaudi2");
    const int64_t mme = rec.add_engine(card, "mme0", EngineKind::Matrix);
    const int64_t tpc = rec.add_engine(card, "tpc", EngineKind::Vector);
    OpRecord g{"qkv", "gemm", "[1,7,4096]x[4096,12288]", "bf16", 704643072, 100, 200, std::nullopt, 0, "prefill"};
    OpRecord l{"ln", "layernorm", "[1,7,4096]", "bf16", 0, 10, 10, std::nullopt, 1, "decode"};
    rec.span(tpc, rec.add_op(l), 5000, 6000);
    rec.span(mme, rec.add_op(g), 1000, 4000);
    rec.finish(RunStatus::Complete, "");
  }
  TraceReader reader(path);
  const auto all = reader.ops(1, {});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].kind, "gemm");  // time order
  EXPECT_EQ(all[0].flops, 704643072);
  EXPECT_EQ(all[0].bytes, 300);
  EXPECT_EQ(all[1].engine, "tpc");
  OpFilter only_gemm;
  only_gemm.kind = "gemm";
  EXPECT_EQ(reader.ops(1, only_gemm).size(), 1u);
  OpFilter step1;
  step1.step = 1;
  ASSERT_EQ(reader.ops(1, step1).size(), 1u);
  EXPECT_EQ(reader.ops(1, step1)[0].name, "ln");
  EXPECT_THROW(reader.ops(2, {}), InputError);
}

TEST(Recorder, AppendAddsRunsAndCompareSubtracts) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  auto record = [&](const std::string& label, int64_t gemm_ps, bool append) {
    SqliteRecorder rec(path, {label, "test", "{}", "{}"}, RecorderOptions{append});
    const int64_t card = rec.add_device(0, "gaudi2");
    const int64_t mme = rec.add_engine(card, "mme0", EngineKind::Matrix);
    OpRecord g;
    g.name = "g";
    g.kind = "gemm";
    rec.span(mme, rec.add_op(g), 0, gemm_ps);
    rec.finish(RunStatus::Complete, "");
  };
  record("eager", 3000, false);
  record("lazy", 1000, true);
  TraceReader reader(path);
  ASSERT_EQ(reader.runs().size(), 2u);
  const auto c = compare(reader.summary(1), reader.summary(2));
  EXPECT_EQ(c.totals[0].a_ps, 3000);
  EXPECT_EQ(c.totals[0].b_ps, 1000);
  ASSERT_EQ(c.op_kinds.size(), 1u);
  EXPECT_EQ(c.op_kinds[0].what, "card gemm");
  const std::string text = render_comparison(c);
  EXPECT_NE(text.find("-2.000 ns"), std::string::npos) << text;
  EXPECT_NE(text.find("0.33x"), std::string::npos) << text;
}

TEST(Recorder, NotATraceIsABadInput) {
  test::TempDir dir;
  test::write_file(dir.file("x.sqlite"), "this is not a database, just text that is long enough to look like one....");
  EXPECT_THROW(TraceReader{dir.file("x.sqlite")}, InputError);
  EXPECT_THROW(TraceReader{dir.file("missing.sqlite")}, InputError);
}

TEST(FormatDuration, PicksTheLargestUnitAboveOne) {
  EXPECT_EQ(format_duration(999), "999 ps");
  EXPECT_EQ(format_duration(1500), "1.500 ns");
  EXPECT_EQ(format_duration(2'345'000'000), "2.345 ms");
  EXPECT_EQ(format_duration(3'000'000'000'000), "3.000 s");
}

}  // namespace
}  // namespace hpusim::traces

namespace hpusim::traces {
namespace {
TEST(TraceDocs, TraceDatabaseMarkdownHoldsTheExactSchema) {
  const std::string doc = test::read_file(test::source_dir() + "/docs/TRACE_DATABASE.md");
  for (const char* sql : {kCreateTables, kCreateSpanTotals, kCreateIndexes, kCreateViews})
    EXPECT_NE(doc.find(sql), std::string::npos) << "docs/TRACE_DATABASE.md is out of date with traces/schema.h";
}
}  // namespace
}  // namespace hpusim::traces
