// SPDX-License-Identifier: Apache-2.0
#include "traces/output_path.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::traces {

void check_output_path(const std::string& output, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  if (output.empty()) throw InputError("(empty path)", "", "an output file needs a name");
  std::error_code ec;
  if (fs::is_directory(output, ec)) throw InputError(output, "", "is a directory; give a file name");
  const fs::path parent = fs::path(output).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw InputError(output, "", "its folder " + parent.string() +
                                     (fs::exists(parent, ec) ? " is not a folder" : " does not exist"));
  const std::string folder = parent.empty() ? "." : parent.string();
  if (::access(folder.c_str(), W_OK | X_OK) != 0)  // say so now, not as SQLite's "unable to open database file"
    throw InputError(output, "", fmt::format("its folder {} is not writable: {}", folder, std::strerror(errno)));
  for (const auto& input : inputs)
    if (fs::exists(output, ec) && fs::equivalent(output, input, ec))
      throw InputError(output, "", "is also an input of this command; write the output elsewhere");
}

}  // namespace hpusim::traces
