// SPDX-License-Identifier: Apache-2.0
#include "kernels/dtype.h"

namespace hpusim::kernels {
namespace {
struct Info {
  DType type;
  std::string_view name;
  std::size_t bytes;
  bool is_float;
};
constexpr Info kInfo[] = {
    {DType::fp32, "fp32", 4, true},
    {DType::bf16, "bf16", 2, true},
    {DType::fp16, "fp16", 2, true},
    {DType::fp8e4m3, "fp8e4m3", 1, true},
    {DType::fp8e4m3fnuz, "fp8e4m3fnuz", 1, true},
    {DType::fp8e5m2, "fp8e5m2", 1, true},
    {DType::int8, "int8", 1, false},
    {DType::int32, "int32", 4, false},
    {DType::int64, "int64", 8, false},
};
const Info& info(DType t) {
  for (const auto& i : kInfo)
    if (i.type == t) return i;
  throw std::logic_error("unknown dtype");
}
}  // namespace

std::string_view name(DType t) { return info(t).name; }
std::size_t size_bytes(DType t) { return info(t).bytes; }
bool is_float(DType t) { return info(t).is_float; }

std::optional<DType> dtype_from_name(std::string_view n) {
  for (const auto& i : kInfo)
    if (i.name == n) return i.type;
  return std::nullopt;
}

std::vector<std::string> dtype_names() {
  std::vector<std::string> out;
  for (const auto& i : kInfo) out.emplace_back(i.name);
  return out;
}

const std::vector<DType>& compute_dtypes() {
  static const std::vector<DType> v{DType::fp32,    DType::bf16,        DType::fp16,
                                    DType::fp8e4m3, DType::fp8e4m3fnuz, DType::fp8e5m2};
  return v;
}

}  // namespace hpusim::kernels
