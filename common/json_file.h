// SPDX-License-Identifier: Apache-2.0
// Reading a JSON file the user gave: InputError naming the file when it cannot be opened or does not parse (with
// nlohmann's line and column), never an uncaught library exception.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace hpusim {

nlohmann::json read_json_file(const std::string& path);
// The whole text of a file the user gave; InputError naming it and the reason ("is a directory", "No such file or
// directory", "Permission denied") when it cannot be read.
std::string read_input_file(const std::string& path);
// A JSON document's text parsed; InputError naming `path` with nlohmann's line and column when it does not parse.
nlohmann::json parse_json_text(const std::string& text, const std::string& path);

}  // namespace hpusim
