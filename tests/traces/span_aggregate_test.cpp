// SPDX-License-Identifier: Apache-2.0
// The totals the recorder writes at finish() and the one-scan tally (traces/span_aggregate.*) against the SQL views
// they replace for `trace summary` and `trace compare`: the same busy time per engine and per side, makespan and time
// per op kind, on a simulated eager run (host and card spans, ops on two engines, two cards) and on an imported
// torch.profiler file (nested spans, two runs in a file, and a damaged one whose spans point at another run's op or
// at none: the scan's case). The op-name grouping folds layer numbers and sums to the op kinds' totals. A run
// without stored totals (killed, or appended to a file of schema 3) is tallied from its spans.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "tests/test_support.h"
#include "traces/span_aggregate.h"
#include "traces/sqlite_db.h"
#include "traces/sqlite_recorder.h"

namespace hpusim::traces {
namespace {

enum class Source { stored, scan };

void expect_same_as_views(const std::string& file, int64_t run, Source source = Source::stored) {
  Database db(file, Database::Mode::ReadOnly);
  if (source == Source::stored) {
    auto has = db.prepare("SELECT COUNT(*) FROM run_span_totals WHERE run_id = ?");
    has.bind(1, run);
    ASSERT_TRUE(has.step());
    ASSERT_EQ(has.column_int(0), 1) << "run " << run << " has no stored totals";
  }
  const SpanAggregates a = source == Source::stored ? aggregate_spans(db, run) : scan_spans(db, run);
  ASSERT_FALSE(a.engines.empty());
  auto split = db.prepare("SELECT makespan_ps, host_busy_ps, device_busy_ps FROM host_device_split WHERE run_id = ?");
  split.bind(1, run);
  ASSERT_TRUE(split.step());
  EXPECT_EQ(a.makespan_ps, split.column_int(0));
  EXPECT_EQ(a.host_busy_ps, split.column_int(1));
  EXPECT_EQ(a.device_busy_ps, split.column_int(2));
  auto engines = db.prepare(
      "SELECT engine_id, spans, busy_ps FROM engine_utilisation WHERE run_id = ? ORDER BY device_kind DESC, card, "
      "engine_id");
  engines.bind(1, run);
  std::size_t i = 0;
  while (engines.step()) {
    ASSERT_LT(i, a.engines.size());
    EXPECT_EQ(a.engines[i].engine_id, engines.column_int(0));
    EXPECT_EQ(a.engines[i].spans, engines.column_int(1)) << a.engines[i].engine;
    EXPECT_EQ(a.engines[i].busy_ps, engines.column_int(2)) << a.engines[i].engine;
    ++i;
  }
  EXPECT_EQ(i, a.engines.size());
  std::map<std::string, std::tuple<int64_t, int64_t, int64_t>> want;
  auto kinds = db.prepare("SELECT device_kind, op_kind, spans, ops, total_ps FROM time_per_op_kind WHERE run_id = ?");
  kinds.bind(1, run);
  while (kinds.step())
    want[kinds.column_text(0) + " " + kinds.column_text(1)] = {kinds.column_int(2), kinds.column_int(3), kinds.column_int(4)};
  std::map<std::string, std::tuple<int64_t, int64_t, int64_t>> got;
  for (const auto& k : a.op_kinds) got[k.device_kind + " " + k.group] = {k.spans, k.ops, k.total_ps};
  EXPECT_EQ(got, want);
  // Names partition the same spans: per side, their totals add up to the kinds'.
  std::map<std::string, int64_t> by_kind, by_name;
  for (const auto& k : a.op_kinds) by_kind[k.device_kind] += k.total_ps;
  for (const auto& k : a.op_names) by_name[k.device_kind] += k.total_ps;
  EXPECT_EQ(by_name, by_kind);
}

TEST(SpanAggregate, AgreesWithTheViewsOnASimulatedRun) {
  test::TempDir dir;
  ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "3", "--trace", dir.file("t.sqlite")}).status, 0);
  expect_same_as_views(dir.file("t.sqlite"), 1);
  expect_same_as_views(dir.file("t.sqlite"), 1, Source::scan);
  Database db(dir.file("t.sqlite"), Database::Mode::ReadOnly);
  const auto a = aggregate_spans(db, 1);
  bool layer_folded = false;
  for (const auto& k : a.op_names) layer_folded = layer_folded || k.group == "h.*.self_attention.query_key_value";
  EXPECT_TRUE(layer_folded);
}

