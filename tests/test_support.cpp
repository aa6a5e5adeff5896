// SPDX-License-Identifier: Apache-2.0
#include "tests/test_support.h"

#include <algorithm>
#include <cmath>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace hpusim::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("hpusim-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

double worst_relative_logit_error(const std::vector<float>& got, const std::vector<float>& ref, std::size_t steps) {
  const std::size_t vocab = ref.size() / steps;
  double worst = 0;
  for (std::size_t step = 0; step < steps; ++step) {
    double scale = 0;
    for (std::size_t i = 0; i < vocab; ++i)
      scale = std::max(scale, std::abs(static_cast<double>(ref[step * vocab + i])));
    for (std::size_t i = 0; i < vocab; ++i)
      worst = std::max(worst, std::abs(static_cast<double>(got[step * vocab + i]) - ref[step * vocab + i]) / scale);
  }
  return worst;
}

std::string models_dir() { return std::string(HPUSIM_SOURCE_DIR) + "/models"; }
std::string source_dir() { return HPUSIM_SOURCE_DIR; }

CliResult run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{HPUSIM_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

CliResult run_program(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string out_path = dir.file("stdout"), err_path = dir.file("stderr");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<std::string> storage = args;
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace hpusim::test
