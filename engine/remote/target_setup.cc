#include "engine/remote/target_setup.h"

#include "base/exec.h"
#include "engine/run/netdev.h"

namespace mpdrill::remote {
namespace {

// One step: runs `command`, and on failure says which step and stops with its status.
std::string Step(const std::string& what, const std::string& command) {
  return command + " || { rc=$?; echo " + ShellQuote("target set-up: " + what + " failed") +
         " >&2; exit $rc; }\n";
}

}  // namespace

std::string SessionSetupScript(const std::string& dev) {
  // ethtool may be missing or a feature fixed: the run copes with coalesced segments anyway.
  return "ethtool -K " + ShellQuote(dev) + " tx off tso off gso off >/dev/null 2>&1 || true\n"
         "uname -r\n";
}

std::string RunSetupScript(const std::string& dev, const run::RunConfig& c) {
  const std::string d = ShellQuote(dev);
  const bool v6 = c.wire_ipv6();
  const std::string family = v6 ? "-6 " : "-4 ";
  std::string s;
  s += Step("link " + dev + " up, mtu " + std::to_string(c.mtu),
            "ip link set dev " + d + " up mtu " + std::to_string(c.mtu));
  s += Step("address " + c.local_ip,
            "ip " + family + "addr add " +
                ShellQuote(c.local_ip + "/" + std::to_string(c.local_prefix_len)) + " dev " + d +
                (v6 ? " nodad" : ""));
  const std::string net = run::NetworkPrefix(c.remote_ip, c.remote_prefix_len, v6);
  s += Step("route to " + net + " via " + c.gateway_ip,
            "ip " + family + "route replace " + ShellQuote(net) + " via " +
                ShellQuote(c.gateway_ip) + " dev " + d + " onlink");
  s += "exit 0\n";
  return s;
}

}  // namespace mpdrill::remote
