// mpdrill agent: the server a wire run talks to on the machine under test (docs/agent.md).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sched.h>

#include "cli/commands.h"
#include "engine/agent/auth.h"
#include "engine/agent/server.h"

namespace mpdrill::cli {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] =
    "usage: mpdrill agent --listen ADDR:PORT --token FILE [--wait SECS]\n"
    "                     [--handshake-timeout SECS]\n"
    "\n"
    "Serves one `mpdrill run --target=wire:` client that proves it holds the token in FILE\n"
    "(mode 600, 16 to 4096 bytes): runs its syscalls and shell commands here, then exits\n"
    "with it. Everything it starts runs in a private PID namespace and dies with the agent.\n"
    "Exit codes: 0 the client shut the session down, 2 usage or a bad token file,\n"
    "3 environment (cannot listen, no PID namespace), 4 the session failed (client lost,\n"
    "protocol error, no client before --wait).\n\n";

int ExitOf(agent::AgentEnd end) {
  switch (end) {
    case agent::AgentEnd::kShutdown: return kExitOk;
    case agent::AgentEnd::kClientLost:
    case agent::AgentEnd::kProtocolError:
    case agent::AgentEnd::kNoClient:
    case agent::AgentEnd::kFailed:
      return kExitAgent;
  }
  return kExitAgent;
}

// Waits for the serving child (PID 1 of the agent's PID namespace); SIGINT/SIGTERM kill it.
int Supervise(pid_t child, const sigset_t& signals, CommandIo io) {
  while (true) {
    timespec tick{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      io.err << "mpdrill agent: interrupted (signal " << sig << "): session ended\n";
      return kExitAgent;
    }
    int status = 0;
    const pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      io.err << "mpdrill agent: the serving process died (signal " << WTERMSIG(status) << ")\n";
      return kExitAgent;
    }
    if (r < 0) return kExitAgent;
  }
}

}  // namespace

int RunAgent(const std::vector<std::string>& args, CommandIo io) {
  po::options_description visible;
  visible.add_options()
      ("help,h", "show this help")
      ("listen", po::value<std::string>(), "ADDR:PORT or [IPV6]:PORT to listen on (port 0: any)")
      ("token", po::value<std::string>(), "file holding the shared token")
      ("wait", po::value<unsigned>()->default_value(600),
       "seconds to wait for an authenticated client before giving up")
      ("handshake-timeout", po::value<unsigned>()->default_value(5),
       "seconds a connecting client has to authenticate");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(visible).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill agent: " << e.what() << "\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << visible;
    return kExitOk;
  }
  if (!vm.count("listen") || !vm.count("token")) {
    io.err << "mpdrill agent: --listen and --token are required\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  auto token = agent::LoadToken(vm["token"].as<std::string>());
  if (!token) {
    io.err << "mpdrill agent: " << token.error() << "\n";
    return kExitBadInput;
  }
  auto endpoint = agent::ParseEndpoint(vm["listen"].as<std::string>());
  if (!endpoint) {
    io.err << "mpdrill agent: --listen " << endpoint.error() << "\n";
    return kExitBadInput;
  }
  std::string bound;
  auto listen_fd = agent::Listen(*endpoint, &bound);
  if (!listen_fd) {
    io.err << "mpdrill agent: " << listen_fd.error() << "\n";
    return kExitEnvironment;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  if (unshare(CLONE_NEWPID) != 0) {
    io.err << "mpdrill agent: cannot create a PID namespace for what the client runs: "
           << std::strerror(errno) << " (run as root)\n";
    close(*listen_fd);
    return kExitEnvironment;
  }
  io.out << "mpdrill agent: listening on " << bound << std::endl;
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    io.err << "mpdrill agent: fork: " << std::strerror(errno) << "\n";
    return kExitEnvironment;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent && getppid() != 0) _exit(kExitAgent);
    sigprocmask(SIG_UNBLOCK, &signals, nullptr);
    agent::AgentOptions options;
    options.token = std::move(*token);
    options.wait_for_client = std::chrono::seconds(vm["wait"].as<unsigned>());
    options.handshake_timeout = std::chrono::seconds(vm["handshake-timeout"].as<unsigned>());
    options.random = agent::OpenSslRandom();
    options.log = [&io](const std::string& line) { io.err << "mpdrill agent: " << line << std::endl; };
    const agent::AgentResult r = agent::ServeAgent(*listen_fd, options);
    io.err << "mpdrill agent: exiting: " << agent::AgentEndName(r.end) << ": " << r.message
           << std::endl;
    std::cout.flush();
    _exit(ExitOf(r.end));
  }
  close(*listen_fd);
  const int code = Supervise(child, signals, io);
  // This process unshared CLONE_NEWPID: LeakSanitizer cannot stop its threads from here (its
  // helper would be born in the new namespace), so leave without the exit-time checks, as the
  // runner's supervisor (engine/run/supervisor.cc) does.
  io.out.flush();
  io.err.flush();
  _exit(code);
}

}  // namespace mpdrill::cli
