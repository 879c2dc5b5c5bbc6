// `mpdrill fuzz minimize FINDING` (docs/fuzzing.md, "Findings as scripts"): shrinks a
// live_fuzzer input step by step while the kernel still breaks the same rule, writes the
// smaller input and a packetdrill script of it (fuzz/live_script.h), and checks the script's
// verdict under `mpdrill run`. `mpdrill fuzz script INPUT` only writes the script.
//
// The inputs run in live_fuzzer (the replay build next to this binary, or --fuzzer), one
// process each: it makes its own network namespace, so this process never changes its own.
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "engine/run/netdev.h"
#include "fuzz/live_input.h"
#include "fuzz/live_script.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: mpdrill fuzz minimize FINDING [--out SCRIPT] [--input-out FILE] [--fuzzer BIN]\n"
    "       mpdrill fuzz script INPUT [--out SCRIPT] [--trace FILE]\n"
    "       mpdrill fuzz campaign --kernel IMAGE [options]   (mpdrill fuzz campaign --help)\n"
    "\n"
    "minimize: runs the live_fuzzer input FINDING against the kernel (in live_fuzzer's own\n"
    "network namespace; needs root and TUN), notes the first rule the kernel breaks, drops\n"
    "every step the finding does not need (each candidate run once, kept when the kernel\n"
    "breaks the same rule), writes the smaller input (default FINDING.min) and a packetdrill\n"
    "script of it (default FINDING.pkt) with the kernel version and the rule in its header,\n"
    "then runs the script with `mpdrill run` and checks it fails with the same rule.\n"
    "The script asserts the kernel's packets as a traced run of the smaller input saw them\n"
    "(flags, sequence and ack numbers; options of the SYN/ACK), so joins after traffic match.\n"
    "script: writes the script of INPUT as it is (no kernel needed); with --trace FILE (what\n"
    "MPDRILL_LIVE_FUZZ_TRACE=FILE live_fuzzer INPUT wrote) the kernel's packets too, else\n"
    "only its handshake answers.\n"
    "\n"
    "Exit codes: 0 the script reproduces the rule (script: written); 1 the finding does not\n"
    "reproduce, or its script does not; 2 bad usage, an unreadable file, or an input the\n"
    "script writer cannot express yet; 3 live_fuzzer missing or skipped (no root / TUN).\n"
    "\n"
    "Options:\n";

constexpr auto kRunTimeout = std::chrono::seconds(60);
const std::vector<std::string> kEnv = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};

bool ReadText(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool WriteText(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

std::string KernelName() {
  utsname u{};
  if (uname(&u) != 0) return "an unknown kernel";
  return std::string(u.sysname) + " " + u.release;
}

// What one live_fuzzer run of an input showed: the first rule the kernel broke (its line
// without the "live_fuzzer: " prefix), or none; or that the harness could not run here.
struct Outcome {
  std::string rule;  // "D10"
  std::string line;  // "model: D10 (RFC 8684 §3.3.2) packet 17 conn 1 ..."
  std::string skipped;
};

Outcome Parse(const std::string& output) {
  Outcome o;
  std::istringstream lines(output);
  for (std::string l; std::getline(lines, l);) {
    constexpr std::string_view kModel = "live_fuzzer: model: ";
    constexpr std::string_view kSkipped = "live_fuzzer: skipped: ";
    if (l.starts_with(kSkipped)) o.skipped = l.substr(kSkipped.size());
    if (o.rule.empty() && l.starts_with(kModel) && !l.starts_with("live_fuzzer: model: deliberate")) {
      o.line = l.substr(std::string_view("live_fuzzer: ").size());
      const std::string rest = l.substr(kModel.size());
      o.rule = rest.substr(0, rest.find(' '));
    }
  }
  return o;
}

class Minimizer {
 public:
  Minimizer(std::string fuzzer, fs::path scratch, CommandIo io)
      : fuzzer_(std::move(fuzzer)), scratch_(std::move(scratch)), io_(io) {}

  // One run; with `trace`, live_fuzzer writes the run's packets there.
  Outcome Run(const fuzz::LiveInput& input, const std::string& trace = "") {
    const auto bytes = fuzz::EncodeLiveInput(input);
    if (!WriteText(scratch_, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                              bytes.size()))) {
      return Outcome{.skipped = "cannot write " + scratch_.string()};
    }
    ++runs_;
    std::vector<std::string> env = kEnv;
    if (!trace.empty()) env.push_back("MPDRILL_LIVE_FUZZ_TRACE=" + trace);
    return Parse(run::Exec({fuzzer_, scratch_.string()}, env, ".", kRunTimeout).output);
  }

  // Drops steps one at a time from the last while the kernel breaks `rule`; repeats until a
  // pass drops nothing.
  fuzz::LiveInput Shrink(fuzz::LiveInput input, const std::string& rule) {
    for (bool progress = true; progress;) {
      progress = false;
      for (std::size_t i = input.steps.size(); i-- > 0;) {
        fuzz::LiveInput candidate = input;
        candidate.steps.erase(candidate.steps.begin() + static_cast<std::ptrdiff_t>(i));
        if (Run(candidate).rule == rule) {
          io_.err << "mpdrill fuzz: dropped step " << i + 1 << " ("
                  << fuzz::DescribeStep(input.steps[i]) << ")\n";
          input = std::move(candidate);
          progress = true;
        }
      }
    }
    return input;
  }

  int runs() const { return runs_; }

 private:
  std::string fuzzer_;
  fs::path scratch_;
  CommandIo io_;
  int runs_ = 0;
};

std::string DefaultFuzzer() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "fuzz" / "live_fuzzer").string();
}

