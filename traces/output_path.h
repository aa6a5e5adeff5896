// SPDX-License-Identifier: Apache-2.0
// Checks an output path before anything is written: not empty, not a directory, in a folder that exists, and not
// one of the command's inputs (so `trace export T.sqlite --perfetto T.sqlite` cannot destroy the trace).
#pragma once
#include <string>
#include <vector>

namespace hpusim::traces {

void check_output_path(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace hpusim::traces
