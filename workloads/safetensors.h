// SPDX-License-Identifier: Apache-2.0
// Hugging Face checkpoints: safetensors files (8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}}, then the data, offsets relative to the end of the header;
// bloom.md) and checkpoint folders (config.json with model.safetensors, or model.safetensors.index.json naming the
// shard of each tensor). Every problem is an InputError naming the file and the tensor.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/tensor.h"
#include "workloads/model_catalog.h"

namespace hpusim::workloads {

class SafetensorsFile {
 public:
  // Reads and checks the header: JSON, entries, offsets within the file, sizes matching dtype x shape.
  explicit SafetensorsFile(std::string path);
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> names() const;
  kernels::Shape shape(const std::string& name) const;
  // BF16 -> bf16, F16 -> fp16, F32 -> fp32 tensors holding the stored bits.
  kernels::Tensor load(const std::string& name) const;

 private:
  struct Entry {
    kernels::DType dtype;
    kernels::Shape shape;
    uint64_t begin, end;
  };
  std::string path_;
  uint64_t data_start_ = 0;
  std::map<std::string, Entry> entries_;
};

class Checkpoint {
 public:
  // A folder with config.json and model.safetensors or model.safetensors.index.json.
  explicit Checkpoint(const std::string& dir);
  const DecoderConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  bool has(const std::string& name) const { return where_.count(name) > 0; }
  const SafetensorsFile& file_of(const std::string& name) const;  // InputError when the checkpoint lacks it
  kernels::Tensor load(const std::string& name) const { return file_of(name).load(name); }

 private:
  std::string dir_;
  DecoderConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

}  // namespace hpusim::workloads
