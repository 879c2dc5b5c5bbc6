#include "engine/capture/test_frames.h"

#include <pcap/pcap.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace mpdrill::capture::testing {
namespace {

void Put16(Buf* b, std::uint16_t v) {
  b->push_back(static_cast<std::uint8_t>(v >> 8));
  b->push_back(static_cast<std::uint8_t>(v));
}
void Put32(Buf* b, std::uint32_t v) {
  Put16(b, static_cast<std::uint16_t>(v >> 16));
  Put16(b, static_cast<std::uint16_t>(v));
}

}  // namespace

Buf Cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Buf Tcp(const TcpSpec& spec) {
  Buf opts = spec.options;
  while (opts.size() % 4) opts.push_back(0);  // EOL padding
  const std::uint8_t words = spec.data_offset_override.value_or(
      static_cast<std::uint8_t>(5 + opts.size() / 4));
  Buf b;
  Put16(&b, spec.sport);
  Put16(&b, spec.dport);
  Put32(&b, spec.seq);
  Put32(&b, spec.ack);
  b.push_back(static_cast<std::uint8_t>(words << 4 | (spec.flags >> 8 & 1)));
  b.push_back(static_cast<std::uint8_t>(spec.flags));
  Put16(&b, spec.window);
  Put16(&b, 0);  // checksum
  Put16(&b, 0);  // urgent
  b.insert(b.end(), opts.begin(), opts.end());
  b.insert(b.end(), spec.payload.begin(), spec.payload.end());
  return b;
}

Buf Ipv4(const Ipv4Spec& spec, const Buf& payload) {
  const std::size_t ihl = 20 + spec.options.size();
  Buf b;
  b.push_back(static_cast<std::uint8_t>(0x40 | ihl / 4));
  b.push_back(0);
  Put16(&b, spec.total_length_override.value_or(static_cast<std::uint16_t>(ihl + payload.size())));
  Put16(&b, 0x1234);  // id
  Put16(&b, spec.frag);
  b.push_back(64);  // ttl
  b.push_back(spec.protocol);
  Put16(&b, 0);  // checksum, filled below
  b.insert(b.end(), spec.src.begin(), spec.src.end());
  b.insert(b.end(), spec.dst.begin(), spec.dst.end());
  b.insert(b.end(), spec.options.begin(), spec.options.end());
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < ihl; i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[10] = static_cast<std::uint8_t>(~sum >> 8);
  b[11] = static_cast<std::uint8_t>(~sum);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Buf Ipv6(const Ipv6Spec& spec, const Buf& payload) {
  Buf ext;
  std::uint8_t first = spec.extensions.empty() ? spec.next : spec.extensions[0].type;
  for (std::size_t i = 0; i < spec.extensions.size(); ++i) {
    const Ipv6Ext& e = spec.extensions[i];
    const std::uint8_t following =
        i + 1 < spec.extensions.size() ? spec.extensions[i + 1].type : spec.next;
    Buf body = e.body;
    if (e.type == 44) {
      body.resize(6, 0);  // fragment header: 8 bytes in all
      ext.push_back(following);
      ext.push_back(0);
    } else {
      while ((body.size() + 2) % 8) body.push_back(0);  // Pad bytes of zero (Pad1 options)
      ext.push_back(following);
      ext.push_back(static_cast<std::uint8_t>((body.size() + 2) / 8 - 1));
    }
    ext.insert(ext.end(), body.begin(), body.end());
  }
  Buf b;
  Put32(&b, 0x60000000);
  Put16(&b, static_cast<std::uint16_t>(ext.size() + payload.size()));
  b.push_back(first);
  b.push_back(64);
  b.insert(b.end(), spec.src.begin(), spec.src.end());
  b.insert(b.end(), spec.dst.begin(), spec.dst.end());
  b.insert(b.end(), ext.begin(), ext.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Buf Ethernet(std::uint16_t ethertype, const Buf& payload,
             std::initializer_list<std::uint16_t> vlan_tpids) {
  Buf b = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};  // dst, src (locally administered)
  std::uint16_t vid = 100;
  for (std::uint16_t tpid : vlan_tpids) {
    Put16(&b, tpid);
    Put16(&b, vid++);  // TCI: priority 0, VLAN id
  }
  Put16(&b, ethertype);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Buf Sll(std::uint16_t protocol, const Buf& payload) {
  Buf b;
  Put16(&b, 0);  // packet type: to us
  Put16(&b, 1);  // ARPHRD_ETHER
  Put16(&b, 6);  // address length
  Buf addr = {0x02, 0, 0, 0, 0, 1, 0, 0};
  b.insert(b.end(), addr.begin(), addr.end());
  Put16(&b, protocol);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Buf Sll2(std::uint16_t protocol, const Buf& payload) {
  Buf b;
  Put16(&b, protocol);
  Put16(&b, 0);  // reserved
  Put32(&b, 2);  // interface index
  Put16(&b, 1);  // ARPHRD_ETHER
  b.push_back(4);  // packet type: outgoing
  b.push_back(6);  // address length
  Buf addr = {0x02, 0, 0, 0, 0, 1, 0, 0};
  b.insert(b.end(), addr.begin(), addr.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Buf Null(std::uint32_t family, const Buf& payload) {
  Buf b = {static_cast<std::uint8_t>(family), static_cast<std::uint8_t>(family >> 8),
           static_cast<std::uint8_t>(family >> 16), static_cast<std::uint8_t>(family >> 24)};
  b.insert(b.end(), payload.begin(), payload.end());  // little-endian writer
  return b;
}

bool WritePcap(const std::string& path, int linktype, const std::vector<PcapRecord>& records,
               int snaplen) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, snaplen,
                                                      PCAP_TSTAMP_PRECISION_NANO);
  if (dead == nullptr) return false;
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    pcap_close(dead);
    return false;
  }
  long nanos = 0;
  for (const PcapRecord& r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = 1700000000;
    h.ts.tv_usec = nanos;  // nanoseconds with the NANO precision
    nanos += 1000;
    h.len = static_cast<bpf_u_int32>(r.bytes.size());
    h.caplen = r.snaplen_cut != 0 && r.snaplen_cut < r.bytes.size()
                   ? r.snaplen_cut
                   : static_cast<bpf_u_int32>(r.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, r.bytes.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return true;
}

bool WritePcap(const std::string& path, int linktype, const std::vector<Buf>& frames) {
  std::vector<PcapRecord> records;
  for (const Buf& f : frames) records.push_back({f, 0});
  return WritePcap(path, linktype, records);
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mpdrill_test_XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

}  // namespace mpdrill::capture::testing
