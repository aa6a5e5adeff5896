// SPDX-License-Identifier: Apache-2.0
#include "workloads/safetensors.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "common/json_file.h"

namespace hpusim::workloads {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<kernels::DType> dtype_of(const std::string& s) {
  if (s == "BF16") return kernels::DType::bf16;
  if (s == "F16") return kernels::DType::fp16;
  if (s == "F32") return kernels::DType::fp32;
  return std::nullopt;
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw InputError(path_, "", "cannot open the file");
  std::error_code ec;
  const uint64_t size = fs::file_size(path_, ec);
  unsigned char len_bytes[8] = {};
  if (ec || size < 8 || !in.read(reinterpret_cast<char*>(len_bytes), 8))
    throw InputError(path_, "", "truncated: shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > size - 8)
    throw InputError(path_, "", fmt::format("header of {} bytes runs past the end of the {}-byte file", n, size));
  std::string header(static_cast<std::size_t>(n), '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  data_start_ = 8 + n;
  json j;
  try {
    j = json::parse(header);
  } catch (const json::exception& e) {
    throw InputError(path_, "", std::string("malformed header JSON: ") + e.what());
  }
  if (!j.is_object()) throw InputError(path_, "", "the header must be a JSON object");
  for (const auto& [name, e] : j.items()) {
    if (name == "__metadata__") continue;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets") ||
        !e["dtype"].is_string() || !e["shape"].is_array() || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2)
      throw InputError(path_, name, "expected {dtype, shape, data_offsets: [begin, end]}");
    const auto dt = dtype_of(e["dtype"].get<std::string>());
    if (!dt)
      throw InputError(path_, name,
                       fmt::format("dtype {} is not supported (allowed: BF16, F16, F32)", e["dtype"].dump()));
    kernels::Shape shape;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        throw InputError(path_, name, "shape must hold integers >= 0");
      shape.push_back(d.get<int64_t>());
    }
    const auto& off = e["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw InputError(path_, name, "data_offsets must be two integers >= 0");
    const auto begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    const auto need = static_cast<uint64_t>(kernels::numel(shape)) * kernels::size_bytes(*dt);
    if (end < begin || end - begin != need)
      throw InputError(path_, name,
                       fmt::format("data_offsets [{}, {}] hold {} bytes; shape {} of {} needs {}", begin, end,
                                   end - begin, kernels::shape_text(shape), e["dtype"].get<std::string>(), need));
    if (data_start_ + end > size)
      throw InputError(path_, name,
                       fmt::format("truncated: the tensor ends at byte {} of a {}-byte file", data_start_ + end, size));
    entries_[name] = {*dt, std::move(shape), begin, end};
  }
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> v;
  for (const auto& [n, e] : entries_) v.push_back(n);
  return v;
}

kernels::Shape SafetensorsFile::shape(const std::string& name) const { return entries_.at(name).shape; }

kernels::Tensor SafetensorsFile::load(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw InputError(path_, name, "no such tensor in this file");
  const Entry& e = it->second;
  kernels::Tensor t(e.shape, e.dtype);
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + e.begin));
  if (!in.read(reinterpret_cast<char*>(t.raw()), static_cast<std::streamsize>(e.end - e.begin)))
    throw InputError(path_, name, "reading the tensor failed (was the file truncated meanwhile?)");
  return t;
}

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
  if (!fs::is_directory(dir)) throw InputError(dir, "", "not a checkpoint folder");
  config_ = read_model_config((fs::path(dir) / "config.json").string());
  const fs::path single = fs::path(dir) / "model.safetensors", index = fs::path(dir) / "model.safetensors.index.json";
  std::vector<std::string> shard_names;
  if (fs::exists(index)) {
    const json j = read_json_file(index.string());
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw InputError(index.string(), "/weight_map", "missing (an object {tensor name: shard file})");
    std::map<std::string, const SafetensorsFile*> opened;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) throw InputError(index.string(), "/weight_map/" + name, "expected a file name");
      const std::string f = file.get<std::string>();
      if (!opened.count(f)) {
        const fs::path shard = fs::path(dir) / f;
        if (!fs::exists(shard))
          throw InputError(index.string(), "/weight_map/" + name, "shard " + shard.string() + " does not exist");
        files_.push_back(std::make_unique<SafetensorsFile>(shard.string()));
        opened[f] = files_.back().get();
      }
      if (!opened[f]->has(name))
        throw InputError(opened[f]->path(), name, "missing, though " + index.filename().string() + " places it here");
      where_[name] = opened[f];
    }
  } else if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
    for (const auto& n : files_.back()->names()) where_[n] = files_.back().get();
  } else {
    throw InputError(dir, "", "no model.safetensors or model.safetensors.index.json in the folder");
  }
}

const SafetensorsFile& Checkpoint::file_of(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) throw InputError(dir_, name, "missing tensor: the checkpoint does not hold it");
  return *it->second;
}

}  // namespace hpusim::workloads
