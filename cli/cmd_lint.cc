// `mpdrill lint FILE|DIR... [--print]`: parse packetdrill scripts (google/packetdrill syntax with
// the multipath-tcp/packetdrill MPTCP extensions, docs/syntax.md) and report every syntax error
// as `file:line:col: error: message` with the source line and a caret.
#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/files.h"
#include "cli/commands.h"
#include "parser/parser.h"
#include "parser/printer.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: mpdrill lint [--print] [--quiet] FILE|DIR...\n"
    "\n"
    "Parses packetdrill scripts: google/packetdrill's language plus the MPTCP option syntax of\n"
    "multipath-tcp/packetdrill and mpdrill's canonical option forms (docs/syntax.md). A DIR is\n"
    "searched recursively for *.pkt files. Every error is reported as\n"
    "  file:line:col: error: message\n"
    "followed by the source line and a caret; parsing resumes at the next event, so one run\n"
    "lists the errors of a whole file.\n"
    "\n"
    "Exit codes: 0 every script parsed; 2 syntax errors, a missing file, or bad usage.\n"
    "\n"
    "Options:\n";

}  // namespace

int RunLint(const std::vector<std::string>& args, CommandIo io) {
  po::options_description visible;
  visible.add_options()
      ("help,h", "show this help")
      ("print,p", "print each script in canonical form after parsing it")
      ("quiet,q", "do not print the per-file summary line");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::vector<std::string>>(), "scripts or directories");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill lint: " << e.what() << "\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << visible;
    return kExitOk;
  }
  if (!vm.count("input")) {
    io.err << "mpdrill lint: no script given\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  const bool print = vm.count("print") > 0;
  const bool quiet = vm.count("quiet") > 0;

  std::vector<std::string> absent;
  const std::vector<fs::path> files =
      FindFiles(vm["input"].as<std::vector<std::string>>(), ".pkt", &absent);
  bool missing = !absent.empty();
  for (const std::string& arg : absent) io.err << arg << ": error: no such file or directory\n";

  std::size_t bad_files = 0, errors = 0;
  for (const fs::path& path : files) {
    auto read = ReadFile(path);
    if (!read) {
      io.err << path.string() << ": error: cannot read file\n";
      missing = true;
      continue;
    }
    const std::string& text = *read;
    auto parsed = parser::Parse(text, path.string());
    if (!parsed.ok()) {
      ++bad_files;
      errors += parsed.error().size();
      io.err << parser::FormatDiagnostics(parsed.error());
      continue;
    }
    if (print) io.out << parser::PrintScript(*parsed);
  }
  if (!quiet) {
    io.err << "mpdrill lint: " << files.size() << " script(s), " << bad_files
           << " with errors (" << errors << " error(s))\n";
  }
  return (bad_files > 0 || missing) ? kExitBadInput : kExitOk;
}

}  // namespace mpdrill::cli
