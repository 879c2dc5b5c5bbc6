// End-to-end tests of the live reference model in `mpdrill run` (--model=off|warn|fail): the
// built binary runs real scripts against this kernel, each run in its own private namespaces,
// and the model judges every packet crossing tun0. Needs root and /dev/net/tun (skips else).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run_support.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kMpdrill = MpdrillPath();
constexpr milliseconds kRunTimeout(60000);

fs::path TestDir() { return ScratchDir("model_test"); }

std::string WriteFile(const std::string& name, const std::string& text) {
  return WriteScratchFile("model_test", name, text);
}

// The kernel as server up to accept(): window scale 8 as scripts/mptcp/common/defaults.sh
// pins it, MP_CAPABLE v1 with checksums when `checksums`. Lines 1-9 of every script below.
std::string ServerHandshake(bool checksums) {
  const std::string flags = checksums ? "flags[flag_a, flag_h]" : "flags[flag_h]";
  return "--tolerance_usecs=100000\n"
         "`sysctl -q -w net.ipv4.tcp_rmem=\"4096 540000 15728640\" net.mptcp.checksum_enabled=" +
         std::string(checksums ? "1" : "0") +
         " && ip mptcp limits set add_addr_accepted 4`\n"
         "+0    socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
         "+0    bind(3, ..., ...) = 0\n"
         "+0    listen(3, 1) = 0\n"
         "+0    < S 0:0(0) win 65535 <mss 1460, sackOK, nop, nop, nop, wscale 7, mpcapable v1 " +
         flags + " nokey>\n" +
         "+0    > S. 0:0(0) ack 1 <mss 1460, nop, nop, sackOK, nop, wscale 8, mpcapable v1 " +
         flags + " key[skey]>\n" + "+0.01 < . 1:1(0) ack 1 win 512 <mpcapable v1 " + flags +
         " key[ckey, skey]>\n" + "+0    accept(3, ..., ...) = 4\n";
}

// A process on the kernel's side of tun0 (a raw socket in the run's namespace) sends an
// MP_FASTCLOSE whose key is not the receiver's (RFC 8684 §3.5, rule X1) on the script's
// connection (OPT_BIND_PORT -> 48000, mpdrill's first remote port, docs/run.md). The Linux
// MPTCP stack does not break the RFC on demand; this packet leaves the kernel through tun0
// like its own, so the whole live path is real: TUN reader, wire tap, model, runner, verdict.
constexpr char kBadFastclose[] = R"(import os, socket, struct
src = socket.inet_aton(os.environ["OPT_LOCAL_IP"])
dst = socket.inet_aton(os.environ["OPT_REMOTE_IP"])
opt = bytes([30, 12, 0x70, 0]) + (0x1111111111111111).to_bytes(8, "big")
def tcp(csum):
    return struct.pack("!HHIIBBHHH", int(os.environ["OPT_BIND_PORT"]), 48000, 12345, 1,
                       (20 + len(opt)) // 4 << 4, 0x10, 512, csum, 0) + opt
def checksum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
seg = tcp(0)
seg = tcp(checksum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + seg))
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).sendto(
    seg, (os.environ["OPT_REMOTE_IP"], 0))
)";

std::string KernelViolationScript() {
  WriteFile("bad_fastclose.py", kBadFastclose);
  return WriteFile("kernel_violation.pkt", ServerHandshake(false) +
                                               "+0    `python3 bad_fastclose.py`\n"  // line 10
                                               "+0.1  `true`\n");
}

constexpr char kX1Finding[] =
    "kernel_violation.pkt:10: model: X1 (RFC 8684 §3.5) packet 5 conn 1 subflow 0 server "
    "(kernel): MP_FASTCLOSE key: expected: 0x";

