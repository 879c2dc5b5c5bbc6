#include "fuzz/live_env.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "engine/run/netdev.h"
#include "engine/run/wire.h"
#include "fuzz/live_input.h"
#include "sandbox/netns.h"
#include "sandbox/sandbox_test_util.h"

namespace mpdrill::fuzz {
namespace {

using capture::IpAddress;

// "2001:db8::1" and 32 -> "2001:db8::/32" (ip refuses host bits in a route's prefix).
std::string Ipv6Prefix(const IpAddress& a, int len) {
  IpAddress p = a;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(len - 8 * i, 0, 8);
    p.bytes[i] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  std::string text;
  mpdrill::capture::AppendAddress(p, &text);
  return text + "/" + std::to_string(len);
}

// tun0 has the IPv4 setup of `mpdrill run`; this adds the ipv6 variant's address and route.
std::string AddIpv6(const run::RunConfig& v6) {
  const std::vector<std::vector<std::string>> commands = {
      {"ip", "-6", "addr", "add", v6.local_ip + "/" + std::to_string(v6.local_prefix_len), "dev",
       "tun0", "nodad"},
      {"ip", "-6", "route", "add",
       Ipv6Prefix(*run::ParseAddress(v6.remote_ip, true), v6.remote_prefix_len), "via",
       v6.gateway_ip, "dev", "tun0"}};
  for (const auto& argv : commands) {
    const auto r = run::Exec(argv, {}, ".", std::chrono::seconds(5));
    if (r.exit_code != 0) return argv[1] + " " + argv[2] + " " + argv[3] + ": " + r.output;
  }
  return "";
}

int Listen(const FamilyNet& net) {
  const int fd = socket(net.domain, SOCK_STREAM | SOCK_NONBLOCK, kIpprotoMptcp);
  if (fd < 0) return -1;
  const int one = 1;
  if (net.local.version == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  sockaddr_storage a;
  socklen_t len = 0;
  if (!sandbox::test_util::FillAddress(net.domain, net.local_text.c_str(), net.port, &a, &len) ||
      bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

LiveEnvironment MakeLiveEnvironment() {
  LiveEnvironment env;
  if (const char* off = std::getenv("MPDRILL_LIVE_FUZZ_RULE_OFF")) {
    std::string_view rest(off);
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      const auto rule = codec::ParseRuleName(name);
      if (!rule) {
        std::fprintf(stderr, "live_fuzzer: MPDRILL_LIVE_FUZZ_RULE_OFF: unknown rule '%.*s'\n",
                     static_cast<int>(name.size()), name.data());
        std::abort();
      }
      env.rules_off.insert(*rule);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  auto wait = LiveWaitFromEnvironment(std::getenv("MPDRILL_LIVE_FUZZ_QUIET_US"));
  if (!wait) {
    std::fprintf(stderr, "live_fuzzer: %s\n", wait.error().c_str());
    std::abort();
  }
  env.wait = *wait;
  auto starting = sandbox::CurrentNetnsInode();
  if (!starting) {
    env.skip_reason = "cannot read the network namespace: " + starting.error().message;
    return env;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    env.skip_reason =
        "cannot create a network namespace (needs root): " + std::string(std::strerror(errno));
    return env;
  }
  run::RunConfig config;
  if (auto s = config.Finalize(); !s) {
    env.skip_reason = "config: " + s.error();
    return env;
  }
  auto tun = run::SetUpNetwork(config, *starting);
  if (!tun) {
    env.skip_reason = "network setup: " + tun.error().message;
    return env;
  }
  env.tun.emplace(std::move(tun.value()));
  // Room for the subflows ADD_ADDR offers the kernel (the in-kernel path manager opens them).
  const auto limits =
      run::Exec({"ip", "mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4"}, {},
                ".", std::chrono::seconds(5));
  if (limits.exit_code != 0) {
    env.skip_reason = "ip mptcp limits: " + limits.output;
    return env;
  }
  const auto buffers = run::Exec({"sysctl", "-q", "-w", kLiveTcpRmem, kLiveTcpWmem}, {}, ".",
                                 std::chrono::seconds(5));
  if (buffers.exit_code != 0) {
    env.skip_reason = "sysctl: " + buffers.output;
    return env;
  }
  run::RunConfig v6;
  v6.ip_version = run::IpVersion::kIpv6;
  if (auto s = v6.Finalize(); !s) {
    env.skip_reason = "config: " + s.error();
    return env;
  }
  if (std::string e = AddIpv6(v6); !e.empty()) {
    env.skip_reason = "IPv6 on tun0: " + e;
    return env;
  }
  const IpAddress local4 = *run::ParseAddress(config.local_ip, false);
  const IpAddress remote4 = *run::ParseAddress(config.remote_ip, false);
  env.net(run::IpVersion::kIpv4) = {local4, remote4, config.local_ip, config.remote_ip, AF_INET};
  env.net(run::IpVersion::kIpv4MappedIpv6) = {local4, remote4, "::ffff:" + config.local_ip,
                                              "::ffff:" + config.remote_ip, AF_INET6,
                                              kLiveServerPort + 1};
  env.net(run::IpVersion::kIpv6) = {*run::ParseAddress(v6.local_ip, true),
                                    *run::ParseAddress(v6.remote_ip, true), v6.local_ip,
                                    v6.remote_ip, AF_INET6};
  for (FamilyNet& net : env.nets) {
    net.listener = Listen(net);
    if (net.listener < 0) {
      env.skip_reason = "MPTCP listener on " + net.local_text + ": " + std::strerror(errno);
      return env;
    }
  }
  return env;
}

}  // namespace mpdrill::fuzz
