// SPDX-License-Identifier: Apache-2.0
// The SystemC environment every simulation in hpusim runs in (shared/reference/systemc.md):
//  - SystemC's reports go to stderr, never stdout (stdout is reserved for results and --json);
//  - simulated time is integer picoseconds, the kernel's resolution is 1 ps;
//  - one simulation per process: the CLI runs one per invocation, tests run each TEST in its own process.
#pragma once
#include <cstdint>

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

namespace hpusim::sim {

using Picoseconds = int64_t;

// Call once at the start of main(), before any sc_time or module exists: sets the 1 ps resolution and the
// stderr report handler. Idempotent.
void init_systemc();

// Runs the simulation (until no activity is left, or for `duration_ps` when given). Every simulation in hpusim
// goes through here rather than sc_core::sc_start: under AddressSanitizer it re-announces the main stack after
// the kernel returns, because SystemC 2.3.4 leaves ASan believing it still runs on a coroutine stack (a thread
// that returns switches unannounced), which crashes LeakSanitizer at exit (shared/reference/systemc.md §2.2).
void run_simulation();
void run_simulation(Picoseconds duration_ps);

inline sc_core::sc_time to_sc_time(Picoseconds ps) {
  return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ps));
}
inline Picoseconds to_ps(const sc_core::sc_time& t) { return static_cast<Picoseconds>(t.value()); }
inline Picoseconds now_ps() { return to_ps(sc_core::sc_time_stamp()); }

}  // namespace hpusim::sim
