// SPDX-License-Identifier: Apache-2.0
#include "sim/device/time_split.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace hpusim::sim {

std::string_view name(TimeClass c) {
  switch (c) {
    case TimeClass::host: return "host";
    case TimeClass::matrix: return "matrix";
    case TimeClass::vector: return "vector";
    case TimeClass::hbm: return "hbm";
    case TimeClass::fabric: return "fabric";
    case TimeClass::copy: return "copy";
    case TimeClass::gap: return "gap";
  }
  return "gap";
}

std::string_view bound_by(TimeClass c, bool gaudi) {
  switch (c) {
    case TimeClass::host: return "host-bound";
    case TimeClass::matrix: return gaudi ? "MME-bound" : "tensor-core-bound";
    case TimeClass::vector: return gaudi ? "TPC-bound" : "CUDA-core-bound";
    case TimeClass::hbm: return "HBM-bound";
    case TimeClass::fabric: return "fabric-bound";
    case TimeClass::copy: return "host-copy-bound";
    case TimeClass::gap: return "launch-gap-bound";
  }
  return "launch-gap-bound";
}

std::vector<TimeSplit> split_steps(const std::vector<Picoseconds>& bounds, const std::vector<TimedInterval>& card,
                                   const std::vector<TimedInterval>& host) {
  std::vector<TimeSplit> out(bounds.size() > 1 ? bounds.size() - 1 : 0, TimeSplit{});
  if (out.empty()) return out;
  // Events: starts and ends of card and host intervals. A card interval is keyed by (end, class, index) in the
  // active set: the one ending last names the instant (ties: the lower class, then the lower index).
  struct Event {
    Picoseconds at;
    bool start;
    bool is_card;
    std::size_t index;
  };
  std::vector<Event> events;
  events.reserve(2 * (card.size() + host.size()));
  for (std::size_t i = 0; i < card.size(); ++i) {
    if (card[i].end <= card[i].start) continue;
    events.push_back({card[i].start, true, true, i});
    events.push_back({card[i].end, false, true, i});
  }
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (host[i].end <= host[i].start) continue;
    events.push_back({host[i].start, true, false, i});
    events.push_back({host[i].end, false, false, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  using Key = std::tuple<Picoseconds, int, std::size_t>;  // end, -class (lower class wins ties), index
  std::set<Key> active;
  int64_t host_active = 0;
  std::size_t e = 0, step = 0;
  Picoseconds now = bounds.front();
  const auto apply = [&](const Event& ev) {
    if (!ev.is_card) {
      host_active += ev.start ? 1 : -1;
      return;
    }
    const TimedInterval& iv = card[ev.index];
    const Key k{iv.end, -static_cast<int>(iv.cls), ev.index};
    if (ev.start)
      active.insert(k);
    else
      active.erase(k);
  };
  // Intervals that started before the first bound.
  while (e < events.size() && events[e].at <= now) apply(events[e++]);
  const auto charge = [&](Picoseconds from, Picoseconds to) {  // [from, to) within step `step`
    if (to <= from) return;
    TimeClass cls = TimeClass::gap;
    if (!active.empty())
      cls = static_cast<TimeClass>(-std::get<1>(*active.rbegin()));
    else if (host_active > 0)
      cls = TimeClass::host;
    out[step][static_cast<std::size_t>(cls)] += to - from;
  };
  while (step < out.size()) {
    const Picoseconds step_end = bounds[step + 1];
    const Picoseconds next = e < events.size() ? std::min(events[e].at, step_end) : step_end;
    charge(now, next);
    now = next;
    if (now == step_end) {
      ++step;
      continue;
    }
    while (e < events.size() && events[e].at == now) apply(events[e++]);
  }
  return out;
}

}  // namespace hpusim::sim
