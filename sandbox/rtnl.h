// Link, address and route configuration over rtnetlink, in the calling thread's network
// namespace: what `ip link set up`, `ip addr add` and `ip route add` do, without starting a
// process (each `ip` costs an exec: milliseconds on a host, a fifth of a second in an
// emulated guest, three of them per run). Callers check they are in a private namespace.
#ifndef MPDRILL_SANDBOX_RTNL_H_
#define MPDRILL_SANDBOX_RTNL_H_

#include <string>

#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox::rtnl {

// `ip link set NAME up [mtu MTU]` (mtu 0: left as it is).
SandboxStatus LinkUp(const std::string& name, int mtu = 0);

// `ip addr add ADDRESS/PREFIX dev NAME [nodad]` (the family follows ADDRESS).
SandboxStatus AddAddress(const std::string& name, const std::string& address, int prefix_len,
                         bool nodad);

// `ip route add PREFIX/LEN via GATEWAY dev NAME` (PREFIX is the network address).
SandboxStatus AddRoute(const std::string& name, const std::string& prefix, int prefix_len,
                       const std::string& gateway);

// `ip link set NAME netns FD`: moves the device into the network namespace `netns_fd` refers
// to (the device goes down and loses its addresses, as with `ip`).
SandboxStatus MoveLink(const std::string& name, int netns_fd);

}  // namespace mpdrill::sandbox::rtnl

#endif  // MPDRILL_SANDBOX_RTNL_H_
