// `mpdrill decode FILE [--format text|json]`: every MPTCP option of a pcap/pcapng capture, with
// the per-packet rule violations (docs/decode.md, docs/json.md).
#include <boost/program_options.hpp>

#include <charconv>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "engine/capture/dissect.h"
#include "engine/capture/mptcp_scan.h"
#include "engine/capture/pcap_reader.h"
#include "engine/codec/json_util.h"
#include "engine/codec/mptcp_print.h"
#include "engine/codec/rules.h"

namespace mpdrill::cli {
namespace {

namespace po = boost::program_options;
using capture::MptcpOptionEntry;
using capture::MptcpScan;
using capture::TcpSegment;

constexpr std::size_t kFlushBytes = 1 << 20;
constexpr std::uint64_t kMaxMalformedReports = 10;

enum class Format : std::uint8_t { kText, kJson };

constexpr std::string_view kUsage =
    "usage: mpdrill decode FILE [--format text|json]\n"
    "\n"
    "Prints every MPTCP option (TCP option kind 30, RFC 8684) found in a pcap or pcapng\n"
    "capture, with the rule violations that one packet alone can show (rule IDs as in\n"
    "docs/rules.md). FILE may be '-' for standard input.\n"
    "\n"
    "Link types: Ethernet (802.1Q/QinQ tags), Linux cooked SLL and SLL2, raw IP, BSD loopback.\n"
    "\n"
    "Output formats:\n"
    "  text  one line per TCP segment that carries MPTCP options, in packetdrill script\n"
    "        syntax, each violation on an indented line below it:\n"
    "          12 198.51.100.1:43210 > 198.51.100.2:8080 S <mpcapable v0 flags[flag_h] nokey>\n"
    "            violation C2 @2: mp_capable: version is not 1\n"
    "        (@N is the byte offset from the start of the TCP option area)\n"
    "  json  JSON Lines, one object per MPTCP option (keys in docs/json.md)\n"
    "\n"
    "Exit codes: 0 decoded, no violation; 1 violations found; 2 unreadable input or bad\n"
    "usage.\n"
    "\n"
    "Options:\n";

void AppendUint(std::uint64_t v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// packetdrill's flag letters, in its order: F S R P . U E W (no flag at all: "-").
void AppendTcpFlags(std::uint16_t flags, std::string* out) {
  const std::size_t before = out->size();
  if (flags & capture::kTcpFin) out->push_back('F');
  if (flags & capture::kTcpSyn) out->push_back('S');
  if (flags & capture::kTcpRst) out->push_back('R');
  if (flags & capture::kTcpPsh) out->push_back('P');
  if (flags & capture::kTcpAck) out->push_back('.');
  if (flags & capture::kTcpUrg) out->push_back('U');
  if (flags & capture::kTcpEce) out->push_back('E');
  if (flags & capture::kTcpCwr) out->push_back('W');
  if (out->size() == before) out->push_back('-');
}

// Same names as codec::SubtypeName, from the nibble alone (for options that did not decode).
const char* NibbleName(std::uint8_t nibble) {
  switch (nibble) {
    case 0x0: return "mp_capable";
    case 0x1: return "mp_join";
    case 0x2: return "dss";
    case 0x3: return "add_addr";
    case 0x4: return "remove_addr";
    case 0x5: return "mp_prio";
    case 0x6: return "mp_fail";
    case 0x7: return "mp_fastclose";
    case 0x8: return "mp_tcprst";
    case 0xf: return "experimental";
    default: return "unknown";
  }
}

void AppendEndpoint(const capture::IpAddress& a, std::uint16_t port, std::string* out) {
  if (a.version == 6) out->push_back('[');
  capture::AppendAddress(a, out);
  if (a.version == 6) out->push_back(']');
  out->push_back(':');
  AppendUint(port, out);
}

// Notes (severity info: an infinite mapping, an unknown subtype) print as `note`.
void AppendViolationLine(std::string_view rule, std::size_t offset, std::string_view reason,
                         std::string* out, codec::Severity severity = codec::Severity::kViolation) {
  switch (severity) {
    case codec::Severity::kViolation:
      out->append("  violation ");
      break;
    case codec::Severity::kInfo:
      out->append("  note ");
      break;
  }
  out->append(rule);
  out->append(" @");
  AppendUint(offset, out);
  out->append(": ");
  out->append(reason);
  out->push_back('\n');
}

// Text: `FRAME SRC:SPORT > DST:DPORT FLAGS <opt, opt>` then one line per violation.
void AppendText(std::uint64_t frame, const TcpSegment& seg, const MptcpScan& scan,
                std::string* out) {
  AppendUint(frame, out);
  out->push_back(' ');
  AppendEndpoint(seg.src, seg.sport, out);
  out->append(" > ");
  AppendEndpoint(seg.dst, seg.dport, out);
  out->push_back(' ');
  AppendTcpFlags(seg.flags, out);
  out->append(" <");
  const codec::SegmentInfo info = capture::SegmentInfoOf(seg);
  bool first = true;
  for (const MptcpOptionEntry& e : scan.view()) {
    if (!first) out->append(", ");
    first = false;
    if (e.decoded) {
      out->append(codec::ToScript(e.decoded->option, info));
    } else {
      const auto nibble = e.subtype_nibble();
      out->append("malformed ");
      out->append(nibble ? NibbleName(*nibble) : "mptcp");
      out->append(" len ");
      AppendUint(e.bytes.size() >= 2 ? e.bytes[1] : 0, out);
    }
  }
  if (scan.stop_on_mptcp) {
    if (!first) out->append(", ");
    out->append("malformed mptcp cut off");
  }
  out->append(">\n");
  for (const MptcpOptionEntry& e : scan.view()) {
    if (e.decoded) {
      for (const codec::Violation& v : e.decoded->violations.view()) {
        AppendViolationLine(codec::RuleName(v.rule), std::size_t{e.offset} + v.offset, v.reason,
                            out, v.severity);
      }
    } else {
      AppendViolationLine(codec::RuleName(e.error->rule), std::size_t{e.offset} + e.error->offset,
                          e.error->reason, out);
    }
  }
  for (const codec::Violation& v : scan.segment_violations.view()) {
    AppendViolationLine(codec::RuleName(v.rule), v.offset, v.reason, out, v.severity);
  }
  if (scan.stop) {
    AppendViolationLine(codec::RuleName(codec::RuleId::kG5), scan.stop->offset, scan.stop->reason,
                        out);
  }
}

struct JsonViolation {
  std::string_view rule;
  std::size_t offset;  // from the option's kind byte
  std::string_view reason;
  codec::Severity severity = codec::Severity::kViolation;
};

// The keys every object starts with: frame, src, dst, sport, dport.
void AppendJsonPrefix(std::uint64_t frame, const TcpSegment& seg, std::string* out) {
  out->append("{\"frame\":");
  AppendUint(frame, out);
  out->append(",\"src\":\"");
  capture::AppendAddress(seg.src, out);
  out->append("\",\"dst\":\"");
  capture::AppendAddress(seg.dst, out);
  out->append("\",\"sport\":");
  AppendUint(seg.sport, out);
  out->append(",\"dport\":");
  AppendUint(seg.dport, out);
}

// "violations": IDs of severity violation; "notes": IDs of severity info.
void AppendJsonViolations(std::span<const JsonViolation> vs, std::string* out) {
  for (const codec::Severity severity : {codec::Severity::kViolation, codec::Severity::kInfo}) {
    out->append(severity == codec::Severity::kViolation ? ",\"violations\":[" : ",\"notes\":[");
    bool first = true;
    for (const JsonViolation& v : vs) {
      if (v.severity != severity) continue;
      if (!first) out->push_back(',');
      first = false;
      out->push_back('"');
      out->append(v.rule);
      out->push_back('"');
    }
    out->push_back(']');
  }
}

const char* SeverityName(codec::Severity severity) {
  switch (severity) {
    case codec::Severity::kViolation:
      return "violation";
    case codec::Severity::kInfo:
      return "info";
  }
  return "violation";
}

void AppendJsonTail(const TcpSegment& seg, std::size_t option_offset,
                    std::span<const JsonViolation> vs, std::string* out) {
  out->append(",\"tcp_flags\":\"");
  AppendTcpFlags(seg.flags, out);
  out->append("\",\"option_offset\":");
  AppendUint(option_offset, out);
  out->append(",\"details\":[");
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"rule\":\"");
    out->append(vs[i].rule);
    out->append("\",\"offset\":");
    AppendUint(vs[i].offset, out);
    out->append(",\"severity\":\"");
    out->append(SeverityName(vs[i].severity));
    out->append("\",\"reason\":");
    codec::AppendJsonString(vs[i].reason, out);
    out->push_back('}');
  }
  out->append("]}\n");
}

// JSON Lines: one object per MPTCP option; a walk that broke off adds one object for it.
void AppendJson(std::uint64_t frame, const TcpSegment& seg, const MptcpScan& scan,
                std::string* out) {
  // Per option at most: codec violations (8) + segment violations (8).
  std::array<JsonViolation, 2 * codec::ViolationList::kCapacity> vs{};
  for (const MptcpOptionEntry& e : scan.view()) {
    std::size_t n = 0;
    if (e.decoded) {
      for (const codec::Violation& v : e.decoded->violations.view()) {
        vs[n++] = {codec::RuleName(v.rule), v.offset, v.reason, v.severity};
      }
    } else {
      vs[n++] = {codec::RuleName(e.error->rule), e.error->offset, e.error->reason};
    }
    for (const codec::Violation& v : scan.segment_violations.view()) {
      if (v.offset == e.offset) vs[n++] = {codec::RuleName(v.rule), 0, v.reason, v.severity};
    }
    const std::span<const JsonViolation> mine(vs.data(), n);
    AppendJsonPrefix(frame, seg, out);
    out->append(",\"subtype\":");
    if (e.decoded) {
      out->push_back('"');
      out->append(codec::SubtypeName(e.decoded->option));
      out->push_back('"');
    } else if (const auto nibble = e.subtype_nibble()) {
      out->push_back('"');
      out->append(NibbleName(*nibble));
      out->push_back('"');
    } else {
      out->append("null");
    }
    out->append(",\"length\":");
    AppendUint(e.bytes.size() >= 2 ? e.bytes[1] : e.bytes.size(), out);
    AppendJsonViolations(mine, out);
    if (e.decoded) {
      out->push_back(',');
      const std::size_t mark = out->size();
      codec::AppendJsonFields(e.decoded->option, out);
      if (out->size() == mark) out->pop_back();  // a subtype without fields
    } else {
      out->append(",\"error\":");
      codec::AppendJsonString(e.error->reason, out);
    }
    AppendJsonTail(seg, e.offset, mine, out);
  }
  if (scan.stop) {
    const JsonViolation g5{codec::RuleName(codec::RuleId::kG5),
                           scan.stop->offset - std::size_t{scan.stop_at}, scan.stop->reason};
    const Bytes rest = seg.options.subspan(std::min<std::size_t>(scan.stop_at, seg.options.size()));
    AppendJsonPrefix(frame, seg, out);
    out->append(",\"subtype\":");
    if (scan.stop_on_mptcp && rest.size() >= 3) {
      out->push_back('"');
      out->append(NibbleName(rest[2] >> 4));
      out->push_back('"');
    } else {
      out->append("null");
    }
    if (rest.size() >= 2) {
      out->append(",\"length\":");
      AppendUint(rest[1], out);
    }
    AppendJsonViolations({&g5, 1}, out);
    out->append(",\"kind\":");
    AppendUint(rest.empty() ? 0 : rest[0], out);
    out->append(",\"error\":");
    codec::AppendJsonString(scan.stop->reason, out);
    AppendJsonTail(seg, scan.stop_at, {&g5, 1}, out);
  }
}

struct Options {
  std::string file;
  Format format = Format::kText;
};

// Parses the command line; on failure writes the message and returns the exit code.
std::optional<int> ParseArgs(const std::vector<std::string>& args, CommandIo io, Options* opts) {
  po::options_description desc;
  std::string format = "text";
  desc.add_options()("help,h", "print this help and exit")(
      "format,f", po::value<std::string>(&format)->value_name("text|json"),
      "output format (default: text)");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::string>(&opts->file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill decode: " << e.what() << "\nTry 'mpdrill decode --help'.\n";
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << desc;
    return kExitOk;
  }
  if (format == "text") {
    opts->format = Format::kText;
  } else if (format == "json") {
    opts->format = Format::kJson;
  } else {
    io.err << "mpdrill decode: --format must be 'text' or 'json', not '" << format
           << "'\nTry 'mpdrill decode --help'.\n";
    return kExitBadInput;
  }
  if (opts->file.empty()) {
    io.err << "mpdrill decode: missing FILE\nTry 'mpdrill decode --help'.\n";
    return kExitBadInput;
  }
  return std::nullopt;
}

}  // namespace

