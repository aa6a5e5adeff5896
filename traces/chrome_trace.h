// SPDX-License-Identifier: Apache-2.0
// The Chrome trace-event JSON format (what ui.perfetto.dev and chrome://tracing open, and what torch.profiler's
// export_chrome_trace writes), both ways:
//  - export: one process per card and one for the host, one thread per engine, one complete ("X") event per span;
//  - import: complete events and begin/end pairs of any such file become a run in a trace database, so a measured
//    profile can be summarised and compared with a simulated run by the same tools. Times are exact to the
//    picosecond for timestamps below ~1e9 us (our exports start at 0); wall-clock timestamps such as
//    torch.profiler's (~1.7e15 us) keep nanosecond resolution.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hpusim::traces {

struct ExportStats {
  int64_t processes = 0, threads = 0, events = 0;
};

// What to export (issue 16: a 176B x 8 run's full export is too large for ui.perfetto.dev to open).
struct ExportFilter {
  std::vector<int64_t> cards;                          // empty: every card
  std::optional<std::pair<int64_t, int64_t>> steps;    // ops.step from .. to (inclusive); spans with no step left out
  bool host = true;                                    // the host processes
};

// "A..B" (or "A") as a step range; InputError naming --steps otherwise.
std::pair<int64_t, int64_t> parse_step_range(const std::string& text);

// Writes the run (default: the last) of `trace_path` to `json_path`, through a temporary file renamed at the end so
// that a failure leaves no half-written output. InputError for a card the run does not have.
ExportStats export_chrome_trace(const std::string& trace_path, const std::string& json_path,
                                std::optional<int64_t> run_id = std::nullopt, const ExportFilter& filter = {});

struct ImportStats {
  int64_t run_id = 0, devices = 0, engines = 0, ops = 0, spans = 0;
  int64_t ignored = 0;                     // events of other phases (instant, counter, flow...) and unmatched B
  std::vector<std::string> ignored_kinds;  // "i x3", "B without E x1"
};

// Reads `json_path` and records it as one run (label = `label`, or the file name) into a new database at
// `trace_path` (or appended to it when `append`). InputError for malformed or unusable files, before anything is
// written.
ImportStats import_chrome_trace(const std::string& json_path, const std::string& trace_path, const std::string& label,
                                const std::string& command, bool append);

}  // namespace hpusim::traces
