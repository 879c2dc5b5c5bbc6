// The two halves of a wire run together, as `mpdrill run --target=wire:` will use them: the
// agent runs the script's syscalls in the target's namespace (reached over a control link),
// mpdrill injects and sniffs on the test link with the wire transport. A passive open:
// socket/bind/listen on the target, SYN in, SYN/ACK out, ACK in, accept returns.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/agent/agent_test_util.h"
#include "engine/agent/client.h"
#include "engine/capture/dissect.h"
#include "engine/run/wire.h"
#include "engine/wire/link_packet_io.h"
#include "engine/wire/transport.h"
#include "sandbox/leak_check.h"
#include "sandbox/topology.h"

namespace mpdrill {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kToken[] = "wire-agent-test-token-0123456789";

using agent::test_util::ParseCall;

TEST(WireAgent, PassiveOpenAcrossTheTwoLinks) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, packet sockets";
  auto ours = sandbox::NetNamespace::Create();
  auto target = sandbox::NetNamespace::Create();
  ASSERT_TRUE(ours.ok() && target.ok());
  const ino_t inodes[] = {ours->inode(), target->inode()};
  char tmpl[] = "/tmp/mpdrill-wire-agent-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  struct RemoveDir {
    fs::path path;
    ~RemoveDir() { fs::remove_all(path); }
  } remove_dir{dir};  // also when an ASSERT returns early
  {
    std::ofstream(dir / "token") << kToken;
    chmod((dir / "token").c_str(), 0600);
    for (auto* ns : {&*ours, &*target}) ASSERT_TRUE(sandbox::LoopbackUp(*ns).ok());
    // The test link: mpdrill's end has no address (its kernel stays out of the way).
    ASSERT_TRUE(sandbox::AddVethPair(*ours, "va0", *target, "vb0").ok());
    ASSERT_TRUE(sandbox::AddAddress(*target, "vb0", "198.51.100.2/24").ok());
    ASSERT_TRUE(sandbox::SetSysctl(*ours, "net.ipv6.conf.va0.disable_ipv6", "1").ok());
    ASSERT_TRUE(sandbox::DisableOffloads(*ours, "va0").ok());
    // The control link, for the agent's connection only.
    ASSERT_TRUE(sandbox::AddVethPair(*ours, "vc0", *target, "vd0").ok());
    ASSERT_TRUE(sandbox::AddAddress(*ours, "vc0", "203.0.113.1/24").ok());
    ASSERT_TRUE(sandbox::AddAddress(*target, "vd0", "203.0.113.2/24").ok());

    auto agent = agent::test_util::StartAgentProcess(*target, "203.0.113.2:0",
                                                     (dir / "token").string(),
                                                     (dir / "agent.log").string(), 20);
    ASSERT_TRUE(agent.ok()) << agent.error();
    run::MonotonicClock clock;  // outlives the link I/O, whose reader thread reads it
    std::unique_ptr<agent::AgentClient> client;
    std::unique_ptr<wire::LinkPacketIo> io;
    {
      auto enter = sandbox::ScopedNetnsEnter::Enter(*ours);
      ASSERT_TRUE(enter.ok());
      auto c = agent::AgentClient::Connect(agent->endpoint,
                                           std::vector<std::uint8_t>(kToken, kToken + sizeof(kToken) - 1),
                                           seconds(3));
      ASSERT_TRUE(c.ok()) << agent::ClientErrorText(c.error());
      client = std::move(*c);
      auto t = wire::PcapTransport::Open("va0");
      ASSERT_TRUE(t.ok()) << t.error();
      wire::LinkConfig config;
      config.own_mac = (*t)->mac();
      config.own_addresses = {*run::ParseAddress("198.51.100.1", false)};
      io = std::make_unique<wire::LinkPacketIo>(std::move(*t), clock, std::vector<run::WireTap*>{},
                                                config);
    }
    syscalls::Context ctx;
    ctx.family = AF_INET;
    ctx.local_ip = "198.51.100.2";
    ctx.remote_ip = "198.51.100.1";
    ctx.bind_port = 8080;
    ASSERT_TRUE(client->SetContext(ctx).ok());
    ASSERT_EQ(agent::test_util::RunCalls(*client, {"socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
                                                   "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                                                   "bind(3, ..., ...) = 0", "listen(3, 1) = 0"}),
              "");
    std::thread accepter([&] {
      auto r = client->Run(ParseCall("accept(3, ..., ...) = 4"), {});
      ASSERT_TRUE(r.ok()) << r.error().error.message;
      EXPECT_FALSE(r->mismatch) << *r->mismatch;
    });

    run::WireTcp syn;
    syn.src = *run::ParseAddress("198.51.100.1", false);
    syn.dst = *run::ParseAddress("198.51.100.2", false);
    syn.sport = 48000;
    syn.dport = 8080;
    syn.seq = 0;
    syn.flags = capture::kTcpSyn;
    syn.window = 32792;
    syn.options = {2, 4, 0x03, 0xe8};  // mss 1000
    ASSERT_TRUE(io->Send(*run::BuildTcpPacket(syn), 0).ok());
    std::optional<capture::TcpSegment> synack;
    std::vector<std::uint8_t> keep;
    const std::int64_t deadline = clock.NowUsecs() + 3000000;
    while (!synack) {
      auto p = io->Receive(deadline);
      ASSERT_TRUE(p.ok() && *p) << "no SYN/ACK from the target";
      keep = std::move((*p)->bytes);
      auto d = capture::DissectIp(keep);
      if (d.ok() && std::holds_alternative<capture::TcpSegment>(*d)) {
        synack = std::get<capture::TcpSegment>(*d);
      }
    }
    EXPECT_TRUE(synack->syn() && synack->ack_flag());
    EXPECT_EQ(synack->ack, 1u);
    run::WireTcp ack = syn;
    ack.seq = 1;
    ack.ack = synack->seq + 1;
    ack.flags = capture::kTcpAck;
    ack.options.clear();
    ASSERT_TRUE(io->Send(*run::BuildTcpPacket(ack), 0).ok());
    accepter.join();

    auto ss = client->Command({"ss -Htn state established", {}, "", 3000});
    ASSERT_TRUE(ss.ok());
    EXPECT_NE(ss->output.find("198.51.100.2:8080"), std::string::npos) << ss->output;
    EXPECT_NE(ss->output.find("198.51.100.1:48000"), std::string::npos) << ss->output;
    ASSERT_TRUE(client->Shutdown().ok());
    auto code = agent->process.Wait(seconds(5));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 0);
  }
  ours->Destroy();
  target->Destroy();
  for (ino_t inode : inodes) EXPECT_TRUE(sandbox::ProcessesUsingNetns(inode).empty());
}

}  // namespace
}  // namespace mpdrill
