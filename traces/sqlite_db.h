// SPDX-License-Identifier: Apache-2.0
// Thin RAII over the SQLite C API: a connection, prepared statements, and errors that name the database file.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace hpusim::traces {

class Statement;

class Database {
 public:
  enum class Mode { ReadOnly, ReadWriteCreate };
  // interruptible: queries stop with Interrupted at SIGINT/SIGTERM (readers). The recorder opens without it: it
  // checks for signals itself and must still be able to close its run once one arrived.
  Database(const std::string& path, Mode mode, bool interruptible = true);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  Statement prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  int user_version();
  bool has_table(const std::string& name);
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Binds are 1-based, as in SQLite.
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind(int index, std::optional<int64_t> value);
  void bind_null(int index);
  // true while a row is available.
  bool step();
  void reset();

  int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  bool column_is_null(int col) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace hpusim::traces
