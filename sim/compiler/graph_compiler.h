// SPDX-License-Identifier: Apache-2.0
// The graph compiler of lazy mode, HPU graphs and torch.compile, as Boost.Graph passes over a pass's op graph
// (shared/DESIGN.md, "Execution modes"; execution-modes.md):
//  - fusion: an element-wise op (OpNode::elementwise: adds, activations, norms, rotary) joins the group of a producer whose only consumer it is: a
//    chain of vector ops becomes one kernel, a GEMM followed by its bias/GELU/residual becomes a GEMM with an
//    epilogue; the tensor between them never goes through HBM (its write and its read disappear);
//  - engine assignment stays per cost part (matrix parts on MME / tensor cores, vector parts on TPC / CUDA cores);
//  - slicing: on Gaudi a fused GEMM + epilogue runs in slices, the TPC working on slice i while the MME computes slice
//    i+1 (MME/TPC pipelining through SRAM);
//  - memory planning is the device's: compiled graphs run with SRAM residency (sim/runtime/card.h).
// The result is a recipe: the fused graph, and the counts a recipe cache and the host model need.
#pragma once
#include <cstdint>
#include <vector>

#include "workloads/op_graph.h"

namespace hpusim::sim {

struct CompileOptions {
  bool fuse_elementwise = true;  // chains of vector ops
  bool fuse_epilogues = true;    // GEMM + following element-wise ops
  int64_t pipeline_slices = 1;   // >1 on Gaudi: MME/TPC pipelining of fused GEMM + epilogue
};

struct Recipe {
  workloads::OpGraph graph;  // the fused graph the device runs
  int64_t source_ops = 0;    // ops of the graph compiled
  int64_t nodes = 0;         // nodes of the fused graph (device kernels)
  int64_t bytes_saved = 0;   // HBM traffic fusion removed
  // Per node of the fused graph: the source graph's vertices it stands for, in topological order (what runs when
  // the node ends: their numeric kernels).
  std::vector<std::vector<std::size_t>> sources;
};

Recipe compile_graph(const workloads::OpGraph& graph, const CompileOptions& options);

}  // namespace hpusim::sim
