// The client side of the agent protocol (docs/agent.md): what `mpdrill run --target=wire:`
// uses to run a script's syscalls and shell commands on the machine under test. It is the
// agent implementation of syscalls::SyscallBackend.
//
// Thread use: any thread may call; requests are multiplexed by id, so CloseAll from the
// runner's thread reaches the agent while a blocking Run waits on the syscall thread. A reader
// thread takes the agent's replies; when the connection drops, every waiting call returns
// kLost at once. The reader thread is created in the calling thread's network namespace and
// does not survive fork(2): use the client in the process that connected it (the agent serves
// one session, so connect where the runs happen and SetContext per run).
#ifndef MPDRILL_ENGINE_AGENT_CLIENT_H_
#define MPDRILL_ENGINE_AGENT_CLIENT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/agent/auth.h"
#include "engine/agent/channel.h"
#include "engine/agent/protocol.h"
#include "engine/syscalls/backend.h"

namespace mpdrill::agent {

enum class ClientErrorKind : std::uint8_t {
  kConnect,   // no TCP connection to the agent
  kRefused,   // the agent refused the handshake (error code and its message)
  kAuth,      // the agent did not prove the token: not our agent
  kProtocol,  // the agent sent something that is not the protocol
  kLost,      // the connection dropped
  kTimeout,   // no reply in time
  kRemote,    // the agent answered the request with an error (code)
};
struct ClientError {
  ClientErrorKind kind = ClientErrorKind::kProtocol;
  ErrorCode code = ErrorCode::kInternal;  // kRefused / kRemote
  std::string message;
};

class AgentClient final : public syscalls::SyscallBackend {
 public:
  // Connects to "ADDR:PORT" and runs the handshake within `timeout`.
  static Result<std::unique_ptr<AgentClient>, ClientError> Connect(
      const std::string& endpoint, std::span<const std::uint8_t> token,
      std::chrono::milliseconds timeout, RandomSource random = OpenSslRandom());
  ~AgentClient() override;  // closes the connection (the agent then exits) and joins

  // A fresh executor on the agent for a run (closes the previous run's fds).
  Status<ClientError> SetContext(const syscalls::Context& ctx);
  Result<CommandReply, ClientError> Command(const CommandRequest& request);
  Result<std::vector<InterfaceInfo>, ClientError> Interfaces();
  // A fresh network namespace on the target for the next run, with `device` moved into it;
  // the run's syscalls and commands then run there (closes the previous run's fds).
  Status<ClientError> FreshNetns(const std::string& device, const LinkSetup& link = {});
  // The target kernel's log records since the previous call (the first call: since the
  // session started), as "prio,seq,usec,flags;text" lines (engine/health reads them).
  Result<std::vector<std::string>, ClientError> KernelLog();
  // Asks the agent to end the session; it answers, then exits 0.
  Status<ClientError> Shutdown();

  // syscalls::SyscallBackend. Transport failures come back as kUnavailable.
  Result<syscalls::Outcome, syscalls::BackendError> Run(const parser::Syscall& call,
                                                        const parser::SourceLoc& loc) override;
  void CloseAll() override;
  std::string_view Name() const override { return name_; }

 private:
  AgentClient(int fd, std::string endpoint);
  void ReadLoop();
  // Sends one request and waits for its reply (an kError reply is a kRemote error).
  Result<Frame, ClientError> Call(MessageType type, std::vector<std::uint8_t> body,
                                  std::chrono::milliseconds timeout);

  Channel channel_;
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, std::optional<Frame>> pending_;
  std::optional<std::string> lost_;
  bool stop_ = false;
  std::thread reader_;
};

// Text for a ClientError, e.g. "agent refused: auth: authentication failed: wrong token".
std::string ClientErrorText(const ClientError& e);

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_CLIENT_H_