TEST(SpanAggregate, AgreesWithTheViewsOnNestedImportedProfilesTwoRunsInAFile) {
  test::TempDir dir;
  const std::string examples = test::source_dir() + "/traces/examples/";
  ASSERT_EQ(test::run_cli({"trace", "import", examples + "bloom560m-2layers-cpu-torch-fp32.json", "-o",
                           dir.file("p.sqlite")})
                .status,
            0);
  ASSERT_EQ(test::run_cli({"trace", "import", examples + "bloom560m-2layers-cpu-torch-bf16.json", "-o",
                           dir.file("p.sqlite"), "--append"})
                .status,
            0);
  expect_same_as_views(dir.file("p.sqlite"), 1);
  expect_same_as_views(dir.file("p.sqlite"), 2);
  expect_same_as_views(dir.file("p.sqlite"), 2, Source::scan);
  // A damaged file: spans of run 2 pointing at an op of run 1 and at no op at all are counted as the views count
  // them (the op's own kind; "(none)" but an op for a missing one).
  {
    Database db(dir.file("p.sqlite"), Database::Mode::ReadWriteCreate);
    db.exec("UPDATE spans SET op_id = (SELECT MIN(id) FROM ops WHERE run_id = 1) WHERE rowid = (SELECT MAX(rowid) FROM spans);"
            "UPDATE spans SET op_id = 999999 WHERE rowid = (SELECT MAX(rowid) - 1 FROM spans);");
  }
  expect_same_as_views(dir.file("p.sqlite"), 2, Source::scan);
}

// Every figure the totals hold, field by field, against a scan of the spans: a tensor-parallel eager run on two cards
// (both sides, collectives on the fabric engines).
TEST(SpanAggregate, TheStoredTotalsAreTheScansFigures) {
  test::TempDir dir;
  ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--cards", "2", "--new-tokens", "3", "--trace",
                           dir.file("t.sqlite")})
                .status,
            0);
  Database db(dir.file("t.sqlite"), Database::Mode::ReadOnly);
  auto has = db.prepare("SELECT COUNT(*) FROM run_span_totals WHERE run_id = 1");
  ASSERT_TRUE(has.step());
  ASSERT_EQ(has.column_int(0), 1);  // read from the totals, not a second scan
  const SpanAggregates stored = aggregate_spans(db, 1), scanned = scan_spans(db, 1);
  EXPECT_EQ(stored.makespan_ps, scanned.makespan_ps);
  EXPECT_EQ(stored.host_busy_ps, scanned.host_busy_ps);
  EXPECT_EQ(stored.device_busy_ps, scanned.device_busy_ps);
  EXPECT_EQ(stored.span_count, scanned.span_count);
  ASSERT_EQ(stored.engines.size(), scanned.engines.size());
  for (std::size_t i = 0; i < stored.engines.size(); ++i) {
    const auto &a = stored.engines[i], &b = scanned.engines[i];
    EXPECT_EQ(std::tie(a.engine_id, a.device_kind, a.device, a.engine, a.engine_kind, a.card, a.spans, a.busy_ps),
              std::tie(b.engine_id, b.device_kind, b.device, b.engine, b.engine_kind, b.card, b.spans, b.busy_ps));
  }
  const auto same = [](const std::vector<OpGroupTime>& x, const std::vector<OpGroupTime>& y) {
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(std::tie(x[i].device_kind, x[i].group, x[i].spans, x[i].ops, x[i].total_ps),
                std::tie(y[i].device_kind, y[i].group, y[i].spans, y[i].ops, y[i].total_ps));
  };
  same(stored.op_kinds, scanned.op_kinds);
  same(stored.op_names, scanned.op_names);
  EXPECT_GT(stored.device_busy_ps, 0);
  EXPECT_GT(stored.host_busy_ps, 0);
}

// A file of schema 3 (no totals) takes a new run: the file becomes schema 4, the old run is tallied from its spans
// and the new one read from its totals, both as the views give them.
TEST(SpanAggregate, AppendingToASchema3FileAddsTheTotals) {
  test::TempDir dir;
  const std::string file = dir.file("t.sqlite");
  ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "2", "--trace", file}).status, 0);
  {
    Database db(file, Database::Mode::ReadWriteCreate);
    db.exec("DROP TABLE run_span_totals; DROP TABLE engine_span_totals; DROP TABLE op_group_span_totals;"
            "PRAGMA user_version = 3;");
  }
  const std::string profile = test::source_dir() + "/traces/examples/bloom560m-2layers-cpu-torch-fp32.json";
  ASSERT_EQ(test::run_cli({"trace", "import", profile, "-o", file, "--append"}).status, 0);
  Database db(file, Database::Mode::ReadOnly);
  EXPECT_EQ(db.user_version(), 4);
  auto runs = db.prepare("SELECT COUNT(*) FROM run_span_totals");
  ASSERT_TRUE(runs.step());
  EXPECT_EQ(runs.column_int(0), 1);  // the appended run's only
  expect_same_as_views(file, 1, Source::scan);
  EXPECT_EQ(aggregate_spans(db, 1).span_count, scan_spans(db, 1).span_count);
  expect_same_as_views(file, 2);
}

