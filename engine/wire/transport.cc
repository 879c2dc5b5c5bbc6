#include "engine/wire/transport.h"

#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mpdrill::wire {

std::string_view LinkLayerName(LinkLayer layer) {
  switch (layer) {
    case LinkLayer::kIp: return "ip";
    case LinkLayer::kEthernet: return "ethernet";
  }
  return "unknown";
}

Status<std::string> TunTransport::Send(std::span<const std::uint8_t> unit) {
  if (auto s = tun_.Write(unit); !s) return Unexpected{s.error().message};
  return Ok{};
}

Result<std::optional<std::vector<std::uint8_t>>, std::string> TunTransport::Receive(
    std::chrono::microseconds timeout) {
  auto r = tun_.Read(timeout);
  if (!r) return Unexpected{r.error().message};
  return std::move(*r);
}

Result<MacAddress, std::string> DeviceMac(const std::string& device) {
  if (device.empty() || device.size() >= IFNAMSIZ) {
    return Unexpected{"\"" + device + "\" is not an interface name"};
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unexpected{std::string("socket: ") + std::strerror(errno)};
  ifreq req{};
  std::memcpy(req.ifr_name, device.c_str(), device.size());
  const int rc = ioctl(fd, SIOCGIFHWADDR, &req);
  const int err = errno;
  close(fd);
  if (rc != 0) return Unexpected{"interface " + device + ": " + std::strerror(err)};
  if (req.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
    return Unexpected{"interface " + device + " is not Ethernet (ARPHRD " +
                      std::to_string(req.ifr_hwaddr.sa_family) + ")"};
  }
  MacAddress mac;
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, 6);
  return mac;
}

Result<std::unique_ptr<PcapTransport>, std::string> PcapTransport::Open(const std::string& device) {
  auto mac = DeviceMac(device);
  if (!mac) return Unexpected{mac.error()};
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(device.c_str(), err);
  if (!p) return Unexpected{"pcap on " + device + ": " + err};
  auto fail = [&](const std::string& what) {
    std::string m = "pcap on " + device + ": " + what + ": " + pcap_geterr(p);
    pcap_close(p);
    return Unexpected{m};
  };
  // Immediate mode: every frame as it comes (the runner timestamps the kernel's packets).
  pcap_set_snaplen(p, 262144);
  pcap_set_immediate_mode(p, 1);
  pcap_set_promisc(p, 0);
  const int act = pcap_activate(p);
  if (act < 0) return fail("activate");
  if (pcap_datalink(p) != DLT_EN10MB) return fail("not an Ethernet device");
  if (pcap_setdirection(p, PCAP_D_IN) != 0) return fail("setdirection");
  if (pcap_setnonblock(p, 1, err) != 0) return fail("setnonblock");
  const std::string m = MacToString(*mac);
  const std::string filter = "(arp or ip or ip6) and not ether src " + m + " and (ether dst " + m +
                             " or ether broadcast or ether multicast)";
  bpf_program prog{};
  if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return fail("compile filter \"" + filter + "\"");
  }
  const int set = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (set != 0) return fail("setfilter");
  return std::unique_ptr<PcapTransport>(new PcapTransport(p, device, *mac, filter));
}

PcapTransport::~PcapTransport() { pcap_close(pcap_); }

Status<std::string> PcapTransport::Send(std::span<const std::uint8_t> unit) {
  const int n = pcap_inject(pcap_, unit.data(), unit.size());
  if (n < 0 || static_cast<std::size_t>(n) != unit.size()) {
    return Unexpected{"pcap_inject on " + device_ + ": " + pcap_geterr(pcap_)};
  }
  return Ok{};
}

Result<std::optional<std::vector<std::uint8_t>>, std::string> PcapTransport::Receive(
    std::chrono::microseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap_, &h, &data);
    if (rc == 1) {
      // caplen < len only past the snaplen (256 KiB): larger than any coalesced segment.
      return std::optional<std::vector<std::uint8_t>>(std::vector<std::uint8_t>(data, data + h->caplen));
    }
    if (rc < 0) return Unexpected{"pcap on " + device_ + ": " + pcap_geterr(pcap_)};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return std::optional<std::vector<std::uint8_t>>{};
    pollfd pfd{pcap_get_selectable_fd(pcap_), POLLIN, 0};
    const int pr = poll(&pfd, 1, static_cast<int>(left.count() > 20 ? 20 : left.count()));
    if (pr < 0 && errno != EINTR) return Unexpected{std::string("poll: ") + std::strerror(errno)};
  }
}

}  // namespace mpdrill::wire
