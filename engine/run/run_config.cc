#include "engine/run/run_config.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>

namespace mpdrill::run {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

template <typename T>
bool ParseInt(std::string_view s, T* out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Status<std::string> Bad(std::string_view name, std::string_view value) {
  return MakeUnexpected("bad --" + std::string(name) + ": '" + std::string(value) + "'");
}

int NetmaskToPrefix(const std::string& mask) {
  in_addr a{};
  if (inet_pton(AF_INET, mask.c_str(), &a) != 1) return -1;
  const std::uint32_t m = ntohl(a.s_addr);
  int len = 0;
  while (len < 32 && (m & (0x80000000u >> len))) ++len;
  return (len == 32 || (m << len) == 0) ? len : -1;
}

}  // namespace

std::string_view IpVersionName(IpVersion v) {
  switch (v) {
    case IpVersion::kIpv4: return "ipv4";
    case IpVersion::kIpv4MappedIpv6: return "ipv4-mapped-ipv6";
    case IpVersion::kIpv6: return "ipv6";
  }
  return "?";
}

std::optional<IpVersion> ParseIpVersion(std::string_view name) {
  if (name == "ipv4") return IpVersion::kIpv4;
  if (name == "ipv4-mapped-ipv6") return IpVersion::kIpv4MappedIpv6;
  if (name == "ipv6") return IpVersion::kIpv6;
  return std::nullopt;
}

std::vector<IpVersion> VariantsForFile(std::string_view path) {
  if (EndsWith(path, "v4.pkt")) return {IpVersion::kIpv4, IpVersion::kIpv4MappedIpv6};
  if (EndsWith(path, "v6.pkt")) return {IpVersion::kIpv6};
  return {IpVersion::kIpv4, IpVersion::kIpv4MappedIpv6, IpVersion::kIpv6};
}

std::string_view ModelModeName(ModelMode m) {
  switch (m) {
    case ModelMode::kOff: return "off";
    case ModelMode::kWarn: return "warn";
    case ModelMode::kFail: return "fail";
  }
  return "?";
}

std::optional<ModelMode> ParseModelMode(std::string_view text) {
  for (ModelMode m : {ModelMode::kOff, ModelMode::kWarn, ModelMode::kFail}) {
    if (text == ModelModeName(m)) return m;
  }
  return std::nullopt;
}

Status<std::string> RunConfig::Apply(std::string_view name,
                                     const std::optional<std::string>& value) {
  const std::string v = value.value_or("");
  auto need = [&]() -> bool { return value.has_value() && !value->empty(); };
  if (name == "strict_segments") { strict_segments = true; return Ok{}; }
  if (name == "strict_option_order") { strict_option_order = true; return Ok{}; }
  if (name == "dry_run") { dry_run = true; return Ok{}; }
  if (name == "verbose" || name == "v") { ++verbose; return Ok{}; }
  // --tcp_ts_ecr_scaled: an inbound TS ecr no outbound TS val matches is scaled from the
  // first one, which mpdrill always does. --send_omit_free: packetdrill's MSG_ZEROCOPY send
  // buffers stay allocated; mpdrill's are never reused while the kernel may hold them.
  // --debug: packetdrill's own tracing.
  if (name == "tcp_ts_ecr_scaled" || name == "send_omit_free" || name == "debug") return Ok{};
  // What a TUN run cannot do is a usage error, never silently ignored.
  if (name == "is_anyip" || name == "speed" || name == "so_filename" || name == "so_flags" ||
      name == "wire_client" || name == "wire_server") {
    return MakeUnexpected("--" + std::string(name) +
                          " is not supported by mpdrill (it runs scripts against this kernel "
                          "over a TUN device: no link speed, shared-object stack, any-IP "
                          "binding or wire mode)");
  }
  if (!need()) return MakeUnexpected("--" + std::string(name) + " needs a value");
  if (name == "ip_version") {
    auto p = ParseIpVersion(v);
    if (!p) return Bad(name, v);
    ip_version = *p;
  } else if (name == "local_ip") {
    local_ip = v;
  } else if (name == "remote_ip") {
    remote_ip = v;
  } else if (name == "gateway_ip") {
    gateway_ip = v;
  } else if (name == "netmask_ip") {
    netmask_ip = v;
  } else if (name == "bind_port" || name == "connect_port") {
    int port = 0;
    if (!ParseInt(std::string_view(v), &port) || port <= 0 || port > 0xffff) return Bad(name, v);
    (name == "bind_port" ? bind_port : connect_port) = static_cast<std::uint16_t>(port);
  } else if (name == "mss") {
    if (!ParseInt(std::string_view(v), &mss) || mss <= 0) return Bad(name, v);
  } else if (name == "mtu") {
    if (!ParseInt(std::string_view(v), &mtu) || mtu < 68 || mtu > 65535) return Bad(name, v);
  } else if (name == "tolerance_usecs") {
    if (!ParseInt(std::string_view(v), &tolerance_usecs) || tolerance_usecs < 0) {
      return Bad(name, v);
    }
  } else if (name == "tolerance_percent") {
    char* end = nullptr;
    tolerance_percent = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || tolerance_percent < 0) return Bad(name, v);
  } else if (name == "tcp_ts_tick_usecs") {
    if (!ParseInt(std::string_view(v), &tcp_ts_tick_usecs) || tcp_ts_tick_usecs < 0) {
      return Bad(name, v);
    }
  } else if (name == "non_fatal") {
    // Comma/space separated list of "packet" and "syscall", like packetdrill.
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t end = v.find_first_of(", ", pos);
      if (end == std::string::npos) end = v.size();
      const std::string_view tok(v.data() + pos, end - pos);
      if (tok == "packet") non_fatal_packet = true;
      if (tok == "syscall") non_fatal_syscall = true;
      pos = end + 1;
    }
  } else if (name == "define" || name == "D") {
    const auto eq = v.find('=');
    if (eq == 0) return Bad(name, v);
    if (eq == std::string::npos) {
      defines.emplace_back(v, "");
    } else {
      defines.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
  } else if (name == "model") {
    auto m = ParseModelMode(v);
    if (!m) return MakeUnexpected("bad --model: '" + v + "' (off, warn or fail)");
    model_mode = *m;
  } else if (name == "seed") {
    std::uint64_t s = 0;
    if (!ParseInt(std::string_view(v), &s)) return Bad(name, v);
    seed = s;
  } else if (name == "init_scripts") {
    init_scripts = v;
  } else if (name == "code_command") {
    code_command = v;
  } else if (name == "code_format") {
    if (v != "python") return MakeUnexpected("bad --code_format: '" + v + "' (only python)");
  } else if (name == "code_sockopt") {
    // packetdrill checks the name, then takes every snapshot it knows anyway.
    if (v != "TCP_INFO" && v != "TCP_CC_INFO" && v != "SO_MEMINFO") {
      return MakeUnexpected("bad --code_sockopt: '" + v +
                            "' (TCP_INFO, TCP_CC_INFO or SO_MEMINFO)");
    }
  } else {
    return MakeUnexpected("unknown option --" + std::string(name));
  }
  return Ok{};
}

