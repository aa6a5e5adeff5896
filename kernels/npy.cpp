// SPDX-License-Identifier: Apache-2.0
// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces to a multiple of 64 bytes (numpy's lib/format.py).
#include "kernels/npy.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/formats/float_bits.h"

namespace hpusim::kernels {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw KernelError(path + ": " + what); }

std::string field(const std::string& header, const std::string& key, const std::string& path) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) fail(path, "npy header has no '" + key + "'");
  const auto colon = header.find(':', k);
  if (colon == std::string::npos) fail(path, "malformed npy header");
  std::size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ') ++start;
  std::size_t end = start;
  if (start < header.size() && header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) fail(path, "malformed npy header (shape)");
    return header.substr(start, end - start + 1);
  }
  if (start < header.size() && header[start] == '\'') {
    end = header.find('\'', start + 1);
    if (end == std::string::npos) fail(path, "malformed npy header");
    return header.substr(start + 1, end - start - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(start, end - start);
}

Shape parse_shape(const std::string& text, const std::string& path) {
  Shape shape;
  std::string number;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number += c;
    } else if (c == ',' || c == ')') {
      if (!number.empty()) shape.push_back(std::stoll(number));
      number.clear();
    } else if (c != '(' && c != ' ' && c != 'L') {
      fail(path, "malformed npy shape " + text);
    }
  }
  return shape;
}

void write_file(const std::string& path, const std::string& descr, const Shape& shape, const void* data,
                std::size_t bytes) {
  std::string shape_str = "(";
  for (std::size_t i = 0; i < shape.size(); ++i)
    shape_str += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  shape_str += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_str + ", }";
  const std::size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  const std::string tmp = path + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw KernelError(path + ": cannot write the file");
  const auto len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  out.close();
  if (!out) {
    std::remove(tmp.c_str());
    throw KernelError(path + ": writing the file failed");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(path, "truncated .npy header");
    header_len = 0;
    for (int i = 3; i >= 0; --i)
      header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(i)]);
    offset = 12;
  } else {
    fail(path, "unsupported .npy format version " + std::to_string(major) + " (allowed: 1, 2, 3)");
  }
  if (bytes.size() < offset + header_len) fail(path, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  const std::string descr = field(header, "descr", path);
  const std::string fortran = field(header, "fortran_order", path);
  if (fortran.find("True") != std::string::npos)
    fail(path, "Fortran-order arrays are not supported (allowed: C order)");
  const Shape shape = parse_shape(field(header, "shape", path), path);
  const int64_t n = numel(shape);
  const char order = descr.empty() ? '?' : descr[0];
  const std::string kind = descr.size() > 1 ? descr.substr(1) : "";
  const std::string allowed = " (allowed: float32, float64, float16, int8, int32, int64, little-endian)";
  if (order == '>') fail(path, "big-endian dtype '" + descr + "' is not supported" + allowed);
  std::size_t item = 0;
  if (kind == "f4" || kind == "i4")
    item = 4;
  else if (kind == "f8" || kind == "i8")
    item = 8;
  else if (kind == "f2")
    item = 2;
  else if (kind == "i1")
    item = 1;
  else
    fail(path, "dtype '" + descr + "' is not supported" + allowed);
  const std::size_t data_offset = offset + header_len;
  const std::size_t need = static_cast<std::size_t>(n) * item;
  if (bytes.size() - data_offset < need)
    fail(path, "truncated: " + std::to_string(bytes.size() - data_offset) + " data bytes for shape " +
                   shape_text(shape) + " of " + descr + " (" + std::to_string(need) + " needed)");
  const char* data = bytes.data() + data_offset;
  if (kind[0] == 'f') {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (item == 4) {
        std::memcpy(&v[i], data + 4 * i, 4);
      } else if (item == 8) {
        double d;
        std::memcpy(&d, data + 8 * i, 8);
        v[i] = static_cast<float>(d);
      } else {
        uint16_t h;
        std::memcpy(&h, data + 2 * i, 2);
        v[i] = fp16_bits_to_fp32(h);
      }
    }
    return Tensor::from_floats(shape, DType::fp32, v);
  }
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (item == 1) {
      v[i] = static_cast<int8_t>(data[i]);
    } else if (item == 4) {
      int32_t x;
      std::memcpy(&x, data + 4 * i, 4);
      v[i] = x;
    } else {
      std::memcpy(&v[i], data + 8 * i, 8);
    }
  }
  return Tensor::from_ints(shape, DType::int64, v);
}

void write_npy_float32(const std::string& path, const Tensor& t) {
  const std::vector<float> v = t.to_floats();
  write_file(path, "<f4", t.shape(), v.data(), v.size() * 4);
}

void write_npy(const std::string& path, const Tensor& t) {
  if (is_float(t.dtype())) return write_npy_float32(path, t);
  std::vector<int64_t> v(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = t.get_int(static_cast<int64_t>(i));
  write_file(path, "<i8", t.shape(), v.data(), v.size() * 8);
}

}  // namespace hpusim::kernels
