// `mpdrill agent`'s server side: one listening socket, one authenticated client at a time and
// then no other, the client's requests executed on this machine (docs/agent.md).
//
// ServeAgent waits (at most wait_for_client) for a client that passes the handshake; clients
// that fail it (wrong token, wrong version, garbage, silence) get an error frame and are
// closed, and nothing of theirs runs. The first client that passes gets a session until it
// sends kShutdown, vanishes or breaks the protocol; then ServeAgent returns (the agent exits
// with its client). Connections arriving during the session are refused with kBusy.
//
// Syscalls run in a worker thread (one in flight, as packetdrill), shell commands in another,
// so that a blocking call can be unblocked by kCloseAll and a command can run meanwhile. The
// caller (cli/cmd_agent.cc) runs ServeAgent as PID 1 of a fresh PID namespace, so everything a
// command started dies when it returns.
#ifndef MPDRILL_ENGINE_AGENT_SERVER_H_
#define MPDRILL_ENGINE_AGENT_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/agent/auth.h"
#include "engine/agent/channel.h"

namespace mpdrill::agent {

struct AgentOptions {
  std::vector<std::uint8_t> token;
  std::chrono::milliseconds wait_for_client{std::chrono::minutes(10)};
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(5)};
  RandomSource random;                          // nonces
  std::function<void(const std::string&)> log;  // one line per event (connections, refusals)
};

enum class AgentEnd : std::uint8_t {
  kShutdown,       // the client asked (exit 0)
  kClientLost,     // the client vanished without kShutdown
  kProtocolError,  // the authenticated client sent something invalid
  kNoClient,       // no client authenticated before wait_for_client
  kFailed,         // the agent itself failed (poll/accept error)
};
std::string_view AgentEndName(AgentEnd end);

struct AgentResult {
  AgentEnd end = AgentEnd::kFailed;
  std::string message;
};

// A listening TCP socket on `endpoint` (SO_REUSEADDR, CLOEXEC). The bound address comes back
// in `*bound` (port 0 picks one).
Result<int, std::string> Listen(const Endpoint& endpoint, std::string* bound);

// Serves on `listen_fd` (which it does not close) as described above.
AgentResult ServeAgent(int listen_fd, const AgentOptions& options);

// The agent's side of the handshake on a fresh connection: Ok once the client proved the
// token; else the error frame was sent and the message says why.
Status<std::string> AcceptHandshake(Channel& channel, const AgentOptions& options);

// The interfaces of the calling thread's network namespace (getifaddrs).
std::vector<InterfaceInfo> ListInterfaces();

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_SERVER_H_
