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

TEST(RunSetupScript, ConfiguresTheVariantsAddressAndRouteViaTheGateway) {
  const std::string v4 = RunSetupScript("veth1", Finalized(run::IpVersion::kIpv4));
  EXPECT_NE(v4.find("ip -4 addr add '192.168.0.2/16' dev 'veth1'"), std::string::npos) << v4;
  EXPECT_NE(v4.find("ip -4 route replace '192.0.2.0/24' via '192.168.0.1' dev 'veth1' onlink"),
            std::string::npos)
      << v4;
  const std::string v6 = RunSetupScript("veth1", Finalized(run::IpVersion::kIpv6));
  EXPECT_NE(v6.find("ip -6 addr add 'fd3d:fa7b:d17d::0/48' dev 'veth1' nodad"), std::string::npos)
      << v6;
  EXPECT_NE(v6.find("via 'fd3d:fa7b:d17d:8888::0'"), std::string::npos) << v6;
}

// The generated script is valid shell for the target's /bin/sh, quoting included.
TEST(RunSetupScript, ParsesAsShell) {
  auto dir = TempDir::Make(std::filesystem::temp_directory_path(), "mpdrill-setup");
  ASSERT_TRUE(dir.ok());
  const std::string path = (dir->path() / "setup.sh").string();
  const std::string script = RunSetupScript("it's", Finalized(run::IpVersion::kIpv4));
  ASSERT_TRUE(WriteFile(path, script).ok());
  auto r = ExecWithDeadline({"/bin/sh", "-n", path});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err << script;
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
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
