// SPDX-License-Identifier: Apache-2.0
// .npy files: our writer against bytes laid out by hand from numpy's format description (lib/format.py), round
// trips of every supported dtype, and a clear error for each kind of file we refuse.
#include <gtest/gtest.h>

#include <cstring>

#include "kernels/npy.h"
#include "tests/test_support.h"

namespace hpusim::kernels {
namespace {

std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data, int version = 1,
                      const std::string& order = "False") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  const std::size_t prefix = version == 1 ? 10 : 12;
  header += std::string((64 - (prefix + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  const auto n = static_cast<uint32_t>(header.size());
  out += static_cast<char>(n & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  if (version != 1) {
    out += static_cast<char>((n >> 16) & 0xFF);
    out += static_cast<char>(n >> 24);
  }
  return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

TEST(Npy, ReadsEverySupportedDtype) {
  test::TempDir dir;
  test::write_file(dir.file("f4.npy"), npy_bytes("<f4", "(2, 2)", raw(std::vector<float>{1.5f, -2, 3, 4})));
  test::write_file(dir.file("f8.npy"), npy_bytes("<f8", "(3,)", raw(std::vector<double>{0.1, 2, -3})));
  test::write_file(dir.file("f2.npy"), npy_bytes("<f2", "(2,)", raw(std::vector<uint16_t>{0x3C00, 0xC000})));
  test::write_file(dir.file("i1.npy"), npy_bytes("|i1", "(2,)", raw(std::vector<int8_t>{-5, 7})));
  test::write_file(dir.file("i4.npy"), npy_bytes("<i4", "(1, 2)", raw(std::vector<int32_t>{250879, -1}), 2));
  test::write_file(dir.file("i8.npy"), npy_bytes("<i8", "()", raw(std::vector<int64_t>{42}), 3));
  EXPECT_EQ(read_npy(dir.file("f4.npy")).to_floats(), (std::vector<float>{1.5f, -2, 3, 4}));
  EXPECT_EQ(read_npy(dir.file("f4.npy")).shape(), (Shape{2, 2}));
  EXPECT_EQ(read_npy(dir.file("f8.npy")).to_floats(), (std::vector<float>{0.1f, 2, -3}));
  EXPECT_EQ(read_npy(dir.file("f2.npy")).to_floats(), (std::vector<float>{1, -2}));
  EXPECT_EQ(read_npy(dir.file("i1.npy")).get_int(0), -5);
  EXPECT_EQ(read_npy(dir.file("i4.npy")).get_int(0), 250879);
  const Tensor scalar = read_npy(dir.file("i8.npy"));
  EXPECT_EQ(scalar.shape(), Shape{});
  EXPECT_EQ(scalar.get_int(0), 42);
}

TEST(Npy, WritesWhatNumpyWrites) {
  test::TempDir dir;
  write_npy_float32(dir.file("o.npy"), Tensor::from_floats({3}, DType::bf16, {1, 2, 3}));
  EXPECT_EQ(test::read_file(dir.file("o.npy")), npy_bytes("<f4", "(3,)", raw(std::vector<float>{1, 2, 3})));
  write_npy(dir.file("i.npy"), Tensor::from_ints({2, 1}, DType::int64, {7, -8}));
  EXPECT_EQ(test::read_file(dir.file("i.npy")), npy_bytes("<i8", "(2, 1)", raw(std::vector<int64_t>{7, -8})));
}

struct BadNpy {
  std::string label, bytes, words;
};
void PrintTo(const BadNpy& b, std::ostream* os) { *os << b.label; }

class NpyRejects : public testing::TestWithParam<BadNpy> {};

TEST_P(NpyRejects, WithTheFileAndTheReason) {
  test::TempDir dir;
  test::write_file(dir.file("bad.npy"), GetParam().bytes);
  try {
    read_npy(dir.file("bad.npy"));
    FAIL() << "accepted";
  } catch (const KernelError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(dir.file("bad.npy"), 0), 0u) << msg;
    EXPECT_NE(msg.find(GetParam().words), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, NpyRejects,
    testing::Values(BadNpy{"not_npy", "hello world, this is text", "bad magic"},
                    BadNpy{"truncated_data", npy_bytes("<f4", "(4,)", raw(std::vector<float>{1, 2})), "truncated"},
                    BadNpy{"truncated_header", npy_bytes("<f4", "(4,)", "").substr(0, 30), "truncated"},
                    BadNpy{"fortran", npy_bytes("<f4", "(2, 2)", raw(std::vector<float>{1, 2, 3, 4}), 1, "True"),
                           "Fortran"},
                    BadNpy{"big_endian", npy_bytes(">f4", "(1,)", raw(std::vector<float>{1})), "big-endian"},
                    BadNpy{"complex", npy_bytes("<c8", "(1,)", raw(std::vector<float>{1, 2})), "allowed: float32"},
                    BadNpy{"uint16", npy_bytes("<u2", "(1,)", raw(std::vector<uint16_t>{1})), "allowed: float32"}),
    [](const testing::TestParamInfo<BadNpy>& p) { return p.param.label; });

}  // namespace
}  // namespace hpusim::kernels
