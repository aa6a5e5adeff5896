// SPDX-License-Identifier: Apache-2.0
// A Hugging Face config.json as the family files read it: a key under any of its aliases (HF's attribute_map, e.g.
// n_embd / hidden_size), HF's default when the key is absent (or null), strict types and ranges; every problem an
// InputError naming the file and the key. Keys nobody reads are accepted: real files carry many.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hpusim::workloads {

class HfConfig {
 public:
  HfConfig(nlohmann::json json, std::string path) : j_(std::move(json)), path_(std::move(path)) {}
  const nlohmann::json& json() const { return j_; }
  const std::string& path() const { return path_; }

  // The first of `keys` present and not null, else `fallback`; no fallback: the key is required.
  int64_t integer(std::initializer_list<const char*> keys, std::optional<int64_t> fallback, int64_t min = 0,
                  int64_t max = int64_t{1} << 40) const;
  std::optional<int64_t> optional_integer(std::initializer_list<const char*> keys, int64_t min = 0,
                                          int64_t max = int64_t{1} << 40) const;
  double number(std::initializer_list<const char*> keys, double fallback, double min = 0, double max = 1e30) const;
  bool boolean(std::initializer_list<const char*> keys, bool fallback) const;
  std::string string(std::initializer_list<const char*> keys, const std::string& fallback) const;
  // A string among `allowed` ("a, b, c" in the message otherwise).
  std::string choice(std::initializer_list<const char*> keys, const std::string& fallback,
                     std::initializer_list<const char*> allowed) const;
  // A nested object (attn_config, rope_scaling) as its own HfConfig, with the pointer in its messages.
  std::optional<HfConfig> object(const char* key) const;

  // InputError "KEY: MESSAGE" for an option the family does not support here.
  [[noreturn]] void refuse(const std::string& key, const std::string& message) const;

 private:
  const nlohmann::json* find(std::initializer_list<const char*> keys, std::string* found) const;
  nlohmann::json j_;
  std::string path_;
  std::string pointer_;  // "/attn_config" for a nested object
};

}  // namespace hpusim::workloads
