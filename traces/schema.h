// SPDX-License-Identifier: Apache-2.0
// The trace database: every table, index and view, in one place (as DRAMSys keeps its QueryTexts.h), so the schema
// documented in docs/TRACE_DATABASE.md and the one the recorder writes cannot drift apart. Times are integer
// picoseconds. Bump kSchemaVersion (PRAGMA user_version) on any change readers would notice.
#pragma once

namespace hpusim::traces {

inline constexpr int kSchemaVersion = 4;
// The oldest version readers still take (1: before the tokens table; 2: before the steps table; 3: before the span
// totals, which readers then tally from the spans).
inline constexpr int kOldestReadableVersion = 1;
// The oldest version a run can be appended to: the span totals tables are added to it (kCreateSpanTotals).
inline constexpr int kOldestAppendableVersion = 3;

// What a file must hold to be read as a trace of this schema.
inline constexpr const char* kRequiredTables[] = {"runs",
                                                  "devices",
                                                  "engines",
                                                  "ops",
                                                  "spans",
                                                  "compiles",
                                                  "counters",
                                                  "metrics",
                                                  "span_detail",
                                                  "engine_utilisation",
                                                  "time_per_op_kind",
                                                  "host_device_split"};

// Tables. Spans carry only integers and no explicit key: they are the hot path (bench/trace_recorder_bench.cpp).
inline constexpr const char* kCreateTables = R"sql(
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  label         TEXT NOT NULL,                 -- what compare tables call this run (e.g. the mode)
  status        TEXT NOT NULL CHECK (status IN ('incomplete', 'complete', 'failed')),
  status_detail TEXT NOT NULL,
  started_utc   TEXT NOT NULL,
  finished_utc  TEXT,
  tool          TEXT NOT NULL,                 -- "hpusim 0.1.0"
  command       TEXT NOT NULL,                 -- the command line that made the run
  scenario_json TEXT NOT NULL,                 -- the scenario as run, overrides applied
  model_json    TEXT NOT NULL                  -- the resolved hardware model(s)
);
CREATE TABLE devices (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  kind   TEXT NOT NULL CHECK (kind IN ('host', 'card')),
  card   INTEGER,                              -- 0..N-1 for cards, NULL for the host
  name   TEXT NOT NULL
);
CREATE TABLE engines (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  name      TEXT NOT NULL,                     -- "mme0", "tpc", "hbm", "host"
  kind      TEXT NOT NULL CHECK (kind IN ('matrix', 'vector', 'dma', 'memory', 'fabric', 'host'))
);
CREATE TABLE ops (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  name          TEXT NOT NULL,                 -- "h.3.self_attention.query_key_value"
  kind          TEXT NOT NULL,                 -- "gemm", "layernorm", "all_reduce", "dispatch", ...
  shapes        TEXT NOT NULL DEFAULT '',      -- "[1,7,4096]x[4096,12288]"
  dtype         TEXT NOT NULL DEFAULT '',
  flops         INTEGER NOT NULL DEFAULT 0,
  bytes_read    INTEGER NOT NULL DEFAULT 0,
  bytes_written INTEGER NOT NULL DEFAULT 0,
  graph_id      INTEGER,                       -- compiled graph / recipe, NULL in eager mode
  step          INTEGER,                       -- generation step: 0 = prefill, 1.. = decode steps
  phase         TEXT NOT NULL DEFAULT ''       -- "prefill", "decode", ...
);
CREATE TABLE spans (
  engine_id INTEGER NOT NULL,                  -- engines.id
  op_id     INTEGER,                           -- ops.id, NULL for idle-free bookkeeping spans
  start_ps  INTEGER NOT NULL,
  end_ps    INTEGER NOT NULL
);
CREATE TABLE compiles (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  graph_id  INTEGER,
  cache_key TEXT NOT NULL,                     -- graph and shapes the recipe cache is keyed by
  nodes     INTEGER NOT NULL,
  cache_hit INTEGER NOT NULL CHECK (cache_hit IN (0, 1)),
  start_ps  INTEGER NOT NULL,
  end_ps    INTEGER NOT NULL
);
CREATE TABLE counters (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  engine_id   INTEGER,                         -- NULL for run-wide counters
  name        TEXT NOT NULL,
  unit        TEXT NOT NULL,                   -- "bytes", "cycles", "count", "ps"
  value       REAL NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE metrics (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  name        TEXT NOT NULL,                   -- "latency_s", "prefill_ms", ...
  unit        TEXT NOT NULL,
  value       REAL NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE tokens (
  run_id   INTEGER NOT NULL REFERENCES runs(id),
  card     INTEGER NOT NULL,                   -- the card that chose it (every tensor-parallel card does)
  step     INTEGER NOT NULL,                   -- ops.step of the pass that produced it
  call     INTEGER NOT NULL,                   -- the generate call (0, 1, ...)
  position INTEGER NOT NULL,                   -- its place among the call's new tokens (0: from the prompt)
  token_id INTEGER NOT NULL,
  logit    REAL NOT NULL,                      -- its logit (the largest of the step)
  at_ps    INTEGER NOT NULL                    -- when the pass's argmax ended on that card
);
CREATE TABLE steps (
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  step      INTEGER NOT NULL,                   -- ops.step: the pass, counted over the whole run
  call      INTEGER NOT NULL,                   -- the generate call (warm-up calls first)
  timed     INTEGER NOT NULL CHECK (timed IN (0, 1)),  -- 0 for a warm-up call's pass
  phase     TEXT NOT NULL,                      -- 'prefill' (up to the call's first token) or 'decode'
  tokens    INTEGER NOT NULL,                   -- new tokens the pass completes (a draft model's passes: 0)
  start_ps  INTEGER NOT NULL,                   -- card 0's host: the previous pass's end
  end_ps    INTEGER NOT NULL,                   -- this pass's end (its token on the host)
  host_ps   INTEGER NOT NULL,                   -- where the time goes, each instant once (issue 15): exposed host,
  matrix_ps INTEGER NOT NULL,                   -- MME / tensor cores, TPC / CUDA cores, HBM, fabric, host-card
  vector_ps INTEGER NOT NULL,                   -- copies, launch gaps and idle; they sum to end_ps - start_ps
  hbm_ps    INTEGER NOT NULL,
  fabric_ps INTEGER NOT NULL,
  copy_ps   INTEGER NOT NULL,
  gap_ps    INTEGER NOT NULL
);
)sql";

// Written when a run finishes (traces/span_aggregate.h): what `trace summary` and `trace compare` read, so that
// they need not scan the spans. A run without them (killed, or recorded before schema 4) is tallied from its spans.
inline constexpr const char* kCreateSpanTotals = R"sql(
CREATE TABLE IF NOT EXISTS run_span_totals (
  run_id         INTEGER PRIMARY KEY REFERENCES runs(id),
  spans          INTEGER NOT NULL,
  makespan_ps    INTEGER NOT NULL,              -- last span end - first span start
  host_busy_ps   INTEGER NOT NULL,              -- the union of the host's spans
  device_busy_ps INTEGER NOT NULL               -- the union of the cards' spans
);
CREATE TABLE IF NOT EXISTS engine_span_totals (
  engine_id INTEGER PRIMARY KEY REFERENCES engines(id),
  spans     INTEGER NOT NULL,
  busy_ps   INTEGER NOT NULL                    -- the union of its spans
);
CREATE TABLE IF NOT EXISTS op_group_span_totals (
  run_id   INTEGER NOT NULL REFERENCES runs(id),
  grouping TEXT NOT NULL CHECK (grouping IN ('kind', 'name')),
  side     TEXT NOT NULL CHECK (side IN ('host', 'card')),
  grp      TEXT NOT NULL,                       -- an op kind, or an op name with its layer numbers folded: "h.*.mlp"
  spans    INTEGER NOT NULL,
  ops      INTEGER NOT NULL,                    -- distinct ops with a span on that side
  total_ps INTEGER NOT NULL                     -- span time summed (an op on two engines counts twice)
);
)sql";

// Built when a run finishes (an index maintained during the load halves the insert rate: bench-anchors.md).
inline constexpr const char* kCreateIndexes = R"sql(
CREATE INDEX IF NOT EXISTS spans_by_engine ON spans (engine_id, start_ps);
CREATE INDEX IF NOT EXISTS ops_by_run_kind ON ops (run_id, kind);
)sql";

// Views for the usual questions; plain sqlite3 is enough to use them.
inline constexpr const char* kCreateViews = R"sql(
-- Every span with its engine, device and op.
CREATE VIEW span_detail AS
SELECT d.run_id, d.kind AS device_kind, d.card, d.name AS device, e.id AS engine_id, e.name AS engine,
       e.kind AS engine_kind, s.op_id, o.name AS op, o.kind AS op_kind, o.dtype, o.step, o.graph_id,
       s.start_ps, s.end_ps, s.end_ps - s.start_ps AS dur_ps
FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id
LEFT JOIN ops o ON o.id = s.op_id;

-- First start, last end and their difference per run.
CREATE VIEW run_extent AS
SELECT run_id, MIN(start_ps) AS start_ps, MAX(end_ps) AS end_ps, MAX(end_ps) - MIN(start_ps) AS makespan_ps
FROM span_detail GROUP BY run_id;

-- Time per op kind: span time summed over engines (an op on two engines counts twice).
CREATE VIEW time_per_op_kind AS
SELECT run_id, device_kind, COALESCE(op_kind, '(none)') AS op_kind, COUNT(*) AS spans,
       COUNT(DISTINCT op_id) AS ops, SUM(dur_ps) AS total_ps, AVG(dur_ps) AS mean_ps
FROM span_detail GROUP BY run_id, device_kind, COALESCE(op_kind, '(none)');

-- Busy time per engine as the union of its spans (overlapping spans count once).
CREATE VIEW engine_busy AS
WITH ordered AS (
  SELECT engine_id, start_ps, end_ps,
         MAX(end_ps) OVER (PARTITION BY engine_id ORDER BY start_ps, end_ps
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_to
  FROM spans)
SELECT engine_id, COUNT(*) AS spans,
       SUM(MAX(0, end_ps - MAX(start_ps, COALESCE(covered_to, start_ps)))) AS busy_ps
FROM ordered GROUP BY engine_id;

-- Engine utilisation: busy time over the run's makespan.
CREATE VIEW engine_utilisation AS
SELECT d.run_id, d.kind AS device_kind, d.card, d.name AS device, e.id AS engine_id, e.name AS engine,
       e.kind AS engine_kind, COALESCE(b.spans, 0) AS spans, COALESCE(b.busy_ps, 0) AS busy_ps, x.makespan_ps,
       CASE WHEN x.makespan_ps > 0 THEN 1.0 * COALESCE(b.busy_ps, 0) / x.makespan_ps ELSE 0.0 END AS busy_fraction
FROM engines e JOIN devices d ON d.id = e.device_id
LEFT JOIN engine_busy b ON b.engine_id = e.id LEFT JOIN run_extent x ON x.run_id = d.run_id;

-- Host versus device: the union of all host spans and of all card spans, over the makespan. A run whose host is
-- busy nearly all the time while the cards idle is host-bound.
CREATE VIEW host_device_split AS
WITH sided AS (
  SELECT d.run_id, d.kind AS side, s.start_ps, s.end_ps
  FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id),
ordered AS (
  SELECT run_id, side, start_ps, end_ps,
         MAX(end_ps) OVER (PARTITION BY run_id, side ORDER BY start_ps, end_ps
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_to
  FROM sided),
busy AS (
  SELECT run_id, side, SUM(MAX(0, end_ps - MAX(start_ps, COALESCE(covered_to, start_ps)))) AS busy_ps
  FROM ordered GROUP BY run_id, side)
SELECT r.id AS run_id, COALESCE(x.makespan_ps, 0) AS makespan_ps,
       COALESCE((SELECT busy_ps FROM busy WHERE busy.run_id = r.id AND side = 'host'), 0) AS host_busy_ps,
       COALESCE((SELECT busy_ps FROM busy WHERE busy.run_id = r.id AND side = 'card'), 0) AS device_busy_ps
FROM runs r LEFT JOIN run_extent x ON x.run_id = r.id;
)sql";

}  // namespace hpusim::traces
