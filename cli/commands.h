// SPDX-License-Identifier: Apache-2.0
// Each subcommand group registers its CLI11 options and a callback that does the work through the libraries.
// Callbacks print results to stdout (exactly one JSON object with --json), logs and errors to stderr, and throw
// InputError for bad input; main() maps that to exit status 2 and everything else to 1.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace hpusim::cli {

void add_models_commands(CLI::App& app);
void add_trace_commands(CLI::App& app);

// The command line as typed, for the runs table.
const std::string& command_line();
void set_command_line(int argc, char** argv);

// Prints a JSON document on stdout with a newline.
void print_json(const std::string& dumped);

}  // namespace hpusim::cli
