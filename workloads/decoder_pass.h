// SPDX-License-Identifier: Apache-2.0
// One forward pass of a DecoderModel on every card, op by op: the pass's op graph (forward_graph.cpp, the graph the
// timing model runs) interpreted through the kernels, one vertex on one card at a time, in any order that respects
// the graph's edges. That is what lets the simulation run each op's numerics on the card that runs it, when the
// device model says the op has ended (sim/runtime/numeric_run.h), and DecoderModel::forward run them all in lock
// step. Each card computes with its own shard of the weights; an all-reduce adds every card's partial in ring order,
// then the row-parallel bias (DeepSpeed's order). A value is freed once its last consumer on that card has run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/tensor.h"
#include "workloads/op_graph.h"

namespace hpusim::workloads {

class DecoderModel;
struct DecoderCache;

class DecoderPass {
 public:
  using Vertex = OpGraph::vertex_descriptor;
  // `tokens` new positions after `past` cached ones, batch 1; `all_positions`: the head over every new position;
  // `flash`: attention by the tiled online-softmax kernel (FusedSDPA / SDPA flash) instead of HF's plain one.
  // The cache must outlive the pass; card c appends to its slots (layer * cards + c).
  DecoderPass(const DecoderModel& model, int64_t tokens, int64_t past, bool all_positions, DecoderCache& cache,
              bool flash = false);
  // The pass's shape as the op graph builder takes it (batch 1, one card's share).
  static PassSpec spec_for(const DecoderModel& model, int64_t tokens, int64_t past, bool all_positions, bool flash);
  DecoderPass(const DecoderPass&) = delete;
  DecoderPass& operator=(const DecoderPass&) = delete;

  const OpGraph& graph() const { return graph_; }
  // The ids this card embeds (each card holds the token it chose itself).
  void set_ids(int64_t card, std::vector<int64_t> ids);
  // Runs vertex v on `card`; its inputs on that card (for an all-reduce: on every card) must have run.
  void run(Vertex v, int64_t card);
  // Card `card`'s logits once its head has run: [V] fp32, or [tokens, V] with all_positions.
  kernels::Tensor logits(int64_t card) const;
  bool has_logits(int64_t card) const;

  struct RanOp {
    std::string name, role;
    kernels::Shape out;
  };
  // What card 0 ran, in order, with the shape of what each op produced.
  const std::vector<RanOp>& ran() const { return ran_; }

 private:
  struct Value {
    kernels::Tensor x, q, k, v;
  };
  Value& value(Vertex v, int64_t card) { return val_[v][static_cast<std::size_t>(card)]; }
  void release_inputs(Vertex v, int64_t card);
  Value compute(Vertex v, int64_t card);
  kernels::Tensor all_reduce(Vertex v);

  const DecoderModel& model_;
  DecoderCache& cache_;
  int64_t cards_, t_, past_, out_rows_;
  bool all_positions_, flash_;
  OpGraph graph_;
  std::vector<std::vector<Vertex>> inputs_;
  std::vector<std::vector<Value>> val_;         // [vertex][card]
  std::vector<std::vector<std::size_t>> uses_;  // consumers left, [vertex][card]
  std::vector<int64_t> reduced_by_;             // all-reduce vertices: cards that have run it
  std::vector<kernels::Tensor> reduced_;        // all-reduce vertices: the sum, computed by the first card
  std::vector<std::vector<int64_t>> ids_;       // [card]
  std::vector<int64_t> positions_;
  std::vector<kernels::Tensor> logits_;  // [card]
  std::vector<RanOp> ran_;
};

}  // namespace hpusim::workloads
