// The real `mpdrill agent` binary in a private network namespace, and clients good and bad.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/agent/agent_test_util.h"
#include "engine/agent/auth.h"
#include "engine/agent/client.h"
#include "engine/agent/server.h"
#include "parser/parser.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"

namespace mpdrill::agent {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kToken[] = "0123456789abcdef-test-token";

std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// One syscall event parsed from script text, with its location.
struct Call {
  parser::Syscall syscall;
  parser::SourceLoc loc;
};
Call ParseCall(const std::string& text) {
  auto script = parser::Parse("0 " + text + "\n");
  EXPECT_TRUE(script.ok()) << text;
  return {std::get<parser::Syscall>(script->events.at(0).action), script->events.at(0).loc};
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An agent running in its own namespace, its stderr in a file.
class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network and PID namespaces";
    auto ns = sandbox::NetNamespace::Create();
    ASSERT_TRUE(ns.ok()) << ns.error().message;
    ns_.emplace(std::move(*ns));
    ASSERT_TRUE(sandbox::LoopbackUp(*ns_).ok());
    char tmpl[] = "/tmp/mpdrill-agent-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    token_path_ = dir_ / "token";
    {
      std::ofstream out(token_path_);
      out << kToken << "\n";
    }
    chmod(token_path_.c_str(), 0600);
  }
  void TearDown() override {
    if (agent_) agent_->Kill();
    if (ns_) {
      const ino_t inode = ns_->inode();
      ns_->Destroy();
      EXPECT_TRUE(sandbox::ProcessesUsingNetns(inode).empty()) << "namespace left behind";
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Starts the agent on 127.0.0.1 (a port it picks) and reads the port it prints.
  void StartAgent(int wait_secs = 20, int handshake_secs = 5) {
    auto started = test_util::StartAgentProcess(*ns_, "127.0.0.1:0", token_path_.string(),
                                                (dir_ / "agent.log").string(), wait_secs,
                                                handshake_secs);
    ASSERT_TRUE(started.ok()) << started.error() << "\nlog:\n" << AgentLog();
    agent_.emplace(std::move(started->process));
    endpoint_ = started->endpoint;
  }
  std::string AgentLog() { return ReadAll(dir_ / "agent.log"); }

  Result<std::unique_ptr<AgentClient>, ClientError> ConnectClient(const std::string& token) {
    auto enter = sandbox::ScopedNetnsEnter::Enter(*ns_);
    if (!enter.ok()) return Unexpected{ClientError{ClientErrorKind::kConnect, {}, "setns"}};
    return AgentClient::Connect(endpoint_, Bytes(token), seconds(3));
  }
  std::unique_ptr<AgentClient> Client() {
    auto c = ConnectClient(kToken);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : ClientErrorText(c.error())) << "\nlog:\n" << AgentLog();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // A plain TCP connection to the agent, as a channel (for clients that break the protocol).
  std::unique_ptr<Channel> RawConnect() {
    auto enter = sandbox::ScopedNetnsEnter::Enter(*ns_);
    EXPECT_TRUE(enter.ok());
    auto ep = ParseEndpoint(endpoint_);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&ep->addr), ep->len), 0);
    return std::make_unique<Channel>(fd);
  }
  // Reads the challenge, then expects an error frame of `code` after `send` and the close.
  void ExpectRefused(Channel& ch, const std::vector<std::uint8_t>& send, ErrorCode code,
                     const std::string& text) {
    auto challenge = ch.Read(seconds(3));
    ASSERT_TRUE(challenge.ok()) << challenge.error().message;
    ASSERT_EQ(challenge->type, MessageType::kChallenge);
    ASSERT_EQ(::send(ch.fd(), send.data(), send.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(send.size()));
    auto reply = ch.Read(seconds(8));
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    ASSERT_EQ(reply->type, MessageType::kError);
    auto e = DecodeErrorMessage(reply->body);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->code, code) << e->message;
    EXPECT_NE(e->message.find(text), std::string::npos) << e->message;
    // Then the agent closes: whatever else this client sends runs nothing.
    const auto touch = EncodeFrame({MessageType::kCommand, 1,
                                    EncodeCommand({"touch " + (dir_ / "ran").string(), {}, "", 1000})});
    (void)::send(ch.fd(), touch.data(), touch.size(), MSG_NOSIGNAL);
    auto after = ch.Read(seconds(3));
    ASSERT_FALSE(after.ok());
    // Closed, or reset because the agent had closed before our frame arrived.
    EXPECT_TRUE(after.error().kind == ChannelErrorKind::kClosed ||
                after.error().kind == ChannelErrorKind::kIo)
        << after.error().message;
  }
  // A good client still gets in afterwards, and shuts the agent down: exit 0, nothing ran.
  void ExpectGoodClientStillServed() {
    auto c = Client();
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Shutdown().ok());
    auto code = agent_->Wait(seconds(5));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 0) << AgentLog();
    EXPECT_FALSE(fs::exists(dir_ / "ran")) << "a refused client ran a command";
  }
  // Processes other than the holder and this test process (whose client reader threads
  // were started inside the namespace) in the agent's namespace.
  std::vector<pid_t> ProcessesInNamespace() {
    std::vector<pid_t> out;
    for (pid_t p : sandbox::ProcessesUsingNetns(ns_->inode())) {
      if (p != ns_->holder_pid() && p != getpid()) out.push_back(p);
    }
    return out;
  }
  std::string Describe(const std::vector<pid_t>& pids) {
    std::string out;
    for (pid_t p : pids) {
      out += std::to_string(p) + " " + ReadAll("/proc/" + std::to_string(p) + "/comm");
    }
    return out;
  }

  std::optional<sandbox::NetNamespace> ns_;
  std::optional<sandbox::ChildProcess> agent_;
  fs::path dir_;
  fs::path token_path_;
  std::string endpoint_;
};

