// End-to-end tests of `mpdrill run` with MPTCP scripts: the built binary against this kernel,
// each run in its own private namespaces. Needs root and /dev/net/tun (skips otherwise).
#include <unistd.h>

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
namespace fs = std::filesystem;

const std::string kMpdrill = MpdrillPath();

fs::path TestDir() { return ScratchDir("run_mptcp_test"); }

std::string WriteScript(const std::string& name, const std::string& text) {
  return WriteScratchFile("run_mptcp_test", name, text);
}

// The kernel as server up to accept(): MP_CAPABLE v1 with keys ckey (mpdrill's, generated)
// and skey (the kernel's, bound on first sight).
// A generous tolerance: these tests are about matching, not timing, and CI machines are loaded.
const std::string kServerHandshake =
    "--tolerance_usecs=500000\n"
    "`sysctl -q net.mptcp.enabled=1 net.ipv4.tcp_timestamps=0 net.mptcp.checksum_enabled=0; "
    "ip mptcp limits set subflows 4 add_addr_accepted 4`\n"
    "+0    socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
    "+0    bind(3, ..., ...) = 0\n"
    "+0    listen(3, 1) = 0\n"
    "+0    < addr[caddr0] > addr[saddr0] S 0:0(0) win 65535 <mss 1460, "
    "mpcapable v1 flags[flag_h] nokey>\n"
    "+0    > S. 0:0(0) ack 1 <mss 1460, mpcapable v1 flags[flag_h] key[skey]>\n"
    "+0.01 < . 1:1(0) ack 1 win 512 <mpcapable v1 flags[flag_h] key[ckey, skey]>\n"
    "+0    accept(3, ..., ...) = 4\n";

TEST(RunMptcpTest, AnMptcpMismatchNamesSubtypeAndFieldWithScriptRelativeValues) {
  SKIP_WITHOUT_ROOT();
  const std::string s =
      WriteScript("wrong_dsn.pkt", kServerHandshake +
                                       "+0    write(4, ..., 50) = 50\n"
                                       "+0    > P. 1:51(50) ack 1 <dss dack4=1 dsn8=5 ssn=1 "
                                       "dll=50 nocs, nop, nop>\n");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", s}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The script's line, the subtype.field, and the value relative to the kernel's IDSN.
  EXPECT_THAT(r.out, HasSubstr("wrong_dsn.pkt:11: dss.dsn: expected: 5 actual: 1"));
  EXPECT_THAT(r.out, HasSubstr("actual packet: > P. 1:51(50) ack 1"));
  EXPECT_THAT(r.out, HasSubstr("<dss dack4=1 dsn8=1 ssn=1 dll=50 nocs, nop, nop>"));
}

