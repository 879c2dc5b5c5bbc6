// mpdrill-extract-seeds: fuzz seeds from real captures (docs/fuzzing.md).
//
//   mpdrill-extract-seeds --out corpus [--per-shape N] [--crafted] FILE.pcap...
//
// For every TCP segment of every capture, writes
//   - each kind-30 option as  <segment flags byte><option>  into
//     corpus/mp_capable_fuzzer, corpus/dss_fuzzer or corpus/add_addr_fuzzer by subtype (other
//     subtypes go to all three: each harness accepts any option);
//   - the whole option area of segments that carry MPTCP as <segment flags byte><area> into
//     corpus/option_list_fuzzer.
// The flags byte is fuzz/codec_mutator.h's layout. Files are named by the SHA-1 of their
// content (as libFuzzer names its own), so re-running adds nothing twice. At most N inputs
// (default 3) are kept per shape (segment flags, length, subtype byte and first flag byte; for
// areas the sequence of kinds, lengths and MPTCP subtypes), which keeps the corpora small.
// --crafted adds the hand-made malformed seeds listed below, named crafted-<what>.bin.
//
// Exit codes: 0 ok, 2 usage or an unreadable capture.
#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/capture/mptcp_scan.h"
#include "engine/capture/pcap_reader.h"
#include "engine/codec/tcp_options.h"
#include "fuzz/codec_mutator.h"

namespace {

namespace fs = std::filesystem;
using ByteVec = std::vector<std::uint8_t>;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

constexpr const char* kMpCapable = "mp_capable_fuzzer";
constexpr const char* kDss = "dss_fuzzer";
constexpr const char* kAddAddr = "add_addr_fuzzer";
constexpr const char* kOptionList = "option_list_fuzzer";
constexpr const char* kCorpora[] = {kMpCapable, kDss, kAddAddr, kOptionList};

std::string Sha1Hex(const ByteVec& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) s += kDigits[md[i] >> 4], s += kDigits[md[i] & 0xf];
  return s;
}

class SeedWriter {
 public:
  SeedWriter(fs::path out, std::size_t per_shape) : out_(std::move(out)), per_shape_(per_shape) {}

  // false when the file could not be written.
  bool Add(const char* corpus, const std::string& shape, const ByteVec& input) {
    const std::string hash = Sha1Hex(input);
    if (!seen_[corpus].insert(hash).second) return true;  // same content: nothing new
    if (shapes_[corpus][shape]++ >= per_shape_) return true;
    return Write(corpus, hash, input);
  }

  bool Write(const char* corpus, const std::string& name, const ByteVec& input) {
    const fs::path dir = out_ / corpus;
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
    if (!f) {
      std::cerr << "mpdrill-extract-seeds: cannot write " << (dir / name) << "\n";
      return false;
    }
    ++written_[corpus];
    return true;
  }

  void Report() const {
    for (const char* c : kCorpora) {
      const auto it = written_.find(c);
      std::cout << c << "\t" << (it == written_.end() ? 0 : it->second) << " new files\n";
    }
  }

 private:
  fs::path out_;
  std::size_t per_shape_;
  std::map<std::string, std::set<std::string>> seen_;
  std::map<std::string, std::map<std::string, std::size_t>> shapes_;
  std::map<std::string, std::size_t> written_;
};

std::string ShapeOfOption(std::uint8_t flags, mpdrill::Bytes option) {
  std::string s = std::to_string(flags) + "/" + std::to_string(option.size());
  if (option.size() > 2) s += "/" + std::to_string(option[2]);
  if (option.size() > 3) s += "/" + std::to_string(option[3]);
  return s;
}

bool ExtractFile(const std::string& path, SeedWriter* writer) {
  bool ok = true;
  auto stats = mpdrill::capture::ForEachTcpSegment(
      path, [&](const mpdrill::capture::Frame&, const mpdrill::capture::TcpSegment& tcp) {
        const std::uint8_t flags =
            mpdrill::fuzz::FlagsFromSegment(mpdrill::capture::SegmentInfoOf(tcp));
        std::string area_shape = std::to_string(flags);
        bool has_mptcp = false;
        mpdrill::codec::TcpOptionWalker walker(tcp.options);
        while (auto view = walker.Next()) {
          area_shape += "|" + std::to_string(view->kind) + ":" + std::to_string(view->bytes.size());
          if (view->kind != mpdrill::codec::kMptcpOptionKind) continue;
          has_mptcp = true;
          ByteVec input{flags};
          input.insert(input.end(), view->bytes.begin(), view->bytes.end());
          const std::string shape = ShapeOfOption(flags, view->bytes);
          const int subtype = view->bytes.size() > 2 ? view->bytes[2] >> 4 : -1;
          area_shape += ":" + std::to_string(subtype);
          switch (subtype) {
            case 0: ok &= writer->Add(kMpCapable, shape, input); break;
            case 2: ok &= writer->Add(kDss, shape, input); break;
            case 3: ok &= writer->Add(kAddAddr, shape, input); break;
            default:
              for (const char* c : {kMpCapable, kDss, kAddAddr}) ok &= writer->Add(c, shape, input);
              break;
          }
        }
        if (has_mptcp) {
          ByteVec input{flags};
          input.insert(input.end(), tcp.options.begin(), tcp.options.end());
          ok &= writer->Add(kOptionList, area_shape, input);
        }
      });
  if (!stats) {
    std::cerr << "mpdrill-extract-seeds: " << stats.error().message << "\n";
    return false;
  }
  return ok;
}

