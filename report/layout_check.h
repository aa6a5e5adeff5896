// SPDX-License-Identifier: Apache-2.0
// The script at the end of a report page that checks what the browser laid out, so that a headless browser's DOM
// dump and screenshot can be tested (tests/cli/report_cli_test.cpp, tests/cli/report_screenshot.py). It writes on
// <body>: data-charts, data-charts-rendered (charts with a size and shapes), data-labels-outside (text that reaches
// past its chart), data-labels-overlapping (pairs of texts of one chart that overlap), data-legend-missing (kinds
// drawn that no legend entry names), data-legend-colour-mismatch (a legend swatch in another colour than the shapes
// it names), data-colours-shared (colours that mean two kinds or series on one page), data-page-overflow (the page wider than the window), data-page-height,
// data-problems (the first few, in words) and data-swatches (each legend swatch's centre in page pixels and its
// colour, for the screenshot check).
#pragma once
#include <string>

namespace hpusim::report {

const std::string& layout_check_script();

}  // namespace hpusim::report
