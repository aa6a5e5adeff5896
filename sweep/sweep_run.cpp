// SPDX-License-Identifier: Apache-2.0
#include "sweep/sweep_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/input_error.h"
#include "sweep/sweep_db.h"
#include "traces/interrupt.h"

extern char** environ;

namespace hpusim::sweep {
namespace fs = std::filesystem;
namespace {

struct Running {
  const Point* point;
  std::string out, err, trace;
};

// Starts `argv` with stdout and stderr to files; returns its pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
  return pid;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

class Progress {
 public:
  Progress(bool on, int64_t total) : on_(on), tty_(isatty(2) != 0), total_(total), start_(clock::now()) {}
  void show(int64_t done, int64_t running, int64_t failed) {
    if (!on_) return;
    const double s = std::chrono::duration<double>(clock::now() - start_).count();
    const int width = 30;
    const int filled = total_ ? static_cast<int>(width * done / total_) : width;
    const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                            std::string(static_cast<std::size_t>(width - filled), '.');
    const std::string line = fmt::format("[{}] {}/{} points, {} running, {} failed, {:.1f} s", bar, done, total_,
                                         running, failed, s);
    std::fprintf(stderr, tty_ ? "\r%s" : "%s\n", line.c_str());
    std::fflush(stderr);
  }
  void end() {
    if (on_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  using clock = std::chrono::steady_clock;
  bool on_, tty_;
  int64_t total_;
  clock::time_point start_;
};

}  // namespace

std::string shard_file(const std::string& out_dir, int64_t index, int64_t count) {
  return (fs::path(out_dir) / "shards" / fmt::format("shard-{}-of-{}.sqlite", index, count)).string();
}

RunSummary run_sweep(const SweepSpec& spec, const RunOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool sharded = o.shard_count > 1;
  for (const char* sub : {"points", "traces", "shards"}) {
    if (std::string_view(sub) == "shards" && !sharded) continue;
    std::error_code ec;  // a folder that cannot be made: name it and the reason, exit 2
    fs::create_directories(fs::path(o.out_dir) / sub, ec);
    if (ec) throw InputError(o.out_dir, "--out", fmt::format("cannot make {}: {}", (fs::path(o.out_dir) / sub).string(),
                                                             ec.message()));
  }
  RunSummary sum;
  sum.database = sharded ? shard_file(o.out_dir, o.shard_index, o.shard_count)
                         : (fs::path(o.out_dir) / "sweep.sqlite").string();
  SweepDb db(sum.database, spec);
  // An inline base scenario becomes a file the points run.
  std::string base = spec.base_file;
  if (base.empty()) {
    base = (fs::path(o.out_dir) / "base-scenario.json").string();
    std::ofstream(base) << spec.base_inline.dump(2) << "\n";
  }
  const auto finished = db.finished();
  std::vector<const Point*> todo;
  for (const auto& p : spec.points) {
    if (p.id % o.shard_count != o.shard_index) continue;
    ++sum.points;
    if (finished.contains(p.id))
      ++sum.skipped;
    else
      todo.push_back(&p);
  }
  traces::install_interrupt_handlers();
  Progress progress(o.progress, sum.points);
  std::map<pid_t, Running> running;
  std::size_t next = 0;
  int64_t done = sum.skipped;
  progress.show(done, 0, db.count("failed"));
  while (next < todo.size() || !running.empty()) {
    while (!traces::pending_interrupt() && next < todo.size() &&
           static_cast<int64_t>(running.size()) < std::max<int64_t>(1, o.jobs)) {
      const Point& p = *todo[next++];
      Running r{&p, (fs::path(o.out_dir) / "points" / fmt::format("{}.json", p.id)).string(),
                (fs::path(o.out_dir) / "points" / fmt::format("{}.err", p.id)).string(),
                o.traces ? (fs::path(o.out_dir) / "traces" / fmt::format("point-{}.sqlite", p.id)).string() : ""};
      if (!r.trace.empty()) fs::remove(r.trace);  // a point interrupted before leaves a partial trace: replaced
      std::vector<std::string> argv{o.executable, "run", base, "--json", "--trace", r.trace};
      for (const auto& a : p.assignments) {
        argv.push_back("--set");
        argv.push_back(a);
      }
      running.emplace(spawn(argv, r.out, r.err), r);
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running r = it->second;
    running.erase(it);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // Interrupted or killed (or ended while this sweep was being interrupted): no row, so a resumed sweep runs it.
    if (code >= 128 || (code != 0 && traces::pending_interrupt())) {
      ++sum.lost;
      continue;
    }
    if (code == 0) {
      db.record(*r.point, true, "", nlohmann::json::parse(read_all(r.out)), r.trace);
    } else {
      // Bad input at this point (a model that does not fit, a mode the device does not run): recorded, not retried.
      db.record(*r.point, false, last_line(read_all(r.err)), nlohmann::json::object(), "");
      ++sum.failed;
    }
    fs::remove(r.out);
    fs::remove(r.err);
    ++sum.ran;
    ++done;
    progress.show(done, static_cast<int64_t>(running.size()), db.count("failed"));
  }
  progress.end();
  sum.interrupted_by = traces::pending_interrupt();
  const bool complete = sum.interrupted_by == 0 && done == sum.points;
  db.set_complete(complete);
  if (!sharded) {
    sum.csv = (fs::path(o.out_dir) / "results.csv").string();
    db.write_csv(sum.csv, spec);
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

RunSummary merge_shards(const SweepSpec& spec, const std::string& out_dir) {
  std::vector<std::string> shards;
  const fs::path dir = fs::path(out_dir) / "shards";
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".sqlite") shards.push_back(e.path().string());
  std::sort(shards.begin(), shards.end());
  if (shards.empty()) throw InputError(dir.string(), "", "holds no shard files (shard-I-of-N.sqlite)");
  std::set<std::string> counts;  // "-of-N": shards of one split only
  for (const auto& f : shards) {
    const auto stem = fs::path(f).stem().string();
    const auto of = stem.rfind("-of-");
    counts.insert(of == std::string::npos ? stem : stem.substr(of + 4));
  }
  if (counts.size() > 1)
    throw InputError(dir.string(), "",
                     fmt::format("holds shards of {} different splits (of {}); remove the old ones", counts.size(),
                                 fmt::join(counts, ", ")));
  RunSummary sum;
  sum.database = (fs::path(out_dir) / "sweep.sqlite").string();
  SweepDb db(sum.database, spec);
  db.merge(shards, spec);
  sum.points = static_cast<int64_t>(spec.points.size());
  sum.failed = db.count("failed");
  sum.csv = (fs::path(out_dir) / "results.csv").string();
  db.write_csv(sum.csv, spec);
  return sum;
}

}  // namespace hpusim::sweep
