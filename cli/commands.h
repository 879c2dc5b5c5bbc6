// Subcommands of the `mpdrill` binary. Each lives in its own cmd_*.cc and returns the process
// exit code: 0 success, 1 test failure / violations found, 2 bad input or usage, 3 environment,
// 4 the kernel reported a warning/bug (its log), 5 the kernel under test died (panic, hang).
#ifndef MPDRILL_CLI_COMMANDS_H_
#define MPDRILL_CLI_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace mpdrill::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitEnvironment = 3;
inline constexpr int kExitKernelHealth = 4;
inline constexpr int kExitKernelCrash = 5;
// `mpdrill agent` only: the session failed (client lost, protocol error, no client).
inline constexpr int kExitAgent = 4;

struct CommandIo {
  std::ostream& out;
  std::ostream& err;
};

// `args` excludes the program and subcommand names.
int RunDecode(const std::vector<std::string>& args, CommandIo io);
int RunLint(const std::vector<std::string>& args, CommandIo io);
int RunCheck(const std::vector<std::string>& args, CommandIo io);
int RunRun(const std::vector<std::string>& args, CommandIo io);
int RunVm(const std::vector<std::string>& args, CommandIo io);
// `mpdrill fuzz campaign ...` (args after "campaign").
int RunFuzzCampaign(const std::vector<std::string>& args, CommandIo io);
int RunFuzz(const std::vector<std::string>& args, CommandIo io);
int RunAgent(const std::vector<std::string>& args, CommandIo io);
int RunScriptFromPcap(const std::vector<std::string>& args, CommandIo io);
// The whole command line (argv[1..]) when the binary is invoked as `packetdrill`.
int RunPacketdrill(const std::vector<std::string>& args, CommandIo io);

// Whether `name` is one of the binary's subcommands (main.cc's table).
bool IsSubcommand(const std::string& name);

}  // namespace mpdrill::cli

#endif  // MPDRILL_CLI_COMMANDS_H_