TEST_F(AgentTest, RunsSyscallsAndCommandsRemotely) {
  StartAgent();
  auto c = Client();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Name(), "agent " + endpoint_);
  syscalls::Context ctx;
  ctx.family = AF_INET;
  ctx.local_ip = "127.0.0.1";
  ctx.remote_ip = "127.0.0.2";
  ctx.bind_port = 8080;
  ASSERT_TRUE(c->SetContext(ctx).ok());
  ASSERT_EQ(test_util::RunCalls(*c, {"socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
                                     "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                                     "bind(3, ..., ...) = 0", "listen(3, 1) = 0"}),
            "");
  // The socket exists in the agent's namespace.
  auto ss = c->Command({"ss -Hltn 'sport = :8080'; echo FOO=$FOO", {"FOO=bar"}, "", 3000});
  ASSERT_TRUE(ss.ok()) << ClientErrorText(ss.error());
  EXPECT_EQ(ss->exit_code, 0);
  EXPECT_NE(ss->output.find("127.0.0.1:8080"), std::string::npos) << ss->output;
  EXPECT_NE(ss->output.find("FOO=bar"), std::string::npos) << ss->output;

  // A blocking accept on the agent returns when a connection arrives.
  std::thread accepter([&] {
    const Call call = ParseCall("accept(3, ..., ...) = 4");
    auto r = c->Run(call.syscall, call.loc);
    ASSERT_TRUE(r.ok()) << r.error().error.message;
    EXPECT_FALSE(r->mismatch) << *r->mismatch;  // the script's fd 4 mapped to the real one
    EXPECT_EQ(r->opened_fds, std::vector<int>{4});
  });
  std::this_thread::sleep_for(milliseconds(100));
  auto connected = sandbox::RunInNamespace(
      *ns_,
      [] {
        sockaddr_storage ss;
        socklen_t len;
        sandbox::test_util::FillAddress(AF_INET, "127.0.0.1", 8080, &ss, &len);
        const int s = socket(AF_INET, SOCK_STREAM, 0);
        return connect(s, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : 1;
      },
      seconds(3));
  accepter.join();
  ASSERT_TRUE(connected.ok());
  EXPECT_EQ(*connected, 0);

  // The kernel's answer differs from the script: a mismatch, as locally.
  const Call wrong = ParseCall("listen(3, 1) = -1 EINVAL (Invalid argument)");
  auto m = c->Run(wrong.syscall, wrong.loc);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->mismatch.has_value());
  EXPECT_NE(m->mismatch->find("expected: -1"), std::string::npos) << *m->mismatch;
  // An error of the script itself comes back as one, at the event's line.
  const Call bad = ParseCall("close(9) = 0");
  auto e = c->Run(bad.syscall, bad.loc);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, syscalls::BackendErrorKind::kScript);
  EXPECT_EQ(e.error().error.loc.line, 1);

  auto ifs = c->Interfaces();
  ASSERT_TRUE(ifs.ok());
  bool lo = false;
  for (const auto& i : *ifs) {
    if (i.name == "lo") lo = i.up && !i.addresses.empty() && i.addresses[0].address == "127.0.0.1";
  }
  EXPECT_TRUE(lo);

  c->CloseAll();
  ASSERT_TRUE(c->Shutdown().ok());
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << AgentLog();
  EXPECT_TRUE(ProcessesInNamespace().empty()) << Describe(ProcessesInNamespace());
}

