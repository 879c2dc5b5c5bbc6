#include "engine/agent/protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/agent/auth.h"

namespace mpdrill::agent {
namespace {

TEST(AgentProtocol, FrameRoundTrip) {
  const Frame f{MessageType::kCommand, 7, EncodeCommand({"echo hi", {"A=1", "B=x=y"}, "/tmp", 1500})};
  const std::vector<std::uint8_t> bytes = EncodeFrame(f);
  std::array<std::uint8_t, 4> header{bytes[0], bytes[1], bytes[2], bytes[3]};
  auto len = DecodeFrameLength(header);
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, bytes.size() - 4);
  auto back = DecodeFrame(Bytes(bytes).subspan(4));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->type, MessageType::kCommand);
  EXPECT_EQ(back->id, 7u);
  auto cmd = DecodeCommand(back->body);
  ASSERT_TRUE(cmd.ok()) << cmd.error().ToString();
  EXPECT_EQ(cmd->command, "echo hi");
  EXPECT_EQ(cmd->env, (std::vector<std::string>{"A=1", "B=x=y"}));
  EXPECT_EQ(cmd->cwd, "/tmp");
  EXPECT_EQ(cmd->timeout_ms, 1500u);
}

TEST(AgentProtocol, LengthLimits) {
  auto big = DecodeFrameLength({0x10, 0x00, 0x00, 0x06});  // 1 MiB + 6
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kOversized);
  EXPECT_EQ(big.error().ToString(), "byte 0: frame length 268435462 exceeds the limit 1048581");
  auto small = DecodeFrameLength({0, 0, 0, 4});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code, ErrorCode::kMalformed);
  // Text where a length belongs ("GET ") is far too long: refused before any allocation.
  auto text = DecodeFrameLength({'G', 'E', 'T', ' '});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kOversized);
  EXPECT_TRUE(DecodeFrameLength({0x00, 0x10, 0x00, 0x05}).ok());  // exactly the limit
}

TEST(AgentProtocol, UnknownTypeIsRefused) {
  const std::uint8_t payload[] = {0x42, 0, 0, 0, 1};
  auto f = DecodeFrame(payload);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().ToString(), "byte 0: unknown message type 66");
}

TEST(AgentProtocol, ContextRoundTrip) {
  syscalls::Context ctx;
  ctx.family = 10;
  ctx.ipv4_mapped = true;
  ctx.local_ip = "192.168.0.2";
  ctx.remote_ip = "192.0.2.1";
  ctx.bind_port = 8080;
  ctx.connect_port = 9090;
  ctx.defines = {{"TFO_COOKIE", "3021b9d0"}, {"X", ""}};
  auto back = DecodeContext(EncodeContext(ctx));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->family, 10);
  EXPECT_TRUE(back->ipv4_mapped);
  EXPECT_EQ(back->local_ip, ctx.local_ip);
  EXPECT_EQ(back->remote_ip, ctx.remote_ip);
  EXPECT_EQ(back->bind_port, 8080);
  EXPECT_EQ(back->connect_port, 9090);
  EXPECT_EQ(back->defines, ctx.defines);
}

TEST(AgentProtocol, SyscallReplyRoundTrip) {
  SyscallReply r;
  r.outcome.result = -1;
  r.outcome.err = 111;
  r.outcome.mismatch = "connect: result: expected: 0 actual: -1 (ECONNREFUSED)";
  r.outcome.opened_fds = {3, 4};
  r.outcome.closed_fds = {5};
  auto back = DecodeSyscallReply(EncodeSyscallReply(r));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->outcome.result, -1);
  EXPECT_EQ(back->outcome.err, 111);
  EXPECT_EQ(back->outcome.mismatch, r.outcome.mismatch);
  EXPECT_EQ(back->outcome.opened_fds, r.outcome.opened_fds);
  EXPECT_EQ(back->outcome.closed_fds, r.outcome.closed_fds);
}

TEST(AgentProtocol, InterfacesRoundTrip) {
  std::vector<InterfaceInfo> in = {
      {"lo", 1, true, {}, {{"127.0.0.1", 8}, {"::1", 128}}},
      {"vb0", 2, true, {0x02, 0, 0, 0, 0, 0x01}, {{"198.51.100.2", 24}}}};
  auto back = DecodeInterfaces(EncodeInterfaces(in));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].name, "vb0");
  EXPECT_EQ((*back)[1].mac, in[1].mac);
  EXPECT_EQ((*back)[0].addresses[1].address, "::1");
  EXPECT_EQ((*back)[0].addresses[1].prefix, 128);
}

