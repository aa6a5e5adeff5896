// SPDX-License-Identifier: Apache-2.0
// Spans recorded per second into SQLite, and bytes per span on disk (issue 2; target >= 1 M spans/s on one core).
// The anchor runs in the same process: plain SQLite with the same 4-column rows, 64-row prepared INSERTs, WAL,
// synchronous=NORMAL (the setup of shared/reference/bench-anchors.md), so the ratio is fair whatever the machine.
//   ./build/bench/trace_recorder_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "traces/sqlite_recorder.h"

namespace {

namespace fs = std::filesystem;

std::string scratch(const char* name) {
  return (fs::temp_directory_path() / (std::string("hpusim-bench-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

// A decode-step-like stream: 8 engines, spans back to back, one op per 4 spans.
void BM_RecorderSpans(benchmark::State& state) {
  const int64_t spans = state.range(0);
  const std::string path = scratch("recorder.sqlite");
  double bytes_per_span = 0, record_s = 0, finish_s = 0;
  for (auto _ : state) {
    remove_db(path);
    {
      hpusim::traces::SqliteRecorder rec(path, {"bench", "trace_recorder_bench", "{}", "{}"});
      const int64_t dev = rec.add_device(0, "card");
      int64_t engines[8];
      for (int e = 0; e < 8; ++e)
        engines[e] = rec.add_engine(dev, "engine" + std::to_string(e), hpusim::traces::EngineKind::Vector);
      int64_t t = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < spans; ++i) {
        rec.span(engines[i & 7], 1 + i / 4, t, t + 1000 + (i & 63));
        t += 250;
      }
      rec.commit();
      const auto t1 = std::chrono::steady_clock::now();
      rec.finish(hpusim::traces::RunStatus::Complete, "bench");  // builds the index, checkpoints the WAL
      record_s += std::chrono::duration<double>(t1 - t0).count();
      finish_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    bytes_per_span = static_cast<double>(fs::file_size(path)) / static_cast<double>(spans);
  }
  state.SetItemsProcessed(state.iterations() * spans);
  state.counters["bytes_per_span"] = bytes_per_span;
  const double n = static_cast<double>(state.iterations());
  state.counters["record_Mspans_per_s"] = static_cast<double>(spans) * n / record_s / 1e6;
  state.counters["finish_ms"] = 1e3 * finish_s / n;
  remove_db(path);
}
BENCHMARK(BM_RecorderSpans)->Arg(2'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Anchor: the same rows straight into SQLite, no indexes, one transaction.
void BM_SqliteAnchor(benchmark::State& state) {
  const int64_t rows = state.range(0);
  const std::string path = scratch("anchor.sqlite");
  for (auto _ : state) {
    remove_db(path);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE spans (engine_id INTEGER NOT NULL, op_id INTEGER, start_ps INTEGER NOT NULL,"
                 " end_ps INTEGER NOT NULL); BEGIN;",
                 nullptr, nullptr, nullptr);
    std::string sql = "INSERT INTO spans VALUES (?,?,?,?)";
    for (int i = 1; i < 64; ++i) sql += ",(?,?,?,?)";
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    int64_t t = 0;
    for (int64_t i = 0; i < rows; i += 64) {
      sqlite3_reset(stmt);
      for (int r = 0; r < 64; ++r) {
        const int64_t k = i + r;
        sqlite3_bind_int64(stmt, 4 * r + 1, k & 7);
        sqlite3_bind_int64(stmt, 4 * r + 2, 1 + k / 4);
        sqlite3_bind_int64(stmt, 4 * r + 3, t);
        sqlite3_bind_int64(stmt, 4 * r + 4, t + 1000 + (k & 63));
        t += 250;
      }
      sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  remove_db(path);
}
BENCHMARK(BM_SqliteAnchor)->Arg(2'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
