// SPDX-License-Identifier: Apache-2.0
#include "traces/sqlite_db.h"

#include <sqlite3.h>

#include <stdexcept>

#include <fmt/format.h>

#include "common/input_error.h"
#include "traces/interrupt.h"

namespace hpusim::traces {

Database::Database(const std::string& path, Mode mode, bool interruptible) : path_(path) {
  const int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path, "", "cannot open the database: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  // A long query (a summary of millions of spans) stops at SIGINT/SIGTERM instead of running to its end.
  if (interruptible)
    sqlite3_progress_handler(
        db_, 100000, [](void*) { return pending_interrupt() != 0 ? 1 : 0; }, nullptr);
}

Database::~Database() { sqlite3_close(db_); }

void Database::fail(const std::string& what) const {
  // A file that is not a database, or a damaged one, is the user's input; the rest is ours.
  const int code = sqlite3_errcode(db_);
  if (code == SQLITE_INTERRUPT && pending_interrupt()) throw Interrupted(pending_interrupt());
  const std::string msg = fmt::format("{}: {}", what, sqlite3_errmsg(db_));
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN || code == SQLITE_READONLY)
    throw InputError(path_, "", msg);
  throw std::runtime_error(path_ + ": " + msg);
}

void Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail(fmt::format("SQL failed ({})", msg));
  }
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    fail("cannot prepare a query");
  return Statement(*this, stmt);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::user_version() {
  Statement s = prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.column_int(0));
}

bool Database::has_table(const std::string& name) {
  Statement s = prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?");
  s.bind(1, name);
  return s.step();
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

void Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
}
void Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
}
void Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_->fail("bind");
}
void Statement::bind(int index, std::optional<int64_t> value) {
  if (value)
    bind(index, *value);
  else
    bind_null(index);
}
void Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_->fail("bind");
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("query failed");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  return text ? reinterpret_cast<const char*>(text) : "";
}
bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

}  // namespace hpusim::traces
