// SPDX-License-Identifier: Apache-2.0
// A plain roofline of one measured row, the baseline the fitted simulator is compared with (bench/RESULTS.md): each
// pass takes the longer of its FLOPs at the matrix engines' peak and its bytes (the card's weights, and in decode the
// KV cache at the mean context) at HBM's peak; no host, no launch, no collective, no efficiency.
#pragma once
#include <nlohmann/json.hpp>

namespace hpusim::fit {

// Seconds per generate call; InputError for a scenario the roofline cannot price (an unknown device or model).
double roofline_seconds(const nlohmann::json& scenario);

}  // namespace hpusim::fit
