// Test-only helpers: build link/IP/TCP frames layer by layer and write them to pcap files with
// libpcap itself. Compiled into the capture and decode tests; not part of mpdrill_capture.
#ifndef MPDRILL_ENGINE_CAPTURE_TEST_FRAMES_H_
#define MPDRILL_ENGINE_CAPTURE_TEST_FRAMES_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace mpdrill::capture::testing {

using Buf = std::vector<std::uint8_t>;

Buf Cat(std::initializer_list<Buf> parts);

struct TcpSpec {
  std::uint16_t sport = 43210;
  std::uint16_t dport = 8080;
  std::uint32_t seq = 1000;
  std::uint32_t ack = 0;
  std::uint16_t flags = 0x002;  // SYN
  std::uint16_t window = 65535;
  Buf options;                  // padded with NOPs... no: with EOL bytes to a multiple of 4
  Buf payload;
  std::optional<std::uint8_t> data_offset_override;  // in words
};
// TCP header (checksum 0) + options + payload.
Buf Tcp(const TcpSpec& spec);

// IPv4 header (no options unless given, checksum computed) + payload.
struct Ipv4Spec {
  std::array<std::uint8_t, 4> src{198, 51, 100, 1};
  std::array<std::uint8_t, 4> dst{198, 51, 100, 2};
  std::uint8_t protocol = 6;
  std::uint16_t frag = 0x4000;  // DF
  Buf options;
  std::optional<std::uint16_t> total_length_override;
};
Buf Ipv4(const Ipv4Spec& spec, const Buf& payload);

struct Ipv6Ext {
  std::uint8_t type;  // 0, 43, 44, 60
  Buf body;           // bytes after next-header/length (padded to the unit by the builder)
};
struct Ipv6Spec {
  std::array<std::uint8_t, 16> src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::array<std::uint8_t, 16> dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  std::uint8_t next = 6;
  std::vector<Ipv6Ext> extensions;
};
Buf Ipv6(const Ipv6Spec& spec, const Buf& payload);

Buf Ethernet(std::uint16_t ethertype, const Buf& payload,
             std::initializer_list<std::uint16_t> vlan_tpids = {});
Buf Sll(std::uint16_t protocol, const Buf& payload);
Buf Sll2(std::uint16_t protocol, const Buf& payload);
Buf Null(std::uint32_t family_host_order, const Buf& payload);

struct PcapRecord {
  Buf bytes;
  std::uint32_t snaplen_cut = 0;  // 0: capture whole; otherwise caplen = min(size, this)
};
// Writes a pcap file with libpcap (pcap_open_dead + pcap_dump_open). Returns false on error.
bool WritePcap(const std::string& path, int linktype, const std::vector<PcapRecord>& records,
               int snaplen = 262144);
bool WritePcap(const std::string& path, int linktype, const std::vector<Buf>& frames);

// A fresh directory under the test temp dir, unique per call.
std::string MakeTempDir();

}  // namespace mpdrill::capture::testing

#endif  // MPDRILL_ENGINE_CAPTURE_TEST_FRAMES_H_
