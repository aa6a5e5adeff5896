// SPDX-License-Identifier: Apache-2.0
// A small tensor: shape, dtype, one contiguous row-major buffer holding each element in its format's own bits
// (bf16/fp16 as 16-bit patterns, fp8 as 8-bit codes, integers as integers), so memory footprints are the real ones.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace hpusim::kernels {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string shape_text(const Shape& shape);  // "[2,3,4]"

class Tensor {
 public:
  Tensor() = default;
  Tensor(Shape shape, DType dtype);  // zeros
  // Values are rounded to `dtype` (fp8 saturating); integer dtypes round to nearest.
  static Tensor from_floats(Shape shape, DType dtype, const std::vector<float>& values);
  static Tensor from_ints(Shape shape, DType dtype, const std::vector<int64_t>& values);

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return kernels::numel(shape_); }
  std::size_t bytes() const { return data_.size(); }
  int rank() const { return static_cast<int>(shape_.size()); }
  // Size of dimension i; negative i counts from the end.
  int64_t dim(int i) const;

  float get(int64_t i) const;  // as fp32 (exact for every format here but int32/int64 beyond 2^24)
  int64_t get_int(int64_t i) const;
  void set(int64_t i, float value);  // rounds to the dtype
  std::vector<float> to_floats() const;
  // Writes n values (rounded to the dtype) starting at element `offset`.
  void set_floats(const float* values, std::size_t n, std::size_t offset = 0);
  // Reads n values starting at element `offset` as fp32, rounded to `dtype` (row-at-a-time kernels: no tensor-sized
  // scratch buffer, whose page faults would cost more than the arithmetic).
  void get_floats(float* out, std::size_t n, std::size_t offset, DType dtype) const;
  Tensor reshaped(Shape shape) const;  // same buffer, new shape with the same element count

  // The buffer as fp32 values; KernelError unless the tensor is fp32.
  const float* fp32_data() const;
  float* fp32_data();

  const std::byte* raw() const { return data_.data(); }
  std::byte* raw() { return data_.data(); }

 private:
  Shape shape_;
  DType dtype_ = DType::fp32;
  std::vector<std::byte> data_;
};

// A tensor's values rounded to a compute format, as fp32: the tensor's own buffer when nothing needs converting
// (an fp32 tensor read in fp32), a converted copy otherwise. Large buffers cost page faults: copy only when needed.
class FloatInput {
 public:
  FloatInput(const Tensor& t, DType dtype);
  FloatInput(const FloatInput&) = delete;  // ptr_ may point into copy_: never copied or moved
  FloatInput& operator=(const FloatInput&) = delete;
  const float* data() const { return ptr_; }
  std::size_t size() const { return size_; }
  float operator[](std::size_t i) const { return ptr_[i]; }

 private:
  std::vector<float> copy_;
  const float* ptr_ = nullptr;
  std::size_t size_ = 0;
};

// Where a kernel writes fp32 results that end up in a tensor of format `dtype`: straight into the tensor when it is
// fp32, else a scratch buffer rounded once into the tensor by finish().
class FloatOutput {
 public:
  FloatOutput(Shape shape, DType dtype);
  float* data() { return ptr_; }
  Tensor finish();

 private:
  Tensor tensor_;
  std::vector<float> scratch_;
  float* ptr_ = nullptr;
};

}  // namespace hpusim::kernels
