// SPDX-License-Identifier: Apache-2.0
#include "traces/span_aggregate.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_map>

namespace hpusim::traces {

std::string fold_layer_numbers(const std::string& name) {
  std::string out;
  std::size_t at = 0;
  while (at <= name.size()) {
    const auto dot = name.find('.', at);
    const std::string part = name.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
    const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    out += digits ? "*" : part;
    if (dot == std::string::npos) break;
    out += '.';
    at = dot + 1;
  }
  return out;
}

namespace {

struct Interval {
  int64_t start, end;
};

using Intervals = std::vector<Interval>::iterator;

// The union of intervals sorted by start: its total length; `out` (if given) receives the merged intervals.
int64_t union_length(Intervals from, Intervals to, std::vector<Interval>* out) {
  int64_t total = 0;
  while (from != to) {
    Interval cur = *from++;
    while (from != to && from->start <= cur.end) cur.end = std::max(cur.end, (from++)->end);
    total += std::max<int64_t>(0, cur.end - cur.start);
    if (out) out->push_back(cur);
  }
  return total;
}

void sort_intervals(Intervals from, Intervals to) {
  const auto before = [](const Interval& a, const Interval& b) { return std::tie(a.start, a.end) < std::tie(b.start, b.end); };
  if (!std::is_sorted(from, to, before)) std::sort(from, to, before);
}

// Per side and group: spans, distinct ops and time, found by (side, group id) without a search.
struct GroupCounter {
  std::vector<OpGroupTime> groups;
  std::vector<int32_t> index[2];  // per side: group id -> groups, -1 before its first span
  explicit GroupCounter(std::size_t ids) { index[0].assign(ids, -1), index[1].assign(ids, -1); }
  OpGroupTime& at(int side, int32_t group, const std::string& name) {
    auto& ids = index[side];
    if (static_cast<std::size_t>(group) >= ids.size()) ids.resize(static_cast<std::size_t>(group) + 1, -1);
    int32_t& i = ids[static_cast<std::size_t>(group)];
    if (i < 0) {
      i = static_cast<int32_t>(groups.size());
      groups.push_back({side == 0 ? "host" : "card", name, 0, 0, 0});
    }
    return groups[static_cast<std::size_t>(i)];
  }
  std::vector<OpGroupTime> sorted() && {
    std::stable_sort(groups.begin(), groups.end(), [](const OpGroupTime& a, const OpGroupTime& b) {
      return std::tie(b.total_ps, a.device_kind, a.group) < std::tie(a.total_ps, b.device_kind, b.group);
    });
    return std::move(groups);
  }
};

}  // namespace

SpanAggregates aggregate_spans(Database& db, int64_t run_id) {
  SpanAggregates out;
  // The run's engines: host (side 0) first, as the views order them.
  std::vector<std::pair<int64_t, std::size_t>> engine_ids;  // (engine id, index in out.engines)
  int64_t min_engine = std::numeric_limits<int64_t>::max(), max_engine = std::numeric_limits<int64_t>::min();
  {
    Statement s = db.prepare(
        "SELECT e.id, d.kind, d.name, d.card, e.name, e.kind FROM engines e JOIN devices d ON d.id = e.device_id "
        "WHERE d.run_id = ? ORDER BY d.kind DESC, d.card, e.id");
    s.bind(1, run_id);
    while (s.step()) {
      EngineAggregate e;
      e.engine_id = s.column_int(0);
      e.device_kind = s.column_text(1);
      e.device = s.column_text(2);
      if (!s.column_is_null(3)) e.card = s.column_int(3);
      e.engine = s.column_text(4);
      e.engine_kind = s.column_text(5);
      engine_ids.push_back({e.engine_id, out.engines.size()});
      min_engine = std::min(min_engine, e.engine_id);
      max_engine = std::max(max_engine, e.engine_id);
      out.engines.push_back(std::move(e));
    }
  }
  if (out.engines.empty()) return out;
  // Engine id -> index and side (0 host, 1 card), by offset from the run's first engine id; -1: another run's.
  std::vector<int32_t> engine_at(static_cast<std::size_t>(max_engine - min_engine + 1), -1);
  for (const auto& [id, i] : engine_ids) engine_at[static_cast<std::size_t>(id - min_engine)] = static_cast<int32_t>(i);
  std::vector<int> side_of(out.engines.size());
  for (std::size_t i = 0; i < out.engines.size(); ++i) side_of[i] = out.engines[i].device_kind == "host" ? 0 : 1;
  // The run's ops: kind and folded name as small ids, indexed by op id - first id.
  std::vector<std::string> kinds{"(none)"}, names{"(none)"};
  std::vector<int32_t> op_kind, op_name;  // -1: no op of this run has that id
  int64_t first_op = 0;
  std::unordered_map<std::string, int32_t> kind_id, name_id;
  const auto intern = [](std::unordered_map<std::string, int32_t>& ids, std::vector<std::string>& list,
                         const std::string& v) {
    const auto [it, added] = ids.try_emplace(v, static_cast<int32_t>(list.size()));
    if (added) list.push_back(v);
    return it->second;
  };
  {
    std::unordered_map<std::string, int32_t> raw_id;  // raw names folded once each
    std::vector<int32_t> folded;                       // raw name id -> folded name id
    Statement range = db.prepare("SELECT MIN(id), MAX(id) FROM ops WHERE run_id = ?");
    range.bind(1, run_id);
    if (range.step() && !range.column_is_null(0)) {
      first_op = range.column_int(0);
      const auto n = static_cast<std::size_t>(range.column_int(1) - first_op + 1);
      op_kind.assign(n, -1);
      op_name.assign(n, -1);
    }
    Statement s = db.prepare("SELECT id, kind, name FROM ops WHERE +run_id = ?");  // a scan: no index lookups
    s.bind(1, run_id);
    while (s.step()) {
      const auto i = static_cast<std::size_t>(s.column_int(0) - first_op);
      op_kind[i] = intern(kind_id, kinds, s.column_text(1));
      const auto [raw, added] = raw_id.try_emplace(s.column_text(2), static_cast<int32_t>(folded.size()));
      if (added) folded.push_back(intern(name_id, names, fold_layer_numbers(raw->first)));
      op_name[i] = folded[static_cast<std::size_t>(raw->second)];
    }
  }
  // Spans per engine first, from the index alone: each engine's spans then go straight to their place in one array.
  std::vector<std::size_t> offset(out.engines.size() + 1, 0);
  {
    Statement count = db.prepare(
        "SELECT engine_id, COUNT(*) FROM spans WHERE engine_id BETWEEN ? AND ? GROUP BY engine_id");
    count.bind(1, min_engine);
    count.bind(2, max_engine);
    while (count.step()) {
      const int32_t e = engine_at[static_cast<std::size_t>(count.column_int(0) - min_engine)];
      if (e >= 0) offset[static_cast<std::size_t>(e) + 1] = static_cast<std::size_t>(count.column_int(1));
    }
    for (std::size_t i = 1; i < offset.size(); ++i) offset[i] += offset[i - 1];
  }
  std::vector<Interval> spans(offset.back());
  std::vector<std::size_t> next(offset.begin(), offset.end() - 1);
  // One scan of the table in storage order ("+" keeps SQLite from the index, whose row lookups cost more).
  std::vector<uint8_t> seen(op_kind.size(), 0);  // bit 0: a host span of the op counted, bit 1: a card span
  struct Foreign {
    int32_t kind = 0, name = 0;  // "(none)" when no op has the id
    uint8_t seen = 0;
  };
  std::unordered_map<int64_t, Foreign> foreign;
  Statement lookup = db.prepare("SELECT kind, name FROM ops WHERE id = ?");
  GroupCounter by_kind(kinds.size()), by_name(names.size());
  int64_t first = std::numeric_limits<int64_t>::max(), last = std::numeric_limits<int64_t>::min();
  {
    Statement s = db.prepare("SELECT engine_id, op_id, start_ps, end_ps FROM spans WHERE +engine_id BETWEEN ? AND ?");
    s.bind(1, min_engine);
    s.bind(2, max_engine);
    while (s.step()) {
      const int32_t engine = engine_at[static_cast<std::size_t>(s.column_int(0) - min_engine)];
      if (engine < 0) continue;
      const auto e = static_cast<std::size_t>(engine);
      const int64_t a = s.column_int(2), b = s.column_int(3);
      if (next[e] >= offset[e + 1]) continue;  // more spans than counted: the file changed under us
      spans[next[e]++] = {a, b};
      first = std::min(first, a);
      last = std::max(last, b);
      ++out.span_count;
      const int side = side_of[e];
      int32_t kind = 0, name = 0;
      bool new_op = false;
      if (!s.column_is_null(1)) {
        const int64_t id = s.column_int(1), op = id - first_op;
        if (op >= 0 && static_cast<std::size_t>(op) < op_kind.size() && op_kind[static_cast<std::size_t>(op)] >= 0) {
          const auto i = static_cast<std::size_t>(op);
          kind = op_kind[i];
          name = op_name[i];
          new_op = !(seen[i] & (1 << side));
          seen[i] |= static_cast<uint8_t>(1 << side);
        } else {  // an op of another run, or none (a damaged file): what the views' join gives it
          auto [it, added] = foreign.try_emplace(id, Foreign{});
          if (added) {
            lookup.reset();
            lookup.bind(1, id);
            if (lookup.step()) {
              it->second.kind = intern(kind_id, kinds, lookup.column_text(0));
              it->second.name = intern(name_id, names, fold_layer_numbers(lookup.column_text(1)));
            }
          }
          kind = it->second.kind;
          name = it->second.name;
          new_op = !(it->second.seen & (1 << side));
          it->second.seen |= static_cast<uint8_t>(1 << side);
        }
      }
      for (OpGroupTime* g : {&by_kind.at(side, kind, kinds[static_cast<std::size_t>(kind)]),
                             &by_name.at(side, name, names[static_cast<std::size_t>(name)])}) {
        ++g->spans;
        g->ops += new_op ? 1 : 0;
        g->total_ps += b - a;
      }
    }
  }
  out.makespan_ps = out.span_count ? last - first : 0;
  std::vector<Interval> sides[2];
  for (std::size_t i = 0; i < out.engines.size(); ++i) {
    const auto from = spans.begin() + static_cast<std::ptrdiff_t>(offset[i]);
    const auto to = spans.begin() + static_cast<std::ptrdiff_t>(next[i]);
    sort_intervals(from, to);
    out.engines[i].spans = to - from;
    out.engines[i].busy_ps = union_length(from, to, &sides[side_of[i]]);
  }
  spans = {};
  for (int side = 0; side < 2; ++side) {
    sort_intervals(sides[side].begin(), sides[side].end());
    (side == 0 ? out.host_busy_ps : out.device_busy_ps) = union_length(sides[side].begin(), sides[side].end(), nullptr);
  }
  out.op_kinds = std::move(by_kind).sorted();
  out.op_names = std::move(by_name).sorted();
  return out;
}

}  // namespace hpusim::traces
