#include "engine/remote/target_setup.h"

#include "base/exec.h"
#include "engine/run/netdev.h"

namespace mpdrill::remote {

std::string SessionSetupScript(const std::string& dev) {
  // ethtool may be missing or a feature fixed: the run copes with coalesced segments anyway.
  return "ethtool -K " + ShellQuote(dev) + " tx off tso off gso off >/dev/null 2>&1 || true\n"
         "uname -r\n";
}

agent::LinkSetup LinkSetupFor(const run::RunConfig& c) {
  agent::LinkSetup link;
  link.mtu = static_cast<std::uint32_t>(c.mtu);
  link.address = c.local_ip;
  link.prefix = static_cast<std::uint8_t>(c.local_prefix_len);
  const std::string net = run::NetworkPrefix(c.remote_ip, c.remote_prefix_len, c.wire_ipv6());
  link.route = net.substr(0, net.find('/'));
  link.route_prefix = static_cast<std::uint8_t>(c.remote_prefix_len);
  link.gateway = c.gateway_ip;
  return link;
}

}  // namespace mpdrill::remote
