// Fuzzes what the wire link does with a frame sniffed from the target: Neighbours::OnFrame on
// arbitrary bytes must return (no crash, no read past the input: ASan); a reply it builds must
// parse as an Ethernet frame from our MAC, and an IP packet it passes must be a suffix of the
// frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "engine/wire/ethernet.h"
#include "engine/wire/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mpdrill;
  constexpr wire::MacAddress kOwn = {0x02, 0, 0, 0, 0, 0x01};
  wire::Neighbours n(kOwn);
  for (const char* a : {"198.51.100.1", "198.51.100.3"}) {
    capture::IpAddress ip;
    ip.version = 4;
    std::sscanf(a, "%hhu.%hhu.%hhu.%hhu", &ip.bytes[0], &ip.bytes[1], &ip.bytes[2], &ip.bytes[3]);
    n.AddOwnAddress(ip);
  }
  capture::IpAddress v6;
  v6.version = 6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  n.AddOwnAddress(v6);
  const wire::FrameAction a = n.OnFrame(Bytes(data, size));
  if (a.reply) {
    auto f = wire::ParseEthernet(*a.reply);
    if (!f.ok() || f->src != kOwn) std::abort();
  }
  if (a.ip_packet) {
    if (a.ip_packet->size() + wire::kEthernetHeader != size) std::abort();
    if (!std::equal(a.ip_packet->begin(), a.ip_packet->end(), data + wire::kEthernetHeader)) {
      std::abort();
    }
  }
  if (!a.reply && !a.ip_packet && !a.skipped) std::abort();  // every frame gets a verdict
  return 0;
}
