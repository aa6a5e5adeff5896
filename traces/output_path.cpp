// SPDX-License-Identifier: Apache-2.0
#include "traces/output_path.h"

#include <filesystem>

#include "common/input_error.h"

namespace hpusim::traces {

void check_output_path(const std::string& output, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  if (output.empty()) throw InputError("(empty path)", "", "an output file needs a name");
  std::error_code ec;
  if (fs::is_directory(output, ec)) throw InputError(output, "", "is a directory; give a file name");
  const fs::path parent = fs::path(output).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw InputError(output, "", "its folder " + parent.string() + " does not exist");
  for (const auto& input : inputs)
    if (fs::exists(output, ec) && fs::equivalent(output, input, ec))
      throw InputError(output, "", "is also an input of this command; write the output elsewhere");
}

}  // namespace hpusim::traces
