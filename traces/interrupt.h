// SPDX-License-Identifier: Apache-2.0
// SIGINT/SIGTERM during a recording: the handler only notes the signal; the recorder sees it at its next flush,
// throws Interrupted, and the run is closed as a valid database marked incomplete. (Nothing but a flag is safe to do
// inside a signal handler.) A SIGKILL cannot be caught: then the last committed batch survives and the run row still
// says 'incomplete', which is what it says from the moment recording starts.
#pragma once
#include <stdexcept>
#include <string>

namespace hpusim::traces {

class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal_number);
  int signal_number() const { return signal_; }
  // 128 + signal, as shells report it.
  int exit_status() const { return 128 + signal_; }

 private:
  int signal_;
};

// Installs the SIGINT and SIGTERM handlers (idempotent).
void install_interrupt_handlers();
// The signal noted since installation, or 0.
int pending_interrupt();
// Throws Interrupted if a signal is pending.
void throw_if_interrupted();
// For tests: forget a noted signal.
void clear_interrupt();

}  // namespace hpusim::traces
