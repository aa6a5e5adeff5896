// SPDX-License-Identifier: Apache-2.0
#include "sim/device/time_split.h"

#include <algorithm>
#include <iterator>
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

namespace {

struct Item {
  Picoseconds start, end;
  TimeClass cls;
  bool is_card;
};

// For each stretch between consecutive starts and ends, the interval running through it that the old rule would
// name: the card task ending last (ties: the lower class), else the host interval ending last; -1 for none.
struct Stretch {
  Picoseconds from;
  long running;
};

std::vector<Stretch> running_stretches(const std::vector<Item>& items) {
  struct Event {
    Picoseconds at;
    bool start;
    std::size_t index;
  };
  std::vector<Event> events;
  events.reserve(2 * items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    events.push_back({items[i].start, true, i});
    events.push_back({items[i].end, false, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  std::set<std::tuple<Picoseconds, int, std::size_t>> card;  // end, -class, index
  std::set<std::pair<Picoseconds, std::size_t>> host;         // end, index
  std::vector<Stretch> out;
  for (std::size_t e = 0; e < events.size();) {
    const Picoseconds at = events[e].at;
    for (; e < events.size() && events[e].at == at; ++e) {
      const Item& x = items[events[e].index];
      if (x.is_card) {
        const std::tuple<Picoseconds, int, std::size_t> k{x.end, -static_cast<int>(x.cls), events[e].index};
        events[e].start ? (void)card.insert(k) : (void)card.erase(k);
      } else {
        const std::pair<Picoseconds, std::size_t> k{x.end, events[e].index};
        events[e].start ? (void)host.insert(k) : (void)host.erase(k);
      }
    }
    const long running = !card.empty()   ? static_cast<long>(std::get<2>(*card.rbegin()))
                         : !host.empty() ? static_cast<long>(host.rbegin()->second)
                                         : -1;
    out.push_back({at, running});
  }
  return out;
}

}  // namespace

std::vector<TimeSplit> split_steps(const std::vector<Picoseconds>& bounds, const std::vector<TimedInterval>& card,
                                   const std::vector<TimedInterval>& host) {
  std::vector<TimeSplit> out(bounds.size() > 1 ? bounds.size() - 1 : 0, TimeSplit{});
  if (out.empty()) return out;
  std::vector<Item> items;
  items.reserve(card.size() + host.size());
  for (const auto& iv : card)
    if (iv.end > iv.start) items.push_back({iv.start, iv.end, iv.cls, true});
  for (const auto& iv : host)
    if (iv.end > iv.start) items.push_back({iv.start, iv.end, TimeClass::host, false});
  const std::vector<Stretch> stretches = running_stretches(items);
  // By end, so that the last one with end <= t is the latest to end; of equal ends the earliest start (it reaches
  // furthest back), then a card task before the host, the lower class first.
  std::vector<std::size_t> by_end(items.size());
  for (std::size_t i = 0; i < by_end.size(); ++i) by_end[i] = i;
  const auto key = [&](std::size_t i) {
    const Item& x = items[i];
    return std::make_tuple(x.end, -x.start, x.is_card ? 1 : 0, -static_cast<int>(x.cls), i);
  };
  std::sort(by_end.begin(), by_end.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  const auto charge = [&](TimeSplit& split, TimeClass cls, Picoseconds d) { split[static_cast<std::size_t>(cls)] += d; };
  for (std::size_t step = 0; step < out.size(); ++step) {
    const Picoseconds from = bounds[step];
    Picoseconds t = bounds[step + 1];
    while (t > from) {
      const auto it = std::upper_bound(by_end.begin(), by_end.end(), t,
                                       [&](Picoseconds v, std::size_t i) { return v < items[i].end; });
      const Item* ended = it == by_end.begin() ? nullptr : &items[*std::prev(it)];
      if (ended && ended->end == t) {  // its end released what came at t: the path runs through it
        const Picoseconds begin = std::max(ended->start, from);
        charge(out[step], ended->cls, t - begin);
        t = begin;
        continue;
      }
      // Nothing ended at t: what was running into t (started by a launch or a latency), charged back to its start.
      const auto st = std::lower_bound(stretches.begin(), stretches.end(), t,
                                       [](const Stretch& x, Picoseconds v) { return x.from < v; });
      const long r = st == stretches.begin() ? -1 : std::prev(st)->running;
      if (r >= 0 && items[static_cast<std::size_t>(r)].start < t && items[static_cast<std::size_t>(r)].end > t) {
        const Item& x = items[static_cast<std::size_t>(r)];
        const Picoseconds begin = std::max(x.start, from);
        charge(out[step], x.cls, t - begin);
        t = begin;
        continue;
      }
      // Nothing ran: a launch gap or idle time back to the last end (or the step's start).
      const Picoseconds back = ended && ended->end > from ? ended->end : from;
      charge(out[step], TimeClass::gap, t - back);
      t = back;
    }
  }
  return out;
}

}  // namespace hpusim::sim
