// SPDX-License-Identifier: Apache-2.0
// The number formats kernels compute in, their names on the command line, and their sizes in memory.
#pragma once
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hpusim::kernels {

enum class DType {
  fp32,
  bf16,
  fp16,
  fp8e4m3,      // OCP E4M3 ("e4m3fn"): bias 7, max 448, no infinities, NaN only at S.1111.111
  fp8e4m3fnuz,  // Gaudi2's E4M3 (torch float8_e4m3fnuz): bias 8, max 240, no infinities, no -0, NaN only 0x80
  fp8e5m2,      // OCP E5M2: bias 15, max 57344, IEEE-like infinities and NaNs
  int8,
  int32,
  int64,
};

// Bad input to a kernel: a shape that does not fit, an unknown name, a parameter out of range. The command line
// reports it as a bad input (exit 2); kernels/ depends on nothing else of ours, so it has its own type.
class KernelError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

std::string_view name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);
// Every dtype name, for error messages.
std::vector<std::string> dtype_names();
// The floating formats a kernel may compute in (--dtype).
const std::vector<DType>& compute_dtypes();
std::size_t size_bytes(DType t);
bool is_float(DType t);

}  // namespace hpusim::kernels
