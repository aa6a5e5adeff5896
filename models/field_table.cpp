// SPDX-License-Identifier: Apache-2.0
// The declaration of every hardware-model key. Figures themselves live in the model files, each with a source.
#include "models/field_table.h"

#include <fmt/format.h>

#include "common/suggest.h"

namespace hpusim::models {
namespace {

constexpr double kBig = 1e9;

FieldDef integer(std::string key, std::string unit, std::string meaning, double min, double max) {
  return {std::move(key), FieldKind::Integer, std::move(unit), std::move(meaning), true, 0, min, max, {}, ""};
}
FieldDef number(std::string key, std::string unit, std::string meaning, double min, double max) {
  return {std::move(key), FieldKind::Number, std::move(unit), std::move(meaning), true, 0, min, max, {}, ""};
}
FieldDef rates(std::string key, std::string unit, std::string meaning, double min, double max) {
  return {std::move(key), FieldKind::Rates, std::move(unit), std::move(meaning), true, 0, min, max, rate_dtypes(), ""};
}
FieldDef optional(FieldDef f, double default_value) {
  f.required = false;
  f.default_value = default_value;
  return f;
}

// A choice that may be left out: the first choice is its default.
FieldDef optional_choice(std::string key, std::string meaning, std::vector<std::string> choices) {
  const std::string first = choices.front();
  return {std::move(key), FieldKind::Choice, "", std::move(meaning), false, 0, 0, 0, std::move(choices), first};
}

std::vector<SectionDef> make_sections() {
  const std::vector<std::string> gaudi{"gaudi"};
  const std::vector<std::string> gpu{"nvidia-gpu"};
  const std::vector<std::string> all{"gaudi", "nvidia-gpu"};
  return {
      {"mme",
       "Gaudi matrix engines (MME): systolic MAC arrays, fp32 accumulation",
       gaudi,
       {
           integer("count", "engines", "matrix engines per card", 1, 64),
           integer("rows", "MACs", "MAC-array rows (output tile height)", 1, 4096),
           integer("cols", "MACs", "MAC-array columns (output tile width)", 1, 4096),
           number("clock_MHz", "MHz", "MME clock", 1, 10000),
           rates("dtype_rate", "x bf16", "MAC rate per input dtype relative to bf16 (bf16 = 1)", 0.01, 64),
           integer("pipeline_latency_cycles", "cycles", "fill + drain of the array for one output tile", 0, 100000),
           optional(integer("reconfigurable", "",
                            "1: the array also runs as (rows/2) x (2 cols) and (2 rows) x (cols/2)", 0, 1),
                    0),
           optional(
               number("efficiency", "", "share of the tile model's rate large products reach (calibrated)", 0.01, 1),
               1),
           optional(integer("cores", "cores",
                            "cores per MME, each (rows / cores) x cols; a batched product runs one product per core "
                            "when M <= core rows / 2 and N <= cols, or M <= core rows and N <= cols / 2, two when "
                            "M <= core rows / 2 and N <= cols / 4 in 16 bits (batch concurrency); 1: not modelled",
                            1, 16),
                    1),
       }},
      {"tpc",
       "Gaudi vector cores (TPC): VLIW SIMD, one thread each",
       gaudi,
       {
           integer("count", "cores", "TPCs per card", 1, 1024),
           integer("vector_bits", "bits", "SIMD vector width (64 fp32 / 128 bf16 lanes at 2048)", 64, 65536),
           integer("vliw_slots", "slots", "VLIW issue slots (load, scalar, vector, store)", 1, 16),
           number("clock_MHz", "MHz", "TPC clock", 1, 10000),
           integer("local_memory_KiB", "KiB", "local (scratchpad) memory per TPC", 0, 1 << 20),
           number("transcendental_cycles", "cycles", "vector cycles per exp/tanh/rsqrt element-vector", 1, 1000),
       }},
      {"dma",
       "Gaudi DMA engines moving tensors between HBM, SRAM and host",
       gaudi,
       {
           integer("engines", "engines", "DMA engines per card", 1, 1024),
           number("bandwidth_GBps", "GB/s", "aggregate DMA bandwidth (1 GB = 1e9 bytes)", 0.001, kBig),
       }},
      {"sram",
       "Gaudi on-die SRAM, managed by the graph compiler",
       gaudi,
       {
           number("capacity_MiB", "MiB", "on-die SRAM capacity", 0, 1 << 20),
           number("bandwidth_GBps", "GB/s", "SRAM bandwidth to the engines", 0.001, kBig),
       }},
      {"sm",
       "GPU streaming multiprocessors with tensor cores",
       gpu,
       {
           integer("count", "SMs", "streaming multiprocessors", 1, 4096),
           integer("tensor_cores_per_sm", "cores", "tensor cores per SM", 1, 64),
           number("clock_MHz", "MHz", "boost clock used for peak rates", 1, 10000),
           rates("tensor_flops_per_clock", "FLOP/clk", "dense FLOP per clock per tensor core, per input dtype", 1, 1e6),
           integer("fp32_lanes", "lanes", "fp32 CUDA-core lanes per SM (an FMA is 2 FLOP)", 1, 4096),
           integer("shared_memory_KiB", "KiB", "largest shared memory per SM (carve-out of L1)", 1, 1 << 20),
           integer("max_threads", "threads", "resident threads per SM", 32, 1 << 16),
           optional(number("tensor_efficiency", "", "share of the wave model's rate large products reach (calibrated)",
                           0.01, 1),
                    1),
       }},
      {"l2",
       "GPU L2 cache",
       gpu,
       {
           number("capacity_MiB", "MiB", "L2 capacity", 0.001, 1 << 20),
           number("bandwidth_GBps", "GB/s", "L2 read bandwidth", 0.001, kBig),
       }},
      {"hbm",
       "High-bandwidth memory on the card, shared by every engine that streams",
       all,
       {
           number("capacity_GiB", "GiB", "HBM capacity (1 GiB = 2^30 bytes)", 0.001, 1 << 20),
           number("bandwidth_GBps", "GB/s", "peak HBM bandwidth (1 GB = 1e9 bytes)", 0.001, kBig),
           integer("stacks", "stacks", "HBM stacks", 1, 64),
           number("latency_ns", "ns", "load-to-use latency of an HBM access", 0, 100000),
           optional(number("efficiency", "", "share of the peak bandwidth streaming reaches (calibrated)", 0.01, 1), 1),
       }},
      {"fabric",
       "Card-to-card links inside one 8-card server",
       all,
       {
           {"topology",
            FieldKind::Choice,
            "",
            "roce-mesh: direct all-to-all RoCE ports; nvswitch: NVLink to switches",
            true,
            0,
            0,
            0,
            {"roce-mesh", "nvswitch"},
            ""},
           integer("cards_per_server", "cards", "cards connected by this fabric", 1, 1024),
           integer("links_per_card", "links", "scale-up links (RoCE ports or NVLinks) per card", 1, 1024),
           optional(integer("links_per_peer", "links", "roce-mesh: links from a card to each peer (0 for nvswitch)", 0,
                            1024),
                    0),
           number("link_bandwidth_GBps", "GB/s", "one link, one direction", 0.001, kBig),
           optional(integer("scale_out_links", "links", "links left for scale-out to other servers", 0, 1024), 0),
           number("latency_us", "us",
                  "alpha-beta: latency of one step of a collective between two cards; nccl: the call's own latency on "
                  "top of NCCL's protocol model (calibrated where measured)",
                  0, 1e6),
           optional(number("efficiency", "", "share of the links' bandwidth a collective's steps reach (calibrated)",
                           0.01, 1),
                    1),
           optional_choice("collectives",
                           "alpha-beta: latency per step + bytes / bandwidth (HCCL); nccl: NCCL's ring with the "
                           "fastest of its LL, LL128 and Simple protocols (tuning.cc)",
                           {"alpha-beta", "nccl"}),
       }},
      {"host_link",
       "The link between host and card",
       all,
       {
           integer("pcie_generation", "", "PCIe generation", 1, 10),
           integer("lanes", "lanes", "PCIe lanes", 1, 64),
           number("bandwidth_GBps", "GB/s", "one direction", 0.001, kBig),
           number("latency_us", "us", "latency of a small host<->card transfer", 0, 1e6),
       }},
      {"power",
       "Board power",
       all,
       {
           number("tdp_W", "W", "thermal design power", 1, 100000),
       }},
  };
}

}  // namespace

const std::vector<std::string>& rate_dtypes() {
  static const std::vector<std::string> v{"fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"};
  return v;
}

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> v{"name", "description", "family", "base", "not_modelled", "sources"};
  return v;
}

const std::vector<std::string>& families() {
  static const std::vector<std::string> v{"gaudi", "nvidia-gpu"};
  return v;
}

const std::vector<SectionDef>& sections() {
  static const std::vector<SectionDef> v = make_sections();
  return v;
}

const SectionDef* find_section(const std::string& name) {
  for (const auto& s : sections())
    if (s.name == name) return &s;
  return nullptr;
}

const FieldDef* find_field(const SectionDef& section, const std::string& key) {
  for (const auto& f : section.fields)
    if (f.key == key) return &f;
  return nullptr;
}

std::string describe_range(const FieldDef& field) {
  switch (field.kind) {
    case FieldKind::Integer:
    case FieldKind::Number:
      return fmt::format("{} .. {}{}{}", field.min, field.max, field.unit.empty() ? "" : " ", field.unit);
    case FieldKind::Rates:
      return fmt::format("an object {{dtype: {} .. {}}} with dtypes from [{}]", field.min, field.max,
                         join(field.choices));
    case FieldKind::Choice:
      return fmt::format("one of [{}]", join(field.choices));
    case FieldKind::Text:
      return "a string";
  }
  return {};
}

}  // namespace hpusim::models
