// SPDX-License-Identifier: Apache-2.0
// From a scenario to a generation spec: the choices the setup makes from the model's description and the device.
#include <gtest/gtest.h>

#include "models/model_loader.h"
#include "sim/runtime/generation_setup.h"
#include "tests/test_support.h"

namespace hpusim::sim {
namespace {

// optimum-habana writes BLOOM's static KV cache by a one-hot batched matmul (WA_INDEX_COPY=1); its Llama, Mistral,
// Falcon, ... use index_copy_ (workloads-detailed.md §2.3). kv_update=auto follows the family; GPUs never bmm.
TEST(GenerationSetup, TheOneHotKvUpdateIsBloomsOnGaudi) {
  const auto gaudi2 = models::load_model("gaudi2", {}, test::models_dir());
  const auto a100 = models::load_model("a100-80gb", {}, test::models_dir());
  for (const auto& [model, device, want] :
       {std::tuple{"bloomz-7b1", &gaudi2, true}, std::tuple{"llama-2-7b", &gaudi2, false},
        std::tuple{"mistral-7b", &gaudi2, false}, std::tuple{"bloomz-7b1", &a100, false}}) {
    Scenario s;
    s.model = model;
    s.device = device->name;
    s.mode = device == &gaudi2 ? "hpu-graph" : "cuda-graph";
    EXPECT_EQ(prepare_generation(s, *device, "test").pass.kv_update_bmm, want) << model << " on " << device->name;
  }
  Scenario forced;
  forced.model = "llama-2-7b";
  forced.mode = "hpu-graph";
  forced.kv_update = "onehot_bmm";
  EXPECT_TRUE(prepare_generation(forced, gaudi2, "test").pass.kv_update_bmm);
}

}  // namespace
}  // namespace hpusim::sim
