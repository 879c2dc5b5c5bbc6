#include "engine/run/run_config.h"

#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

TEST(RunConfigTest, VariantsFollowTheFileName) {
  EXPECT_EQ(VariantsForFile("a/ip_ttl_v4.pkt"),
            (std::vector<IpVersion>{IpVersion::kIpv4, IpVersion::kIpv4MappedIpv6}));
  EXPECT_EQ(VariantsForFile("x_v6.pkt"), std::vector<IpVersion>{IpVersion::kIpv6});
  EXPECT_EQ(VariantsForFile("plain.pkt").size(), 3u);
}

TEST(RunConfigTest, PacketdrillDefaultsPerVariant) {
  RunConfig v4;
  ASSERT_TRUE(v4.Finalize().ok());
  EXPECT_EQ(v4.remote_ip, "192.0.2.1");
  EXPECT_EQ(v4.remote_prefix_len, 24);
  EXPECT_EQ(v4.gateway_ip, "192.168.0.1");
  EXPECT_EQ(v4.local_prefix_len, 16);
  EXPECT_EQ(v4.tolerance_usecs, 4000);
  EXPECT_DOUBLE_EQ(v4.tolerance_percent, 12.5);
  RunConfig v6;
  ASSERT_TRUE(v6.Apply("ip_version", "ipv6").ok());
  ASSERT_TRUE(v6.Finalize().ok());
  EXPECT_EQ(v6.remote_ip, "2001:DB8::1");
  EXPECT_EQ(v6.remote_prefix_len, 32);
  EXPECT_TRUE(v6.wire_ipv6());
}

TEST(RunConfigTest, FlagsParseAndRejectBadValues) {
  RunConfig c;
  EXPECT_TRUE(c.Apply("tolerance_usecs", "100000").ok());
  EXPECT_EQ(c.tolerance_usecs, 100000);
  EXPECT_TRUE(c.Apply("D", "TFO_COOKIE=abc").ok());
  EXPECT_TRUE(c.Apply("non_fatal", "packet,syscall").ok());
  EXPECT_TRUE(c.non_fatal_packet && c.non_fatal_syscall);
  EXPECT_FALSE(c.strict_option_order);
  EXPECT_TRUE(c.Apply("strict_option_order", std::nullopt).ok());
  EXPECT_TRUE(c.strict_option_order);
  EXPECT_FALSE(c.Apply("bind_port", "70000").ok());
  EXPECT_FALSE(c.Apply("ip_version", "ipv5").ok());
  EXPECT_FALSE(c.Apply("no_such_flag", "1").ok());
  EXPECT_EQ(c.DefineMap().at("TFO_COOKIE"), "abc");
  ASSERT_TRUE(c.Apply("local_ip", "not-an-ip").ok());
  EXPECT_FALSE(c.Finalize().ok());
}

TEST(RunConfigTest, ModelModeDefaultsToFailAndParses) {
  RunConfig c;
  EXPECT_EQ(c.model_mode, ModelMode::kFail);
  EXPECT_TRUE(c.Apply("model", "warn").ok());
  EXPECT_EQ(c.model_mode, ModelMode::kWarn);
  EXPECT_TRUE(c.Apply("model", "off").ok());
  EXPECT_EQ(c.model_mode, ModelMode::kOff);
  const auto bad = c.Apply("model", "bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "bad --model: 'bogus' (off, warn or fail)");
  EXPECT_FALSE(c.Apply("model", std::nullopt).ok());
  EXPECT_EQ(ParseModelMode("fail"), ModelMode::kFail);
  EXPECT_EQ(ParseModelMode("strict"), std::nullopt);
  EXPECT_EQ(ModelModeName(ModelMode::kWarn), "warn");
}

TEST(RunConfigTest, ShellEnvironmentCarriesOptAndDefines) {
  RunConfig c;
  ASSERT_TRUE(c.Apply("D", "FOO=bar").ok());
  ASSERT_TRUE(c.Finalize().ok());
  const auto env = c.ShellEnvironment();
  auto get = [&](const std::string& k) {
    for (const auto& [n, v] : env) {
      if (n == k) return v;
    }
    return std::string("<missing>");
  };
  EXPECT_EQ(get("OPT_LOCAL_DEV"), "tun0");
  EXPECT_EQ(get("OPT_IP_VERSION"), "ipv4");
  EXPECT_EQ(get("OPT_REMOTE_IP"), "192.0.2.1");
  EXPECT_EQ(get("OPT_BIND_PORT"), "8080");
  EXPECT_EQ(get("FOO"), "bar");
}

}  // namespace
}  // namespace mpdrill::run

namespace mpdrill::run {
namespace {

// A packetdrill flag mpdrill cannot honour is an error naming it, never silently ignored.
TEST(RunConfigTest, FlagsMpdrillCannotHonourAreErrors) {
  RunConfig c;
  for (const char* name : {"speed", "so_filename", "so_flags"}) {
    auto s = c.Apply(name, std::string("1"));
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_NE(s.error().find(std::string("--") + name + " is not supported"), std::string::npos);
  }
  EXPECT_FALSE(c.Apply("is_anyip", std::nullopt).ok());
  EXPECT_FALSE(c.Apply("code_format", std::string("perl")).ok());
  EXPECT_FALSE(c.Apply("code_sockopt", std::string("TCP_MAXSEG")).ok());
  EXPECT_TRUE(c.Apply("code_sockopt", std::string("TCP_INFO")).ok());
  EXPECT_TRUE(c.Apply("tcp_ts_ecr_scaled", std::nullopt).ok());
  ASSERT_TRUE(c.Apply("init_scripts", std::string("true,echo x")).ok());
  EXPECT_EQ(c.init_scripts, "true,echo x");
  ASSERT_TRUE(c.Apply("code_command", std::string("python3 -B")).ok());
  EXPECT_EQ(c.code_command, "python3 -B");
}

}  // namespace
}  // namespace mpdrill::run