TEST_F(AgentTest, RefusesAWrongToken) {
  StartAgent();
  auto c = ConnectClient("not-the-right-token-at-all");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ClientErrorKind::kRefused);
  EXPECT_EQ(c.error().code, ErrorCode::kAuth);
  EXPECT_EQ(ClientErrorText(c.error()), "agent refused: auth: authentication failed: wrong token");
  // By hand, with a command sent regardless.
  auto ch = RawConnect();
  Auth auth;
  auth.client_mac[0] = 1;
  ExpectRefused(*ch, EncodeFrame({MessageType::kAuth, 0, EncodeAuth(auth)}), ErrorCode::kAuth,
                "wrong token");
  EXPECT_NE(AgentLog().find("auth: authentication failed: wrong token"), std::string::npos)
      << AgentLog();
  ExpectGoodClientStillServed();
}

TEST_F(AgentTest, RefusesGarbage) {
  StartAgent();
  auto ch = RawConnect();
  const std::string http = "GET / HTTP/1.0\r\n\r\n";
  ExpectRefused(*ch, Bytes(http), ErrorCode::kOversized, "frame length 1195725856 exceeds");
  // A well-sized frame of an unknown type.
  auto ch2 = RawConnect();
  ExpectRefused(*ch2, {0, 0, 0, 5, 0x42, 0, 0, 0, 0}, ErrorCode::kMalformed,
                "unknown message type 66");
  // A request before the handshake.
  auto ch3 = RawConnect();
  ExpectRefused(*ch3, EncodeFrame({MessageType::kShutdown, 1, {}}), ErrorCode::kUnexpected,
                "expected auth, got shutdown");
  ExpectGoodClientStillServed();
}

TEST_F(AgentTest, RefusesAnotherVersion) {
  StartAgent();
  auto ch = RawConnect();
  auto challenge = ch->Read(seconds(3));
  ASSERT_TRUE(challenge.ok());
  auto decoded = DecodeChallenge(challenge->body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->version, kProtocolVersion);
  // The right token, the wrong version.
  Auth auth;
  auth.version = 2;
  auth.client_mac = ClientMac(Bytes(kToken), decoded->agent_nonce, auth.client_nonce);
  const auto frame = EncodeFrame({MessageType::kAuth, 0, EncodeAuth(auth)});
  ASSERT_EQ(send(ch->fd(), frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
  auto reply = ch->Read(seconds(3));
  ASSERT_TRUE(reply.ok());
  auto e = DecodeErrorMessage(reply->body);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, ErrorCode::kVersion);
  EXPECT_EQ(e->message, "protocol version 2 is not supported; this agent speaks version 1");
  ExpectGoodClientStillServed();
}

TEST_F(AgentTest, RefusesASilentClientAndOneThatStopsMidFrame) {
  StartAgent(20, 1);
  auto silent = RawConnect();
  ExpectRefused(*silent, {}, ErrorCode::kTimeout, "handshake: no message before the deadline");
  auto halfway = RawConnect();
  ExpectRefused(*halfway, {0, 0, 0, 77, 0x02, 0, 0}, ErrorCode::kTimeout,
                "handshake: peer stopped in the middle of a frame");
  ExpectGoodClientStillServed();
}

TEST_F(AgentTest, RefusesAnOversizedLength) {
  StartAgent();
  auto ch = RawConnect();
  ExpectRefused(*ch, {0x7f, 0xff, 0xff, 0xff}, ErrorCode::kOversized,
                "frame length 2147483647 exceeds the limit 1048581");
  ExpectGoodClientStillServed();
}

TEST_F(AgentTest, RefusesASecondClient) {
  StartAgent();
  auto first = Client();
  ASSERT_NE(first, nullptr);
  auto second = ConnectClient(kToken);  // even with the token
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ClientErrorKind::kRefused);
  EXPECT_EQ(second.error().code, ErrorCode::kBusy);
  EXPECT_NE(ClientErrorText(second.error()).find("another client is connected"), std::string::npos);
  auto echo = first->Command({"echo still here", {}, "", 3000});
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->output, "still here\n");
  ASSERT_TRUE(first->Shutdown().ok());
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

