// SPDX-License-Identifier: Apache-2.0
// One simulated generation from a scenario, as `hpusim run` and `hpusim generate` both do it (one code path): the
// scenario prepared and checked, the checkpoint's weights loaded when numerics are on, the trace written (or not),
// the simulation run, and its figures, tokens and logits reported.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run_calibration.h"
#include "models/hardware_model.h"
#include "sim/runtime/generation.h"
#include "sim/runtime/scenario.h"

namespace hpusim::cli {

struct SimulatedRun {
  sim::Scenario scenario;
  models::HardwareModel device;
  sim::GenerationSpec spec;
  sim::GenerationTiming timing;
  std::string trace;      // "" when none was written
  double load_s = 0;      // this host's wall time loading the checkpoint's weights
  double simulate_s = 0;  // this host's wall time simulating (numerics included)
  RunCalibration calibration;  // the fitted profile applied, if any
};

struct RunOutputs {
  std::string trace;                // the trace database to write, "" for none
  std::string logits_out;           // .npy of the last call's logits [new tokens, vocab], "" for none (needs numerics)
  std::vector<std::string> inputs;  // files the outputs must not overwrite
};

// Every check, and the checkpoint's weights loaded (or `model` reused), before anything is written: InputError
// (exit 2). `runtime_where` names the runtime overrides' source in messages. The scenario kept is the resolved one
// (weights=auto as the format timed, model as the checkpoint).
SimulatedRun prepare_scenario(const sim::Scenario& scenario, const std::string& runtime_where,
                              const RunOutputs& outputs,
                              std::shared_ptr<const workloads::DecoderModel> model = nullptr);
// Writes the trace (if any), simulates, writes the logits (if asked).
void simulate(SimulatedRun& run, const RunOutputs& outputs);
// Both.
SimulatedRun simulate_scenario(const sim::Scenario& scenario, const std::string& runtime_where,
                               const RunOutputs& outputs);

// The figures as `hpusim run --json` prints them, and as text.
nlohmann::json run_json(const SimulatedRun& run);
void print_run_text(const SimulatedRun& run);

}  // namespace hpusim::cli
