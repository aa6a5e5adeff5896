// SPDX-License-Identifier: Apache-2.0
// hpusim report INPUT... -o report.html [--title T] [--metric M]
// A self-contained HTML page from trace databases and sweep results (report/html_report.h).
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "report/html_report.h"
#include "traces/output_path.h"

namespace hpusim::cli {

void add_report_command(CLI::App& app) {
  auto o = std::make_shared<report::ReportOptions>();
  auto out = std::make_shared<std::string>("hpusim-report.html");
  auto* cmd = app.add_subcommand("report", "Write a self-contained HTML page: where each run's time goes, runs "
                                           "side by side, a timeline of one step per run, sweep plots");
  cmd->add_option("inputs", o->inputs, "Trace databases (.sqlite), sweep folders or sweep.sqlite files")->required();
  cmd->add_option("-o,--out", *out, "HTML file to write (default hpusim-report.html)");
  cmd->add_option("--title", o->title, "Page title (default \"hpusim report\")");
  cmd->add_option("--metric", o->metric, "What sweep plots show (default decode_ms_per_token; any `run --json` number)");
  cmd->callback([o, out] {
    // The files actually read (a sweep folder is read through its sweep.sqlite): the output must be none of them.
    std::vector<std::string> read = o->inputs;
    for (const auto& in : o->inputs)
      if (std::filesystem::is_directory(in)) read.push_back((std::filesystem::path(in) / "sweep.sqlite").string());
    traces::check_output_path(*out, read);
    const std::string html = report::render_report(*o);  // reads everything before writing anything
    const std::string tmp = *out + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary);
      if (!f) throw InputError(*out, "", "cannot write the report");
      f << html;
    }
    std::filesystem::rename(tmp, *out);
    std::cout << fmt::format("wrote {} ({} KB)\n", *out, html.size() / 1024);
  });
}

}  // namespace hpusim::cli
