// SPDX-License-Identifier: Apache-2.0
#include "traces/interrupt.h"

#include <csignal>
#include <cstring>

namespace hpusim::traces {
namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void note_signal(int signal_number) { g_signal = signal_number; }
}  // namespace

Interrupted::Interrupted(int signal_number)
    : std::runtime_error(std::string("interrupted by ") + (signal_number == SIGINT    ? "SIGINT"
                                                           : signal_number == SIGTERM ? "SIGTERM"
                                                                                      : "a signal")),
      signal_(signal_number) {}

void install_interrupt_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int pending_interrupt() { return g_signal; }

void throw_if_interrupted() {
  if (const int s = g_signal) throw Interrupted(s);
}

void clear_interrupt() { g_signal = 0; }

}  // namespace hpusim::traces