Status<std::string> RunConfig::Finalize() {
  version = ip_version.value_or(IpVersion::kIpv4);
  // packetdrill's config.c defaults; the IPv4 local address is 192.168.0.2 rather than a
  // random one, as the upstream MPTCP runner passes it.
  if (version == IpVersion::kIpv6) {
    if (remote_ip.empty()) remote_ip = "2001:DB8::1/32";
    if (local_ip.empty()) local_ip = "fd3d:fa7b:d17d::0";
    if (gateway_ip.empty()) gateway_ip = "fd3d:fa7b:d17d:8888::0";
    local_prefix_len = 48;
  } else {
    if (remote_ip.empty()) remote_ip = "192.0.2.1/24";
    if (netmask_ip.empty()) netmask_ip = "255.255.0.0";
    if (local_ip.empty()) local_ip = "192.168.0.2";
    if (gateway_ip.empty()) gateway_ip = "192.168.0.1";
    local_prefix_len = NetmaskToPrefix(netmask_ip);
    if (local_prefix_len < 0) return Bad("netmask_ip", netmask_ip);
  }
  const int family = version == IpVersion::kIpv6 ? AF_INET6 : AF_INET;
  const int max_len = family == AF_INET6 ? 128 : 32;
  remote_prefix_len = max_len;
  if (const auto slash = remote_ip.find('/'); slash != std::string::npos) {
    if (!ParseInt(std::string_view(remote_ip).substr(slash + 1), &remote_prefix_len) ||
        remote_prefix_len < 0 || remote_prefix_len > max_len) {
      return Bad("remote_ip", remote_ip);
    }
    remote_ip.resize(slash);
  }
  unsigned char buf[16];
  for (const auto& [flag, addr] : {std::pair<const char*, const std::string*>{"local_ip", &local_ip},
                                   {"remote_ip", &remote_ip}, {"gateway_ip", &gateway_ip}}) {
    if (inet_pton(family, addr->c_str(), buf) != 1) return Bad(flag, *addr);
  }
  return Ok{};
}

std::vector<std::pair<std::string, std::string>> RunConfig::ShellEnvironment() const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"OPT_IP_VERSION", std::string(IpVersionName(version))},
      {"OPT_LOCAL_IP", local_ip},
      {"OPT_REMOTE_IP", remote_ip},
      {"OPT_GATEWAY_IP", gateway_ip},
      {"OPT_NETMASK_IP", netmask_ip},
      {"OPT_LOCAL_DEV", local_dev},
      {"OPT_BIND_PORT", std::to_string(bind_port)},
      {"OPT_CONNECT_PORT", std::to_string(connect_port)},
      {"OPT_MSS", std::to_string(mss)},
      {"OPT_MTU", std::to_string(mtu)},
      {"OPT_TOLERANCE_USECS", std::to_string(tolerance_usecs)},
      {"OPT_TOLERANCE_PERCENT", std::to_string(tolerance_percent)},
  };
  for (const auto& d : defines) env.push_back(d);
  return env;
}

std::map<std::string, std::string> RunConfig::DefineMap() const {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : defines) m[k] = v;
  return m;
}

}  // namespace mpdrill::run