TEST(RunModelTest, ConformingMptcpRunHasNoKernelViolation) {
  SKIP_WITHOUT_ROOT();
  // Data both ways, DATA_FIN both ways, in all three variants.
  const std::string s = WriteFile(
      "conforming.pkt",
      ServerHandshake(false) +
          "+0    < P. 1:101(100) ack 1 win 512 <dss dack8=1 dsn8=1 ssn=1 dll=100 nocs>\n"
          "+0    > . 1:1(0) ack 101 <dss dack8=101 nocs>\n"
          "+0    read(4, ..., 100) = 100\n"
          "+0    write(4, ..., 50) = 50\n"
          "+0    > P. 1:51(50) ack 101 <dss dack8=101 dsn8=1 ssn=1 dll=50 nocs, nop, nop>\n"
          "+0.01 < . 101:101(0) ack 51 win 512 <dss dack8=51 nocs>\n"
          "+0    < . 101:101(0) ack 51 win 512 <dss dack8=51 dsn8=101 ssn=0 dll=1 nocs fin>\n"
          "+0    > . 51:51(0) ack 101 <dss dack8=102 nocs>\n"
          "+0    close(4) = 0\n"
          "+0    > . 51:51(0) ack 101 <dss dack8=102 dsn8=51 ssn=0 dll=1 nocs fin, nop, nop>\n"
          "+0    < . 101:101(0) ack 51 win 512 <dss dack8=52 nocs>\n");
  ToolRun r = RunTool({kMpdrill, "run", "-v", "--model=fail", s}, kRunTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 run(s), 3 passed"));
  EXPECT_THAT(r.out, Not(HasSubstr("conforming.pkt:")));  // no finding line
  EXPECT_THAT(r.out, HasSubstr(" 1 connection(s), 0 kernel violation(s), 0 deliberate\n"));
  EXPECT_THAT(r.out, HasSubstr("mpdrill run: model: 0 kernel violation(s) in 0 run(s), "
                               "0 deliberate finding(s) in 0 run(s)"));
}

// Live-fuzzer findings that were the model's mistakes, kept as scripts the kernel passes with
// the model failing runs on kernel violations (tests/model_regressions/: each names its
// finding and what the model got wrong).
TEST(RunModelTest, FuzzerFindingsThatWereModelMistakesPass) {
  SKIP_WITHOUT_ROOT();
  ToolRun r = RunTool({kMpdrill, "run", "--model=fail",
                       MPDRILL_SOURCE_DIR "/tests/model_regressions"},
                      kRunTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 run(s), 3 passed"));
  EXPECT_THAT(r.out, HasSubstr("mpdrill run: model: 0 kernel violation(s) in 0 run(s)"));
}

TEST(RunModelTest, DeliberatelyBadInjectedPacketsArePrintedAndDoNotFail) {
  SKIP_WITHOUT_ROOT();
  // An ADD_ADDR with a wrong HMAC (the kernel must ignore it: no echo) and a DSS whose
  // checksum is wrong (the kernel answers with MP_FAIL, RFC 8684 §3.7).
  const std::string s =
      WriteFile("deliberate.pkt",
                ServerHandshake(true) +
                    "+0    < . 1:1(0) ack 1 win 512 <add_address address_id=2 addr[198.51.100.2] "
                    "hmac=0x1122334455667788>\n"  // line 10
                    "+0    < P. 1:101(100) ack 1 win 512 <dss dack8=1 dsn8=1 ssn=1 dll=100>\n"
                    "+0    > . 1:1(0) ack 101 <dss dack8=101 nocs>\n"
                    "+0    read(4, ..., 100) = 100\n"
                    "+0    < P. 101:201(100) ack 1 win 512 <dss dack8=1 dsn8=101 ssn=101 dll=100 "
                    "cksum=0x0000>\n"  // line 14
                    "+0    > . 1:1(0) ack 201 <dss dack8=101 nocs, mp_fail dsn8=101>\n");
  for (const char* mode : {"--model=fail", "--model=warn"}) {
    ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", mode, s}, kRunTimeout);
    EXPECT_EQ(r.exit_code, 0) << mode << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("PASS "));
    EXPECT_THAT(r.out, HasSubstr("    " + (TestDir() / "deliberate.pkt:10").string() +
                                 ": model: deliberate: A2 (RFC 8684 §3.4.1) packet 5 conn 1 "
                                 "subflow 0 client (mpdrill): ADD_ADDR HMAC for id 2 "
                                 "198.51.100.2: expected: 0x"));
    EXPECT_THAT(r.out, HasSubstr(" actual: 0x1122334455667788\n"));
    EXPECT_THAT(r.out, HasSubstr("deliberate.pkt:14: model: deliberate: D3 (RFC 8684 §3.3.1) "
                                 "packet 8 conn 1 subflow 0 client (mpdrill): DSS checksum of "
                                 "the mapping at DSN 0x"));
    EXPECT_THAT(r.out, HasSubstr("mpdrill run: model: 0 kernel violation(s) in 0 run(s), "
                                 "2 deliberate finding(s) in 1 run(s)"));
  }
  // "packet N" is frame N of the run's --pcap: `mpdrill check` finds the same there.
  const fs::path pcaps = TestDir() / "pcaps";
  fs::remove_all(pcaps);
  ToolRun r =
      RunTool({kMpdrill, "run", "--ip_version=ipv4", "--pcap", pcaps.string(), s}, kRunTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string flat = s;
  std::replace(flat.begin(), flat.end(), '/', '_');
  const std::string pcap = (pcaps / (flat + ".ipv4.pcap")).string();
  ToolRun check = RunTool({kMpdrill, "check", pcap}, milliseconds(10000));
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr(pcap + ":5: A2 (RFC 8684 §3.4.1) conn 1 subflow 0 client: "));
  EXPECT_THAT(check.out, HasSubstr(pcap + ":8: D3 (RFC 8684 §3.3.1) conn 1 subflow 0 client: "));
}

TEST(RunModelTest, KernelViolationFailsTheRunUnderFailAndTheDefault) {
  SKIP_WITHOUT_ROOT();
  const std::string s = KernelViolationScript();
  for (const char* mode : {"--model=fail", "--ip_version=ipv4"}) {  // the default is fail
    ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", mode, s}, kRunTimeout);
    EXPECT_EQ(r.exit_code, 1) << mode << "\n" << r.out << r.err;
    // The verdict line names the event being executed (the shell command), the rule, the
    // section and expected/actual; the kernel's packet follows in script syntax.
    EXPECT_THAT(r.out, HasSubstr("FAIL " + s + " (ipv4) "));
    EXPECT_THAT(r.out, HasSubstr("s: " + (TestDir() / kX1Finding).string()));
    EXPECT_THAT(r.out, HasSubstr(" actual: 0x1111111111111111\n"));
    EXPECT_THAT(r.out, HasSubstr("    kernel packet: > . "));
    EXPECT_THAT(r.out, HasSubstr("<mp_fastclose key=0x1111111111111111>"));
    EXPECT_THAT(r.out, HasSubstr("mpdrill run: 1 run(s), 0 passed, 1 failed"));
    EXPECT_THAT(r.out, HasSubstr("mpdrill run: model: 1 kernel violation(s) in 1 run(s)"));
  }
}

TEST(RunModelTest, WarnPrintsTheKernelViolationAndPassesOffSeesNothing) {
  SKIP_WITHOUT_ROOT();
  const std::string s = KernelViolationScript();
  ToolRun warn = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--model=warn", s}, kRunTimeout);
  EXPECT_EQ(warn.exit_code, 0) << warn.out << warn.err;
  EXPECT_THAT(warn.out, HasSubstr("PASS " + s + " (ipv4) "));
  EXPECT_THAT(warn.out, HasSubstr("    " + (TestDir() / kX1Finding).string()));
  EXPECT_THAT(warn.out, HasSubstr("mpdrill run: model: 1 kernel violation(s) in 1 run(s)"));

  ToolRun off = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--model", "off", s}, kRunTimeout);
  EXPECT_EQ(off.exit_code, 0) << off.out << off.err;
  EXPECT_THAT(off.out, HasSubstr("1 passed"));
  EXPECT_THAT(off.out, Not(HasSubstr(": model")));  // no finding, no model summary

  // A script's own header may set it; the command line overrides it.
  const std::string warned = WriteFile(
      "kernel_violation_warn.pkt",
      "--model=warn\n" + std::string(std::istreambuf_iterator<char>(std::ifstream(s).rdbuf()),
                                     std::istreambuf_iterator<char>()));
  EXPECT_EQ(RunTool({kMpdrill, "run", "--ip_version=ipv4", warned}, kRunTimeout).exit_code, 0);
  EXPECT_EQ(RunTool({kMpdrill, "run", "--ip_version=ipv4", "--model=fail", warned}, kRunTimeout)
                .exit_code,
            1);
}

TEST(RunModelTest, AsPacketdrillTheModelOnlyWarns) {
  SKIP_WITHOUT_ROOT();
  const std::string s = KernelViolationScript();
  const fs::path link = TestDir() / "packetdrill";
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(kMpdrill, link);
  ToolRun r = RunTool({link.string(), s}, kRunTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(": model: X1 (RFC 8684 §3.5)"));
  EXPECT_EQ(RunTool({link.string(), "--model=fail", s}, kRunTimeout).exit_code, 1);
}

TEST(RunModelTest, BadModelFlagIsAUsageError) {
  for (const char* flag : {"--model=bogus", "--model="}) {
    ToolRun r = RunTool({kMpdrill, "run", "--dry_run", flag, WriteFile("any.pkt", "+0 `true`\n")},
                        milliseconds(10000));
    EXPECT_EQ(r.exit_code, 2) << flag << "\n" << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("usage: mpdrill run"));
  }
  ToolRun r = RunTool({kMpdrill, "run", "--model=bogus", "x.pkt"}, milliseconds(10000));
  EXPECT_THAT(r.err, HasSubstr("mpdrill run: bad --model: 'bogus' (off, warn or fail)"));
}

}  // namespace
}  // namespace mpdrill::tests
