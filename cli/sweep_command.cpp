// SPDX-License-Identifier: Apache-2.0
// hpusim sweep SWEEP.json [--jobs N] [--out DIR] [--shard I/N] [--quiet] [--json]
// hpusim sweep merge SWEEP.json [--out DIR]
// A grid (and zipped lists) over any scenario, hardware or runtime key, each point an `hpusim run` in its own
// process; results in DIR/sweep.sqlite and DIR/results.csv, one trace per point in DIR/traces. Resumable. Across
// machines: Slurm array tasks with --shard I/N then `sweep merge`, or `mpirun -n N hpusim sweep ...`, where each rank
// takes its share (Open MPI's OMPI_COMM_WORLD_RANK/SIZE, or PMI_RANK/SIZE) and rank 0 merges when every share is in.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "sweep/sweep_db.h"
#include "sweep/sweep_run.h"
#include "traces/interrupt.h"
#include "traces/sqlite_db.h"
#include "models/model_loader.h"
#include "models/runtime_profile.h"
#include "sim/runtime/scenario.h"

namespace hpusim::cli {
namespace {

// The MPI rank and size when started by mpirun (Open MPI, or PMI-based launchers), else nothing.
std::optional<std::pair<int64_t, int64_t>> mpi_rank() {
  for (const auto& [rank, size] : {std::pair{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                   std::pair{"PMI_RANK", "PMI_SIZE"}}) {
    const char* r = std::getenv(rank);
    const char* s = std::getenv(size);
    if (r && s) return std::pair{std::stoll(r), std::stoll(s)};
  }
  return std::nullopt;
}

// A shard's state: not there or running (nullopt), ended complete (true) or ended with points missing (false).
std::optional<bool> shard_state(const std::string& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  try {
    traces::Database db(file, traces::Database::Mode::ReadOnly, false);
    auto q = db.prepare("SELECT name, value FROM sweep WHERE name IN ('complete', 'ended')");
    bool complete = false, ended = false;
    while (q.step()) (q.column_text(0) == "complete" ? complete : ended) = q.column_text(1) == "1";
    if (complete) return true;
    if (ended) return false;
  } catch (const std::exception&) {  // being written
  }
  return std::nullopt;
}

// Every point's scenario must be valid before anything runs: each swept value applied to the base on its own, and
// each distinct device with its hardware values loaded. Errors name the sweep file and the key.
void check_points(const sweep::SweepSpec& spec) {
  const sim::Scenario base = spec.base_file.empty() ? sim::scenario_from_json(spec.base_inline, spec.path + " base")
                                                    : sim::read_scenario(spec.base_file);
  std::set<std::string> seen;
  for (const auto& p : spec.points)
    for (const auto& a : p.assignments) {
      if (!seen.insert(a).second) continue;
      try {
        sim::Scenario s = base;
        sim::apply_set(s, a);
        sim::validate(s, "--set " + a);
        (void)models::load_model(s.device, s.hardware_sets);
        if (!s.runtime_sets.empty())
          (void)models::load_runtime_profile(
              s.runtime == "auto" ? models::default_runtime_profile(models::load_model(s.device, {}).family)
                                  : s.runtime,
              s.runtime_sets, models::default_models_dir().string());
      } catch (const InputError& e) {
        throw InputError(spec.path, a.substr(0, a.find('=')), e.what());
      }
    }
}

nlohmann::json summary_json(const sweep::RunSummary& s) {
  return {{"points", s.points}, {"ran", s.ran},        {"skipped", s.skipped}, {"failed", s.failed},
          {"seconds", s.seconds}, {"database", s.database}, {"csv", s.csv}};
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  struct Options {
    std::string file, out = "hpusim-sweep", shard;
    int64_t jobs = 1;
    bool quiet = false, json = false, no_traces = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sweep", "Run a grid of scenarios in parallel processes into one results database");
  cmd->add_option("sweep", o->file, "Sweep file (JSON): base, grid, zip");
  cmd->add_option("--jobs,-j", o->jobs, "Points run at once (processes)")->check(CLI::Range(1, 4096));
  cmd->add_option("--out", o->out, "Output folder: sweep.sqlite, results.csv, traces/ (default hpusim-sweep)");
  cmd->add_option("--shard", o->shard, "I/N: run only the points with id % N == I (Slurm array tasks)");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->add_flag("--no-traces", o->no_traces,
                "The points write no trace database (results.csv and sweep.sqlite keep every figure): for sweeps of "
                "long generations");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  auto* merge = cmd->add_subcommand("merge", "Merge the shards in --out into one database and CSV");
  merge->add_option("sweep", o->file, "The sweep file the shards ran")->required();
  merge->add_option("--out", o->out, "The output folder holding shards/");
  merge->add_flag("--json", o->json, "Print one JSON object on stdout");
  merge->callback([o] {
    const auto spec = sweep::read_sweep(o->file);
    const auto s = sweep::merge_shards(spec, o->out);
    if (o->json)
      print_json(summary_json(s));
    else
      std::cout << fmt::format("merged {} points ({} failed) into {}; CSV {}\n", s.points, s.failed, s.database, s.csv);
  });
  cmd->callback([o, cmd, merge] {
    if (merge->parsed()) return;
    if (o->file.empty()) throw InputError("sweep", "", "expected a sweep file (or `sweep merge SWEEP.json`)");
    const auto spec = sweep::read_sweep(o->file);
    check_points(spec);
    sweep::RunOptions ro;
    ro.out_dir = o->out;
    ro.jobs = o->jobs;
    ro.executable = self_executable();
    ro.progress = !o->quiet;
    ro.traces = !o->no_traces;
    const auto mpi = mpi_rank();
    if (!o->shard.empty()) {
      const auto slash = o->shard.find('/');
      try {
        std::size_t used_i = 0, used_n = 0;
        ro.shard_index = std::stoll(o->shard.substr(0, slash), &used_i);
        ro.shard_count = std::stoll(o->shard.substr(slash + 1), &used_n);
        if (used_i != slash || used_n != o->shard.size() - slash - 1) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        throw InputError("--shard", o->shard, "expected I/N with 0 <= I < N");
      }
      if (slash == std::string::npos || ro.shard_count < 1 || ro.shard_index < 0 || ro.shard_index >= ro.shard_count)
        throw InputError("--shard", o->shard, "expected I/N with 0 <= I < N");
    } else if (mpi && mpi->second > 1) {
      ro.shard_index = mpi->first;
      ro.shard_count = mpi->second;
      ro.progress = ro.progress && mpi->first == 0;
    }
    auto s = sweep::run_sweep(spec, ro);
    if (s.interrupted_by) throw traces::Interrupted(s.interrupted_by);
    if (s.lost > 0)
      throw std::runtime_error(fmt::format("{} point(s) ended by a signal and have no result; run the same command "
                                           "again to run them (the others are kept)",
                                           s.lost));
    if (mpi && mpi->second > 1 && o->shard.empty()) {
      if (mpi->first != 0) return;  // rank 0 merges once every rank's share is in
      for (;;) {
        bool all = true;
        for (int64_t r = 0; r < mpi->second && all; ++r) {
          const auto state = shard_state(sweep::shard_file(o->out, r, mpi->second));
          if (state && !*state)
            throw std::runtime_error(fmt::format("rank {}'s share ended with points missing; run again", r));
          all = state.has_value();
        }
        if (all) break;
        traces::throw_if_interrupted();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      const auto mine = s;
      s = sweep::merge_shards(spec, o->out);
      s.seconds = mine.seconds;
      s.ran = s.points;  // across the ranks
    }
    if (o->json) {
      print_json(summary_json(s));
      return;
    }
    {
      sweep::SweepDb db(s.database, spec);
      std::cout << db.render_table(spec, 50);
    }
    std::cout << fmt::format("{} points: {} run, {} already done, {} failed, in {:.1f} s\n", s.points, s.ran,
                             s.skipped, s.failed, s.seconds);
    std::cout << fmt::format("results: {}{}\n", s.database, s.csv.empty() ? "" : "; CSV " + s.csv);
  });
}

}  // namespace hpusim::cli