int RunDecode(const std::vector<std::string>& args, CommandIo io) {
  Options opts;
  if (auto exit = ParseArgs(args, io, &opts)) return *exit;

  auto reader = capture::PcapReader::Open(opts.file);
  if (!reader) {
    io.err << "mpdrill decode: " << reader.error().message << "\n";
    return kExitBadInput;
  }
  if (!capture::IsSupportedLinkType(reader->linktype())) {
    io.err << "mpdrill decode: " << opts.file << ": unsupported link-layer type "
           << reader->linktype() << "\n";
    return kExitBadInput;
  }

  std::string out;
  out.reserve(kFlushBytes + 64 * 1024);
  MptcpScan scan;
  capture::Frame frame;
  std::uint64_t violations = 0;
  std::uint64_t malformed = 0;
  int exit_code = kExitOk;
  for (;;) {
    auto more = reader->Next(&frame);
    if (!more) {
      io.out.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
      io.err << "mpdrill decode: " << more.error().message << "\n";
      exit_code = kExitBadInput;
      break;
    }
    if (!*more) break;
    auto dissected = capture::Dissect(frame.linktype, frame.data);
    if (!dissected) {
      // Headers that cannot be dissected hide any option: reported, but not a rule violation.
      if (++malformed <= kMaxMalformedReports) {
        io.err << "mpdrill decode: " << opts.file << ": frame " << frame.number << ": "
               << dissected.error().reason << " (offset " << dissected.error().offset << ")\n";
      }
      continue;
    }
    const auto* seg = std::get_if<TcpSegment>(&*dissected);
    if (seg == nullptr) continue;
    capture::ScanMptcpOptions(*seg, &scan);
    if (!scan.has_mptcp()) continue;
    violations += scan.violation_count();
    switch (opts.format) {
      case Format::kText:
        AppendText(frame.number, *seg, scan, &out);
        break;
      case Format::kJson:
        AppendJson(frame.number, *seg, scan, &out);
        break;
    }
    if (out.size() >= kFlushBytes) {
      io.out.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  }
  io.out.write(out.data(), static_cast<std::streamsize>(out.size()));
  io.out.flush();
  if (malformed > kMaxMalformedReports) {
    io.err << "mpdrill decode: " << opts.file << ": " << malformed - kMaxMalformedReports
           << " more frames could not be dissected\n";
  }
  if (exit_code != kExitOk) return exit_code;
  return violations > 0 ? kExitFailure : kExitOk;
}

}  // namespace mpdrill::cli