// Offsets count from the frame's type byte: the body starts at byte 5.
TEST(AgentProtocol, DecodeErrorsNameTheByteOffset) {
  // A string length that runs past the body.
  std::vector<std::uint8_t> body = EncodeSyscall({3, 1, "socket(..., SOCK_STREAM, 0) = 3"});
  body[8] = 0xff;  // the high byte of the text's length field (bytes 8..11 of the body)
  auto s = DecodeSyscall(body);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "byte 13: syscall text: string length 4278190111 exceeds the 31 byte(s) left");
  // Trailing bytes.
  std::vector<std::uint8_t> extra = EncodeWelcome({});
  extra.push_back(0);
  auto w = DecodeWelcome(extra);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().ToString(), "byte 37: 1 unexpected byte(s) after the message");
  // A truncated auth.
  std::vector<std::uint8_t> auth = EncodeAuth({});
  auth.resize(20);
  auto a = DecodeAuth(auth);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().ToString(), "byte 11: client nonce: needs 32 byte(s), 14 left");
  // A mismatch text without its flag: one encoding per message.
  SyscallReply quiet;
  quiet.outcome.mismatch = "x";
  std::vector<std::uint8_t> flagless = EncodeSyscallReply(quiet);
  flagless[12] = 0;  // the has-mismatch byte (after the u64 result and the u32 errno)
  auto q = DecodeSyscallReply(flagless);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().ToString(), "byte 18: mismatch: text without the has-mismatch flag");
  // Wrong magic.
  std::vector<std::uint8_t> bad = EncodeAuth({});
  bad[0] = 'X';
  auto m = DecodeAuth(bad);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().ToString(), "byte 5: magic: not \"MPDA\": not an mpdrill agent peer");
  // A count that cannot fit.
  auto c = DecodeCommand(std::vector<std::uint8_t>{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().ToString(),
            "byte 9: environment count: count 4294967295 cannot fit in the 0 byte(s) left");
  // An environment entry without '='.
  auto e = DecodeCommand(EncodeCommand({"true", {"NOEQUALS"}, "", 10}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().ToString(), "byte 17: environment entry \"NOEQUALS\" has no '='");
}

// The fuzzer's seeds were written by hand from docs/agent.md's tables (a script, not these
// encoders): each frame of them decodes, its body included, so the document and the code agree.
TEST(AgentProtocol, TheDocumentedFormatDecodes) {
  int frames = 0, garbage = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(MPDRILL_SOURCE_DIR "/corpus/agent_protocol_fuzzer")) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    ASSERT_GE(bytes.size(), 4u);
    auto len = DecodeFrameLength({bytes[0], bytes[1], bytes[2], bytes[3]});
    if (!len.ok()) {
      ++garbage;  // the HTTP request and the oversized length
      continue;
    }
    ASSERT_EQ(*len + 4, bytes.size()) << e.path();
    auto f = DecodeFrame(Bytes(bytes).subspan(4));
    ASSERT_TRUE(f.ok()) << e.path() << ": " << f.error().ToString();
    bool body_ok = true;
    std::string err;
    auto check = [&](const auto& r) {
      body_ok = r.ok();
      if (!body_ok) err = r.error().ToString();
    };
    switch (f->type) {
      case MessageType::kChallenge: check(DecodeChallenge(f->body)); break;
      case MessageType::kAuth: check(DecodeAuth(f->body)); break;
      case MessageType::kWelcome: check(DecodeWelcome(f->body)); break;
      case MessageType::kSetContext: check(DecodeContext(f->body)); break;
      case MessageType::kSyscall: check(DecodeSyscall(f->body)); break;
      case MessageType::kCommand: check(DecodeCommand(f->body)); break;
      case MessageType::kSyscallResult: check(DecodeSyscallReply(f->body)); break;
      case MessageType::kSyscallError: check(DecodeSyscallFailure(f->body)); break;
      case MessageType::kCommandResult: check(DecodeCommandReply(f->body)); break;
      case MessageType::kInterfaceList: check(DecodeInterfaces(f->body)); break;
      case MessageType::kFreshNetns: check(DecodeFreshNetns(f->body)); break;
      case MessageType::kLogLines: check(DecodeLogLines(f->body)); break;
      case MessageType::kError: check(DecodeErrorMessage(f->body)); break;
      case MessageType::kCloseAll:
      case MessageType::kKernelLog:
      case MessageType::kInterfaces:
      case MessageType::kShutdown:
      case MessageType::kOk:
        body_ok = f->body.empty();
        break;
    }
    EXPECT_TRUE(body_ok) << e.path() << " (" << MessageTypeName(f->type) << "): " << err;
    ++frames;
  }
  EXPECT_EQ(frames, 17);
  EXPECT_EQ(garbage, 2);
}

TEST(AgentProtocol, FreshNetnsNamesAnInterface) {
  auto ok = DecodeFreshNetns(EncodeFreshNetns({"w1"}));
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->device, "w1");
  for (const char* bad : {"", "../../x", "a-name-too-long-for-linux"}) {
    auto r = DecodeFreshNetns(EncodeFreshNetns({bad}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().ToString(),
              "byte 5: device: '" + std::string(bad) + "' is not an interface name");
  }
}

TEST(AgentProtocol, LogLinesRoundTripAndBoundedCount) {
  const std::vector<std::string> lines = {"4,812,5678901,-;WARNING: CPU: 0 PID: 1 at x", ""};
  auto ok = DecodeLogLines(EncodeLogLines(lines));
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(*ok, lines);
  std::vector<std::uint8_t> lying = EncodeLogLines({"a"});
  lying[0] = 0xff;  // a count of 4278190081 lines in an 9-byte body
  auto bad = DecodeLogLines(lying);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "byte 14: log line: needs 4 byte(s), 0 left");
}

TEST(AgentAuth, MacsDependOnTokenNoncesAndDirection) {
  const std::vector<std::uint8_t> t1(20, 'a'), t2(20, 'b');
  Nonce a{}, c{};
  a[0] = 1;
  c[0] = 2;
  EXPECT_TRUE(MacEqual(ClientMac(t1, a, c), ClientMac(t1, a, c)));
  EXPECT_FALSE(MacEqual(ClientMac(t1, a, c), ClientMac(t2, a, c)));
  EXPECT_FALSE(MacEqual(ClientMac(t1, a, c), ClientMac(t1, c, a)));
  EXPECT_FALSE(MacEqual(ClientMac(t1, a, c), AgentMac(t1, a, c)));  // no reflection
}

}  // namespace
}  // namespace mpdrill::agent