// The tally against figures worked by hand: spans out of start order and overlapping on one engine, two engines a
// side apart, engine and op ids far apart, a span of an unknown op ("(none)", one op) and of an unknown engine (not
// counted).
TEST(SpanAggregate, TheTallyCountsWhatItIsGiven) {
  SpanTally t;
  EngineAggregate host, mme, hbm;
  host.engine_id = 7;
  host.device_kind = "host";
  mme.engine_id = 3;  // below the first id announced
  mme.device_kind = "card";
  mme.card = 0;
  hbm.engine_id = 5'000'000;  // far above it
  hbm.device_kind = "card";
  hbm.card = 0;
  t.add_engine(host);
  t.add_engine(mme);
  t.add_engine(hbm);
  t.add_op(100, "linear", "h.0.mlp");
  t.add_op(10'000'000, "linear", "h.1.mlp");
  t.add_op(5, "dispatch", "step");
  t.add_span(3, 100, 50, 80);
  t.add_span(3, 100, 10, 30);  // before the last: sorted at the end
  t.add_span(3, 10'000'000, 20, 40);
  t.add_span(5'000'000, 10'000'000, 35, 60);
  t.add_span(7, 5, 0, 10);
  t.add_span(7, 42, 10, 15);   // no such op
  t.add_span(99, 100, 0, 1000);  // no such engine
  const SpanAggregates a = t.result();
  EXPECT_EQ(a.span_count, 6);
  EXPECT_EQ(a.makespan_ps, 80);
  EXPECT_EQ(a.host_busy_ps, 15);
  EXPECT_EQ(a.device_busy_ps, 70 - 0);  // [10, 80]
  ASSERT_EQ(a.engines.size(), 3u);
  EXPECT_EQ(a.engines[0].engine_id, 7);  // the host first, then the card's by id
  EXPECT_EQ(a.engines[1].engine_id, 3);
  EXPECT_EQ(a.engines[2].engine_id, 5'000'000);
  EXPECT_EQ(a.engines[1].busy_ps, 30 + 30);  // [10, 40] and [50, 80]
  EXPECT_EQ(a.engines[1].spans, 3);
  EXPECT_EQ(a.engines[2].busy_ps, 25);
  ASSERT_FALSE(a.op_kinds.empty());
  EXPECT_EQ(a.op_kinds[0].group, "linear");  // most time first
  EXPECT_EQ(a.op_kinds[0].total_ps, 30 + 20 + 20 + 25);
  EXPECT_EQ(a.op_kinds[0].ops, 2);
  bool none = false;
  for (const auto& k : a.op_kinds)
    if (k.group == "(none)") {
      none = true;
      EXPECT_EQ(k.device_kind, "host");
      EXPECT_EQ(k.ops, 1);
      EXPECT_EQ(k.total_ps, 5);
    }
  EXPECT_TRUE(none);
  EXPECT_EQ(a.op_names[0].group, "h.*.mlp");  // both layers' ops, one group
}

// A run that does not finish complete keeps no totals: its readers tally it from its spans.
TEST(SpanAggregate, AnInterruptedRunIsTalliedFromItsSpans) {
  test::TempDir dir;
  const std::string file = dir.file("t.sqlite");
  {
    SqliteRecorder r(file, RunInfo{"cut", "test", "{}", "{}"});
    const int64_t card = r.add_device(0, "card0");
    const int64_t engine = r.add_engine(card, "mme", EngineKind::Matrix);
    OpRecord mlp;
    mlp.name = "h.0.mlp";
    mlp.kind = "linear";
    const int64_t op = r.add_op(mlp);
    r.span(engine, op, 0, 100);
    r.span(engine, op, 50, 150);
  }  // destroyed unfinished: marked incomplete
  Database db(file, Database::Mode::ReadOnly);
  auto has = db.prepare("SELECT COUNT(*) FROM run_span_totals");
  ASSERT_TRUE(has.step());
  EXPECT_EQ(has.column_int(0), 0);
  const auto a = aggregate_spans(db, 1);
  EXPECT_EQ(a.device_busy_ps, 150);
  EXPECT_EQ(a.span_count, 2);
}

TEST(SpanAggregate, FoldsEveryAllDigitComponent) {
  EXPECT_EQ(fold_layer_numbers("h.12.self_attention.dense"), "h.*.self_attention.dense");
  EXPECT_EQ(fold_layer_numbers("model.layers.3.mlp.experts.7.w1"), "model.layers.*.mlp.experts.*.w1");
  EXPECT_EQ(fold_layer_numbers("aten::addmm"), "aten::addmm");
  EXPECT_EQ(fold_layer_numbers("h.1a.x"), "h.1a.x");
  EXPECT_EQ(fold_layer_numbers("decode step 3"), "decode step 3");  // only dot-separated components
  EXPECT_EQ(fold_layer_numbers(""), "");
}

}  // namespace
}  // namespace hpusim::traces