int Script(const fs::path& input_path, const fs::path& out, const fuzz::LiveScriptHeader& header,
           const fuzz::LiveInput& input, const std::vector<fuzz::LiveTraceEvent>* trace,
           CommandIo io) {
  auto text = fuzz::WriteLiveScript(input, header, trace);
  if (!text && trace != nullptr) {
    io.err << "mpdrill fuzz: " << text.error() << "; writing the script without the trace\n";
    text = fuzz::WriteLiveScript(input, header);
  }
  if (!text) {
    io.err << "mpdrill fuzz: " << input_path.string() << ": " << text.error() << "\n";
    return kExitBadInput;
  }
  if (!WriteText(out, *text)) {
    io.err << "mpdrill fuzz: cannot write " << out.string() << "\n";
    return kExitBadInput;
  }
  io.out << "mpdrill fuzz: script " << out.string() << "\n";
  return kExitOk;
}

int Minimize(const fs::path& finding, const fuzz::LiveInput& original, const po::variables_map& vm,
             CommandIo io) {
  const std::string fuzzer =
      vm.count("fuzzer") ? vm["fuzzer"].as<std::string>() : DefaultFuzzer();
  if (access(fuzzer.c_str(), X_OK) != 0) {
    io.err << "mpdrill fuzz: no live_fuzzer at " << fuzzer << " (--fuzzer BIN)\n";
    return kExitEnvironment;
  }
  const fs::path scratch = fs::temp_directory_path() /
                           ("mpdrill-minimize-" + std::to_string(getpid()));
  Minimizer m(fuzzer, scratch, io);
  const Outcome first = m.Run(original);
  if (!first.skipped.empty()) {
    fs::remove(scratch);
    io.err << "mpdrill fuzz: live_fuzzer skipped: " << first.skipped << "\n";
    return kExitEnvironment;
  }
  if (first.rule.empty()) {
    fs::remove(scratch);
    io.err << "mpdrill fuzz: " << finding.string() << ": the kernel broke no rule this time\n";
    return kExitFailure;
  }
  io.err << "mpdrill fuzz: " << first.line << "\n";
  const fuzz::LiveInput small = m.Shrink(original, first.rule);
  // One more run of the smaller input, traced, for the kernel's packets in the script (a
  // run that misses the rule is retried: the kernel's state differs a little between runs).
  const fs::path trace_path = scratch.string() + ".trace";
  std::optional<std::vector<fuzz::LiveTraceEvent>> trace;
  for (int i = 0; i < 3 && !trace; ++i) {
    if (m.Run(small, trace_path.string()).rule != first.rule) continue;
    std::string text;
    if (!ReadText(trace_path, &text)) continue;
    if (auto t = fuzz::ParseTrace(text)) trace = std::move(*t);
  }
  fs::remove(trace_path);
  fs::remove(scratch);
  io.out << "mpdrill fuzz: " << first.rule << " with " << small.steps.size() << " of "
         << original.steps.size() << " steps (" << m.runs() << " runs)\n";

  const fs::path input_out = vm.count("input-out") ? fs::path(vm["input-out"].as<std::string>())
                                                   : fs::path(finding.string() + ".min");
  const auto bytes = fuzz::EncodeLiveInput(small);
  if (!WriteText(input_out, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                             bytes.size()))) {
    io.err << "mpdrill fuzz: cannot write " << input_out.string() << "\n";
    return kExitBadInput;
  }
  io.out << "mpdrill fuzz: input " << input_out.string() << "\n";
  const fs::path out = vm.count("out") ? fs::path(vm["out"].as<std::string>())
                                       : fs::path(finding.string() + ".pkt");
  const fuzz::LiveScriptHeader header{KernelName(), first.line, finding.string(),
                                      original.steps.size()};
  if (int rc = Script(finding, out, header, small, trace ? &*trace : nullptr, io); rc != kExitOk) {
    return rc;
  }

  // The verdict of the script under `mpdrill run`: it must fail with the same rule.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string family(run::IpVersionName(small.header.family));
  const auto r = run::Exec({self.string(), "run", "--ip_version=" + family, out.string()}, kEnv,
                           ".", kRunTimeout);
  const bool same = r.exit_code == kExitFailure &&
                    r.output.find("model: " + first.rule + " (") != std::string::npos;
  io.out << r.output;
  io.out << "mpdrill fuzz: mpdrill run --ip_version=" << family << " " << out.string() << ": exit " << r.exit_code << ", "
         << (same ? "fails with " + first.rule + " as the finding did"
                  : "does NOT reproduce " + first.rule)
         << "\n";
  return same ? kExitOk : kExitFailure;
}

}  // namespace

