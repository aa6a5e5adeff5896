// SPDX-License-Identifier: Apache-2.0
// The resolved, validated description of one accelerator card (and its server fabric and host link). Built only by
// models::load_model(); engines in sim/ receive it and never read JSON. Units are in the member names.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::models {

using DtypeRates = std::map<std::string, double>;

struct MmeSpec {
  int64_t count, rows, cols;
  double clock_MHz;
  DtypeRates dtype_rate;  // relative to bf16
  int64_t pipeline_latency_cycles;
  bool reconfigurable = false;  // also (rows/2) x (2 cols) and (2 rows) x (cols/2)
  double efficiency = 1.0;      // calibrated share of the tile model's rate
  // Cores per MME, each (rows / cores) x cols: a batched product of few rows runs one product per core at once
  // (the MME brain's batch concurrency); 1 = no such mode modelled.
  int64_t cores = 1;
  // count x rows x cols MACs x 2 FLOP x clock x rate; 0 when the MME does not take that dtype.
  double peak_flops(const std::string& dtype) const;
};

struct TpcSpec {
  int64_t count, vector_bits, vliw_slots;
  double clock_MHz;
  int64_t local_memory_KiB;
  double transcendental_cycles;
  int64_t lanes(int element_bits) const { return vector_bits / element_bits; }
  // All TPCs, one vector FMA (2 FLOP per lane) per cycle.
  double peak_flops(int element_bits) const;
};

struct DmaSpec {
  int64_t engines;
  double bandwidth_GBps;
};

struct SramSpec {
  double capacity_MiB, bandwidth_GBps;
};

struct SmSpec {
  int64_t count, tensor_cores_per_sm;
  double clock_MHz;
  DtypeRates tensor_flops_per_clock;  // per tensor core
  int64_t fp32_lanes, shared_memory_KiB, max_threads;
  double tensor_efficiency = 1.0;                            // calibrated share of the wave model's rate
  double tensor_peak_flops(const std::string& dtype) const;  // 0 when tensor cores do not take that dtype
  double fp32_peak_flops() const;                            // CUDA cores, FMA = 2 FLOP
};

struct L2Spec {
  double capacity_MiB, bandwidth_GBps;
};

struct HbmSpec {
  double capacity_GiB, bandwidth_GBps;
  int64_t stacks;
  double latency_ns;
  double efficiency = 1.0;  // calibrated share of the peak bandwidth that streaming reaches
  uint64_t capacity_bytes() const;
};

struct FabricSpec {
  std::string topology;  // roce-mesh | nvswitch
  int64_t cards_per_server, links_per_card, links_per_peer;
  double link_bandwidth_GBps;
  int64_t scale_out_links;
  double latency_us;        // alpha-beta: per step of a collective; nccl: per call, on top of NCCL's own model
  double efficiency = 1.0;  // calibrated share of the link bandwidth a collective's steps reach
  std::string collectives = "alpha-beta";  // alpha-beta | nccl (sim/device/collectives.h)
  // One direction between two cards: the links to that peer (mesh), or all NVLinks into the switch (nvswitch).
  double peer_bandwidth_GBps() const;
};

struct HostLinkSpec {
  int64_t pcie_generation, lanes;
  double bandwidth_GBps, latency_us;
};

struct PowerSpec {
  double tdp_W;
};

struct HardwareModel {
  std::string name, description, family;  // family: gaudi | nvidia-gpu
  std::vector<std::string> not_modelled;
  std::optional<MmeSpec> mme;
  std::optional<TpcSpec> tpc;
  std::optional<DmaSpec> dma;
  std::optional<SramSpec> sram;
  std::optional<SmSpec> sm;
  std::optional<L2Spec> l2;
  HbmSpec hbm{};
  FabricSpec fabric{};
  HostLinkSpec host_link{};
  PowerSpec power{};

  // The merged document after base files, override files and --set, defaults filled in: what a trace records.
  nlohmann::json resolved;
  // "section.key" -> where the figure comes from (a reference note, a calibration run, an override).
  std::map<std::string, std::string> sources;
  // Files read, top file first (an override file, then its bases).
  std::vector<std::string> files;
  // The --set overrides applied last, as given.
  std::vector<std::string> sets;

  bool is_gaudi() const { return family == "gaudi"; }
  // Peak of the matrix units (MMEs or tensor cores) for a dtype, FLOP/s; 0 when unsupported.
  double peak_matrix_flops(const std::string& dtype) const;
  // Peak of the vector units (TPCs or CUDA cores) in fp32, FLOP/s.
  double peak_vector_fp32_flops() const;
};

}  // namespace hpusim::models
