// SPDX-License-Identifier: Apache-2.0
// A sweep's results in one SQLite file (OUT/sweep.sqlite, or one shard's file): the sweep's definition, and one row
// per finished point with its assignments, status, the figures `hpusim run --json` printed and its trace's path.
// A point is written only once it has finished, in its own transaction, so a killed sweep loses at most the points
// that were running, and a resumed one runs exactly the points without a row. Shards (Slurm array tasks, MPI ranks)
// write their own files; merge() puts them into one and checks that no point is missing or doubled.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/sweep_spec.h"
#include "traces/sqlite_db.h"

namespace hpusim::sweep {

// The figures of a point kept as columns (and in the CSV), in order; the whole JSON is kept too.
const std::vector<std::string>& result_columns();

class SweepDb {
 public:
  // Opens or creates `file`. InputError when it holds a different sweep (another definition).
  SweepDb(const std::string& file, const SweepSpec& spec);

  std::set<int64_t> finished();  // points with a row (done or failed)
  void record(const Point& point, bool ok, const std::string& error, const nlohmann::json& result,
              const std::string& trace);
  // The run of this file's share has ended: complete when every point of it has a row.
  void set_complete(bool complete);
  bool complete();
  int64_t count(const std::string& status);
  struct PointRow {
    int64_t id = 0;
    bool ok = false;
    nlohmann::json result;  // what `hpusim run --json` printed
    std::string error;
  };
  std::vector<PointRow> results();  // every finished point, by id
  // results.csv: id, the swept keys, status, the result columns, error, trace. Written to a temporary file first.
  void write_csv(const std::string& path, const SweepSpec& spec);
  // The points as a text table (swept values, the main figures), at most `max_rows`.
  std::string render_table(const SweepSpec& spec, std::size_t max_rows);

  // Copies every point row of `shards` into this file. InputError when a shard holds another sweep, is not
  // complete, or two shards hold the same point.
  void merge(const std::vector<std::string>& shards, const SweepSpec& spec);

 private:
  traces::Database db_;
};

}  // namespace hpusim::sweep
