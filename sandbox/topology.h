// Links, addresses and sysctls inside sandbox namespaces. Every function acts through
// RunCommand / RunInNamespace, so each checks in the child that it is inside a namespace this
// process created before it changes anything.
#ifndef MPDRILL_SANDBOX_TOPOLOGY_H_
#define MPDRILL_SANDBOX_TOPOLOGY_H_

#include <string>
#include <vector>

#include "sandbox/netns.h"
#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox {

// `ip ARGS...` inside `ns` (3 s deadline); non-zero exit is an error.
SandboxStatus Ip(const NetNamespace& ns, const std::vector<std::string>& args);

// Brings `lo` up.
SandboxStatus LoopbackUp(const NetNamespace& ns);

// A veth pair: `name_a` in `a`, its peer `name_b` moved into `b` at creation. The command
// runs inside `a`; `b` is named by /proc/<holder>/ns/net. Both ends are brought up.
SandboxStatus AddVethPair(const NetNamespace& a, const std::string& name_a,
                          const NetNamespace& b, const std::string& name_b);

// `cidr` like "198.51.100.1/24" or "2001:db8:1::1/64" (IPv6 without duplicate address
// detection, so the address is usable at once).
SandboxStatus AddAddress(const NetNamespace& ns, const std::string& dev, const std::string& cidr);

// Writes /proc/sys/<key with dots as slashes> from a child inside `ns` (the net.* sysctls
// are per namespace). Keys are limited to [A-Za-z0-9_.-] without "..".
SandboxStatus SetSysctl(const NetNamespace& ns, const std::string& key, const std::string& value);

// Turns off segmentation/receive offloads so captures show wire-sized segments. Best
// effort: Ok if ethtool is missing.
SandboxStatus DisableOffloads(const NetNamespace& ns, const std::string& dev);

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_TOPOLOGY_H_
