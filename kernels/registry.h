// SPDX-License-Identifier: Apache-2.0
// The kernels by name, as `hpusim kernel NAME --in name=FILE.npy ... --param k=v` runs them: each entry lists its
// inputs (required or optional), its parameters with defaults, and its outputs. Unknown names, missing inputs and
// bad parameters are KernelErrors that list what is allowed.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

struct ParamDef {
  std::string name, default_value, meaning;
};

struct KernelDef {
  std::string name, description;
  std::vector<std::string> inputs;           // required
  std::vector<std::string> optional_inputs;  // may be absent
  std::vector<ParamDef> params;
  std::vector<std::string> outputs;  // the first is the default --out
  // Runs on named inputs with resolved params (every declared param present) in `dtype`.
  std::function<std::map<std::string, Tensor>(const std::map<std::string, Tensor>&,
                                              const std::map<std::string, std::string>&, DType)>
      run;
  // The cost of the same call, from shapes only.
  std::function<KernelCost(const std::map<std::string, Tensor>&, const std::map<std::string, std::string>&, DType)>
      cost;
};

const std::vector<KernelDef>& kernel_registry();
const KernelDef& find_kernel(const std::string& name);  // KernelError listing the names

struct KernelCall {
  std::map<std::string, Tensor> inputs;
  std::map<std::string, std::string> params;  // as given; defaults are filled in by run_kernel
  DType dtype = DType::fp32;
};
// Checks inputs and params against the definition, fills defaults, runs.
std::map<std::string, Tensor> run_kernel(const KernelDef& def, const KernelCall& call);
KernelCost kernel_cost(const KernelDef& def, const KernelCall& call);

// Parameter readers with KernelErrors naming the parameter.
double param_number(const std::map<std::string, std::string>& params, const std::string& name);
int64_t param_int(const std::map<std::string, std::string>& params, const std::string& name);
bool param_bool(const std::map<std::string, std::string>& params, const std::string& name);

}  // namespace hpusim::kernels
