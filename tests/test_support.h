// SPDX-License-Identifier: Apache-2.0
// Helpers shared by tests: temporary folders, running the hpusim binary, reading files.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace hpusim::test {

// A fresh folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int status = -1;  // exit status; 128 + N when killed by signal N
  std::string out, err;
};

// Runs the hpusim binary with `args` (no shell), capturing stdout and stderr.
CliResult run_cli(const std::vector<std::string>& args);
// Runs any program (args[0], looked up on PATH) the same way.
CliResult run_program(const std::vector<std::string>& args);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

// The largest |got - ref| over `steps` rows of logits, each relative to its row's largest |ref| (the held-out
// check's "within 1e-4 relative" of a step's logits).
double worst_relative_logit_error(const std::vector<float>& got, const std::vector<float>& ref, std::size_t steps);

// The folder of shipped model files, and of test data.
std::string models_dir();
std::string source_dir();

}  // namespace hpusim::test
