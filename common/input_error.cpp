// SPDX-License-Identifier: Apache-2.0
#include "common/input_error.h"

#include <utility>

namespace hpusim {
namespace {
std::string compose(const std::string& where, const std::string& key, const std::string& message) {
  std::string out;
  if (!where.empty()) out += where + ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}
}  // namespace

InputError::InputError(std::string where, std::string key, std::string message)
    : std::runtime_error(compose(where, key, message)), where_(std::move(where)), key_(std::move(key)) {}

InputError::InputError(std::string message) : std::runtime_error(std::move(message)) {}

}  // namespace hpusim
