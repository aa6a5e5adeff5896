// SPDX-License-Identifier: Apache-2.0
// Linear least squares with box bounds, for the few parameters a calibration fits (at most 10): minimise
// ||A x - b||^2 subject to lo <= x <= hi. Exact: the objective is convex, so its minimum over the box is the
// unconstrained minimum of the free variables for one assignment of every variable to free, at its lower bound or at
// its upper bound; every assignment is tried (3^n small solves) and the best feasible one kept. Deterministic.
#pragma once
#include <vector>

namespace hpusim::fit {

struct BoxProblem {
  std::vector<std::vector<double>> a;  // rows of A, each of n entries
  std::vector<double> b;               // one per row
  std::vector<double> lo, hi;          // n bounds each, lo <= hi
};

struct BoxSolution {
  std::vector<double> x;
  double objective = 0;      // ||A x - b||^2
  std::vector<int> at_bound; // -1 at lo, +1 at hi, 0 free
};

// std::invalid_argument for inconsistent sizes, lo > hi or more than 10 variables.
BoxSolution solve_box_least_squares(const BoxProblem& p);

}  // namespace hpusim::fit
