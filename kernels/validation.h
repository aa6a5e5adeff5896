// SPDX-License-Identifier: Apache-2.0
// `hpusim validate`: every kernel in every compute format against a float64 reference computed here with plain
// loops, on seeded random inputs. The reference sees the same inputs rounded to the format, so the error measured is
// the kernel's own arithmetic (accumulation, intermediate and output roundings), except for the quantising kernels
// (int8, 4-bit, fp8 matmul), whose reference is the unquantised product: there the error includes quantisation,
// and the tolerance says so.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace hpusim::kernels {

struct ValidationRow {
  std::string kernel;
  DType dtype;
  std::string shape;     // the case's main input shape
  double rel_error = 0;  // ||out - ref||_2 / ||ref||_2
  double max_ulp = 0;    // max |out - ref| in units of the output format's spacing at max(|ref|, RMS of ref)
  double tolerance = 0;  // on rel_error
  bool pass = false;
  std::string basis;  // what the tolerance is made of
};

// Names of the kernels validate knows (every registered kernel).
std::vector<std::string> validated_kernels();
// Rows for one kernel (or all) and one dtype (or every dtype the kernel takes). KernelError for an unknown name.
std::vector<ValidationRow> validate(const std::optional<std::string>& kernel, const std::optional<DType>& dtype);

}  // namespace hpusim::kernels
