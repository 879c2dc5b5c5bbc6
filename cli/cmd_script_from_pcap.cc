// `mpdrill script-from-pcap CAPTURE --side client|server`: one side of a captured MPTCP
// conversation as a packetdrill script mpdrill replays against that side's implementation
// (engine/capture/script_from_pcap.h, docs/script-from-pcap.md).
#include <boost/program_options.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "engine/capture/script_from_pcap.h"

namespace mpdrill::cli {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: mpdrill script-from-pcap [options] CAPTURE --side client|server\n"
    "\n"
    "Writes one side of the first MPTCP connection of a pcap/pcapng capture as a packetdrill\n"
    "script on standard output: that side's packets become outbound (>) lines, the other\n"
    "side's inbound (<) lines that mpdrill sends, MPTCP keys symbolic (ckey, skey), DSNs and\n"
    "DATA_ACKs relative, syscalls inferred (socket/bind/listen/accept or connect, reads and\n"
    "writes from payload sizes, close before the DATA_FIN). So far: MP_CAPABLE, joins\n"
    "(subflows named caddrN/saddrN), ADD_ADDR, REMOVE_ADDR, MP_PRIO and DSS without\n"
    "checksums; anything else is refused (docs/script-from-pcap.md).\n"
    "\n"
    "Exit codes: 0 script written; 2 unreadable capture, unsupported conversation or usage.\n"
    "\n"
    "Options:\n";

}  // namespace

int RunScriptFromPcap(const std::vector<std::string>& args, CommandIo io) {
  po::options_description desc;
  std::string side;
  std::vector<std::string> init;
  std::uint32_t tolerance = 100000;
  desc.add_options()("help,h", "print this help and exit")(
      "side", po::value<std::string>(&side)->value_name("client|server"),
      "the side the script tests (the other is played by mpdrill)")(
      "init", po::value<std::vector<std::string>>(&init)->value_name("COMMAND"),
      "a shell command the script runs first (a backquoted line), e.g. the sysctls of the "
      "captured host; repeatable")(
      "tolerance-usecs", po::value<std::uint32_t>(&tolerance)->value_name("N"),
      "the script's --tolerance_usecs (default: 100000)");
  po::options_description hidden;
  std::vector<std::string> files;
  hidden.add_options()("file", po::value<std::vector<std::string>>(&files));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  auto usage_error = [&io](const std::string& message) {
    io.err << "mpdrill script-from-pcap: " << message
           << "\nTry 'mpdrill script-from-pcap --help'.\n";
    return kExitBadInput;
  };
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  if (vm.count("help")) {
    io.out << kUsage << desc;
    return kExitOk;
  }
  if (files.size() != 1) return usage_error("exactly one CAPTURE");
  capture::ScriptFromPcapOptions options;
  if (side == "server") {
    options.side = capture::ScriptSide::kServer;
  } else if (side == "client") {
    options.side = capture::ScriptSide::kClient;
  } else {
    return usage_error("--side must be 'client' or 'server'");
  }
  options.init_commands = init;
  options.tolerance_usecs = tolerance;
  auto script = capture::ScriptFromPcap(files[0], options);
  if (!script) {
    io.err << "mpdrill script-from-pcap: " << script.error().message << "\n";
    return kExitBadInput;
  }
  io.out << *script;
  return kExitOk;
}

}  // namespace mpdrill::cli