int RunFuzz(const std::vector<std::string>& args, CommandIo io) {
  if (!args.empty() && args[0] == "campaign") {
    return RunFuzzCampaign(std::vector<std::string>(args.begin() + 1, args.end()), io);
  }
  po::options_description visible;
  visible.add_options()
      ("help,h", "show this help")
      ("out,o", po::value<std::string>(), "the script to write (default INPUT.pkt)")
      ("input-out", po::value<std::string>(), "minimize: the smaller input (default FINDING.min)")
      ("fuzzer", po::value<std::string>(), "minimize: live_fuzzer binary (default: the build's)")
      ("trace", po::value<std::string>(),
       "script: the input's run as MPDRILL_LIVE_FUZZ_TRACE=FILE live_fuzzer INPUT wrote it");
  po::options_description hidden;
  hidden.add_options()("words", po::value<std::vector<std::string>>(), "command and input");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill fuzz: " << e.what() << "\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << visible;
    return kExitOk;
  }
  const auto words =
      vm.count("words") ? vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (words.size() != 2 || (words[0] != "minimize" && words[0] != "script")) {
    io.err << "mpdrill fuzz: expected 'minimize FINDING' or 'script INPUT'\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  const fs::path input_path = words[1];
  std::string bytes;
  if (!ReadText(input_path, &bytes)) {
    io.err << "mpdrill fuzz: cannot read " << input_path.string() << "\n";
    return kExitBadInput;
  }
  const fuzz::LiveInput input = fuzz::DecodeLiveInput(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (words[0] == "minimize") return Minimize(input_path, input, vm, io);
  const fs::path out = vm.count("out") ? fs::path(vm["out"].as<std::string>())
                                       : fs::path(input_path.string() + ".pkt");
  std::optional<std::vector<fuzz::LiveTraceEvent>> trace;
  if (vm.count("trace")) {
    std::string text;
    if (!ReadText(vm["trace"].as<std::string>(), &text)) {
      io.err << "mpdrill fuzz: cannot read " << vm["trace"].as<std::string>() << "\n";
      return kExitBadInput;
    }
    auto t = fuzz::ParseTrace(text);
    if (!t) {
      io.err << "mpdrill fuzz: " << vm["trace"].as<std::string>() << ": " << t.error() << "\n";
      return kExitBadInput;
    }
    trace = std::move(*t);
  }
  return Script(input_path, out,
                fuzz::LiveScriptHeader{KernelName(), "(not run: `mpdrill fuzz script`)",
                                       input_path.string(), input.steps.size()},
                input, trace ? &*trace : nullptr, io);
}

}  // namespace mpdrill::cli
