#include "sandbox/topology.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "sandbox/process.h"

namespace mpdrill::sandbox {
namespace {

constexpr std::chrono::milliseconds kCommandTimeout(3000);

bool ValidSysctlKey(const std::string& key) {
  if (key.empty() || key.find("..") != std::string::npos || key.front() == '.') return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

SandboxStatus Ip(const NetNamespace& ns, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunChecked(ns, argv, kCommandTimeout);
}

SandboxStatus LoopbackUp(const NetNamespace& ns) { return Ip(ns, {"link", "set", "lo", "up"}); }

SandboxStatus AddVethPair(const NetNamespace& a, const std::string& name_a,
                          const NetNamespace& b, const std::string& name_b) {
  if (!b.valid()) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "peer namespace destroyed"}};
  }
  if (auto s = Ip(a, {"link", "add", name_a, "type", "veth", "peer", "name", name_b, "netns",
                      b.path()});
      !s) {
    return s;
  }
  if (auto s = Ip(a, {"link", "set", name_a, "up"}); !s) return s;
  return Ip(b, {"link", "set", name_b, "up"});
}

SandboxStatus AddAddress(const NetNamespace& ns, const std::string& dev, const std::string& cidr) {
  if (cidr.find(':') != std::string::npos) {
    return Ip(ns, {"-6", "addr", "add", cidr, "dev", dev, "nodad"});
  }
  return Ip(ns, {"addr", "add", cidr, "dev", dev});
}

SandboxStatus SetSysctl(const NetNamespace& ns, const std::string& key, const std::string& value) {
  if (!ValidSysctlKey(key)) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "bad sysctl key: " + key}};
  }
  std::string path = "/proc/sys/" + key;
  for (std::size_t i = std::strlen("/proc/sys/"); i < path.size(); ++i) {
    if (path[i] == '.') path[i] = '/';
  }
  const std::string text = value + "\n";
  auto code = RunInNamespace(
      ns,
      [&path, &text]() {
        const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return 1;
        const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        return (close(fd) == 0 && ok) ? 0 : 1;
      },
      kCommandTimeout);
  if (!code) return Unexpected{code.error()};
  if (*code != 0) {
    return Unexpected{SandboxError{SandboxErrorCode::kCommandFailed,
                                   "sysctl " + key + "=" + value +
                                       " failed: expected: exit 0 actual: exit " +
                                       std::to_string(*code)}};
  }
  return Ok{};
}

SandboxStatus DisableOffloads(const NetNamespace& ns, const std::string& dev) {
  auto r = RunCommand(ns, {"ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"},
                      kCommandTimeout);
  if (!r) return Unexpected{r.error()};
  return Ok{};  // ethtool missing (127) or a feature not changeable: offloads stay as they are
}

}  // namespace mpdrill::sandbox
