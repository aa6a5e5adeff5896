// SPDX-License-Identifier: Apache-2.0
// Import from the Chrome trace-event format. Everything is validated before the database is created. Numbers are
// parsed as long double so that wall-clock microsecond timestamps (torch.profiler's are ~1.7e15) keep their
// nanosecond digits; the earliest event becomes time 0.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "common/json_file.h"
#include "traces/chrome_trace.h"
#include "traces/interrupt.h"
#include "traces/output_path.h"
#include "traces/sqlite_recorder.h"

namespace hpusim::traces {
namespace {

using Json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, long double>;

struct Track {
  std::string pid, tid;
};

struct Event {
  std::string pid, tid, name, cat;
  long double start_us = 0, end_us = 0;
  const Json* args = nullptr;
  std::size_t index = 0;  // position in traceEvents, for error messages
};

std::string id_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  return v.dump();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains_any(const std::string& haystack, std::initializer_list<const char*> needles) {
  for (const char* n : needles)
    if (haystack.find(n) != std::string::npos) return true;
  return false;
}

// Cards are processes named like ours ("card 3 ...") or like GPU/HPU streams in profiler output.
std::optional<int> card_of(const std::string& process_name) {
  const std::string l = lower(process_name);
  if (!contains_any(l, {"card", "gpu", "hpu", "device"})) return std::nullopt;
  int number = 0;
  bool digits = false;
  for (char c : l) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (number > 100000) return -2;  // not a card number anyone has: numbered later
      number = number * 10 + (c - '0');
      digits = true;
    } else if (digits) {
      break;
    }
  }
  return digits ? number : -2;  // -2: a card whose number is assigned later
}

EngineKind guess_engine_kind(const std::string& thread_name, bool host) {
  if (host) return EngineKind::Host;
  const std::string l = lower(thread_name);
  if (contains_any(l, {"mme", "tensor", "gemm", "matrix"})) return EngineKind::Matrix;
  if (contains_any(l, {"dma", "memcpy", "copy"})) return EngineKind::Dma;
  if (contains_any(l, {"nccl", "hccl", "fabric", "link", "nic"})) return EngineKind::Fabric;
  if (contains_any(l, {"hbm", "memory", "sram", "l2"})) return EngineKind::Memory;
  return EngineKind::Vector;
}

long double number_at(const Json& e, const char* key, const std::string& file, std::size_t index) {
  const std::string ptr = fmt::format("/traceEvents/{}/{}", index, key);
  if (!e.contains(key)) throw InputError(file, ptr, "missing (a number of microseconds)");
  const Json& v = e[key];
  if (!v.is_number()) throw InputError(file, ptr, fmt::format("expected a number of microseconds, got {}", v.dump()));
  const long double x = v.get<long double>();
  if (!std::isfinite(static_cast<double>(x))) throw InputError(file, ptr, "expected a finite number");
  return x;
}

// A numeric argument that fits an int64 (a count of flops or bytes, a step); anything else is left out.
std::optional<int64_t> arg_opt(const Json* args, const char* key) {
  if (!args || !args->contains(key) || !(*args)[key].is_number()) return std::nullopt;
  const long double v = (*args)[key].get<long double>();
  if (!(v >= -9.2e18L && v <= 9.2e18L)) return std::nullopt;
  return static_cast<int64_t>(v);
}

int64_t arg_int(const Json* args, const char* key) { return arg_opt(args, key).value_or(0); }

