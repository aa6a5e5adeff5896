// SPDX-License-Identifier: Apache-2.0
// Each subcommand group registers its CLI11 options and a callback that does the work through the libraries.
// Callbacks print results to stdout (exactly one JSON object with --json), logs and errors to stderr, and throw
// InputError for bad input; main() maps that to exit status 2 and everything else to 1.
#pragma once
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace hpusim::cli {

void add_models_commands(CLI::App& app);
void add_trace_commands(CLI::App& app);
void add_kernel_commands(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_workload_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_report_command(CLI::App& app);

// `hpusim validate` found a kernel outside its tolerance: exit status 1 after the table is printed.
struct ValidationFailed {};

// The command line as typed, for the runs table.
const std::string& command_line();
void set_command_line(int argc, char** argv);

// This hpusim binary (/proc/self/exe): what sweeps and fits run their points with.
std::string self_executable();

// Prints one JSON document on stdout with a newline; invalid UTF-8 from user data is replaced, never fatal.
void print_json(const nlohmann::json& doc);

}  // namespace hpusim::cli
