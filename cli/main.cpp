// SPDX-License-Identifier: Apache-2.0
// hpusim: a thin command line over the libraries. Exit status: 0 success, 1 internal failure, 2 bad input,
// 128+N when interrupted by signal N (the trace is then valid and marked incomplete).
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/input_error.h"
#include "hpusim/version.h"
#include "kernels/dtype.h"
#include "sim/systemc_env.h"
#include "traces/interrupt.h"

int main(int argc, char** argv) {
  hpusim::cli::set_command_line(argc, argv);
  hpusim::sim::init_systemc();
  hpusim::traces::install_interrupt_handlers();

  CLI::App app{
      "hpusim: a cycle-approximate performance model of AI accelerators (Intel Gaudi, Gaudi2; NVIDIA A100,\n"
      "H100) for decoder-only transformer inference (BLOOM, Llama, Mistral, Falcon, GPT-J, GPT-NeoX, OPT, GPT-2, MPT), "
      "with timing traces in SQLite."};
  app.set_version_flag("--version", std::string("hpusim ") + hpusim::kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  hpusim::cli::add_models_commands(app);
  hpusim::cli::add_trace_commands(app);
  hpusim::cli::add_kernel_commands(app);
  hpusim::cli::add_generate_command(app);
  hpusim::cli::add_workload_command(app);
  hpusim::cli::add_run_command(app);
  hpusim::cli::add_calibrate_command(app);
  hpusim::cli::add_sweep_command(app);
  hpusim::cli::add_report_command(app);

  try {
    app.parse(argc, argv);
    // A signal that arrived while a command ran without recording: stop with 128 + N all the same.
    hpusim::traces::throw_if_interrupted();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "hpusim: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const hpusim::cli::ValidationFailed&) {
    return 1;
  } catch (const hpusim::kernels::KernelError& e) {  // a shape, a name, a parameter or a .npy file of the user's
    std::cerr << "hpusim: " << e.what() << "\n";
    return 2;
  } catch (const hpusim::InputError& e) {
    std::cerr << "hpusim: " << e.what() << "\n";
    return 2;
  } catch (const hpusim::traces::Interrupted& e) {
    std::cerr << "hpusim: " << e.what() << "; the trace is kept and marked incomplete\n";
    // An interrupted simulation leaves SystemC threads suspended mid-task, their stack frames never unwound (what
    // LeakSanitizer would report at exit). The trace is closed by now; end here without exit-time teardown.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(e.exit_status());
  } catch (const std::filesystem::filesystem_error& e) {  // a path the user gave that cannot be used
    std::cerr << "hpusim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hpusim: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
