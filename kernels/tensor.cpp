// SPDX-License-Identifier: Apache-2.0
#include "kernels/tensor.h"

#include <cmath>
#include <cstring>

#include "kernels/formats/round.h"

namespace hpusim::kernels {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw KernelError("negative dimension in shape " + shape_text(shape));
    n *= d;
  }
  return n;
}

std::string shape_text(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(Shape shape, DType dtype)
    : shape_(std::move(shape)),
      dtype_(dtype),
      data_(static_cast<std::size_t>(kernels::numel(shape_)) * size_bytes(dtype)) {}

Tensor Tensor::from_floats(Shape shape, DType dtype, const std::vector<float>& values) {
  Tensor t(std::move(shape), dtype);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw KernelError("from_floats: " + std::to_string(values.size()) + " values for shape " + shape_text(t.shape_));
  t.set_floats(values.data(), values.size());
  return t;
}

Tensor Tensor::from_ints(Shape shape, DType dtype, const std::vector<int64_t>& values) {
  Tensor t(std::move(shape), dtype);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw KernelError("from_ints: " + std::to_string(values.size()) + " values for shape " + shape_text(t.shape_));
  for (std::size_t i = 0; i < values.size(); ++i) {
    switch (dtype) {
      case DType::int8:
        reinterpret_cast<int8_t*>(t.data_.data())[i] = static_cast<int8_t>(values[i]);
        break;
      case DType::int32:
        reinterpret_cast<int32_t*>(t.data_.data())[i] = static_cast<int32_t>(values[i]);
        break;
      case DType::int64:
        reinterpret_cast<int64_t*>(t.data_.data())[i] = values[i];
        break;
      default:
        t.set(static_cast<int64_t>(i), static_cast<float>(values[i]));
    }
  }
  return t;
}

int64_t Tensor::dim(int i) const {
  const int r = rank();
  const int k = i < 0 ? i + r : i;
  if (k < 0 || k >= r)
    throw KernelError("dimension " + std::to_string(i) + " of a rank-" + std::to_string(r) + " tensor");
  return shape_[static_cast<std::size_t>(k)];
}

float Tensor::get(int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  const std::byte* p = data_.data();
  switch (dtype_) {
    case DType::fp32:
      return reinterpret_cast<const float*>(p)[k];
    case DType::bf16:
      return bf16_bits_to_fp32(reinterpret_cast<const uint16_t*>(p)[k]);
    case DType::fp16:
      return fp16_bits_to_fp32(reinterpret_cast<const uint16_t*>(p)[k]);
    case DType::fp8e4m3:
    case DType::fp8e4m3fnuz:
    case DType::fp8e5m2:
      return fp8_to_fp32(fp8_format(dtype_), reinterpret_cast<const uint8_t*>(p)[k]);
    case DType::int8:
      return reinterpret_cast<const int8_t*>(p)[k];
    case DType::int32:
      return static_cast<float>(reinterpret_cast<const int32_t*>(p)[k]);
    case DType::int64:
      return static_cast<float>(reinterpret_cast<const int64_t*>(p)[k]);
  }
  return 0;
}

int64_t Tensor::get_int(int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  switch (dtype_) {
    case DType::int8:
      return reinterpret_cast<const int8_t*>(data_.data())[k];
    case DType::int32:
      return reinterpret_cast<const int32_t*>(data_.data())[k];
    case DType::int64:
      return reinterpret_cast<const int64_t*>(data_.data())[k];
    default:
      return static_cast<int64_t>(std::llround(get(i)));
  }
}

void Tensor::set(int64_t i, float value) { set_floats(&value, 1, static_cast<std::size_t>(i)); }

std::vector<float> Tensor::to_floats() const {
  std::vector<float> out(static_cast<std::size_t>(numel()));
  const std::size_t n = out.size();
  const std::byte* p = data_.data();
  // One loop per format (the switch outside the loop), so the common ones vectorise.
  switch (dtype_) {
    case DType::fp32:
      std::memcpy(out.data(), p, data_.size());
      break;
    case DType::bf16: {
      const auto* h = reinterpret_cast<const uint16_t*>(p);
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_bits_to_fp32(h[i]);
      break;
    }
    case DType::fp16: {
      const auto* h = reinterpret_cast<const uint16_t*>(p);
      for (std::size_t i = 0; i < n; ++i) out[i] = fp16_bits_to_fp32(h[i]);
      break;
    }
    default:
      for (std::size_t i = 0; i < n; ++i) out[i] = get(static_cast<int64_t>(i));
  }
  return out;
}

void Tensor::set_floats(const float* values, std::size_t n, std::size_t offset) {
  if (offset + n > static_cast<std::size_t>(numel())) throw KernelError("set_floats: out of range");
  std::byte* p = data_.data();
  switch (dtype_) {
    case DType::fp32:
      std::memcpy(reinterpret_cast<float*>(p) + offset, values, n * sizeof(float));
      return;
    case DType::bf16: {
      auto* h = reinterpret_cast<uint16_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) h[j] = fp32_to_bf16_bits(values[j]);
      return;
    }
    case DType::fp16: {
      auto* h = reinterpret_cast<uint16_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) h[j] = fp32_to_fp16_bits(values[j]);
      return;
    }
    case DType::fp8e4m3:
    case DType::fp8e4m3fnuz:
    case DType::fp8e5m2: {
      const Fp8Format& f = fp8_format(dtype_);
      auto* b = reinterpret_cast<uint8_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) b[j] = fp32_to_fp8(f, values[j], Fp8Overflow::saturate);
      return;
    }
    case DType::int8: {
      auto* d = reinterpret_cast<int8_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) d[j] = static_cast<int8_t>(std::lrint(values[j]));
      return;
    }
    case DType::int32: {
      auto* d = reinterpret_cast<int32_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) d[j] = static_cast<int32_t>(std::lrint(values[j]));
      return;
    }
    case DType::int64: {
      auto* d = reinterpret_cast<int64_t*>(p) + offset;
      for (std::size_t j = 0; j < n; ++j) d[j] = std::llrint(values[j]);
      return;
    }
  }
}

