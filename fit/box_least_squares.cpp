// SPDX-License-Identifier: Apache-2.0
#include "fit/box_least_squares.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace hpusim::fit {
namespace {

// Solves the symmetric system M y = r by Gaussian elimination with partial pivoting; false when singular.
bool solve(std::vector<std::vector<double>> m, std::vector<double> r, std::vector<double>& y) {
  const std::size_t n = r.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t i = c + 1; i < n; ++i)
      if (std::fabs(m[i][c]) > std::fabs(m[p][c])) p = i;
    if (std::fabs(m[p][c]) < 1e-14) return false;
    std::swap(m[p], m[c]);
    std::swap(r[p], r[c]);
    for (std::size_t i = c + 1; i < n; ++i) {
      const double f = m[i][c] / m[c][c];
      for (std::size_t j = c; j < n; ++j) m[i][j] -= f * m[c][j];
      r[i] -= f * r[c];
    }
  }
  y.assign(n, 0);
  for (std::size_t c = n; c-- > 0;) {
    double s = r[c];
    for (std::size_t j = c + 1; j < n; ++j) s -= m[c][j] * y[j];
    y[c] = s / m[c][c];
  }
  return true;
}

double objective(const BoxProblem& p, const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i < p.b.size(); ++i) {
    double r = -p.b[i];
    for (std::size_t j = 0; j < x.size(); ++j) r += p.a[i][j] * x[j];
    f += r * r;
  }
  return f;
}

}  // namespace

BoxSolution solve_box_least_squares(const BoxProblem& p) {
  const std::size_t n = p.lo.size();
  if (p.hi.size() != n || p.a.size() != p.b.size() || n > 10)
    throw std::invalid_argument("box least squares: sizes differ or more than 10 variables");
  for (const auto& row : p.a)
    if (row.size() != n) throw std::invalid_argument("box least squares: a row of A has the wrong length");
  for (std::size_t j = 0; j < n; ++j)
    if (!(p.lo[j] <= p.hi[j])) throw std::invalid_argument("box least squares: a lower bound above its upper");
  // Normal equations once: G = A^T A, g = A^T b.
  std::vector<std::vector<double>> g(n, std::vector<double>(n, 0));
  std::vector<double> gb(n, 0);
  for (std::size_t i = 0; i < p.b.size(); ++i)
    for (std::size_t j = 0; j < n; ++j) {
      gb[j] += p.a[i][j] * p.b[i];
      for (std::size_t k = 0; k < n; ++k) g[j][k] += p.a[i][j] * p.a[i][k];
    }
  BoxSolution best;
  best.objective = std::numeric_limits<double>::infinity();
  std::size_t combos = 1;
  for (std::size_t j = 0; j < n; ++j) combos *= 3;
  for (std::size_t code = 0; code < combos; ++code) {
    std::vector<int> state(n);
    std::size_t c = code;
    for (std::size_t j = 0; j < n; ++j, c /= 3) state[j] = static_cast<int>(c % 3) - 1;  // -1 lo, 0 free, +1 hi
    std::vector<double> x(n);
    std::vector<std::size_t> free;
    for (std::size_t j = 0; j < n; ++j) {
      if (state[j] == 0) free.push_back(j);
      x[j] = state[j] < 0 ? p.lo[j] : p.hi[j];
    }
    if (!free.empty()) {
      // G_ff x_f = g_f - G_fb x_b
      std::vector<std::vector<double>> m(free.size(), std::vector<double>(free.size()));
      std::vector<double> r(free.size());
      for (std::size_t a = 0; a < free.size(); ++a) {
        r[a] = gb[free[a]];
        for (std::size_t j = 0; j < n; ++j)
          if (state[j] != 0) r[a] -= g[free[a]][j] * x[j];
        for (std::size_t b = 0; b < free.size(); ++b) m[a][b] = g[free[a]][free[b]];
      }
      std::vector<double> y;
      if (!solve(m, r, y)) continue;
      bool feasible = true;
      for (std::size_t a = 0; a < free.size(); ++a) {
        const std::size_t j = free[a];
        if (y[a] < p.lo[j] - 1e-12 || y[a] > p.hi[j] + 1e-12) feasible = false;
        x[j] = y[a];
      }
      if (!feasible) continue;
    }
    const double f = objective(p, x);
    if (f < best.objective - 1e-15) {
      best.objective = f;
      best.x = x;
      best.at_bound = state;
    }
  }
  return best;
}

}  // namespace hpusim::fit
