// SPDX-License-Identifier: Apache-2.0
#include "sweep/sweep_db.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/text_table.h"

namespace hpusim::sweep {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS sweep (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
  id          INTEGER PRIMARY KEY,
  assignments TEXT NOT NULL,                  -- JSON array of "key=value"
  vals        TEXT NOT NULL,                  -- JSON array of the swept values, in the sweep's key order
  status      TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  error       TEXT NOT NULL,
  result      TEXT NOT NULL,                  -- what `hpusim run --json` printed
  trace       TEXT NOT NULL
);
)";

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string json_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_number_float()) return fmt::format("{:.9g}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

const std::vector<std::string>& result_columns() {
  static const std::vector<std::string> c{"latency_s",          "latency_s_low",       "latency_s_high",
                                          "prefill_ms",         "decode_ms_per_token",
                                          "first_call_s",       "graph_compiles",      "compile_s",
                                          "host_busy_fraction", "device_busy_fraction", "device_kernels"};
  return c;
}

SweepDb::SweepDb(const std::string& file, const SweepSpec& spec)
    : db_(file, traces::Database::Mode::ReadWriteCreate, false) {
  db_.exec("PRAGMA journal_mode=DELETE");
  db_.exec(kSchema);
  auto q = db_.prepare("SELECT value FROM sweep WHERE name = 'definition'");
  if (q.step()) {
    if (q.column_text(0) != spec.canonical)
      throw InputError(file, "", "holds the results of a different sweep; choose another --out or delete it");
  } else {
    auto ins = db_.prepare(
        "INSERT INTO sweep (name, value) VALUES ('definition', ?), ('complete', '0'), ('ended', '0')");
    ins.bind(1, std::string_view(spec.canonical));
    ins.step();
  }
}

std::set<int64_t> SweepDb::finished() {
  std::set<int64_t> out;
  auto q = db_.prepare("SELECT id FROM points");
  while (q.step()) out.insert(q.column_int(0));
  return out;
}

void SweepDb::record(const Point& p, bool ok, const std::string& error, const nlohmann::json& result,
                     const std::string& trace) {
  auto ins = db_.prepare(
      "INSERT OR REPLACE INTO points (id, assignments, vals, status, error, result, trace) VALUES (?,?,?,?,?,?,?)");
  ins.bind(1, p.id);
  ins.bind(2, std::string_view(nlohmann::json(p.assignments).dump()));
  ins.bind(3, std::string_view(nlohmann::json(p.values).dump()));
  ins.bind(4, std::string_view(ok ? "done" : "failed"));
  ins.bind(5, std::string_view(error));
  ins.bind(6, std::string_view(result.dump()));
  ins.bind(7, std::string_view(trace));
  ins.step();
}

void SweepDb::set_complete(bool complete) {
  auto u = db_.prepare("UPDATE sweep SET value = ? WHERE name IN ('complete', 'ended')");
  u.bind(1, std::string_view(complete ? "1" : "0"));
  u.step();
  if (!complete) db_.exec("INSERT OR REPLACE INTO sweep (name, value) VALUES ('ended', '1')");
}

bool SweepDb::complete() {
  auto q = db_.prepare("SELECT value FROM sweep WHERE name = 'complete'");
  return q.step() && q.column_text(0) == "1";
}

int64_t SweepDb::count(const std::string& status) {
  auto q = db_.prepare("SELECT COUNT(*) FROM points WHERE status = ?");
  q.bind(1, std::string_view(status));
  q.step();
  return q.column_int(0);
}

std::vector<SweepDb::PointRow> SweepDb::results() {
  std::vector<PointRow> out;
  auto q = db_.prepare("SELECT id, status, result, error FROM points ORDER BY id");
  while (q.step())
    out.push_back({q.column_int(0), q.column_text(1) == "done", nlohmann::json::parse(q.column_text(2)),
                   q.column_text(3)});
  return out;
}

void SweepDb::write_csv(const std::string& path, const SweepSpec& spec) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw InputError(path, "", "cannot write the CSV file");
    out << "id";
    for (const auto& k : spec.keys) out << "," << csv_field(k);
    out << ",status";
    for (const auto& c : result_columns()) out << "," << c;
    out << ",error,trace\n";
    auto q = db_.prepare("SELECT id, vals, status, result, error, trace FROM points ORDER BY id");
    while (q.step()) {
      out << q.column_int(0);
      for (const auto& v : nlohmann::json::parse(q.column_text(1))) out << "," << csv_field(v.get<std::string>());
      out << "," << q.column_text(2);
      const auto result = nlohmann::json::parse(q.column_text(3));
      for (const auto& c : result_columns())
        out << "," << csv_field(result.contains(c) ? json_cell(result[c]) : std::string());
      out << "," << csv_field(q.column_text(4)) << "," << csv_field(q.column_text(5)) << "\n";
    }
  }
  std::filesystem::rename(tmp, path);
}