// A join from mpdrill's second address (caddr1): the subflow is picked by the tuple, and a
// packet the script expects on the first subflow but the kernel sends on the join is reported
// with both four-tuples.
TEST(RunMptcpTest, TuplesPickSubflowsAndAWrongSubflowIsNamed) {
  SKIP_WITHOUT_ROOT();
  const std::string join =
      kServerHandshake +
      "+0    < addr[caddr1] > addr[saddr0] S 0:0(0) win 65535 <mss 1460, mp_join_syn "
      "address_id=1 token=sha256_32(skey)>\n"
      "+0    > S. 0:0(0) ack 1 <mss 1460, mp_join_syn_ack sender_hmac=auto>\n"
      "+0.01 < . 1:1(0) ack 1 win 512 <mp_join_ack sender_hmac=auto>\n";
  const std::string ok = WriteScript(
      "join_ok.pkt", join + "+0    > addr[saddr0] > addr[caddr1] . 1:1(0) ack 1 <dss dack4=1 nocs>\n"
                            "+0    < addr[caddr0] > addr[saddr0] P. 1:11(10) ack 1 win 512 "
                            "<dss dack8=1 dsn8=1 ssn=1 dll=10 nocs>\n"
                            "+0    > addr[saddr0] > addr[caddr0] . 1:1(0) ack 11 <...>\n"
                            "+0    read(4, ..., 10) = 10\n");
  ToolRun r = RunTool({kMpdrill, "run", ok}, milliseconds(60000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 run(s), 3 passed"));

  const std::string wrong = WriteScript(
      "join_wrong.pkt",
      join + "+0    > addr[saddr0] > addr[caddr0] . 1:1(0) ack 1 <dss dack4=1 nocs>\n");
  r = RunTool({kMpdrill, "run", "--ip_version=ipv4", wrong}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("join_wrong.pkt:13: ip addresses: expected: "
                               "192.168.0.2>192.0.2.1 actual: 192.168.0.2:8080>192.0.2.2:48001"));
  EXPECT_THAT(r.out, HasSubstr("actual packet: > 192.168.0.2:8080 > 192.0.2.2:48001 ."));
}

// mpdrill announces an address in the routed remote prefix; the kernel (client) echoes it and
// its path manager joins it on its own. The script follows only the first subflow: the join
// SYN belongs to no known flow and is ignored, as packetdrill ignores it.
TEST(RunMptcpTest, PacketsOfNoKnownFlowAreIgnoredUnlessASynIsExpected) {
  SKIP_WITHOUT_ROOT();
  const std::string s = WriteScript(
      "ignored_join.pkt",
      "--tolerance_usecs=100000\n"
      "`sysctl -q net.mptcp.enabled=1 net.ipv4.tcp_timestamps=0; ip mptcp endpoint flush; "
      "ip mptcp limits set subflows 4 add_addr_accepted 4`\n"
      "+0    socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
      "+0    fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
      "+0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0    > S 0:0(0) <...>\n"
      "+0.01 < S. 0:0(0) ack 1 win 65535 <mss 1460, mpcapable v1 flags[flag_h] key[skey]>\n"
      "+0    > . 1:1(0) ack 1 <mpcapable v1 flags[flag_h] key[ckey, skey]>\n"
      "+0.01 < . 1:1(0) ack 1 win 512 <add_address address_id=3 addr[saddr1] hmac=auto>\n"
      "+0    > . 1:1(0) ack 1 <add_address address_id=3 addr[saddr1] addr_echo>\n"
      "+0.05 close(3) = 0\n"
      "+0    > . 1:1(0) ack 1 <dss dack4=1 dsn8=1 ssn=0 dll=1 nocs fin, nop, nop>\n");
  ToolRun r = RunTool({kMpdrill, "run", "-v", "--ip_version=ipv4", s}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ignored (no known connection): > 192.168.0.2:"));
  EXPECT_THAT(r.out, HasSubstr(" > 192.0.2.2:8080 S "));  // saddr1: mpdrill's, remote + 1
}

// Invoked as `packetdrill` (a symlink, as run_all.py or ksft_runner.sh would call it), one
// script runs once with exactly the flags given and the exit code says pass.
TEST(RunMptcpTest, UnderTheNamePacketdrillItRunsOneScriptLikePacketdrill) {
  SKIP_WITHOUT_ROOT();
  const fs::path link = TestDir() / "packetdrill";
  fs::remove(link);
  fs::create_symlink(kMpdrill, link);
  const std::string s = WriteScript(
      "pd_ok.pkt", kServerHandshake + "+0    write(4, ..., 50) = 50\n"
                                      "+0    > P. 1:51(50) ack 1 <dss dack4=1 dsn8=1 ssn=1 "
                                      "dll=50 nocs, nop, nop>\n");
  // No variant expansion and no upstream defaults: ipv4 unless --ip_version says otherwise.
  ToolRun ok = RunTool({link.string(), s}, milliseconds(30000));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  const std::string bad = WriteScript("pd_bad.pkt", kServerHandshake +
                                                        "+0    write(4, ..., 50) = 50\n"
                                                        "+0    > P. 1:41(40) ack 1 <...>\n");
  ToolRun fail = RunTool({link.string(), bad}, milliseconds(30000));
  EXPECT_NE(fail.exit_code, 0);
  EXPECT_THAT(fail.out + fail.err, HasSubstr("pd_bad.pkt:11:"));
}

// --pcap writes both directions of each run; mpdrill decode reads them back with the MPTCP
// options of both sides.
TEST(RunMptcpTest, PcapHoldsBothDirectionsOfTheRun) {
  SKIP_WITHOUT_ROOT();
  const fs::path out = TestDir() / "pcaps";
  fs::remove_all(out);
  const std::string s = WriteScript(
      "pcap_run.pkt", kServerHandshake + "+0    write(4, ..., 50) = 50\n"
                                         "+0    > P. 1:51(50) ack 1 <...>\n");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--pcap", out.string(), s},
                      milliseconds(30000));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::path pcap;
  for (const auto& e : fs::directory_iterator(out)) pcap = e.path();
  ASSERT_FALSE(pcap.empty()) << "no capture in " << out;
  ToolRun d = RunTool({kMpdrill, "decode", pcap.string()}, milliseconds(30000));
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_THAT(d.out, HasSubstr("192.0.2.1:48000 > 192.168.0.2:8080 S <mpcapable v1"));
  EXPECT_THAT(d.out, HasSubstr("192.168.0.2:8080 > 192.0.2.1:48000 S. <mpcapable v1"));
  EXPECT_THAT(d.out, HasSubstr("P. <dss"));
}

// Coalescing: the kernel segments one 1800-byte DSS mapping at MSS 1000; both segments carry
// the same mapping and make one script packet. With a 512-byte window it maps each segment
// on its own, and one script packet never spans two mappings: the first one is compared.
TEST(RunMptcpTest, SegmentsCoalesceWithinOneDssMappingOnly) {
  SKIP_WITHOUT_ROOT();
  const auto script = [](const std::string& window) {
    return "--tolerance_usecs=100000\n"
           "`sysctl -q net.mptcp.enabled=1 net.ipv4.tcp_timestamps=0`\n"
           "+0    socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
           "+0    bind(3, ..., ...) = 0\n"
           "+0    listen(3, 1) = 0\n"
           "+0    < S 0:0(0) win 65535 <mss 1000, mpcapable v1 flags[flag_h] nokey>\n"
           "+0    > S. 0:0(0) ack 1 <mss 1460, mpcapable v1 flags[flag_h] key[skey]>\n"
           "+0.01 < . 1:1(0) ack 1 win " +
           window +
           " <mpcapable v1 flags[flag_h] key[ckey, skey]>\n"
           "+0    accept(3, ..., ...) = 4\n"
           "+0    write(4, ..., 1800) = 1800\n"
           "+0    > P. 1:1801(1800) ack 1 <dss dack4=1 dsn8=1 ssn=1 dll=1800 nocs, nop, nop>\n";
  };
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4",
                       WriteScript("one_mapping.pkt", script("65535"))},
                      milliseconds(30000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunTool({kMpdrill, "run", "--ip_version=ipv4",
               WriteScript("two_mappings.pkt", script("512"))},
              milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("also: dss.dll: expected: 1800 actual: "));
}

// --tcp_ts_tick_usecs=1000 (Linux's TS clock ticks each millisecond): TS vals are compared in
// script space, 300 ms after the first one is 300 ticks later, within the tolerance; a script
// expecting 100 ticks names the field and the tolerance.
TEST(RunMptcpTest, TsValIsCheckedOnlyWithATickAndWithinTheTolerance) {
  SKIP_WITHOUT_ROOT();
  const auto script = [](const std::string& second_val) {
    return "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
           "+0    bind(3, ..., ...) = 0\n"
           "+0    listen(3, 1) = 0\n"
           "+0    < S 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>\n"
           "+0    > S. 0:0(0) ack 1 <...>\n"
           "+0.01 < . 1:1(0) ack 1 win 512 <nop, nop, TS val 200 ecr 0>\n"
           "+0    accept(3, ..., ...) = 4\n"
           "+0    write(4, ..., 10) = 10\n"
           "+0    > P. 1:11(10) ack 1 <nop, nop, TS val 1000 ecr 200>\n"
           "+0.01 < . 1:1(0) ack 11 win 512 <nop, nop, TS val 300 ecr 1000>\n"
           "+0.3  write(4, ..., 10) = 10\n"
           "+0    > P. 11:21(10) ack 1 <nop, nop, TS val " +
           second_val + " ecr 300>\n";
  };
  const std::string ok = WriteScript("ts_ok.pkt", script("1310"));
  const std::string bad = WriteScript("ts_bad.pkt", script("1100"));
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--tolerance_usecs=20000",
                       "--tcp_ts_tick_usecs=1000", ok},
                      milliseconds(30000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--tolerance_usecs=20000",
               "--tcp_ts_tick_usecs=1000", bad},
              milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ts_bad.pkt:12: tcp option TS val: expected: 1100 actual: 13"));
  EXPECT_THAT(r.out, HasSubstr("usecs per tick)"));
  // Without a tick the same script passes: TS val is not checked (packetdrill's default).
  r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--tolerance_usecs=20000", bad},
              milliseconds(30000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Without root, mpdrill makes a user namespace of its own (uid mapped to root inside) that
// owns the run's network and PID namespaces. The test plays an unprivileged user (nobody) in
// a private mount namespace where /dev/net/tun is a bind-mounted copy of the device node with
// the mode under test: 0666 (as most distributions ship it) runs the scripts; 0600 is an
// environment error (exit 3) that says why. Nothing outside that mount namespace changes.
ToolRun RunAsNobodyWithTunMode(const std::string& mode, const std::string& script) {
  const fs::path dir = TestDir() / ("tun_" + mode);
  fs::create_directories(dir);
  const std::string node = (dir / "tun").string();
  const std::string cmd =
      "rm -f " + node + " && mknod " + node + " c 10 200 && chmod " + mode + " " + node +
      " && mount --bind " + node + " /dev/net/tun && exec setpriv --reuid=65534 --regid=65534 " +
      "--clear-groups " + kMpdrill + " run " + script;
  return RunTool({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", cmd},
                 milliseconds(60000));
}

TEST(RunMptcpTest, WithoutRootARunUsesItsOwnUserNamespace) {
  SKIP_WITHOUT_ROOT();
  ToolRun reach = RunTool({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "/usr/bin/test", "-x", kMpdrill},
                          milliseconds(10000));
  if (reach.exit_code != 0) GTEST_SKIP() << kMpdrill << " is not executable by nobody here";
  const std::string script = MPDRILL_SOURCE_DIR "/scripts/mptcp/mp_join/server_join.pkt";
  ToolRun ok = RunAsNobodyWithTunMode("666", script);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("3 run(s), 3 passed"));
  ToolRun denied = RunAsNobodyWithTunMode("600", script);
  EXPECT_EQ(denied.exit_code, 3) << denied.out << denied.err;
  EXPECT_THAT(denied.out, HasSubstr("TUN: open /dev/net/tun: Permission denied"));
}

}  // namespace
}  // namespace mpdrill::tests
