// SPDX-License-Identifier: Apache-2.0
#include "common/json_file.h"

#include <fstream>
#include <sstream>

#include "common/input_error.h"

namespace hpusim {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers too large for a double (1e400)
    const std::string what = e.what();
    const auto at = what.find("parse error");
    throw InputError(path, "", "malformed JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
}

}  // namespace hpusim
