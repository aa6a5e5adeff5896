// SPDX-License-Identifier: Apache-2.0
// InputError: something the user gave us is wrong (a file, a key, a value, a flag). The command line turns it into
// one line on stderr and exit status 2; every other exception is an internal failure (exit 1).
#pragma once
#include <stdexcept>
#include <string>

namespace hpusim {

class InputError : public std::runtime_error {
 public:
  // `where` names the source (a file path, "--set", a flag); `key` is a JSON pointer or key path (may be empty).
  InputError(std::string where, std::string key, std::string message);
  explicit InputError(std::string message);

  const std::string& where() const { return where_; }
  const std::string& key() const { return key_; }

 private:
  std::string where_;
  std::string key_;
};

}  // namespace hpusim
