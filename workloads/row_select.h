// SPDX-License-Identifier: Apache-2.0
// Rows and columns of host tensors: what tensor-parallel sharding takes from a weight and what a pass takes from its
// activations (the last positions, one card's heads' ALiBi rows).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/tensor.h"

namespace hpusim::workloads {

// Rows `rows` (indices into dim 0) of a tensor, as a new tensor of the same format.
inline kernels::Tensor pick_rows(const kernels::Tensor& x, const std::vector<int64_t>& rows) {
  const int64_t cols = x.rank() == 2 ? x.dim(1) : 1;
  const auto v = x.to_floats();
  std::vector<float> out;
  out.reserve(rows.size() * static_cast<std::size_t>(cols));
  for (int64_t r : rows) out.insert(out.end(), v.begin() + r * cols, v.begin() + (r + 1) * cols);
  kernels::Shape shape = x.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  return kernels::Tensor::from_floats(shape, x.dtype(), out);
}

// Columns [from, from + count) of a 2-D tensor.
inline kernels::Tensor pick_columns(const kernels::Tensor& x, int64_t from, int64_t count) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  const auto v = x.to_floats();
  std::vector<float> out(static_cast<std::size_t>(rows * count));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(v.begin() + r * cols + from, count, out.begin() + r * count);
  return kernels::Tensor::from_floats({rows, count}, x.dtype(), out);
}

// from, from + 1, ..., from + count - 1.
inline std::vector<int64_t> index_range(int64_t from, int64_t count) {
  std::vector<int64_t> r(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; ++i) r[static_cast<std::size_t>(i)] = from + i;
  return r;
}

}  // namespace hpusim::workloads
