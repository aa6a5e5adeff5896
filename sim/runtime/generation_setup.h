// SPDX-License-Identifier: Apache-2.0
// From a scenario to a generation the simulator can run: the model configs, the pass options, the execution mode and
// its runtime profile, with every refusal made before anything is written (a mode the device does not run, option
// combinations the frameworks refuse, a model that does not fit, formats the engines do not take). `hpusim run`
// calls it, and `hpusim sweep` calls it for every point before running any.
#pragma once
#include <string>

#include "models/hardware_model.h"
#include "sim/runtime/generation.h"
#include "sim/runtime/scenario.h"

namespace hpusim::sim {

// InputError naming the key. `runtime_where` names the runtime overrides' source in messages.
GenerationSpec prepare_generation(const Scenario& scenario, const models::HardwareModel& device,
                                  const std::string& runtime_where);

// With numerics on: loads the checkpoint's weights into the spec's numeric model (InputError naming the file and
// tensor for a missing or misshapen one). Separate from prepare_generation, which sweeps call for every point.
void load_numeric_model(GenerationSpec& spec);

}  // namespace hpusim::sim
