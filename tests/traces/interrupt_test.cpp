// SPDX-License-Identifier: Apache-2.0
// An interrupted recording leaves a valid database whose run is marked incomplete: a child process records spans
// without end and is stopped by SIGTERM (caught), SIGKILL (not catchable), or an exception.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/test_support.h"
#include "traces/interrupt.h"
#include "traces/sqlite_recorder.h"
#include "traces/trace_reader.h"

namespace hpusim::traces {
namespace {

std::string scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);  // read-write: may recover the WAL
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  std::string out = "(no row)";
  if (sqlite3_step(s) == SQLITE_ROW)
    out = sqlite3_column_text(s, 0) ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "NULL";
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// The child: record forever (committing every 4096 spans) until a signal stops it.
[[noreturn]] void record_forever(const std::string& path, const std::string& ready_flag) {
  install_interrupt_handlers();
  int status = 0;
  try {
    SqliteRecorder rec(path, {"child", "test", "{}", "{}"}, RecorderOptions{false, 4096});
    const int64_t card = rec.add_device(0, "gaudi2");
    const int64_t mme = rec.add_engine(card, "mme0", EngineKind::Matrix);
    for (int64_t i = 0;; ++i) {
      rec.span(mme, -1, i * 10, i * 10 + 5);
      if (i == 100'000) test::write_file(ready_flag, "ready");
    }
  } catch (const Interrupted& e) {
    status = e.exit_status();
  } catch (...) {
    status = 99;
  }
  ::_exit(status);
}

pid_t start_child(const std::string& path, const std::string& flag) {
  const pid_t pid = ::fork();
  if (pid == 0) record_forever(path, flag);
  for (int i = 0; i < 3000 && !std::filesystem::exists(flag); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(std::filesystem::exists(flag)) << "the child never got going";
  return pid;
}

TEST(InterruptedRecording, SigtermLeavesAValidDatabaseMarkedIncomplete) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  const pid_t pid = start_child(path, dir.file("ready"));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_EQ(scalar(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(path, "SELECT status FROM runs"), "incomplete");
  EXPECT_EQ(scalar(path, "SELECT status_detail FROM runs"), "interrupted by SIGTERM");
  EXPECT_GE(std::stoll(scalar(path, "SELECT COUNT(*) FROM spans")), 100'000);
  // and the trace tools read it
  TraceReader reader(path);
  EXPECT_EQ(reader.summary(1).run.status, "incomplete");
}

TEST(InterruptedRecording, SigkillLeavesAValidDatabaseMarkedIncomplete) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  const pid_t pid = start_child(path, dir.file("ready"));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  {  // what a user does first: the read-only trace tools on the killed run's files (WAL not yet recovered)
    TraceReader first(path);
    EXPECT_EQ(first.summary(1).run.status, "incomplete");
  }
  EXPECT_EQ(scalar(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(path, "SELECT status FROM runs"), "incomplete");
  // Committed batches survive: at least the spans up to the last commit before the ready flag.
  EXPECT_GE(std::stoll(scalar(path, "SELECT COUNT(*) FROM spans")), 4096);
  TraceReader reader(path);
  EXPECT_EQ(reader.summary(1).run.status, "incomplete");
}

TEST(InterruptedRecording, AnExceptionMarksTheRunIncomplete) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  try {
    SqliteRecorder rec(path, {"x", "test", "{}", "{}"});
    const int64_t card = rec.add_device(0, "gaudi2");
    rec.span(rec.add_engine(card, "mme0", EngineKind::Matrix), -1, 0, 10);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(scalar(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(path, "SELECT status FROM runs"), "incomplete");
  EXPECT_EQ(scalar(path, "SELECT status_detail FROM runs"), "the run stopped on an error before it finished");
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM spans"), "1");
}

}  // namespace
}  // namespace hpusim::traces

namespace hpusim::traces {
namespace {
TEST(InterruptedRecording, SigintIsNamedAndGivesExitStatus130) {
  test::TempDir dir;
  const std::string path = dir.file("t.sqlite");
  const pid_t pid = start_child(path, dir.file("ready"));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(scalar(path, "SELECT status_detail FROM runs"), "interrupted by SIGINT");
  EXPECT_EQ(scalar(path, "PRAGMA integrity_check"), "ok");
}
}  // namespace
}  // namespace hpusim::traces
