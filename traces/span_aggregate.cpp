// SPDX-License-Identifier: Apache-2.0
#include "traces/span_aggregate.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

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

using Interval = SpanInterval;
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

// An engine of kEngineColumns' query: id, device kind, device name, card, engine name, engine kind.
constexpr const char* kEngineColumns = "e.id, d.kind, d.name, d.card, e.name, e.kind";
EngineAggregate engine_row(const Statement& s) {
  EngineAggregate e;
  e.engine_id = s.column_int(0);
  e.device_kind = s.column_text(1);
  e.device = s.column_text(2);
  if (!s.column_is_null(3)) e.card = s.column_int(3);
  e.engine = s.column_text(4);
  e.engine_kind = s.column_text(5);
  return e;
}

}  // namespace


SpanTally::OpSlot* SpanTally::slot(int64_t id) {
  if (first_op_ && id >= *first_op_ && static_cast<std::size_t>(id - *first_op_) < ops_.size()) {
    OpSlot& o = ops_[static_cast<std::size_t>(id - *first_op_)];
    if (o.kind >= 0) return &o;
  }
  const auto it = other_ops_.find(id);
  return it == other_ops_.end() ? nullptr : &it->second;
}

bool SpanTally::knows_op(int64_t id) const {
  if (first_op_ && id >= *first_op_ && static_cast<std::size_t>(id - *first_op_) < ops_.size() &&
      ops_[static_cast<std::size_t>(id - *first_op_)].kind >= 0)
    return true;
  return other_ops_.contains(id);
}

SpanTally::OpSlot& SpanTally::slot_for(int64_t id) {
  if (!first_op_) first_op_ = id;
  // A run's ops are consecutive ids: a flat table from the first; anything else (ids below it, or far above, as
  // another run's in a damaged file) in a map.
  if (id >= *first_op_ && static_cast<std::size_t>(id - *first_op_) <= ops_.size() + (std::size_t{1} << 16)) {
    const auto i = static_cast<std::size_t>(id - *first_op_);
    if (i >= ops_.size()) ops_.resize(i + 1);
    return ops_[i];
  }
  return other_ops_[id];
}

int32_t SpanTally::intern(TextIds& ids, std::vector<std::string>& list, std::string_view value) {
  if (const auto it = ids.find(value); it != ids.end()) return it->second;
  const auto id = static_cast<int32_t>(list.size());
  list.emplace_back(value);
  ids.emplace(std::string(value), id);
  return id;
}

void SpanTally::add_engine(EngineAggregate e) {
  e.spans = e.busy_ps = 0;
  const auto index = static_cast<int32_t>(engines_.size());
  if (!first_engine_) first_engine_ = e.engine_id;
  if (e.engine_id >= *first_engine_ && e.engine_id - *first_engine_ < (int64_t{1} << 20)) {
    const auto at = static_cast<std::size_t>(e.engine_id - *first_engine_);
    if (at >= engine_at_.size()) engine_at_.resize(at + 1, -1);
    engine_at_[at] = index;
  } else {
    other_engines_[e.engine_id] = static_cast<std::size_t>(index);
  }
  engine_spans_.push_back({e.device_kind == "host" ? 0 : 1, 0, true, {}});
  engines_.push_back(std::move(e));
}

void SpanTally::add_op(int64_t id, std::string_view kind, std::string_view name) {
  OpSlot& o = slot_for(id);
  o.kind = intern(kind_ids_, kinds_, kind);
  if (const auto it = folded_.find(name); it != folded_.end()) {
    o.name = it->second;
  } else {
    o.name = intern(name_ids_, names_, fold_layer_numbers(std::string(name)));
    folded_.emplace(std::string(name), o.name);
  }
}

void SpanTally::add_span(int64_t engine_id, std::optional<int64_t> op_id, int64_t a, int64_t b) {
  int64_t index = -1;
  if (first_engine_ && engine_id >= *first_engine_ &&
      static_cast<std::size_t>(engine_id - *first_engine_) < engine_at_.size())
    index = engine_at_[static_cast<std::size_t>(engine_id - *first_engine_)];
  if (index < 0) {
    const auto it = other_engines_.find(engine_id);
    if (it == other_engines_.end()) return;
    index = static_cast<int64_t>(it->second);
  }
  EngineSpans& es = engine_spans_[static_cast<std::size_t>(index)];
  ++es.spans;
  if (!es.merged.empty() && a >= es.merged.back().start && a <= es.merged.back().end)
    es.merged.back().end = std::max(es.merged.back().end, b);
  else {
    if (!es.merged.empty() && a < es.merged.back().start) es.in_order = false;
    es.merged.push_back({a, b});
  }
  first_ = count_ ? std::min(first_, a) : a;
  last_ = count_ ? std::max(last_, b) : b;
  ++count_;
  const int side = es.side;
  int32_t kind = 0, name = 0;
  bool new_op = false;
  if (op_id) {
    // An id no op of the run has counts under "(none)" as one op, as the views' join counts it.
    OpSlot* o = slot(*op_id);
    if (!o) {
      o = &other_ops_[*op_id];
      o->kind = o->name = 0;
    }
    kind = o->kind;
    name = o->name;
    new_op = !(o->seen & (1 << side));
    o->seen |= static_cast<uint8_t>(1 << side);
  }
  for (int by = 0; by < 2; ++by) {
    auto& groups = groups_[by][side];
    const auto g = static_cast<std::size_t>(by == 0 ? kind : name);
    if (g >= groups.size()) groups.resize(g + 1);
    ++groups[g].spans;
    groups[g].ops += new_op ? 1 : 0;
    groups[g].total_ps += b - a;
  }
}

