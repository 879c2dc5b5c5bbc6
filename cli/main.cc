// mpdrill: packetdrill-style conformance and fuzz testing for Multipath TCP.
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"

namespace mpdrill::cli {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>&, CommandIo);
};

constexpr Command kCommands[] = {
    {"decode", "print every MPTCP option of a pcap/pcapng capture (text or JSON Lines)", RunDecode},
    {"check", "check captures against the reference MPTCP state machine (rule IDs)", RunCheck},
    {"lint", "parse packetdrill scripts and report syntax errors with file:line:col", RunLint},
    {"run", "run packetdrill scripts against the kernel, each in a private namespace", RunRun},
    {"vm", "boot a kernel image (bzImage or Debian package) in qemu and run a command in it", RunVm},
    {"fuzz", "fuzz campaigns in VMs; shrink a live_fuzzer finding into a packetdrill script", RunFuzz},
    {"agent", "serve one wire-run client on the machine under test (docs/agent.md)", RunAgent},
    {"script-from-pcap", "write one side of a captured MPTCP conversation as a script",
     RunScriptFromPcap},
};

void PrintUsage(std::ostream& os) {
  os << "usage: mpdrill <command> [options] [args]\n"
        "\n"
        "mpdrill tests Multipath TCP (RFC 8684) stacks: it decodes and checks captures, parses\n"
        "packetdrill scripts with the MPTCP extensions, and runs them against the kernel.\n"
        "\n"
        "commands:\n";
  for (const Command& c : kCommands) {
    const std::size_t pad = c.name.size() < 10 ? 10 - c.name.size() : 1;
    os << "  " << c.name << std::string(pad, ' ') << c.summary << "\n";
  }
  os << "\n"
        "Run 'mpdrill <command> --help' for a command's options.\n"
        "Exit codes: 0 success, 1 test failure or violations, 2 bad input or usage,\n"
        "3 environment (missing privilege, TUN or namespace support), 4 the kernel logged a\n"
        "warning or bug (`mpdrill agent`: the session failed), 5 the kernel under test died\n"
        "(vm: panic or hang).\n";
}

}  // namespace

bool IsSubcommand(const std::string& name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return true;
  }
  return false;
}

}  // namespace mpdrill::cli

int main(int argc, char** argv) {
  using namespace mpdrill::cli;
  // Invoked as `packetdrill` (a symlink): behave as packetdrill (docs/run.md).
  if (argc > 0 && std::string_view(argv[0]).substr(std::string_view(argv[0]).rfind('/') + 1) ==
                      "packetdrill") {
    return RunPacketdrill(std::vector<std::string>(argv + 1, argv + argc),
                          CommandIo{std::cout, std::cerr});
  }
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kExitBadInput;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (name == "--version") {
    std::cout << "mpdrill 0.1.0\n";
    return kExitOk;
  }
  for (const Command& c : kCommands) {
    if (c.name == name) {
      std::vector<std::string> args(argv + 2, argv + argc);
      return c.run(args, CommandIo{std::cout, std::cerr});
    }
  }
  std::cerr << "mpdrill: unknown command '" << name << "'\n\n";
  PrintUsage(std::cerr);
  return kExitBadInput;
}
