// SPDX-License-Identifier: Apache-2.0
#include "sim/systemc_env.h"

#include <iostream>

namespace hpusim::sim {
namespace {

// SystemC's default handler prints to std::cout; keep its actions (stop, throw, abort) but print to stderr.
void report_to_stderr(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (actions & sc_core::SC_DISPLAY) std::cerr << sc_core::sc_report_compose_message(report) << std::endl;
  sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY);
}

bool g_initialised = false;

}  // namespace

void init_systemc() {
  if (g_initialised) return;
  g_initialised = true;
  sc_core::sc_report_handler::set_handler(report_to_stderr);
  // "Simulation stopped by user" on every sc_stop() is noise for a batch tool.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
}

}  // namespace hpusim::sim
