// google/packetdrill's language: header, commands, times, syscalls and expressions, packets.
#include "parser/parser.h"

#include <string>

#include <gtest/gtest.h>

#include "parser/printer.h"
#include "parser/test_util.h"

namespace mpdrill::parser {
namespace {

using testing::OneEvent;
using testing::ParseOk;

TEST(ParserTest, HeaderOptionsDefinesAndInitAndCleanupCommands) {
  const Script s = ParseOk(
      "--ip_version=ipv4\n--tolerance_usecs = 4000\n--dry_run\n--define=CC=\"reno\"\n"
      "-D MSS=1400\n`init.sh`\n+0 close(3) = 0\n`cleanup\n  multi`\n");
  ASSERT_EQ(s.options.size(), 5u);
  EXPECT_EQ(s.options[0].name, "ip_version");
  EXPECT_EQ(s.options[0].value, "ipv4");
  EXPECT_EQ(s.options[1].value, "4000");
  EXPECT_EQ(s.options[2].name, "dry_run");
  EXPECT_FALSE(s.options[2].value.has_value());
  EXPECT_EQ(s.options[3].value, "CC=\"reno\"");
  EXPECT_EQ(s.options[4].name, "-D");
  EXPECT_EQ(s.options[4].value, "MSS=1400");
  ASSERT_TRUE(s.init_command.has_value());
  EXPECT_EQ(s.init_command->text, "init.sh");
  ASSERT_TRUE(s.cleanup_command.has_value());
  EXPECT_EQ(s.cleanup_command->text, "cleanup\n  multi");
  EXPECT_EQ(s.events.size(), 1u);
}

TEST(ParserTest, EveryEventTimeForm) {
  const Script s = ParseOk(
      "0.5 close(3) = 0\n+0.1 close(3) = 0\n+.002 close(3) = 0\n2 close(3) = 0\n"
      "* > . 1:1(0)\n0.1~0.2 > . 1:1(0)\n+0.1~+0.25 > . 1:1(0)\n");
  ASSERT_EQ(s.events.size(), 7u);
  EXPECT_EQ(s.events[0].time, (EventTime{TimeKind::kAbsolute, 500000, 0}));
  EXPECT_EQ(s.events[1].time, (EventTime{TimeKind::kRelative, 100000, 0}));
  EXPECT_EQ(s.events[2].time, (EventTime{TimeKind::kRelative, 2000, 0}));
  EXPECT_EQ(s.events[3].time, (EventTime{TimeKind::kAbsolute, 2000000, 0}));
  EXPECT_EQ(s.events[4].time.kind, TimeKind::kAny);
  EXPECT_EQ(s.events[5].time, (EventTime{TimeKind::kAbsoluteRange, 100000, 200000}));
  EXPECT_EQ(s.events[6].time, (EventTime{TimeKind::kRelativeRange, 100000, 250000}));
  EXPECT_EQ(PrintTime(s.events[6].time), "+0.1~+0.25");
}

TEST(ParserTest, BlockingSyscallEndTime) {
  const Event e = OneEvent("+0...0.3 read(4, ..., 1000) = -1 ENOTCONN (Socket is not connected)");
  const auto& sc = std::get<Syscall>(e.action);
  EXPECT_EQ(sc.end_usecs, 300000);
  EXPECT_EQ(sc.name, "read");
  ASSERT_EQ(sc.args.size(), 3u);
  EXPECT_EQ(sc.args[1].kind, ExprKind::kEllipsis);
  EXPECT_EQ(sc.result.integer, -1);
  EXPECT_EQ(sc.errno_name, "ENOTCONN");
  EXPECT_EQ(sc.note, "Socket is not connected");
  EXPECT_EQ(PrintEvent(e), "+0...0.3 read(4, ..., 1000) = -1 ENOTCONN (Socket is not connected)");
}

TEST(ParserTest, SyscallResultNoteWithoutErrno) {
  const Event ea = OneEvent("+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
  const auto& a = std::get<Syscall>(ea.action);
  EXPECT_TRUE(a.result.hex);
  EXPECT_EQ(a.result.integer, 2);
  EXPECT_FALSE(a.errno_name.has_value());
  EXPECT_EQ(a.note, "flags O_RDWR");
  const Event eb = OneEvent("+0 write(4, ..., 1) = -1 (Broken pipe)");
  const auto& b = std::get<Syscall>(eb.action);
  EXPECT_EQ(b.note, "Broken pipe");
  const Event ec = OneEvent("+0 getpid() = 7");
  const auto& c = std::get<Syscall>(ec.action);
  EXPECT_TRUE(c.args.empty());
}

TEST(ParserTest, ExpressionForms) {
  const Event e = OneEvent("+0 f(A|B|C, [1, 2], [], \"ab\" \"cd\", \"x\"..., inet_addr(\"192.0.2.1\"), "
               "inet6_addr(\"2001:db8::1\"), {onoff=1, linger=0}, NULL, -5) = 0");
  const auto& sc = std::get<Syscall>(e.action);
  ASSERT_EQ(sc.args.size(), 10u);
  EXPECT_EQ(sc.args[0].kind, ExprKind::kBitOr);
  EXPECT_EQ(sc.args[0].children[0].kind, ExprKind::kBitOr);  // left associative
  EXPECT_EQ(sc.args[1].kind, ExprKind::kList);
  EXPECT_EQ(sc.args[1].children.size(), 2u);
  EXPECT_TRUE(sc.args[2].children.empty());
  EXPECT_EQ(sc.args[3].kind, ExprKind::kConcat);
  EXPECT_TRUE(sc.args[4].string_ellipsis);
  EXPECT_EQ(sc.args[5].kind, ExprKind::kCall);
  EXPECT_EQ(sc.args[5].text, "inet_addr");
  EXPECT_EQ(sc.args[5].children[0].text, "192.0.2.1");
  EXPECT_EQ(sc.args[6].text, "inet6_addr");
  EXPECT_EQ(ClassifyBraces(sc.args[7]), BraceForm::kLinger);
  EXPECT_EQ(sc.args[8].kind, ExprKind::kWord);
  EXPECT_EQ(sc.args[9].integer, -5);
}

TEST(ParserTest, StructExpressionsAreClassified) {
  const Event e = OneEvent("+0 f({sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"1.2.3.4\")}, "
               "{msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, {..., 10}, "
               "{cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=1}, "
               "{fd=3, events=POLLIN, revents=0}, {events=EPOLLIN, fd=3}, "
               "{tv_sec=1, tv_usec=2}, {scm_sec=1, scm_nsec=2}, "
               "{ee_errno=1, ee_origin=2, ee_type=3, ee_code=4, ee_info=5, ee_data=6}, "
               "{1, 2}) = 0");
  const auto& sc = std::get<Syscall>(e.action);
  ASSERT_EQ(sc.args.size(), 10u);
  const BraceForm want[] = {BraceForm::kSockaddr,  BraceForm::kMsghdr,     BraceForm::kIovec,
                            BraceForm::kCmsg,      BraceForm::kPollfd,     BraceForm::kEpollEvent,
                            BraceForm::kTimeval,   BraceForm::kScmTimestamping,
                            BraceForm::kExtendedErr, BraceForm::kList};
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(ClassifyBraces(sc.args[i]), want[i]) << i;
  // msg_iov(1)=[...] is an assignment to a call.
  const Expr& iov = sc.args[1].children[1];
  EXPECT_EQ(iov.kind, ExprKind::kAssign);
  EXPECT_EQ(iov.children[0].kind, ExprKind::kCall);
}

TEST(ParserTest, TcpPacketFields) {
  const Event e = OneEvent("+0 < P. 1:1001(1000) ack 5 win 257 urg 3 <nop, mss 1460>");
  const Packet& p = std::get<Packet>(e.action);
  EXPECT_EQ(p.direction, Direction::kInbound);
  const auto& seg = std::get<TcpSegment>(p.body);
  EXPECT_EQ(seg.flags, "P.");
  EXPECT_EQ(seg.start_seq, 1u);
  EXPECT_EQ(seg.end_seq, 1001u);
  EXPECT_EQ(seg.payload, 1000u);
  EXPECT_EQ(seg.ack, 5u);
  EXPECT_EQ(seg.win, 257u);
  EXPECT_EQ(seg.urg, 3u);
  ASSERT_EQ(seg.options.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<OptNop>(seg.options[0]));
  EXPECT_EQ(std::get<OptMss>(seg.options[1]).mss, 1460);
}

TEST(ParserTest, FlagForms) {
  for (const char* flags : {"S", "S.", ".", "P.", "F.", "R", "SEWA", "EAP.", ".5", "SW."}) {
    const Event e = OneEvent(std::string("+0 > ") + flags + " 1:1(0)");
    EXPECT_EQ(std::get<TcpSegment>(std::get<Packet>(e.action).body).flags, flags);
  }
  const Event none = OneEvent("+0 > - 1:1(0)");
  EXPECT_EQ(std::get<TcpSegment>(std::get<Packet>(none.action).body).flags, "");
  EXPECT_EQ(PrintEvent(none), "+0 > - 1:1(0)");
}

TEST(ParserTest, EveryTcpOption) {
  const Event e = OneEvent(
      "+0 < S 0:0(0) win 1 <nop, eol, mss 1460, wscale 7, sackOK, sack 1:2 3:4, "
      "TS val 1 ecr 2, md5 0011, FO abcd, FO, FOEXP 1234, ECN e1b 1 ceb 2 e0b 3>");
  const auto& opts = std::get<TcpSegment>(std::get<Packet>(e.action).body).options;
  ASSERT_EQ(opts.size(), 12u);
  EXPECT_EQ(std::get<OptWscale>(opts[3]).shift, 7);
  EXPECT_EQ(std::get<OptSack>(opts[5]).blocks.size(), 2u);
  EXPECT_EQ(std::get<OptTimestamp>(opts[6]).ecr, 2u);
  EXPECT_EQ(std::get<OptMd5>(opts[7]).hex, "0011");
  EXPECT_EQ(std::get<OptFastOpen>(opts[8]).cookie, "abcd");
  EXPECT_EQ(std::get<OptFastOpen>(opts[9]).cookie, "");
  EXPECT_TRUE(std::get<OptFastOpen>(opts[10]).experimental);
  const auto& ecn = std::get<OptEcn>(opts[11]);
  ASSERT_EQ(ecn.fields.size(), 3u);
  EXPECT_EQ(ecn.fields[0].name, "e1b");
  EXPECT_EQ(ecn.fields[2].value, 3u);
}

TEST(ParserTest, AnyOptionsOnOutboundPackets) {
  const Event e = OneEvent("+0 > S. 0:0(0) ack 1 <...>");
  EXPECT_EQ(std::get<TcpSegment>(std::get<Packet>(e.action).body).options_form,
            OptionsForm::kAny);
}

TEST(ParserTest, IpInfoAndEncapsulation) {
  const Event e = OneEvent(
      "+0 < ipv4 [tos 0x1] 192.0.2.1 > 192.0.2.2: ipv6 2001:db8::1 > 2001:db8::2: gre: "
      "[ect0, flowlabel 0x12345] . 1:1(0) win 1");
  const Packet& p = std::get<Packet>(e.action);
  ASSERT_EQ(p.encaps.size(), 3u);
  EXPECT_EQ(p.encaps[0].kind, EncapKind::kIpv4);
  EXPECT_EQ(p.encaps[0].ip_info->tos, 1);
  EXPECT_EQ(p.encaps[1].dst, "2001:db8::2");
  EXPECT_EQ(p.encaps[2].kind, EncapKind::kGre);
  EXPECT_EQ(p.ip_info->ecn, EcnMark::kEct0);
  EXPECT_EQ(p.ip_info->flowlabel, 0x12345u);
  const Event mpls = OneEvent("+0 < mpls (label 1, tc 0, [S], ttl 255): . 1:1(0) win 1");
  EXPECT_EQ(std::get<Packet>(mpls.action).encaps[0].spec, "(label 1, tc 0, [S], ttl 255)");
}

// google/packetdrill's PSP encapsulation: tunnel mode after an outer IP header (ends with ':'),
// transport mode `encap psp ...` right before the flags.
TEST(ParserTest, PspEncapsulationTunnelAndTransport) {
  const Packet tunnel = std::get<Packet>(
      OneEvent("+0 < ipv4 192.0.2.1 > 192.0.2.2 : psp spi 0x684abfc1, vc 0x1234: . 1:1(0) win 1")
          .action);
  ASSERT_EQ(tunnel.encaps.size(), 2u);
  EXPECT_EQ(tunnel.encaps[1].kind, EncapKind::kPsp);
  EXPECT_EQ(tunnel.encaps[1].spec, "spi 0x684abfc1, vc 0x1234");
  const Packet transport =
      std::get<Packet>(OneEvent("+0 > encap psp spi 23 P. 1:11(10) ack 1").action);
  ASSERT_EQ(transport.encaps.size(), 1u);
  EXPECT_EQ(transport.encaps[0].kind, EncapKind::kPspTransport);
  EXPECT_EQ(transport.encaps[0].spec, "spi 23");
  EXPECT_EQ(std::get<TcpSegment>(transport.body).flags, "P.");
  EXPECT_EQ(PrintEvent(OneEvent("+0 > encap psp spi 23 P. 1:11(10) ack 1")),
            "+0 > encap psp spi 23 P. 1:11(10) ack 1");
}

// A definition's name where packetdrill takes a number (`mss MSS`) stays symbolic.
TEST(ParserTest, SymbolicMss) {
  const Packet p = std::get<Packet>(OneEvent("+0 > S. 0:0(0) ack 1 <mss MSS, nop>").action);
  const auto& mss = std::get<OptMss>(std::get<TcpSegment>(p.body).options[0]);
  EXPECT_EQ(mss.symbol, "MSS");
  EXPECT_EQ(mss.mss, 0);
}

// AccECN: the ACE digit may stand before or after the '.'.
TEST(ParserTest, AceDigitBeforeOrAfterTheDot) {
  for (const char* flags : {".5", "P.5", "P5.", "F5.", "SEWA", "SW."}) {
    const Packet p =
        std::get<Packet>(OneEvent(std::string("+0 > ") + flags + " 1:1(0) ack 1").action);
    EXPECT_EQ(std::get<TcpSegment>(p.body).flags, flags);
  }
}

TEST(ParserTest, TuplesPortsAddressesAndVariables) {
  const Packet p1 = std::get<Packet>(OneEvent("+0 < 8080 > 80 S 0:0(0) win 1").action);
  EXPECT_EQ(p1.tuple->src.port, 8080);
  EXPECT_EQ(p1.tuple->dst.port, 80);
  const Packet p2 =
      std::get<Packet>(OneEvent("+0 < 198.51.100.1:5 > 198.51.100.2:6 S 0:0(0) win 1").action);
  EXPECT_EQ(p2.tuple->src.address, "198.51.100.1");
  EXPECT_EQ(p2.tuple->dst.port, 6);
  const Packet p3 = std::get<Packet>(OneEvent("+0 > addr[c1] > addr[s0] S 0:0(0)").action);
  EXPECT_EQ(p3.tuple->src.var, "c1");
  EXPECT_EQ(p3.tuple->dst.var, "s0");
  const Packet p4 = std::get<Packet>(OneEvent("+0 > > addr[saddr1] S 0:0(0)").action);
  EXPECT_EQ(p4.tuple->src.kind, Endpoint::Kind::kNone);
  EXPECT_EQ(p4.tuple->dst.var, "saddr1");
}

TEST(ParserTest, UdpAndIcmp) {
  const Packet u = std::get<Packet>(OneEvent("+0 > udp 5 > 6 (20)").action);
  EXPECT_EQ(std::get<UdpDatagram>(u.body).payload, 20);
  EXPECT_EQ(u.tuple->dst.port, 6);
  const Packet i = std::get<Packet>(
      OneEvent("+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]").action);
  const auto& m = std::get<IcmpMessage>(i.body);
  EXPECT_EQ(m.type, "unreachable");
  EXPECT_EQ(m.code, "frag_needed");
  EXPECT_EQ(m.mtu, 1200u);
  EXPECT_EQ(m.echoed, IcmpMessage::Echoed::kTcp);
  EXPECT_EQ(m.echoed_payload, 1460);
}

TEST(ParserTest, CommandsAndCodeBlocksKeepTheirTextAndLine) {
  const Script s = ParseOk("+0 `a\nb`\n\n+0.1 %{\nassert x == 1\n}%\n+0 close(3) = 0\n");
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(std::get<Command>(s.events[0].action).text, "a\nb");
  EXPECT_EQ(std::get<Code>(s.events[1].action).text, "\nassert x == 1\n");
  EXPECT_EQ(s.events[1].loc.line, 4);
  EXPECT_EQ(s.events[2].loc.line, 7);
}

TEST(ParserTest, CommentsAnywhere) {
  const Script s = ParseOk("// c\n+0 /* in */ close(3) = 0 // end\n/* multi\nline */ +0 close(4) = 0\n");
  EXPECT_EQ(s.events.size(), 2u);
}

TEST(ParserTest, TreesCompareByStructureNotLocation) {
  const Script a = ParseOk("+0 close(3) = 0\n");
  const Script b = ParseOk("\n\n   +0    close( 3 )=0\n");
  EXPECT_TRUE(a == b);
  const Script c = ParseOk("+0 close(4) = 0\n");
  EXPECT_FALSE(a == c);
}

TEST(ParserTest, ParserIsReentrant) {
  // Two parses interleaved on the same thread share nothing.
  const std::string a = "+0 close(3) = 0\n", b = "+0 < S 0:0(0) win 1\n";
  auto r1 = Parse(a, "a");
  auto r2 = Parse(b, "b");
  auto r3 = Parse(a, "a");
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_TRUE(*r1 == *r3);
  EXPECT_FALSE(*r1 == *r2);
}

}  // namespace
}  // namespace mpdrill::parser