// The client process is killed mid-session, with a background process and a blocked
// syscall on the agent: the agent ends (exit 4) and takes everything it started with it.
TEST_F(AgentTest, EndsWithAVanishedClient) {
  StartAgent();
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  const std::string endpoint = endpoint_;
  auto client = sandbox::SpawnInNamespace(*ns_, [&]() -> int {
    auto c = AgentClient::Connect(endpoint, Bytes(kToken), seconds(3));
    if (!c.ok()) return 2;
    syscalls::Context ctx;
    ctx.family = AF_INET;
    ctx.local_ip = "127.0.0.1";
    if (!(*c)->SetContext(ctx).ok()) return 4;
    auto bg = (*c)->Command({"sleep 60 >/dev/null 2>&1 & echo started", {}, "", 3000});
    if (!bg.ok() || bg->output != "started\n") return 3;
    if (!test_util::RunCalls(**c, {"socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
                                   "bind(3, ..., ...) = 0", "listen(3, 1) = 0"})
             .empty()) {
      return 5;
    }
    if (write(ready[1], "r", 1) != 1) return 6;
    // Blocks in accept on the agent until this process is killed.
    const Call accept = ParseCall("accept(3, ..., ...) = 4");
    (void)(*c)->Run(accept.syscall, accept.loc);
    return 7;
  });
  close(ready[1]);
  ASSERT_TRUE(client.ok());
  char r;
  ASSERT_TRUE(sandbox::test_util::ReadWithTimeout(ready[0], &r, 1, seconds(10))) << AgentLog();
  close(ready[0]);
  std::this_thread::sleep_for(milliseconds(100));
  // The client, the outer agent, the agent's PID 1 and the background sleep.
  EXPECT_GE(ProcessesInNamespace().size(), 4u);
  client->Kill();
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4) << AgentLog();
  EXPECT_NE(AgentLog().find("client lost"), std::string::npos) << AgentLog();
  // Nothing the agent started survives it (the sleep died with its PID namespace).
  const auto deadline = std::chrono::steady_clock::now() + seconds(3);
  while (!ProcessesInNamespace().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(ProcessesInNamespace().empty()) << Describe(ProcessesInNamespace());
}

// A new run (set-context) starts without what the previous one left in the background.
TEST_F(AgentTest, SetContextEndsWhatEarlierCommandsLeftRunning) {
  StartAgent();
  auto c = Client();
  ASSERT_NE(c, nullptr);
  auto bg = c->Command({"sleep 60 >/dev/null 2>&1 & echo started", {}, "", 3000});
  ASSERT_TRUE(bg.ok());
  EXPECT_EQ(ProcessesInNamespace().size(), 3u) << Describe(ProcessesInNamespace());
  syscalls::Context ctx;
  ctx.family = AF_INET;
  ctx.local_ip = "127.0.0.1";
  ASSERT_TRUE(c->SetContext(ctx).ok());
  // The outer agent and its PID 1 are left; the sleep is gone (killed and reaped).
  EXPECT_EQ(ProcessesInNamespace().size(), 2u) << Describe(ProcessesInNamespace());
  auto echo = c->Command({"echo fine", {}, "", 3000});
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->output, "fine\n");
  ASSERT_TRUE(c->Shutdown().ok());
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

