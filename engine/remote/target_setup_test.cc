#include "engine/remote/target_setup.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/exec.h"
#include "base/files.h"
#include "engine/remote/wire_target.h"

namespace mpdrill::remote {
namespace {

run::RunConfig Finalized(run::IpVersion v) {
  run::RunConfig c;
  c.ip_version = v;
  EXPECT_TRUE(c.Finalize().ok());
  return c;
}

TEST(LinkSetupFor, TheVariantsAddressAndRouteViaTheGateway) {
  const agent::LinkSetup v4 = LinkSetupFor(Finalized(run::IpVersion::kIpv4));
  EXPECT_EQ(v4.mtu, 1500u);
  EXPECT_EQ(v4.address, "192.168.0.2");
  EXPECT_EQ(v4.prefix, 16);
  EXPECT_EQ(v4.route, "192.0.2.0");
  EXPECT_EQ(v4.route_prefix, 24);
  EXPECT_EQ(v4.gateway, "192.168.0.1");
  const agent::LinkSetup v6 = LinkSetupFor(Finalized(run::IpVersion::kIpv6));
  EXPECT_EQ(v6.address, "fd3d:fa7b:d17d::0");
  EXPECT_EQ(v6.prefix, 48);
  EXPECT_EQ(v6.route, "2001:db8::");
  EXPECT_EQ(v6.route_prefix, 32);
  EXPECT_EQ(v6.gateway, "fd3d:fa7b:d17d:8888::0");
}

// The session's script is valid shell for the target's /bin/sh, quoting included.
TEST(SessionSetupScript, ParsesAsShell) {
  auto dir = TempDir::Make(std::filesystem::temp_directory_path(), "mpdrill-setup");
  ASSERT_TRUE(dir.ok());
  const std::string path = (dir->path() / "setup.sh").string();
  const std::string script = SessionSetupScript("it's");
  ASSERT_TRUE(WriteFile(path, script).ok());
  auto r = ExecWithDeadline({"/bin/sh", "-n", path});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err << script;
  EXPECT_NE(script.find("ethtool -K 'it'\\''s' tx off"), std::string::npos) << script;
}

agent::InterfaceInfo If(const std::string& name, bool mac, const std::string& address = "") {
  agent::InterfaceInfo i;
  i.name = name;
  if (mac) i.mac = {0x52, 0x54, 0, 1, 2, 3};
  if (!address.empty()) i.addresses.push_back({address, 24});
  return i;
}

TEST(ChooseTargetDevice, TheOnlyNonControlEthernetDevice) {
  const std::vector<agent::InterfaceInfo> ifs = {If("lo", false, "127.0.0.1"),
                                                 If("ctl1", true, "203.0.113.2"),
                                                 If("veth1", true)};
  auto got = ChooseTargetDevice(ifs, "", "203.0.113.2");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, "veth1");
  EXPECT_EQ(*ChooseTargetDevice(ifs, "ctl1", "203.0.113.2"), "ctl1");
  auto missing = ChooseTargetDevice(ifs, "eth9", "203.0.113.2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "--target-dev eth9: the target has no such interface (it has lo, ctl1, veth1)");
  auto two = ChooseTargetDevice({If("a", true), If("b", true)}, "", "203.0.113.2");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().message.find("candidates: a, b"), std::string::npos);
}

}  // namespace
}  // namespace mpdrill::remote
