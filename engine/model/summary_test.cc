// The texts the model's reports and `mpdrill check` summaries are made of: addresses (dotted
// quad, RFC 5952 IPv6), endpoints, and the multi-line connection summary.
#include "engine/model/summary.h"

#include <gtest/gtest.h>

#include "engine/model/address_manager.h"

namespace mpdrill::model {
namespace {

std::array<std::uint8_t, 16> V6(std::initializer_list<std::uint16_t> groups) {
  std::array<std::uint8_t, 16> a{};
  std::size_t i = 0;
  for (std::uint16_t g : groups) {
    a[i++] = static_cast<std::uint8_t>(g >> 8);
    a[i++] = static_cast<std::uint8_t>(g);
  }
  return a;
}

TEST(AddressText, DottedQuadAndPort) {
  EXPECT_EQ(AddressText(false, {198, 51, 100, 2}, std::nullopt), "198.51.100.2");
  EXPECT_EQ(AddressText(false, {0, 10, 255, 100}, 8080), "0.10.255.100 port 8080");
}

// RFC 5952 §4: lowercase, no leading zeros, "::" for the longest run of two or more zero
// groups, the first of equal runs; a single zero group stays "0".
TEST(AddressText, Ipv6CanonicalForm) {
  EXPECT_EQ(AddressText(true, V6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), std::nullopt), "2001:db8::1");
  EXPECT_EQ(AddressText(true, V6({0, 0, 0, 0, 0, 0, 0, 1}), std::nullopt), "::1");
  EXPECT_EQ(AddressText(true, V6({0, 0, 0, 0, 0, 0, 0, 0}), std::nullopt), "::");
  EXPECT_EQ(AddressText(true, V6({0xfe80, 0, 0, 0, 0, 0, 0, 0}), std::nullopt), "fe80::");
  EXPECT_EQ(AddressText(true, V6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}), std::nullopt),
            "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(AddressText(true, V6({0x2001, 0, 0, 1, 0, 0, 0, 1}), std::nullopt), "2001:0:0:1::1");
  EXPECT_EQ(AddressText(true, V6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}), std::nullopt),
            "2001:db8::1:0:0:1");
  EXPECT_EQ(AddressText(true, V6({0xABCD, 0x0EF0, 0x00a0, 0xf, 0x1000, 0xffff, 0x1, 0x10}), 443),
            "abcd:ef0:a0:f:1000:ffff:1:10 port 443");
}

TEST(Describe, OneLinePerConnectionAndSubflow) {
  ConnectionSummary s;
  s.id = 12;
  s.client = {6, V6({0x2001, 0xdb8, 2, 0, 0, 0, 0, 1}), 50287};
  s.server = {6, V6({0x2001, 0xdb8, 2, 0, 0, 0, 0, 2}), 8080};
  s.mode = Mode::kFallback;
  s.fallback = true;
  s.fallback_reason = "infinite mapping";
  s.checksums = true;
  s.close = CloseKind::kTcp;
  s.evicted = true;
  s.data_bytes = {1500, 7};
  s.violations = 3;
  SubflowSummary f;
  f.initiator_endpoint = s.client;
  f.responder_endpoint = s.server;
  f.state = SubflowState::kClosed;
  f.tcp_bytes = {1500, 7};
  s.subflows.push_back(f);
  f.id = 1;
  f.joined = true;
  f.backup = true;
  f.initiator_endpoint = {4, {10, 0, 0, 1}, 4000};
  f.responder_endpoint = {4, {10, 0, 0, 2}, 80};
  f.state = SubflowState::kReset;
  f.tcp_bytes = {0, 0};
  f.reset_reason = 6;
  s.subflows.push_back(f);
  s.mp_fail_sent = {0, 1};
  EXPECT_EQ(Describe(s),
            "connection 12 [2001:db8:2::1]:50287 -> [2001:db8:2::2]:8080 mode fallback "
            "(fallback: infinite mapping) checksums close tcp (evicted)\n"
            "  data bytes client->server 1500 server->client 7, violations 3\n"
            "  MP_FAIL sent by client 0 server 1\n"
            "  subflow 0 initial [2001:db8:2::1]:50287 -> [2001:db8:2::2]:8080 closed bytes "
            "1500/7\n"
            "  subflow 1 join 10.0.0.1:4000 -> 10.0.0.2:80 reset (MP_TCPRST reason 6) backup "
            "bytes 0/0\n");
}

}  // namespace
}  // namespace mpdrill::model
