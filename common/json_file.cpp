// SPDX-License-Identifier: Apache-2.0
#include "common/json_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.h"

namespace hpusim {

std::string read_input_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "", "is a directory, not a file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int reason = errno;  // the open's own errno (ENOENT, EACCES)
    throw InputError(path, "", reason ? std::string("cannot open the file: ") + std::strerror(reason)
                                      : std::string("cannot open the file"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read the file");
  return buffer.str();
}

nlohmann::json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers too large for a double (1e400)
    const std::string what = e.what();
    const auto at = what.find("parse error");
    throw InputError(path, "", "malformed JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
}

nlohmann::json read_json_file(const std::string& path) { return parse_json_text(read_input_file(path), path); }

}  // namespace hpusim
