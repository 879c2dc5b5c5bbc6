// mpdrill-mkbig: a large pcap for throughput benchmarks, made of real frames.
//
//   mpdrill-mkbig --packets N --out BIG.pcap IN.pcap...
//
// Reads every frame of the inputs (all of one link type), then writes them again and again, in
// order, until N frames are written; each copy gets a timestamp 10 microseconds after the
// previous one, so the output is a well-formed, time-ordered capture. libpcap reads and writes
// the records; no frame byte is interpreted.
//
// Exit codes: 0 ok, 2 usage or an unreadable / mixed-link-type input, 3 cannot write.
#include <pcap/pcap.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitWrite = 3;
constexpr std::uint64_t kMaxPackets = 100'000'000;  // bounds the output file
constexpr long kStepMicros = 10;

struct Record {
  std::vector<std::uint8_t> bytes;
  std::uint32_t original_length = 0;
};

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

bool ReadAll(const std::string& path, int* linktype, int* snaplen, std::vector<Record>* out) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> in(pcap_open_offline(path.c_str(), err));
  if (!in) {
    std::cerr << "mpdrill-mkbig: " << path << ": " << err << "\n";
    return false;
  }
  const int lt = pcap_datalink(in.get());
  if (*linktype >= 0 && lt != *linktype) {
    std::cerr << "mpdrill-mkbig: " << path << ": link type expected: " << *linktype
              << " actual: " << lt << "\n";
    return false;
  }
  *linktype = lt;
  *snaplen = std::max(*snaplen, pcap_snapshot(in.get()));
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(in.get(), &hdr, &data)) == 1) {
    out->push_back(Record{std::vector<std::uint8_t>(data, data + hdr->caplen), hdr->len});
  }
  if (rc == PCAP_ERROR) {
    std::cerr << "mpdrill-mkbig: " << path << ": " << pcap_geterr(in.get()) << "\n";
    return false;
  }
  return true;
}

int Usage() {
  std::cerr << "usage: mpdrill-mkbig --packets N --out BIG.pcap IN.pcap...\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t packets = 0;
  std::string out_path;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--packets" && i + 1 < argc) {
      const std::string_view v = argv[++i];
      if (std::from_chars(v.data(), v.data() + v.size(), packets).ec != std::errc{}) return Usage();
    } else if (a == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a.starts_with("--")) {
      return Usage();
    } else {
      inputs.emplace_back(a);
    }
  }
  if (packets == 0 || packets > kMaxPackets || out_path.empty() || inputs.empty()) return Usage();

  int linktype = -1;
  int snaplen = 0;
  std::vector<Record> records;
  for (const std::string& in : inputs) {
    if (!ReadAll(in, &linktype, &snaplen, &records)) return kExitUsage;
  }
  if (records.empty()) {
    std::cerr << "mpdrill-mkbig: the inputs hold no frame\n";
    return kExitUsage;
  }
  std::unique_ptr<pcap_t, PcapCloser> dead(pcap_open_dead(linktype, snaplen > 0 ? snaplen : 262144));
  std::unique_ptr<pcap_dumper_t, DumperCloser> dumper(pcap_dump_open(dead.get(), out_path.c_str()));
  if (!dumper) {
    std::cerr << "mpdrill-mkbig: " << out_path << ": " << pcap_geterr(dead.get()) << "\n";
    return kExitWrite;
  }
  long sec = 1'700'000'000;
  long usec = 0;
  for (std::uint64_t i = 0; i < packets; ++i) {
    const Record& r = records[i % records.size()];
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = sec;
    hdr.ts.tv_usec = usec;
    hdr.caplen = static_cast<bpf_u_int32>(r.bytes.size());
    hdr.len = r.original_length;
    pcap_dump(reinterpret_cast<u_char*>(dumper.get()), &hdr, r.bytes.data());
    usec += kStepMicros;
    if (usec >= 1'000'000) usec -= 1'000'000, ++sec;
  }
  if (pcap_dump_flush(dumper.get()) != 0) {
    std::cerr << "mpdrill-mkbig: " << out_path << ": write failed\n";
    return kExitWrite;
  }
  std::cout << out_path << "\t" << packets << " packets from " << records.size() << " frames\n";
  return kExitOk;
}