// Hand-made malformed inputs the captures never show (the decoder's error paths, RFC 8684 §3).
struct Crafted {
  const char* corpus;
  const char* name;
  ByteVec bytes;
};

std::vector<Crafted> CraftedSeeds() {
  using namespace mpdrill::fuzz;  // NOLINT: the flag constants
  constexpr std::uint8_t kSyn = kSegSynKnown | kSegSyn | kSegAckKnown | kSegRstKnown | kSegPayloadKnown;
  constexpr std::uint8_t kAck = kSegSynKnown | kSegAckKnown | kSegAck | kSegRstKnown | kSegPayloadKnown;
  constexpr std::uint8_t kData = kAck | kSegPayloadNonZero;
  ByteVec too_long = {kAck, 30, 41, 0x30, 1};
  too_long.resize(42, 0xaa);
  ByteVec nops = {kAck};
  nops.resize(41, 1);
  return {
      {kMpCapable, "length-5", {kSyn, 30, 5, 0x01, 0x81, 0}},
      {kMpCapable, "version-0", {kSyn, 30, 4, 0x00, 0x81}},
      {kMpCapable, "syn-with-key", {kSyn, 30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8}},
      {kMpCapable, "trailing-byte", {kSyn, 30, 4, 0x01, 0x81, 0}},
      {kMpCapable, "length-past-end", {kAck, 30, 20, 0x01, 0x81, 1, 2, 3}},
      {kMpCapable, "truncated-header", {kSyn, 30, 4}},
      {kMpCapable, "not-kind-30", {kSyn, 2, 4, 0x05, 0xb4}},
      {kDss, "flags-length-mismatch", {kData, 30, 8, 0x20, 0x05, 0, 0, 0, 1}},
      {kDss, "m-without-M", {kAck, 30, 4, 0x20, 0x08}},
      {kDss, "reserved-bits", {kAck, 30, 4, 0x2f, 0xe0}},
      {kDss, "length-3", {kAck, 30, 3, 0x20}},
      {kDss, "length-below-3", {kAck, 30, 2, 0x20}},
      {kDss, "data-fin-only-bad-ssn",
       {kAck, 30, 14, 0x20, 0x14, 0, 0, 0, 9, 0, 0, 0, 7, 0, 1}},
      {kAddAddr, "length-9", {kAck, 30, 9, 0x30, 1, 198, 51, 100, 2, 0}},
      {kAddAddr, "length-41", too_long},
      {kAddAddr, "echo-with-hmac",
       {kAck, 30, 16, 0x31, 1, 198, 51, 100, 2, 1, 2, 3, 4, 5, 6, 7, 8}},
      {kOptionList, "zero-length-option", {kAck, 1, 1, 8, 0, 30, 4, 0x01, 0x81}},
      {kOptionList, "kind-30-without-length", {kAck, 1, 1, 1, 30}},
      {kOptionList, "length-past-area", {kAck, 2, 4, 5, 0xb4, 30, 20, 0x01, 0x81}},
      {kOptionList, "syn-mpc-and-join",
       {kSyn, 30, 4, 0x01, 0x81, 30, 12, 0x10, 3, 1, 2, 3, 4, 5, 6, 7, 8}},
      {kOptionList, "eol-then-garbage", {kAck, 30, 3, 0x51, 0, 0xff, 0xff}},
      {kOptionList, "forty-nops", nops},
  };
}

int Usage() {
  std::cerr << "usage: mpdrill-extract-seeds --out DIR [--per-shape N] [--crafted] FILE...\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  std::size_t per_shape = 3;
  bool crafted = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--per-shape" && i + 1 < argc) {
      per_shape = std::stoul(argv[++i]);
    } else if (a == "--crafted") {
      crafted = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      return kExitOk;
    } else if (a.starts_with("--")) {
      return Usage();
    } else {
      files.emplace_back(a);
    }
  }
  if (out.empty() || (files.empty() && !crafted)) return Usage();
  SeedWriter writer(out, per_shape);
  bool ok = true;
  for (const std::string& f : files) ok &= ExtractFile(f, &writer);
  if (crafted) {
    for (const Crafted& c : CraftedSeeds()) {
      ok &= writer.Write(c.corpus, std::string("crafted-") + c.name + ".bin", c.bytes);
    }
  }
  writer.Report();
  return ok ? kExitOk : kExitUsage;
}
