// SPDX-License-Identifier: Apache-2.0
// `hpusim report`: one self-contained HTML page (inline SVG, no network) from trace databases and sweep results:
// for every run a timeline of one step (card 0's engines and its host, like a profiler), for several runs the modes
// side by side (latency, decode time per token, host and device busy), for a sweep its plots (the metric against each
// numeric key, a line per combination of the others) and its table. A script at the end marks each chart the browser
// laid out, so a headless browser can check the page renders.
#pragma once
#include <string>
#include <vector>

namespace hpusim::report {

struct ReportOptions {
  std::vector<std::string> inputs;  // trace .sqlite files, sweep folders or sweep.sqlite files
  std::string title = "hpusim report";
  std::string metric = "decode_ms_per_token";  // what sweep plots show
};

// InputError for a missing or foreign input.
std::string render_report(const ReportOptions& options);

}  // namespace hpusim::report
