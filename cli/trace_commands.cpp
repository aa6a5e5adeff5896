// SPDX-License-Identifier: Apache-2.0
// hpusim trace summary|ops|steps|compare|export|import: read a trace database with SQL, never the simulator.
#include <future>
#include <iostream>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "traces/chrome_trace.h"
#include "traces/output_path.h"
#include "traces/trace_reader.h"
#include "traces/trace_compare.h"
#include "traces/trace_report.h"

namespace hpusim::cli {
namespace {

struct RunChoice {
  int64_t run = 0;  // 0: not given, the last run in the file
  // The run to read; InputError naming `flag` and the runs present when it is not in the file.
  int64_t pick(traces::TraceReader& reader, const char* flag = "--run") const {
    if (run == 0) return reader.default_run_id();
    if (!reader.has_run(run)) {
      std::vector<std::string> ids;
      for (const auto& r : reader.runs()) ids.push_back(std::to_string(r.id));
      throw InputError(reader.path(), flag,
                       fmt::format("no run {}; the trace holds runs [{}]", run, fmt::join(ids, ", ")));
    }
    return run;
  }
};

CLI::Option* add_run_option(CLI::App* cmd, const char* flag, RunChoice& choice, const char* what) {
  return cmd->add_option(flag, choice.run, what)->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
}

void add_summary(CLI::App& trace) {
  struct Options {
    std::string path;
    RunChoice run;
    std::size_t top = 15;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand("summary", "Engine busy %, top op kinds by time, host vs device split");
  cmd->add_option("trace", o->path, "Trace database (.sqlite)")->required();
  add_run_option(cmd, "--run", o->run, "Run id inside the trace (default: the last run)");
  cmd->add_option("--top", o->top, "Op kinds to list")->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    traces::TraceReader reader(o->path);
    const auto summary = reader.summary(o->run.pick(reader));
    if (o->json)
      print_json(traces::summary_json(summary));
    else
      std::cout << traces::render_summary(summary, o->top);
  });
}

void add_ops(CLI::App& trace) {
  struct Options {
    std::string path;
    RunChoice run;
    std::string kind, engine;
    std::optional<int64_t> step;
    int64_t limit = 50;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand("ops", "Spans in time order with their ops (filter by kind, engine, step)");
  cmd->add_option("trace", o->path, "Trace database (.sqlite)")->required();
  add_run_option(cmd, "--run", o->run, "Run id inside the trace (default: the last run)");
  cmd->add_option("--kind", o->kind, "Only ops of this kind (e.g. gemm)");
  cmd->add_option("--engine", o->engine, "Only spans on this engine (e.g. mme0, host)");
  cmd->add_option("--step", o->step, "Only this generation step (0 = prefill)")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--limit", o->limit, "At most this many rows (0 = all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    traces::TraceReader reader(o->path);
    traces::OpFilter filter;
    if (!o->kind.empty()) filter.kind = o->kind;
    if (!o->engine.empty()) filter.engine = o->engine;
    filter.step = o->step;
    filter.limit = static_cast<std::size_t>(o->limit);
    const auto rows = reader.ops(o->run.pick(reader), filter);
    if (o->json)
      print_json(traces::ops_json(rows));
    else
      std::cout << traces::render_ops(rows);
  });
}

void add_steps(CLI::App& trace) {
  struct Options {
    std::string path;
    RunChoice run;
    bool all = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand("steps", "Each step of each call with card 0's time split and what bounds it");
  cmd->add_option("trace", o->path, "Trace database (.sqlite)")->required();
  add_run_option(cmd, "--run", o->run, "Run id inside the trace (default: the last run)");
  cmd->add_flag("--all", o->all, "Also the warm-up calls' steps (default: the timed calls only)");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    traces::TraceReader reader(o->path);
    const auto rows = reader.steps(o->run.pick(reader), o->all);
    if (o->json)
      print_json(traces::steps_json(rows));
    else
      std::cout << traces::render_steps(rows);
  });
}