SpanAggregates SpanTally::result() {
  SpanAggregates out;
  out.span_count = count_;
  out.makespan_ps = count_ ? last_ - first_ : 0;
  std::vector<std::size_t> order(engines_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // As the views order them: the host first, then card by card, by engine id within each.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const auto& a = engines_[x];
    const auto& b = engines_[y];
    return std::make_tuple(b.device_kind, a.card.value_or(-1), a.engine_id) <
           std::make_tuple(a.device_kind, b.card.value_or(-1), b.engine_id);
  });
  for (std::size_t i : order) {
    EngineAggregate e = engines_[i];
    EngineSpans& es = engine_spans_[i];
    if (!es.in_order) {  // sort and merge in place: the tally is read once
      sort_intervals(es.merged.begin(), es.merged.end());
      std::vector<Interval> merged;
      union_length(es.merged.begin(), es.merged.end(), &merged);
      es.merged = std::move(merged);
      es.in_order = true;
    }
    e.spans = es.spans;
    for (const auto& v : es.merged) e.busy_ps += std::max<int64_t>(0, v.end - v.start);
    out.engines.push_back(std::move(e));
  }
  // Per side, the union of its engines' disjoint sorted lists: merged by start through a heap, nothing copied.
  for (int side = 0; side < 2; ++side) {
    using Head = std::pair<int64_t, std::size_t>;  // (start, engine), the engine's next interval in next[engine]
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    std::vector<std::size_t> next(engine_spans_.size(), 0);
    for (std::size_t i = 0; i < engine_spans_.size(); ++i)
      if (engine_spans_[i].side == side && !engine_spans_[i].merged.empty())
        heads.push({engine_spans_[i].merged.front().start, i});
    int64_t total = 0, cur_start = 0, cur_end = 0;
    bool open = false;
    while (!heads.empty()) {
      const std::size_t i = heads.top().second;
      heads.pop();
      const Interval v = engine_spans_[i].merged[next[i]++];
      if (next[i] < engine_spans_[i].merged.size()) heads.push({engine_spans_[i].merged[next[i]].start, i});
      if (open && v.start <= cur_end) {
        cur_end = std::max(cur_end, v.end);
      } else {
        if (open) total += std::max<int64_t>(0, cur_end - cur_start);
        cur_start = v.start;
        cur_end = v.end;
        open = true;
      }
    }
    if (open) total += std::max<int64_t>(0, cur_end - cur_start);
    (side == 0 ? out.host_busy_ps : out.device_busy_ps) = total;
  }
  for (int by = 0; by < 2; ++by) {
    auto& list = by == 0 ? out.op_kinds : out.op_names;
    const auto& labels = by == 0 ? kinds_ : names_;
    for (int side = 0; side < 2; ++side)
      for (std::size_t g = 0; g < groups_[by][side].size(); ++g) {
        const Group& t = groups_[by][side][g];
        if (t.spans > 0) list.push_back({side == 0 ? "host" : "card", labels[g], t.spans, t.ops, t.total_ps});
      }
    std::stable_sort(list.begin(), list.end(), [](const OpGroupTime& a, const OpGroupTime& b) {
      return std::tie(b.total_ps, a.device_kind, a.group) < std::tie(a.total_ps, b.device_kind, b.group);
    });
  }
  return out;
}

