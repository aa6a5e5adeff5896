// SPDX-License-Identifier: Apache-2.0
// Bounded least squares against solutions derived by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "fit/box_least_squares.h"

namespace hpusim::fit {
namespace {

TEST(BoxLeastSquares, UnboundedIsTheNormalEquationsSolution) {
  // Fit y = x0 + x1 t through (0,1), (1,3), (2,5): exactly x = (1, 2).
  BoxProblem p{{{1, 0}, {1, 1}, {1, 2}}, {1, 3, 5}, {-10, -10}, {10, 10}};
  const auto s = solve_box_least_squares(p);
  EXPECT_NEAR(s.x[0], 1, 1e-12);
  EXPECT_NEAR(s.x[1], 2, 1e-12);
  EXPECT_NEAR(s.objective, 0, 1e-20);
  EXPECT_EQ(s.at_bound, (std::vector<int>{0, 0}));
}

TEST(BoxLeastSquares, AnActiveBoundReoptimisesTheFreeVariable) {
  // Same data, slope held to <= 1.5: with x1 = 1.5 the best intercept is mean(y - 1.5 t) = (1 + 1.5 + 2) / 3 = 1.5.
  BoxProblem p{{{1, 0}, {1, 1}, {1, 2}}, {1, 3, 5}, {-10, -10}, {10, 1.5}};
  const auto s = solve_box_least_squares(p);
  EXPECT_NEAR(s.x[1], 1.5, 1e-12);
  EXPECT_NEAR(s.x[0], 1.5, 1e-12);
  EXPECT_EQ(s.at_bound, (std::vector<int>{0, 1}));
  // Residuals (1-1.5, 3-3, 5-4.5): objective 0.5.
  EXPECT_NEAR(s.objective, 0.5, 1e-12);
}

TEST(BoxLeastSquares, BothBoundsActive) {
  // min (x0 - 5)^2 + (x1 + 5)^2 in [0, 1]^2: (1, 0), objective 16 + 25.
  BoxProblem p{{{1, 0}, {0, 1}}, {5, -5}, {0, 0}, {1, 1}};
  const auto s = solve_box_least_squares(p);
  EXPECT_NEAR(s.x[0], 1, 1e-12);
  EXPECT_NEAR(s.x[1], 0, 1e-12);
  EXPECT_NEAR(s.objective, 41, 1e-12);
  EXPECT_EQ(s.at_bound, (std::vector<int>{1, -1}));
}

TEST(BoxLeastSquares, RefusesInconsistentProblems) {
  EXPECT_THROW(solve_box_least_squares({{{1, 0}}, {1}, {0}, {1}}), std::invalid_argument);
  EXPECT_THROW(solve_box_least_squares({{{1}}, {1}, {2}, {1}}), std::invalid_argument);
}

}  // namespace
}  // namespace hpusim::fit
