// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "cli/commands.h"

namespace hpusim::cli {
namespace {
std::string g_command_line;
}

const std::string& command_line() { return g_command_line; }

void set_command_line(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i) g_command_line += ' ';
    g_command_line += argv[i];
  }
}

std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this executable (/proc/self/exe)");
  return p.string();
}

void print_json(const nlohmann::json& doc) {
  const std::string dumped = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(dumped.data(), 1, dumped.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace hpusim::cli
