// SPDX-License-Identifier: Apache-2.0
// Every kernel in every format it takes stays within its stated tolerance of a float64 reference
// (kernels/validation.cpp), one test per kernel so a failure names it.
#include <gtest/gtest.h>

#include "kernels/registry.h"
#include "kernels/validation.h"

namespace hpusim::kernels {
namespace {

class Validate : public testing::TestWithParam<std::string> {};

TEST_P(Validate, WithinToleranceOfFloat64InEveryFormat) {
  const auto rows = validate(GetParam(), std::nullopt);
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) {
    EXPECT_TRUE(r.pass) << r.kernel << " " << name(r.dtype) << ": rel error " << r.rel_error << " > " << r.tolerance;
    EXPECT_GT(r.tolerance, r.rel_error * (r.tolerance > 0 ? 1.0 : 0.0) - 1e-300);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Validate, testing::ValuesIn(validated_kernels()),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Validate, EveryRegisteredKernelIsValidated) {
  std::vector<std::string> registered;
  for (const auto& k : kernel_registry()) registered.push_back(k.name);
  EXPECT_EQ(registered, validated_kernels());
}

TEST(Validate, UnknownKernelOrIntegerFormatIsRefused) {
  EXPECT_THROW(validate(std::string("gemmm"), std::nullopt), KernelError);
  EXPECT_THROW(validate(std::nullopt, DType::int8), KernelError);
}

}  // namespace
}  // namespace hpusim::kernels
