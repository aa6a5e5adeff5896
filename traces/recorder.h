// SPDX-License-Identifier: Apache-2.0
// The write side of traces: what the simulator reports. sim/ holds a Recorder& and never knows whether spans go
// to SQLite or nowhere (NullRecorder): tracing off is a null object, not an `if` in every engine (STYLE.md take 9).
// Ids returned by add_* are the rows' ids in the database and are valid only within one recorder.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hpusim::traces {

using Picoseconds = int64_t;

enum class EngineKind { Matrix, Vector, Dma, Memory, Fabric, Host };
std::string_view to_string(EngineKind kind);
std::optional<EngineKind> engine_kind_from_string(std::string_view text);

enum class RunStatus { Incomplete, Complete, Failed };
std::string_view to_string(RunStatus status);

struct RunInfo {
  std::string label;          // shown by `trace compare` (e.g. "eager", "hpu-graph")
  std::string command;        // the command line
  std::string scenario_json;  // "{}" when there is no scenario
  std::string model_json;     // resolved hardware model(s), "{}" when none
};

struct OpRecord {
  std::string name;
  std::string kind;
  std::string shapes;
  std::string dtype;
  int64_t flops = 0;
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  std::optional<int64_t> graph_id;
  std::optional<int64_t> step;
  std::string phase;
};

struct CompileRecord {
  std::optional<int64_t> graph_id;
  std::string cache_key;
  int64_t nodes = 0;
  bool cache_hit = false;
  Picoseconds start_ps = 0;
  Picoseconds end_ps = 0;
};

// A token the numerics chose (runs with a checkpoint): one row per card and step.
struct TokenRecord {
  int card = 0;
  int64_t step = 0, call = 0, position = 0, token_id = 0;
  double logit = 0;
  Picoseconds at_ps = 0;
};

// A pass of card 0 with its time split (issue 15; sim/device/time_split.h): from the previous pass's end to its own,
// the parts in the order host, matrix, vector, hbm, fabric, copy, gap, summing to end - start.
struct StepRecord {
  int64_t step = 0, call = 0, tokens = 0;
  std::string phase;
  bool timed = false;
  Picoseconds start_ps = 0, end_ps = 0;
  std::array<Picoseconds, 7> split{};
};

class Recorder {
 public:
  virtual ~Recorder() = default;
  // card < 0 declares the host.
  virtual int64_t add_device(int card, std::string_view name) = 0;
  virtual int64_t add_engine(int64_t device_id, std::string_view name, EngineKind kind) = 0;
  virtual int64_t add_op(const OpRecord& op) = 0;
  // The hot path. op_id may be -1 for a span that belongs to no op.
  virtual void span(int64_t engine_id, int64_t op_id, Picoseconds start_ps, Picoseconds end_ps) = 0;
  virtual void compile(const CompileRecord& record) = 0;
  virtual void counter(std::optional<int64_t> engine_id, std::string_view name, std::string_view unit, double value,
                       std::string_view description) = 0;
  virtual void metric(std::string_view name, std::string_view unit, double value, std::string_view description) = 0;
  virtual void token(const TokenRecord& record) = 0;
  virtual void step(const StepRecord& record) = 0;
  // Ends the run; a recorder destroyed without finish() marks its run incomplete.
  virtual void finish(RunStatus status, std::string_view detail) = 0;
};

// Records nothing; hands out increasing ids so callers behave the same with tracing off.
class NullRecorder final : public Recorder {
 public:
  int64_t add_device(int, std::string_view) override { return ++next_; }
  int64_t add_engine(int64_t, std::string_view, EngineKind) override { return ++next_; }
  int64_t add_op(const OpRecord&) override { return ++next_; }
  void span(int64_t, int64_t, Picoseconds, Picoseconds) override {}
  void compile(const CompileRecord&) override {}
  void counter(std::optional<int64_t>, std::string_view, std::string_view, double, std::string_view) override {}
  void metric(std::string_view, std::string_view, double, std::string_view) override {}
  void token(const TokenRecord&) override {}
  void step(const StepRecord&) override {}
  void finish(RunStatus, std::string_view) override {}

 private:
  int64_t next_ = 0;
};

}  // namespace hpusim::traces