std::string arg_text(const Json* args, const char* key) {
  if (!args || !args->contains(key)) return {};
  const Json& v = (*args)[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string op_kind(const Event& e) {
  if (e.args && e.args->contains("op_kind") && (*e.args)["op_kind"].is_string())
    return (*e.args)["op_kind"].get<std::string>();
  if (e.name.rfind("aten::", 0) == 0) return e.name.substr(6);
  if (!e.cat.empty()) return e.cat;
  return e.name;
}

}  // namespace

ImportStats import_chrome_trace(const std::string& json_path, const std::string& trace_path, const std::string& label,
                                const std::string& command, bool append) {
  if (!append) check_output_path(trace_path, {json_path});
  const std::string text = read_input_file(json_path);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {  // parse errors, and numbers beyond a long double
    const std::string what = e.what();
    const auto at = what.find("parse error");
    throw InputError(json_path, "", "malformed JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
  const Json* events = &root;
  if (root.is_object()) {
    if (!root.contains("traceEvents"))
      throw InputError(json_path, "/traceEvents", "missing; expected a trace-event array or {\"traceEvents\": [...]}");
    events = &root["traceEvents"];
  }
  if (!events->is_array()) throw InputError(json_path, "/traceEvents", "expected an array of trace events");

  std::map<std::string, std::string> process_names;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> thread_names;  // name, kind
  std::vector<Event> spans;
  std::map<std::pair<std::string, std::string>, std::vector<Event>> open;  // B events waiting for their E
  std::map<std::string, int64_t> ignored;                                  // event phases we do not import
  for (std::size_t i = 0; i < events->size(); ++i) {
    const Json& e = (*events)[i];
    if (!e.is_object()) throw InputError(json_path, fmt::format("/traceEvents/{}", i), "expected an event object");
    const std::string ph = e.contains("ph") && e["ph"].is_string() ? e["ph"].get<std::string>() : "";
    const std::string pid = e.contains("pid") ? id_text(e["pid"]) : "0";
    const std::string tid = e.contains("tid") ? id_text(e["tid"]) : "0";
    const std::string name = e.contains("name") && e["name"].is_string() ? e["name"].get<std::string>() : "";
    const Json* args = e.contains("args") && e["args"].is_object() ? &e["args"] : nullptr;
    if (ph == "M") {
      if (name == "process_name" && args) process_names[pid] = arg_text(args, "name");
      if (name == "thread_name" && args)
        thread_names[{pid, tid}] = {arg_text(args, "name"), arg_text(args, "hpusim_kind")};
    } else if (ph == "X") {
      const long double ts = number_at(e, "ts", json_path, i);
      const long double dur = e.contains("dur") ? number_at(e, "dur", json_path, i) : 0;
      if (dur < 0) throw InputError(json_path, fmt::format("/traceEvents/{}/dur", i), "must be >= 0");
      spans.push_back({pid, tid, name, e.contains("cat") ? id_text(e["cat"]) : "", ts, ts + dur, args, i});
    } else if (ph == "B") {
      open[{pid, tid}].push_back(
          {pid, tid, name, e.contains("cat") ? id_text(e["cat"]) : "", number_at(e, "ts", json_path, i), 0, args, i});
    } else if (ph != "E") {
      ++ignored[ph.empty() ? "(no ph)" : ph];
      continue;
    }
    if (ph == "E") {
      auto& stack = open[{pid, tid}];
      if (stack.empty())
        throw InputError(json_path, fmt::format("/traceEvents/{}", i), "an end (E) event with no begin (B) before it");
      Event b = stack.back();
      stack.pop_back();
      b.end_us = number_at(e, "ts", json_path, i);
      if (b.end_us < b.start_us)
        throw InputError(json_path, fmt::format("/traceEvents/{}/ts", i), "ends before its begin (B) event");
      spans.push_back(b);
    }
  }
  if (spans.empty()) throw InputError(json_path, "/traceEvents", "no complete (X) or begin/end (B/E) events to import");

  for (const auto& [track, stack] : open)
    if (!stack.empty()) ignored["B without E"] += static_cast<int64_t>(stack.size());

  long double origin = spans.front().start_us;
  for (const auto& s : spans) origin = std::min(origin, s.start_us);
  // Picoseconds must fit an int64 with room for sums in the views: at most 2^62 ps (about 53 days) after origin.
  constexpr long double kMaxPs = 4.611686e18L;
  for (const auto& s : spans)
    if ((s.end_us - origin) * 1e6L > kMaxPs)
      throw InputError(json_path, fmt::format("/traceEvents/{}", s.index),
                       "ends more than 2^62 ps (about 53 days) after the first event; not a time this tool can hold");
  auto to_ps = [&](long double us) { return static_cast<int64_t>(std::llround((us - origin) * 1e6L)); };
  throw_if_interrupted();  // nothing written yet

  // Everything is valid: now create the database.
  RunInfo info{label.empty() ? std::filesystem::path(json_path).filename().string() : label, command,
               nlohmann::json{{"imported_from", json_path}}.dump(), "{}"};
  SqliteRecorder recorder(trace_path, info, RecorderOptions{append});
  ImportStats stats;
  stats.run_id = recorder.run_id();
  std::map<std::string, int64_t> device_ids;
  std::map<std::pair<std::string, std::string>, int64_t> engine_ids;
  std::map<std::string, bool> device_is_host;
  int next_card = 0;
  std::map<int, bool> used_cards;
  for (const auto& [pid, pname] : process_names)
    if (auto c = card_of(pname); c && *c >= 0) used_cards[*c] = true;
  for (const auto& s : spans) {
    if (!device_ids.count(s.pid)) {
      // Unnamed processes: a string pid is a name already (torch 1.13 writes "CPU functions"); a number is not.
      const bool numeric = !s.pid.empty() && s.pid.find_first_not_of("0123456789") == std::string::npos;
      const std::string pname =
          process_names.count(s.pid) ? process_names[s.pid] : (numeric ? "process " + s.pid : s.pid);
      auto card = card_of(pname);
      if (card && *card < 0) {
        while (used_cards.count(next_card)) ++next_card;
        card = next_card;
        used_cards[next_card] = true;
      }
      std::string name = pname;
      if (card && pname.rfind("card ", 0) == 0) {  // our own export: "card N <name>"
        const auto space = pname.find(' ', 5);
        name = space == std::string::npos ? pname : pname.substr(space + 1);
      }
      device_ids[s.pid] = recorder.add_device(card ? *card : -1, name);
      device_is_host[s.pid] = !card;
      ++stats.devices;
    }
    const auto key = std::make_pair(s.pid, s.tid);
    if (!engine_ids.count(key)) {
      const auto it = thread_names.find(key);
      const std::string tname =
          it != thread_names.end() && !it->second.first.empty() ? it->second.first : "thread " + s.tid;
      auto kind = it != thread_names.end() ? engine_kind_from_string(it->second.second) : std::nullopt;
      if (!kind) kind = guess_engine_kind(tname + " " + s.cat, device_is_host[s.pid]);
      engine_ids[key] = recorder.add_engine(device_ids[s.pid], tname, *kind);
      ++stats.engines;
    }
    OpRecord op;
    op.name = s.name;
    op.kind = op_kind(s);
    op.shapes = s.args && s.args->contains("shapes") ? arg_text(s.args, "shapes") : arg_text(s.args, "Input Dims");
    op.dtype = s.args && s.args->contains("dtype") ? arg_text(s.args, "dtype") : arg_text(s.args, "Input type");
    op.flops = arg_int(s.args, "flops");
    op.bytes_read = arg_int(s.args, "bytes_read");
    op.bytes_written = arg_int(s.args, "bytes_written");
    op.step = arg_opt(s.args, "step");
    op.graph_id = arg_opt(s.args, "graph_id");
    op.phase = arg_text(s.args, "phase");
    const int64_t op_id = recorder.add_op(op);
    recorder.span(engine_ids[key], op_id, to_ps(s.start_us), to_ps(s.end_us));
    ++stats.ops;
    ++stats.spans;
  }
  recorder.metric("import_time_origin_us", "us", static_cast<double>(origin),
                  "timestamp of the earliest imported event; the trace starts there at time 0");
  for (const auto& [what, count] : ignored) {
    stats.ignored += count;
    stats.ignored_kinds.push_back(fmt::format("{} x{}", what, count));
    recorder.counter(std::nullopt, "import_ignored_events", "count", static_cast<double>(count),
                     "events not imported, phase " + what);
  }
  recorder.finish(RunStatus::Complete, "imported from " + std::filesystem::path(json_path).filename().string());
  return stats;
}

}  // namespace hpusim::traces
