// SPDX-License-Identifier: Apache-2.0
// What a quantised projection costs the host when Hugging Face's code runs it eagerly: the torch ops its library
// launches (graph modes count them as nodes) and the library's own Python, counted from the bitsandbytes release's
// code (quantised_host_work.cpp), with the results it reads back before its kernels.
#pragma once
#include <cstdint>

#include "workloads/op_graph.h"

namespace hpusim::workloads {

struct QuantisedHostWork {
  int64_t torch_ops = 1;  // torch ops the projection launches (1: the 16-bit count of execution_mode.cpp applies)
  // bitsandbytes' Python per call, in units of runtime.library_op_us (0: the projection is a modeling-code op):
  // 1 for a torch op that allocates or launches a kernel, a ctypes call into libbitsandbytes, an autograd Function's
  // apply or a .item(); 1/2 for a view, a cast to the format a tensor already has, a device query or a Parameter's
  // .data assignment (no allocation, no launch).
  double library_ops = 0;
  int64_t read_backs = 0;         // .item(), bool(t), nonzero/unique: the host waits for the stream each time
  double library_ops_before = 0;  // units dispatched before the read-backs (the rest after them)
};

QuantisedHostWork quantised_host_work(const PassSpec& spec, int64_t rows, bool bias);

}  // namespace hpusim::workloads
