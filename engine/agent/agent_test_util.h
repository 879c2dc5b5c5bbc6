// Starting the real `mpdrill agent` binary inside a test's namespace. Header-only, tests only.
#ifndef MPDRILL_ENGINE_AGENT_AGENT_TEST_UTIL_H_
#define MPDRILL_ENGINE_AGENT_AGENT_TEST_UTIL_H_

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/agent/client.h"
#include "parser/parser.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"

namespace mpdrill::agent::test_util {

struct StartedAgent {
  sandbox::ChildProcess process;
  std::string endpoint;  // what it printed after "listening on"
};

// Runs `mpdrill agent --listen LISTEN --token TOKEN --wait WAIT --handshake-timeout H` in `ns`, its stderr into
// `log_path`, and waits (5 s) for the line saying where it listens.
inline Result<StartedAgent, std::string> StartAgentProcess(const sandbox::NetNamespace& ns,
                                                           const std::string& listen,
                                                           const std::string& token_path,
                                                           const std::string& log_path,
                                                           int wait_secs,
                                                           int handshake_secs = 5) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Unexpected{std::string("pipe")};
  std::vector<std::string> argv = {MPDRILL_BINARY_DIR "/cli/mpdrill", "agent", "--listen", listen,
                                   "--token", token_path, "--wait", std::to_string(wait_secs),
                                   "--handshake-timeout", std::to_string(handshake_secs)};
  auto child = sandbox::test_util::SpawnProgramInNamespace(ns, argv, out[1], log_path);
  close(out[1]);
  if (!child.ok()) {
    close(out[0]);
    return Unexpected{child.error().message};
  }
  std::string line;
  char c;
  while (line.size() < 200 &&
         sandbox::test_util::ReadWithTimeout(out[0], &c, 1, std::chrono::seconds(5)) && c != '\n') {
    line += c;
  }
  close(out[0]);
  const std::string prefix = "mpdrill agent: listening on ";
  if (line.rfind(prefix, 0) != 0) return Unexpected{"agent did not start: \"" + line + "\""};
  return StartedAgent{std::move(*child), line.substr(prefix.size())};
}

// One syscall event of script text ("bind(3, ..., ...) = 0"), as the runner would pass it.
inline parser::Syscall ParseCall(const std::string& text) {
  auto script = parser::Parse("0 " + text + "\n");
  if (!script.ok() || script->events.size() != 1) return {};
  return std::get<parser::Syscall>(script->events[0].action);
}

// Runs each call on the agent; the first that errs or mismatches, as text ("" if all matched).
inline std::string RunCalls(AgentClient& client, const std::vector<std::string>& texts) {
  for (const std::string& text : texts) {
    auto r = client.Run(ParseCall(text), {});
    if (!r.ok()) return text + ": " + r.error().error.message;
    if (r->mismatch) return text + ": " + *r->mismatch;
  }
  return "";
}

}  // namespace mpdrill::agent::test_util

#endif  // MPDRILL_ENGINE_AGENT_AGENT_TEST_UTIL_H_