void add_compare(CLI::App& trace) {
  struct Options {
    std::string a, b;
    RunChoice run_a, run_b;
    std::size_t top = 0;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand(
      "compare", "Two runs side by side: totals, where the time goes, per op kind and op name, B - A");
  cmd->add_option("a", o->a, "Trace database A")->required();
  cmd->add_option("b", o->b, "Trace database B (default: A again, with --run-a/--run-b naming two of its runs)");
  add_run_option(cmd, "--run-a", o->run_a,
                 "Run id in A (default: its last run; with one file, the one before the last)");
  add_run_option(cmd, "--run-b", o->run_b, "Run id in B (default: its last run)");
  cmd->add_option("--top", o->top,
                  "Op kinds and op names to list, largest difference first (default: every kind, 20 names)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    traces::TraceReader a(o->a);
    traces::TraceReader b(o->b.empty() ? o->a : o->b);
    int64_t run_a = o->run_a.pick(a, "--run-a");
    const int64_t run_b = o->run_b.pick(b, "--run-b");
    if (o->b.empty() && o->run_a.run == 0) {  // one file: the run before B's, by default
      const auto runs = a.runs();
      if (runs.size() < 2 || run_b == runs.front().id)
        throw InputError(o->a, "--run-a", "one file with one run: give a second trace, or --run-a and --run-b");
      for (const auto& r : runs)
        if (r.id < run_b) run_a = r.id;
    }
    // The two summaries read different connections: side by side on two cores (a 176B x 8 trace takes ~1 s each).
    auto pending_a = std::async(std::launch::async, [&] { return a.summary(run_a); });
    const auto sb = b.summary(run_b);
    const auto sa = pending_a.get();
    const auto cmp = traces::compare(sa, sb);
    if (o->json)
      print_json(traces::comparison_json(cmp));
    else
      std::cout << traces::render_comparison(cmp, o->top);
  });
}

void add_export(CLI::App& trace) {
  struct Options {
    std::string path, perfetto, steps;
    RunChoice run;
    std::vector<int64_t> cards;
    bool no_host = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand("export", "Write a run as Chrome trace-event JSON (opens in ui.perfetto.dev)");
  cmd->add_option("trace", o->path, "Trace database (.sqlite)")->required();
  cmd->add_option("--perfetto", o->perfetto, "Output .json file (Chrome trace-event format)")->required();
  add_run_option(cmd, "--run", o->run, "Run id inside the trace (default: the last run)");
  cmd->add_option("--card", o->cards, "Only this card (repeat for more; default: every card)");
  cmd->add_option("--steps", o->steps, "Only these steps, A..B or A (ops.step; `trace steps` lists them)");
  cmd->add_flag("--no-host", o->no_host, "Leave the host processes out");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    std::optional<int64_t> run;
    if (o->run.run > 0) run = o->run.run;
    traces::ExportFilter filter;
    filter.cards = o->cards;
    filter.host = !o->no_host;
    if (!o->steps.empty()) filter.steps = traces::parse_step_range(o->steps);
    const auto stats = traces::export_chrome_trace(o->path, o->perfetto, run, filter);
    if (o->json)
      print_json(nlohmann::json{{"output", o->perfetto},
                                {"processes", stats.processes},
                                {"threads", stats.threads},
                                {"events", stats.events}});
    else
      std::cout << fmt::format("wrote {}: {} processes, {} threads, {} events\n", o->perfetto, stats.processes,
                               stats.threads, stats.events);
  });
}

void add_import(CLI::App& trace) {
  struct Options {
    std::string input, out, label;
    bool append = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = trace.add_subcommand(
      "import", "Record a Chrome trace-event JSON file (our export, torch.profiler's) as a run in a trace database");
  cmd->add_option("input", o->input, "Chrome trace-event .json file")->required();
  cmd->add_option("--out,-o", o->out, "Trace database to write (.sqlite)")->required();
  cmd->add_option("--label", o->label, "Run label shown by compare (default: the input's file name)");
  cmd->add_flag("--append", o->append, "Add the run to an existing trace database instead of replacing it");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    const auto stats = traces::import_chrome_trace(o->input, o->out, o->label, command_line(), o->append);
    if (stats.ignored)  // a note, not an error: instant, counter and flow events have no duration to record
      std::cerr << fmt::format("hpusim: {}: {} events not imported ({})\n", o->input, stats.ignored,
                               fmt::join(stats.ignored_kinds, ", "));
    if (o->json)
      print_json(nlohmann::json{{"trace", o->out},
                                {"run", stats.run_id},
                                {"devices", stats.devices},
                                {"engines", stats.engines},
                                {"spans", stats.spans},
                                {"ignored_events", stats.ignored}});
    else
      std::cout << fmt::format("wrote {} (run {}): {} devices, {} engines, {} spans\n", o->out, stats.run_id,
                               stats.devices, stats.engines, stats.spans);
  });
}

}  // namespace

void add_trace_commands(CLI::App& app) {
  auto* trace = app.add_subcommand("trace", "Inspect, compare, export and import trace databases (SQLite)");
  trace->require_subcommand(1);
  add_summary(*trace);
  add_ops(*trace);
  add_steps(*trace);
  add_compare(*trace);
  add_export(*trace);
  add_import(*trace);
}

}  // namespace hpusim::cli
