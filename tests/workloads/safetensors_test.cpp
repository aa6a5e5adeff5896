// SPDX-License-Identifier: Apache-2.0
// Safetensors files written here byte by byte from the format's description (bloom.md), and every kind of damage a
// checkpoint can have: each an InputError naming the file and the tensor.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "tests/test_support.h"
#include "workloads/decoder_model.h"
#include "workloads/safetensors.h"

namespace hpusim::workloads {
namespace {

struct Entry {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::string safetensors_bytes(const std::vector<Entry>& entries, int64_t extra_offset = 0,
                              int64_t header_len_delta = 0) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& e : entries) {
    header[e.name] = {
        {"dtype", e.dtype},
        {"shape", e.shape},
        {"data_offsets", {data.size(), data.size() + e.bytes.size() + static_cast<std::size_t>(extra_offset)}}};
    data += e.bytes;
  }
  const std::string text = header.dump();
  const uint64_t n = text.size() + static_cast<uint64_t>(header_len_delta);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + text + data;
}

std::string f32(std::vector<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

TEST(Safetensors, ReadsBf16F16AndF32Bits) {
  test::TempDir dir;
  const std::string bf16_one_and_minus_two("\x80\x3f\x00\xc0", 4);  // 0x3F80, 0xC000 little-endian
  const std::string f16_half("\x00\x38", 2);                        // 0x3800 = 0.5
  test::write_file(dir.file("m.safetensors"), safetensors_bytes({{"a", "F32", {2}, f32({1.5f, -3})},
                                                                 {"b", "BF16", {2}, bf16_one_and_minus_two},
                                                                 {"c", "F16", {1, 1}, f16_half}}));
  const SafetensorsFile f(dir.file("m.safetensors"));
  EXPECT_EQ(f.load("a").to_floats(), (std::vector<float>{1.5f, -3}));
  EXPECT_EQ(f.load("b").dtype(), kernels::DType::bf16);
  EXPECT_EQ(f.load("b").to_floats(), (std::vector<float>{1, -2}));
  EXPECT_EQ(f.load("c").to_floats(), (std::vector<float>{0.5f}));
  EXPECT_EQ(f.load("c").shape(), (kernels::Shape{1, 1}));
}

struct Damage {
  std::string label, bytes, tensor, words;
};
void PrintTo(const Damage& d, std::ostream* os) { *os << d.label; }

class DamagedFile : public testing::TestWithParam<Damage> {};

TEST_P(DamagedFile, IsRefusedNamingFileAndTensor) {
  test::TempDir dir;
  test::write_file(dir.file("m.safetensors"), GetParam().bytes);
  try {
    SafetensorsFile f(dir.file("m.safetensors"));
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), dir.file("m.safetensors")) << e.what();
    EXPECT_EQ(e.key(), GetParam().tensor) << e.what();
    EXPECT_NE(std::string(e.what()).find(GetParam().words), std::string::npos) << e.what();
  }
}

const std::string kGood = safetensors_bytes({{"w", "F32", {2, 2}, f32({1, 2, 3, 4})}});

INSTANTIATE_TEST_SUITE_P(
    Files, DamagedFile,
    testing::Values(Damage{"shorter_than_8_bytes", "abc", "", "truncated"},
                    Damage{"header_past_the_end", safetensors_bytes({{"w", "F32", {1}, f32({1})}}, 0, 1000), "",
                           "runs past the end"},
                    Damage{"truncated_data", kGood.substr(0, kGood.size() - 3), "w", "truncated"},
                    Damage{"offsets_do_not_match_shape", safetensors_bytes({{"w", "F32", {3}, f32({1, 2})}}), "w",
                           "needs 12"},
                    Damage{"unknown_dtype", safetensors_bytes({{"w", "I8", {2}, std::string(2, '\1')}}), "w",
                           "allowed: BF16, F16, F32"},
                    Damage{"malformed_header", std::string("\x05\0\0\0\0\0\0\0{\"a\":", 13), "", "malformed header"}),
    [](const testing::TestParamInfo<Damage>& p) { return p.param.label; });

TEST(Checkpoint, MissingTensorAndWrongShapeNameTheTensor) {
  test::TempDir dir;
  // A config whose shapes the file does not have.
  test::write_file(dir.file("config.json"), R"({"vocab_size": 4, "hidden_size": 2, "n_layer": 1, "n_head": 1})");
  test::write_file(dir.file("model.safetensors"),
                   safetensors_bytes({{"word_embeddings.weight", "F32", {4, 3}, f32(std::vector<float>(12, 0.5f))}}));
  const Checkpoint ckpt(dir.path().string());
  try {
    load_model_weights(ckpt.config(), ckpt);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "word_embeddings.weight");
    EXPECT_NE(std::string(e.what()).find("does not match the config's [4,2]"), std::string::npos) << e.what();
  }
  test::write_file(dir.file("model.safetensors"),
                   safetensors_bytes({{"word_embeddings.weight", "F32", {4, 2}, f32(std::vector<float>(8, 0.5f))}}));
  const Checkpoint ckpt2(dir.path().string());
  try {
    load_model_weights(ckpt2.config(), ckpt2);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "word_embeddings_layernorm.weight");
    EXPECT_NE(std::string(e.what()).find("missing tensor"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, AFolderWithoutWeightsOrWithABrokenIndex) {
  test::TempDir dir;
  test::write_file(dir.file("config.json"), R"({"vocab_size": 4, "hidden_size": 2, "n_layer": 1, "n_head": 1})");
  EXPECT_THROW(Checkpoint{dir.path().string()}, InputError);
  test::write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": {"w": "missing-shard.safetensors"}})");
  try {
    Checkpoint c(dir.path().string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-shard.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Checkpoint{dir.file("nothing")}, InputError);
}

}  // namespace
}  // namespace hpusim::workloads