void Tensor::get_floats(float* out, std::size_t n, std::size_t offset, DType dtype) const {
  if (offset + n > static_cast<std::size_t>(numel())) throw KernelError("get_floats: out of range");
  const std::byte* p = data_.data();
  switch (dtype_) {
    case DType::fp32:
      std::memcpy(out, reinterpret_cast<const float*>(p) + offset, n * sizeof(float));
      break;
    case DType::bf16: {
      const auto* h = reinterpret_cast<const uint16_t*>(p) + offset;
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_bits_to_fp32(h[i]);
      break;
    }
    case DType::fp16: {
      const auto* h = reinterpret_cast<const uint16_t*>(p) + offset;
      for (std::size_t i = 0; i < n; ++i) out[i] = fp16_bits_to_fp32(h[i]);
      break;
    }
    default:
      for (std::size_t i = 0; i < n; ++i) out[i] = get(static_cast<int64_t>(offset + i));
  }
  if (dtype != dtype_) round_buffer(dtype, out, n);
}

const float* Tensor::fp32_data() const {
  if (dtype_ != DType::fp32) throw KernelError("fp32_data: the tensor is " + std::string(name(dtype_)));
  return reinterpret_cast<const float*>(data_.data());
}

float* Tensor::fp32_data() {
  if (dtype_ != DType::fp32) throw KernelError("fp32_data: the tensor is " + std::string(name(dtype_)));
  return reinterpret_cast<float*>(data_.data());
}

FloatInput::FloatInput(const Tensor& t, DType dtype) : size_(static_cast<std::size_t>(t.numel())) {
  if (t.dtype() == DType::fp32 && dtype == DType::fp32) {
    ptr_ = t.fp32_data();
    return;
  }
  copy_ = t.to_floats();
  if (t.dtype() != dtype) round_buffer(dtype, copy_.data(), copy_.size());
  ptr_ = copy_.data();
}

FloatOutput::FloatOutput(Shape shape, DType dtype) : tensor_(std::move(shape), dtype) {
  if (dtype == DType::fp32) {
    ptr_ = tensor_.fp32_data();
  } else {
    scratch_.resize(static_cast<std::size_t>(tensor_.numel()));
    ptr_ = scratch_.data();
  }
}

Tensor FloatOutput::finish() {
  if (!scratch_.empty()) tensor_.set_floats(scratch_.data(), scratch_.size());
  return std::move(tensor_);
}

Tensor Tensor::reshaped(Shape shape) const {
  if (kernels::numel(shape) != numel())
    throw KernelError("cannot reshape " + shape_text(shape_) + " to " + shape_text(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace hpusim::kernels