// Each run gets a fresh network namespace holding the test device: what a run changed there
// (a sysctl) is gone in the next, the device moves in and out, and is back at the end.
TEST_F(AgentTest, FreshNetnsPerRunWithTheDevice) {
  ASSERT_TRUE(sandbox::AddVethPair(*ns_, "vt0", *ns_, "vt1").ok());
  StartAgent();
  auto c = Client();
  ASSERT_NE(c, nullptr);
  const CommandRequest probe{
      "ip -o link show vt1 | grep -o 'mtu [0-9]*'; sysctl -n net.mptcp.enabled; "
      "ip -o addr show dev vt1 scope global | grep -o 'inet6* [^ ]*'; ip route show dev vt1",
      {}, "", 3000};
  const LinkSetup v4{1400, "192.168.0.2", 16, "192.0.2.0", 24, "192.168.0.1"};
  for (int run = 0; run < 2; ++run) {
    auto fresh = c->FreshNetns("vt1", v4);
    ASSERT_TRUE(fresh.ok()) << ClientErrorText(fresh.error());
    auto in = c->Command(probe);
    ASSERT_TRUE(in.ok());
    EXPECT_EQ(in->output,
              "mtu 1400\n1\ninet 192.168.0.2/16\n"
              "192.0.2.0/24 via 192.168.0.1 \n"
              "192.168.0.0/16 proto kernel scope link src 192.168.0.2 \n")
        << "run " << run;
    auto off = c->Command({"sysctl -q -w net.mptcp.enabled=0", {}, "", 3000});
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(off->exit_code, 0) << off->output;
    auto ifs = c->Interfaces();  // the agent's own namespace: vt1 is away
    ASSERT_TRUE(ifs.ok());
    for (const InterfaceInfo& i : *ifs) EXPECT_NE(i.name, "vt1");
  }
  const LinkSetup v6{0, "fd3d:fa7b:d17d::", 48, "2001:db8::", 32, "fd3d:fa7b:d17d:8888::"};
  auto fresh6 = c->FreshNetns("vt1", v6);
  ASSERT_TRUE(fresh6.ok()) << ClientErrorText(fresh6.error());
  auto in6 = c->Command({"ip -6 route show 2001:db8::/32", {}, "", 3000});
  ASSERT_TRUE(in6.ok());
  EXPECT_NE(in6->output.find("2001:db8::/32 via fd3d:fa7b:d17d:8888:: dev vt1"), std::string::npos)
      << in6->output;
  auto bad = c->FreshNetns("vt1", {0, "not-an-address", 16, "", 0, ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not an IP address: not-an-address"), std::string::npos)
      << bad.error().message;
  auto missing = c->FreshNetns("nosuch0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ClientErrorKind::kRemote);
  EXPECT_NE(missing.error().message.find("no interface nosuch0"), std::string::npos)
      << missing.error().message;
  ASSERT_TRUE(c->Shutdown().ok());
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(sandbox::Ip(*ns_, {"link", "show", "vt1"}).ok()) << "vt1 did not come back";
}

// The client checks the agent's proof too: an impostor that does not hold the token (here one
// that answers every auth with a welcome) is refused before any request is sent.
TEST_F(AgentTest, ClientRefusesAnAgentThatCannotProveTheToken) {
  auto enter = sandbox::ScopedNetnsEnter::Enter(*ns_);
  ASSERT_TRUE(enter.ok());
  std::string bound;
  auto listen_fd = Listen(*ParseEndpoint("127.0.0.1:0"), &bound);
  ASSERT_TRUE(listen_fd.ok()) << listen_fd.error();
  std::thread impostor([fd = *listen_fd] {
    Channel ch(accept(fd, nullptr, nullptr));
    Challenge challenge;
    challenge.agent_nonce[0] = 7;
    ASSERT_TRUE(ch.Write(MessageType::kChallenge, 0, EncodeChallenge(challenge)).ok());
    auto auth = ch.Read(seconds(3));
    ASSERT_TRUE(auth.ok());
    EXPECT_EQ(auth->type, MessageType::kAuth);
    Welcome welcome;  // a MAC of zeros: it does not know the token
    ASSERT_TRUE(ch.Write(MessageType::kWelcome, 0, EncodeWelcome(welcome)).ok());
    auto next = ch.Read(seconds(3));  // the client hangs up without a request
    EXPECT_FALSE(next.ok());
  });
  auto c = AgentClient::Connect(bound, Bytes(kToken), seconds(3));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ClientErrorKind::kAuth);
  EXPECT_EQ(ClientErrorText(c.error()),
            "agent failed to prove the token: the agent's MAC does not match our token");
  impostor.join();
  close(*listen_fd);
}

TEST_F(AgentTest, RefusesABadTokenFileAndGivesUpWithoutAClient) {
  chmod(token_path_.c_str(), 0644);
  auto loose = sandbox::RunCommand(*ns_, {MPDRILL_BINARY_DIR "/cli/mpdrill", "agent", "--listen",
                                          "127.0.0.1:0", "--token", token_path_.string()},
                                   seconds(5));
  ASSERT_TRUE(loose.ok());
  EXPECT_EQ(loose->exit_code, 2);
  EXPECT_NE(loose->err.find("readable or writable by others (mode 644)"), std::string::npos)
      << loose->err;
  chmod(token_path_.c_str(), 0600);
  StartAgent(1);
  auto code = agent_->Wait(seconds(5));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4);
  EXPECT_NE(AgentLog().find("no client authenticated within 1 s"), std::string::npos) << AgentLog();
}

}  // namespace
}  // namespace mpdrill::agent
