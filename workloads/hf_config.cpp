// SPDX-License-Identifier: Apache-2.0
#include "workloads/hf_config.h"

#include <vector>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/suggest.h"

namespace hpusim::workloads {

const nlohmann::json* HfConfig::find(std::initializer_list<const char*> keys, std::string* found) const {
  for (const char* k : keys) {
    auto it = j_.find(k);
    if (it != j_.end() && !it->is_null()) {
      *found = k;
      return &*it;
    }
  }
  *found = *keys.begin();
  return nullptr;
}

void HfConfig::refuse(const std::string& key, const std::string& message) const {
  throw InputError(path_, pointer_ + "/" + key, message);
}

int64_t HfConfig::integer(std::initializer_list<const char*> keys, std::optional<int64_t> fallback, int64_t min,
                          int64_t max) const {
  if (auto v = optional_integer(keys, min, max)) return *v;
  if (fallback) return *fallback;
  std::vector<std::string> names(keys.begin(), keys.end());
  refuse(names.front(), fmt::format("missing (also accepted: {})", join(names)));
}

std::optional<int64_t> HfConfig::optional_integer(std::initializer_list<const char*> keys, int64_t min,
                                                  int64_t max) const {
  std::string key;
  const auto* v = find(keys, &key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) refuse(key, fmt::format("expected an integer, got {}", v->dump()));
  const auto x = v->get<int64_t>();
  if (x < min || x > max) refuse(key, fmt::format("{} is out of range; allowed {} .. {}", x, min, max));
  return x;
}

double HfConfig::number(std::initializer_list<const char*> keys, double fallback, double min, double max) const {
  std::string key;
  const auto* v = find(keys, &key);
  if (!v) return fallback;
  if (!v->is_number()) refuse(key, fmt::format("expected a number, got {}", v->dump()));
  const auto x = v->get<double>();
  if (!(x >= min && x <= max)) refuse(key, fmt::format("{} is out of range; allowed {} .. {}", x, min, max));
  return x;
}

bool HfConfig::boolean(std::initializer_list<const char*> keys, bool fallback) const {
  std::string key;
  const auto* v = find(keys, &key);
  if (!v) return fallback;
  if (!v->is_boolean()) refuse(key, fmt::format("expected true or false, got {}", v->dump()));
  return v->get<bool>();
}

std::string HfConfig::string(std::initializer_list<const char*> keys, const std::string& fallback) const {
  std::string key;
  const auto* v = find(keys, &key);
  if (!v) return fallback;
  if (!v->is_string()) refuse(key, fmt::format("expected a string, got {}", v->dump()));
  return v->get<std::string>();
}

std::string HfConfig::choice(std::initializer_list<const char*> keys, const std::string& fallback,
                             std::initializer_list<const char*> allowed) const {
  const std::string s = string(keys, fallback);
  for (const char* a : allowed)
    if (s == a) return s;
  std::string key;
  (void)find(keys, &key);
  refuse(key, fmt::format("'{}' is not supported here (supported: {})", s,
                          join(std::vector<std::string>(allowed.begin(), allowed.end()))));
}

std::optional<HfConfig> HfConfig::object(const char* key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) refuse(key, fmt::format("expected an object, got {}", it->dump()));
  HfConfig sub(*it, path_);
  sub.pointer_ = pointer_ + "/" + key;
  return sub;
}

}  // namespace hpusim::workloads
