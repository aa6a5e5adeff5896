// SPDX-License-Identifier: Apache-2.0
// NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian float32, float64, float16, int8, int32 and
// int64 arrays in C order. Anything else (Fortran order, big-endian, other dtypes, a truncated file) is a
// KernelError whose message names the file and what is allowed.
#pragma once
#include <string>

#include "kernels/tensor.h"

namespace hpusim::kernels {

// Floating arrays load as fp32 tensors (float64 values rounded to fp32), integer arrays as int64 tensors.
Tensor read_npy(const std::string& path);
// float32 (floating tensors) or int64 (integer tensors); written to PATH.partial and renamed.
void write_npy(const std::string& path, const Tensor& tensor);
// Always float32, as `hpusim kernel --out` promises.
void write_npy_float32(const std::string& path, const Tensor& tensor);

}  // namespace hpusim::kernels