std::string SweepDb::render_table(const SweepSpec& spec, std::size_t max_rows) {
  std::vector<std::string> header{"id"};
  header.insert(header.end(), spec.keys.begin(), spec.keys.end());
  for (const char* c : {"latency s", "prefill ms", "decode ms/token", "compiles", "host busy", "device busy"})
    header.emplace_back(c);
  std::vector<bool> right(header.size(), true);
  for (std::size_t i = 1; i <= spec.keys.size(); ++i) right[i] = false;
  TextTable t(header, right);
  auto q = db_.prepare("SELECT id, vals, status, result, error FROM points ORDER BY id");
  std::size_t n = 0;
  while (q.step() && n++ < max_rows) {
    std::vector<std::string> row{std::to_string(q.column_int(0))};
    for (const auto& v : nlohmann::json::parse(q.column_text(1))) row.push_back(v.get<std::string>());
    const auto r = nlohmann::json::parse(q.column_text(3));
    if (q.column_text(2) != "done") {
      row.push_back("failed: " + q.column_text(4).substr(0, 60));
      row.resize(header.size());
    } else {
      const auto f = [&](const char* k, const char* format) {
        return r.contains(k) && r[k].is_number() ? fmt::format(fmt::runtime(format), r[k].get<double>()) : "";
      };
      row.push_back(f("latency_s", "{:.4f}"));
      row.push_back(f("prefill_ms", "{:.3f}"));
      row.push_back(f("decode_ms_per_token", "{:.3f}"));
      row.push_back(f("graph_compiles", "{:.0f}"));
      row.push_back(r.contains("host_busy_fraction") ? fmt::format("{:.0f}%", 100 * r["host_busy_fraction"].get<double>()) : "");
      row.push_back(r.contains("device_busy_fraction") ? fmt::format("{:.0f}%", 100 * r["device_busy_fraction"].get<double>()) : "");
    }
    t.add_row(row);
  }
  const int64_t total = count("done") + count("failed");
  std::string out = t.render();
  if (static_cast<int64_t>(max_rows) < total)
    out += fmt::format("... and {} more points (all of them in the CSV and the database)\n",
                       total - static_cast<int64_t>(max_rows));
  return out;
}

void SweepDb::merge(const std::vector<std::string>& shards, const SweepSpec& spec) {
  std::map<int64_t, std::string> seen;
  for (const auto& shard : shards) {
    traces::Database in(shard, traces::Database::Mode::ReadOnly, false);
    auto def = in.prepare("SELECT value FROM sweep WHERE name = 'definition'");
    if (!def.step() || def.column_text(0) != spec.canonical)
      throw InputError(shard, "", "is a shard of a different sweep");
    auto done = in.prepare("SELECT value FROM sweep WHERE name = 'complete'");
    if (!done.step() || done.column_text(0) != "1")
      throw InputError(shard, "", "is not complete: run its share again (it resumes) before merging");
    auto q = in.prepare("SELECT id, assignments, vals, status, error, result, trace FROM points");
    db_.exec("BEGIN");
    while (q.step()) {
      const int64_t id = q.column_int(0);
      if (auto [it, fresh] = seen.emplace(id, shard); !fresh)
        throw InputError(shard, fmt::format("point {}", id), fmt::format("is also in {}", it->second));
      auto ins = db_.prepare(
          "INSERT OR REPLACE INTO points (id, assignments, vals, status, error, result, trace) VALUES (?,?,?,?,?,?,?)");
      ins.bind(1, id);
      for (int c = 1; c < 7; ++c) ins.bind(c + 1, std::string_view(q.column_text(c)));
      ins.step();
    }
    db_.exec("COMMIT");
  }
  if (static_cast<int64_t>(seen.size()) != static_cast<int64_t>(spec.points.size()))
    throw InputError("sweep merge", "",
                     fmt::format("the shards hold {} of the sweep's {} points", seen.size(), spec.points.size()));
  set_complete(true);
}

}  // namespace hpusim::sweep