SpanAggregates scan_spans(Database& db, int64_t run_id) {
  SpanTally tally;
  int64_t min_engine = std::numeric_limits<int64_t>::max(), max_engine = std::numeric_limits<int64_t>::min();
  {
    Statement s = db.prepare(
        fmt::format("SELECT {} FROM engines e JOIN devices d ON d.id = e.device_id WHERE d.run_id = ? ORDER BY "
                    "d.kind DESC, d.card, e.id",
                    kEngineColumns));
    s.bind(1, run_id);
    while (s.step()) {
      EngineAggregate e = engine_row(s);
      min_engine = std::min(min_engine, e.engine_id);
      max_engine = std::max(max_engine, e.engine_id);
      tally.add_engine(std::move(e));
    }
  }
  if (min_engine > max_engine) return {};
  {
    Statement s = db.prepare("SELECT id, kind, name FROM ops WHERE +run_id = ? ORDER BY id");  // a scan, no lookups
    s.bind(1, run_id);
    while (s.step()) tally.add_op(s.column_int(0), s.column_text(1), s.column_text(2));
  }
  // One scan of the table in storage order ("+" keeps SQLite from the index, whose row lookups cost more). Spans
  // naming an op of another run (a damaged file) take that op's kind and name, as the views' join does.
  Statement lookup = db.prepare("SELECT kind, name FROM ops WHERE id = ?");
  Statement s = db.prepare("SELECT engine_id, op_id, start_ps, end_ps FROM spans WHERE +engine_id BETWEEN ? AND ?");
  s.bind(1, min_engine);
  s.bind(2, max_engine);
  while (s.step()) {
    std::optional<int64_t> op;
    if (!s.column_is_null(1)) {
      op = s.column_int(1);
      if (!tally.knows_op(*op)) {
        lookup.reset();
        lookup.bind(1, *op);
        if (lookup.step()) tally.add_op(*op, lookup.column_text(0), lookup.column_text(1));
      }
    }
    tally.add_span(s.column_int(0), op, s.column_int(2), s.column_int(3));
  }
  return tally.result();
}

void store_span_totals(Database& db, int64_t run_id, const SpanAggregates& t) {
  Statement run = db.prepare(
      "INSERT OR REPLACE INTO run_span_totals (run_id, spans, makespan_ps, host_busy_ps, device_busy_ps)"
      " VALUES (?,?,?,?,?)");
  run.bind(1, run_id);
  run.bind(2, t.span_count);
  run.bind(3, t.makespan_ps);
  run.bind(4, t.host_busy_ps);
  run.bind(5, t.device_busy_ps);
  run.step();
  Statement engine = db.prepare("INSERT OR REPLACE INTO engine_span_totals (engine_id, spans, busy_ps) VALUES (?,?,?)");
  for (const auto& e : t.engines) {
    engine.reset();
    engine.bind(1, e.engine_id);
    engine.bind(2, e.spans);
    engine.bind(3, e.busy_ps);
    engine.step();
  }
  Statement clear = db.prepare("DELETE FROM op_group_span_totals WHERE run_id = ?");
  clear.bind(1, run_id);
  clear.step();
  Statement group = db.prepare(
      "INSERT INTO op_group_span_totals (run_id, grouping, side, grp, spans, ops, total_ps) VALUES (?,?,?,?,?,?,?)");
  for (const auto* list : {&t.op_kinds, &t.op_names})
    for (const auto& g : *list) {
      group.reset();
      group.bind(1, run_id);
      group.bind(2, std::string_view(list == &t.op_kinds ? "kind" : "name"));
      group.bind(3, g.device_kind);
      group.bind(4, g.group);
      group.bind(5, g.spans);
      group.bind(6, g.ops);
      group.bind(7, g.total_ps);
      group.step();
    }
}

namespace {

// The run's stored totals, or nothing when it has none.
std::optional<SpanAggregates> stored_totals(Database& db, int64_t run_id) {
  if (!db.has_table("run_span_totals") || !db.has_table("engine_span_totals") ||
      !db.has_table("op_group_span_totals"))
    return std::nullopt;
  SpanAggregates t;
  {
    Statement s = db.prepare(
        "SELECT spans, makespan_ps, host_busy_ps, device_busy_ps FROM run_span_totals WHERE run_id = ?");
    s.bind(1, run_id);
    if (!s.step()) return std::nullopt;
    t.span_count = s.column_int(0);
    t.makespan_ps = s.column_int(1);
    t.host_busy_ps = s.column_int(2);
    t.device_busy_ps = s.column_int(3);
  }
  Statement e = db.prepare(
      fmt::format("SELECT {}, t.spans, t.busy_ps FROM engines e JOIN devices d ON d.id = e.device_id LEFT JOIN "
                  "engine_span_totals t ON t.engine_id = e.id WHERE d.run_id = ? ORDER BY d.kind DESC, d.card, e.id",
                  kEngineColumns));
  e.bind(1, run_id);
  while (e.step()) {
    if (e.column_is_null(6)) return std::nullopt;  // an engine without its totals: not written by finish()
    EngineAggregate a = engine_row(e);
    a.spans = e.column_int(6);
    a.busy_ps = e.column_int(7);
    t.engines.push_back(std::move(a));
  }
  Statement g = db.prepare(
      "SELECT grouping, side, grp, spans, ops, total_ps FROM op_group_span_totals WHERE run_id = ?"
      " ORDER BY grouping, total_ps DESC, side, grp");
  g.bind(1, run_id);
  while (g.step())
    (g.column_text(0) == "kind" ? t.op_kinds : t.op_names)
        .push_back({g.column_text(1), g.column_text(2), g.column_int(3), g.column_int(4), g.column_int(5)});
  return t;
}

}  // namespace

SpanAggregates aggregate_spans(Database& db, int64_t run_id) {
  if (auto stored = stored_totals(db, run_id)) return std::move(*stored);
  return scan_spans(db, run_id);
}

}  // namespace hpusim::traces
