// SPDX-License-Identifier: Apache-2.0
#include "sim/systemc_env.h"

#include "traces/interrupt.h"

#include <iostream>

#if defined(__SANITIZE_ADDRESS__)
#define HPUSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HPUSIM_ASAN 1
#endif
#endif

#ifdef HPUSIM_ASAN
#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace hpusim::sim {
namespace {

// SystemC's default handler prints to std::cout; keep its actions (stop, throw, abort) but print to stderr.
void report_to_stderr(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (actions & sc_core::SC_DISPLAY) std::cerr << sc_core::sc_report_compose_message(report) << std::endl;
  sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY);
}

bool g_initialised = false;

#ifdef HPUSIM_ASAN
// Tell ASan we are back on the main thread's own stack, and clear stale poison below the current frame.
__attribute__((noinline)) void reannounce_main_stack() {
  static void* low = nullptr;
  static size_t size = 0;
  if (!low) {
    pthread_attr_t attr;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
  }
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, low, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
  char here = 0;
  const auto below = reinterpret_cast<char*>(&here) - static_cast<char*>(low) - 512;
  if (below > 0) ASAN_UNPOISON_MEMORY_REGION(low, static_cast<size_t>(below));
}
#else
void reannounce_main_stack() {}
#endif

}  // namespace

namespace {
// SystemC turns an exception thrown in a process into its own report (E549); a SIGINT or SIGTERM that stopped the
// trace recorder must still end the command as an interruption (exit 128 + N), not as an internal failure.
template <class Start>
void start_checked(Start start) {
  try {
    start();
  } catch (...) {
    reannounce_main_stack();
    if (const int signal = traces::pending_interrupt()) throw traces::Interrupted(signal);
    throw;
  }
  reannounce_main_stack();
}
}  // namespace

void run_simulation() {
  start_checked([] { sc_core::sc_start(); });
}

void run_simulation(Picoseconds duration_ps) {
  start_checked([duration_ps] { sc_core::sc_start(to_sc_time(duration_ps)); });
}

void init_systemc() {
  if (g_initialised) return;
  g_initialised = true;
  sc_core::sc_report_handler::set_handler(report_to_stderr);
  // "Simulation stopped by user" on every sc_stop() is noise for a batch tool.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
}

}  // namespace hpusim::sim
