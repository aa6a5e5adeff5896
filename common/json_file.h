// SPDX-License-Identifier: Apache-2.0
// Reading a JSON file the user gave: InputError naming the file when it cannot be opened or does not parse (with
// nlohmann's line and column), never an uncaught library exception.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace hpusim {

nlohmann::json read_json_file(const std::string& path);

}  // namespace hpusim
