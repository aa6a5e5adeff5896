// SPDX-License-Identifier: Apache-2.0
#include "sim/compiler/graph_compiler.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <boost/graph/topological_sort.hpp>
#include <boost/range/iterator_range.hpp>

namespace hpusim::sim {
namespace {

using workloads::OpGraph;
using Vertex = OpGraph::vertex_descriptor;

bool only_vector(const kernels::KernelCost& c) {
  return !c.parts.empty() && std::all_of(c.parts.begin(), c.parts.end(),
                     [](const kernels::CostPart& p) { return p.engine == kernels::EngineClass::vector; });
}

bool is_gemm(const workloads::OpNode& n) {
  return n.kind == "linear" && !n.cost.parts.empty() && n.cost.parts.back().engine == kernels::EngineClass::matrix;
}

}  // namespace

Recipe compile_graph(const OpGraph& g, const CompileOptions& o) {
  const std::size_t n = boost::num_vertices(g);
  std::vector<Vertex> order;
  boost::topological_sort(g, std::back_inserter(order));
  std::reverse(order.begin(), order.end());

  // Fusion: each op's group is its own, or the group of the producer it joins.
  std::vector<std::size_t> group(n);
  for (std::size_t i = 0; i < n; ++i) group[i] = i;
  std::vector<workloads::OpNode> head(n);  // the fused node of each group, held at its first op
  std::vector<int64_t> saved(n, 0);
  for (Vertex v : order) {
    head[v] = g[v];
    if (!g[v].elementwise || !only_vector(g[v].cost)) continue;  // the description marks fusion candidates
    for (auto e : boost::make_iterator_range(boost::in_edges(v, g))) {
      const Vertex u = boost::source(e, g);
      if (boost::out_degree(u, g) != 1) continue;  // another consumer needs the tensor in memory
      workloads::OpNode& h = head[group[u]];
      const bool chain = o.fuse_elementwise && only_vector(h.cost);
      const bool epilogue = o.fuse_epilogues && (is_gemm(h) || (h.fused_ops > 1 && h.kind == "linear"));
      if (!chain && !epilogue) continue;
      // The tensor between them stays on chip: its write and its read disappear.
      const int64_t bytes = g[e].bytes;
      auto& producer_part = h.cost.parts.back();
      const int64_t cut_write = std::min(bytes, producer_part.bytes_written);
      producer_part.bytes_written -= cut_write;
      auto parts = g[v].cost.parts;
      const int64_t cut_read = std::min(bytes, parts.front().bytes_read);
      parts.front().bytes_read -= cut_read;
      h.cost.parts.insert(h.cost.parts.end(), parts.begin(), parts.end());
      h.fused_ops += 1;
      h.name += "+" + g[v].name.substr(g[v].name.rfind('.') + 1);
      saved[group[u]] += cut_write + cut_read;
      group[v] = group[u];
      break;
    }
  }

  // The fused graph: one vertex per group, edges between groups.
  Recipe r;
  r.source_ops = static_cast<int64_t>(n);
  std::map<std::size_t, Vertex> vertex_of;
  for (Vertex v : order) {
    if (group[v] != v) continue;
    workloads::OpNode node = head[v];
    const bool has_epilogue = node.fused_ops > 1 && node.cost.parts.front().engine == kernels::EngineClass::matrix;
    if (has_epilogue && o.pipeline_slices > 1) node.slices = o.pipeline_slices;
    vertex_of[v] = boost::add_vertex(node, r.graph);
    r.bytes_saved += saved[v];
  }
  std::set<std::pair<Vertex, Vertex>> linked;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    const Vertex a = vertex_of.at(group[boost::source(e, g)]), b = vertex_of.at(group[boost::target(e, g)]);
    if (a == b || !linked.insert({a, b}).second) continue;
    boost::add_edge(a, b, g[e], r.graph);
  }
  r.nodes = static_cast<int64_t>(boost::num_vertices(r.graph));
  r.sources.resize(boost::num_vertices(r.graph));
  for (Vertex v : order) r.sources[vertex_of.at(group[v])].push_back(v);
  return r;
}

}  // namespace hpusim::sim
