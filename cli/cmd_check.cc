// `mpdrill check FILE...`: offline RFC 8684 conformance of pcap/pcapng captures. Every frame's
// TCP segment, with its decoded MPTCP options and per-packet codec violations, goes through the
// reference model (engine/model, docs/model.md); violations stream out as they are found, then
// one summary per connection (docs/check.md).
#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cli/commands.h"
#include "engine/capture/dissect.h"
#include "engine/capture/pcap_reader.h"
#include "engine/capture/segment_pipeline.h"
#include "engine/codec/json_util.h"
#include "engine/codec/rules.h"
#include "engine/model/summary.h"
#include "engine/model/observer.h"
#include "engine/model/path_event.h"

namespace mpdrill::cli {
namespace {

namespace po = boost::program_options;

constexpr std::size_t kFlushBytes = 1 << 20;
constexpr std::uint64_t kMaxMalformedReports = 10;
// Summaries kept for the end of a file; beyond, only counted (memory stays bounded).
constexpr std::size_t kMaxSummaries = 10000;

enum class Format : std::uint8_t { kText, kJson };

constexpr std::string_view kUsage =
    "usage: mpdrill check [options] FILE...\n"
    "\n"
    "Offline conformance check of pcap/pcapng captures against RFC 8684 (Multipath TCP).\n"
    "Subflows are grouped into connections by token; both directions are checked by the\n"
    "reference model (docs/model.md), per-packet option rules by the codec (docs/rules.md).\n"
    "Payloads cut by the snap length make DSS checksums unverifiable (counted), never\n"
    "violations. FILE may be '-' for standard input.\n"
    "\n"
    "Output formats:\n"
    "  text  one line per violation, then one summary per connection:\n"
    "          FILE:FRAME: RULE (RFC 8684 §x.y) conn N subflow M client: what, expected: X actual: Y\n"
    "  json  JSON Lines: one object per violation (file, frame, rule, section, connection,\n"
    "        subflow, sender, message, expected, actual), then one {\"type\":\"summary\"}\n"
    "        object per file (docs/check.md)\n"
    "\n"
    "A DSS checksum failure its receiver answers as RFC 8684 §3.7 asks (MP_FAIL then an\n"
    "infinite mapping, a subflow reset with MP_FAIL/MP_TCPRST, or a fallback on the first\n"
    "data) is a path event: reported, not a violation. Unanswered or answered wrongly, it\n"
    "is rule D3.\n"
    "\n"
    "Exit codes: 0 no violation (path events allowed); 1 violations found; 2 unreadable\n"
    "input or bad usage.\n"
    "\n"
    "Options:\n";

struct Options {
  std::vector<std::string> files;
  Format format = Format::kText;
  std::set<codec::RuleId> rules_off;
  model::ObserverOptions observer;
};

using codec::AppendUint;

// A JSON string of the endpoint (digits, hex, dots, colons, brackets: nothing to escape).
void AppendJsonEndpoint(const model::Endpoint& e, std::string* out) {
  out->push_back('"');
  model::AppendEndpoint(e, out);
  out->push_back('"');
}

// One finding, from the model or the codec.
struct Finding {
  std::uint64_t frame = 0;
  codec::RuleId rule;
  std::optional<model::FlowLocation> where;
  std::string_view explanation;
};

// "what: expected: X actual: Y" -> what, X, Y (expected/actual empty when absent).
struct SplitMessage {
  std::string_view message, expected, actual;
};
SplitMessage Split(std::string_view text) {
  SplitMessage s{text, {}, {}};
  const std::size_t e = text.find("expected: ");
  if (e == std::string_view::npos) return s;
  const std::size_t a = text.find(" actual: ", e);
  if (a == std::string_view::npos) return s;
  std::string_view message = text.substr(0, e);
  while (!message.empty() && (message.back() == ' ' || message.back() == ':' ||
                              message.back() == ',')) {
    message.remove_suffix(1);
  }
  s.message = message;
  s.expected = text.substr(e + 10, a - e - 10);
  s.actual = text.substr(a + 9);
  return s;
}

void AppendJsonStringOrNull(std::string_view s, std::string* out) {
  if (s.empty()) {
    out->append("null");
  } else {
    codec::AppendJsonString(s, out);
  }
}

// " conn N subflow M client" (text).
void AppendTextFlow(const model::FlowLocation& w, std::string* out) {
  out->append(" conn ");
  AppendUint(w.connection, out);
  out->append(" subflow ");
  AppendUint(w.subflow, out);
  out->push_back(' ');
  out->append(model::SideName(w.sender));
}

// ,"connection":N,"subflow":M,"sender":"client" (JSON), nulls without a flow.
void AppendJsonFlow(const std::optional<model::FlowLocation>& w, std::string* out) {
  if (!w) {
    out->append(",\"connection\":null,\"subflow\":null,\"sender\":null");
    return;
  }
  out->append(",\"connection\":");
  AppendUint(w->connection, out);
  out->append(",\"subflow\":");
  AppendUint(w->subflow, out);
  out->append(",\"sender\":\"");
  out->append(model::SideName(w->sender));
  out->push_back('"');
}

// ,"message":...,"expected":...,"actual":...} and the line's end (JSON).
void AppendJsonMessageAndEnd(std::string_view explanation, std::string* out) {
  const SplitMessage m = Split(explanation);
  out->append(",\"message\":");
  codec::AppendJsonString(m.message, out);
  out->append(",\"expected\":");
  AppendJsonStringOrNull(m.expected, out);
  out->append(",\"actual\":");
  AppendJsonStringOrNull(m.actual, out);
  out->append("}\n");
}

void AppendFinding(Format format, std::string_view file, const Finding& f, std::string* out) {
  const std::string_view rule = codec::RuleName(f.rule);
  const std::string_view section = model::Section(f.rule);
  switch (format) {
    case Format::kText:
      out->append(file);
      out->push_back(':');
      AppendUint(f.frame, out);
      out->append(": ");
      out->append(rule);
      out->append(" (");
      out->append(section);
      out->push_back(')');
      if (f.where) AppendTextFlow(*f.where, out);
      out->append(": ");
      out->append(f.explanation);
      out->push_back('\n');
      return;
    case Format::kJson:
      out->append("{\"type\":\"violation\",\"file\":");
      codec::AppendJsonString(file, out);
      out->append(",\"frame\":");
      AppendUint(f.frame, out);
      out->append(",\"rule\":\"");
      out->append(rule);
      out->append("\",\"section\":");
      codec::AppendJsonString(section, out);
      AppendJsonFlow(f.where, out);
      AppendJsonMessageAndEnd(f.explanation, out);
      return;
  }
}

// A checksum failure its receiver answered as RFC 8684 §3.7 asks (model/path_event.h): the
// failed mapping's frame and sender, and what the receiver did.
void AppendPathEvent(Format format, std::string_view file, const model::PathEvent& e,
                     std::string* out) {
  const model::Violation& v = e.failure;
  const model::FlowLocation where{v.connection, v.subflow, v.sender};
  const std::string_view section = model::Section(codec::RuleId::kF2);  // §3.7
  switch (format) {
    case Format::kText:
      out->append(file);
      out->push_back(':');
      AppendUint(v.packet, out);
      out->append(": path event (");
      out->append(section);
      out->push_back(')');
      AppendTextFlow(where, out);
      out->append(": checksum failure answered, ");
      out->append(e.answer);
      out->append("; ");
      out->append(v.explanation);
      out->push_back('\n');
      return;
    case Format::kJson:
      out->append("{\"type\":\"path_event\",\"file\":");
      codec::AppendJsonString(file, out);
      out->append(",\"frame\":");
      AppendUint(v.packet, out);
      out->append(",\"kind\":\"");
      out->append(model::PathEventKindName(e.kind));
      out->append("\",\"rule\":\"");
      out->append(codec::RuleName(v.rule));
      out->append("\",\"section\":");
      codec::AppendJsonString(section, out);
      AppendJsonFlow(where, out);
      out->append(",\"answer_frame\":");
      AppendUint(e.answer_packet, out);
      out->append(",\"answer\":");
      codec::AppendJsonString(e.answer, out);
      AppendJsonMessageAndEnd(v.explanation, out);
      return;
  }
}

// The three checksum counts, each after its label (text or JSON keys).
struct ChecksumLabels {
  std::string_view verified, failed, unverifiable;
};
constexpr ChecksumLabels kJsonChecksumLabels = {
    ",\"checksums_verified\":", ",\"checksums_failed\":", ",\"checksums_unverifiable\":"};

void AppendChecksums(const model::ChecksumStats& c, const ChecksumLabels& labels,
                     std::string* out) {
  out->append(labels.verified);
  AppendUint(c.verified, out);
  out->append(labels.failed);
  AppendUint(c.failed, out);
  out->append(labels.unverifiable);
  AppendUint(c.unverifiable, out);
}

void AppendDirections(const std::array<std::uint64_t, 2>& bytes, std::string* out) {
  out->append("{\"client_to_server\":");
  AppendUint(bytes[0], out);
  out->append(",\"server_to_client\":");
  AppendUint(bytes[1], out);
  out->push_back('}');
}

// `s.violations`: as for AppendTextSummary.
void AppendJsonSummary(const model::ConnectionSummary& s, std::string* out) {
  out->append("{\"id\":");
  AppendUint(s.id, out);
  out->append(",\"client\":");
  AppendJsonEndpoint(s.client, out);
  out->append(",\"server\":");
  AppendJsonEndpoint(s.server, out);
  out->append(",\"mode\":\"");
  out->append(model::ModeName(s.mode));
  out->append(s.checksums ? "\",\"checksums\":true" : "\",\"checksums\":false");
  out->append(s.fallback ? ",\"fallback\":true" : ",\"fallback\":false");
  out->append(",\"fallback_reason\":");
  AppendJsonStringOrNull(s.fallback_reason, out);
  out->append(",\"fallback_rule\":");
  if (s.fallback_rule) {
    out->push_back('"');
    out->append(codec::RuleName(*s.fallback_rule));
    out->push_back('"');
  } else {
    out->append("null");
  }
  out->append(",\"close\":\"");
  out->append(model::CloseKindName(s.close));
  out->append(s.evicted ? "\",\"evicted\":true" : "\",\"evicted\":false");
  out->append(",\"data_bytes\":");
  AppendDirections(s.data_bytes, out);
  out->append(",\"violations\":");
  AppendUint(s.violations, out);
  AppendChecksums(s.checksum_stats, kJsonChecksumLabels, out);
  out->append(",\"mp_fail_sent\":{\"client\":");
  AppendUint(s.mp_fail_sent[0], out);
  out->append(",\"server\":");
  AppendUint(s.mp_fail_sent[1], out);
  out->append("},\"path_events\":");
  AppendUint(s.path_events, out);
  out->append(",\"first_frame\":");
  AppendUint(s.first_packet, out);
  out->append(",\"last_frame\":");
  AppendUint(s.last_packet, out);
  out->append(",\"subflows\":[");
  bool first = true;
  for (const model::SubflowSummary& f : s.subflows) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"id\":");
    AppendUint(f.id, out);
    out->append(f.joined ? ",\"joined\":true" : ",\"joined\":false");
    out->append(",\"initiator\":\"");
    out->append(model::SideName(f.initiator));
    out->append("\",\"from\":");
    AppendJsonEndpoint(f.initiator_endpoint, out);
    out->append(",\"to\":");
    AppendJsonEndpoint(f.responder_endpoint, out);
    out->append(",\"state\":\"");
    out->append(model::SubflowStateName(f.state));
    out->append(f.backup ? "\",\"backup\":true" : "\",\"backup\":false");
    out->append(",\"tcp_bytes\":");
    AppendDirections(f.tcp_bytes, out);
    out->append(",\"retransmitted_bytes\":");
    AppendDirections(f.retransmitted_bytes, out);
    out->append(",\"reset_reason\":");
    if (f.reset_reason) {
      AppendUint(*f.reset_reason, out);
    } else {
      out->append("null");
    }
    out->push_back('}');
  }
  out->append("]}");
}

// `s.violations` is what this command reported for the connection (codec findings included,
// --rule-off applied), not the model's own count.
void AppendTextSummary(const model::ConnectionSummary& s, std::string* out) {
  out->append(model::Describe(s));
  if (s.checksums) {
    AppendChecksums(s.checksum_stats, {"  checksums verified ", " failed ", " unverifiable "},
                    out);
    out->push_back('\n');
  }
}

// Checks one file; appends to `out` and flushes it to io.out as it grows.
class FileChecker {
 public:
  FileChecker(const Options& opts, std::string file, CommandIo io)
      : opts_(opts), file_(std::move(file)), io_(io), pipeline_({.observer = opts.observer}) {
    out_.reserve(kFlushBytes + 64 * 1024);
  }

  // Returns the exit code for this file.
  int Run() {
    auto reader = capture::PcapReader::Open(file_);
    if (!reader) {
      io_.err << "mpdrill check: " << reader.error().message << "\n";
      return kExitBadInput;
    }
    if (!capture::IsSupportedLinkType(reader->linktype())) {
      io_.err << "mpdrill check: " << file_ << ": unsupported link-layer type "
              << reader->linktype() << "\n";
      return kExitBadInput;
    }
    int exit_code = kExitOk;
    capture::Frame frame;
    for (;;) {
      auto more = reader->Next(&frame);
      if (!more) {
        Flush();
        io_.err << "mpdrill check: " << more.error().message << "\n";
        exit_code = kExitBadInput;
        break;
      }
      if (!*more) break;
      ++frames_;
      OnFrame(frame);
      if (out_.size() >= kFlushBytes) Flush();
    }
    pipeline_.Finish(&found_);
    Drain();
    AppendFileSummary();
    Flush();
    io_.out.flush();
    if (malformed_ > kMaxMalformedReports) {
      io_.err << "mpdrill check: " << file_ << ": " << malformed_ - kMaxMalformedReports
              << " more frames could not be dissected\n";
    }
    if (exit_code == kExitOk && violations_ > 0) exit_code = kExitFailure;
    return exit_code;
  }

 private:
  void OnFrame(const capture::Frame& frame) {
    auto dissected = capture::Dissect(frame.linktype, frame.data);
    if (!dissected) {
      // Headers that cannot be dissected hide any option: reported, not a rule violation.
      if (++malformed_ <= kMaxMalformedReports) {
        io_.err << "mpdrill check: " << file_ << ": frame " << frame.number << ": "
                << dissected.error().reason << " (offset " << dissected.error().offset << ")\n";
      }
      return;
    }
    const auto* tcp = std::get_if<capture::TcpSegment>(&*dissected);
    if (tcp == nullptr) return;
    ++tcp_segments_;
    pipeline_.Process(*tcp, frame.number,
                      static_cast<std::uint64_t>(frame.timestamp.seconds) * 1000000u +
                          frame.timestamp.nanoseconds / 1000u,
                      &found_);
    Drain();
  }

  void Emit(const Finding& f) {
    if (opts_.rules_off.count(f.rule)) return;
    ++violations_;
    if (f.where) ++per_connection_[f.where->connection];
    AppendFinding(opts_.format, file_, f, &out_);
  }

  // Findings so far (codec, then model), then the summaries of retired connections.
  void Drain() {
    for (const capture::SegmentFinding& f : found_) {
      switch (f.source) {
        case capture::SegmentFinding::Source::kCodec:
        case capture::SegmentFinding::Source::kModel: {
          const model::Violation& v = f.violation;
          std::optional<model::FlowLocation> where;
          if (v.connection != 0) where = model::FlowLocation{v.connection, v.subflow, v.sender};
          Emit(Finding{v.packet, v.rule, where, v.explanation});
          break;
        }
        case capture::SegmentFinding::Source::kPathEvent:
          ++path_events_;
          AppendPathEvent(opts_.format, file_, *f.path_event, &out_);
          break;
      }
    }
    found_.clear();
    for (model::ConnectionSummary& s : pipeline_.observer().TakeFinished()) {
      s.violations = 0;
      if (auto it = per_connection_.find(s.id); it != per_connection_.end()) {
        s.violations = it->second;
        per_connection_.erase(it);
      }
      ++connections_;
      checksums_.verified += s.checksum_stats.verified;
      checksums_.failed += s.checksum_stats.failed;
      checksums_.unverifiable += s.checksum_stats.unverifiable;
      if (summaries_.size() >= kMaxSummaries) {
        ++summaries_omitted_;
        continue;
      }
      std::string text;
      switch (opts_.format) {
        case Format::kText:
          AppendTextSummary(s, &text);
          break;
        case Format::kJson:
          AppendJsonSummary(s, &text);
          break;
      }
      summaries_.push_back(std::move(text));
    }
  }

  void AppendFileSummary() {
    const model::ObserverStats& st = pipeline_.observer().stats();
    switch (opts_.format) {
      case Format::kText:
        out_.append(file_ + ": " + std::to_string(frames_) + " frames, " +
                    std::to_string(tcp_segments_) + " TCP segments (" +
                    std::to_string(st.ignored) + " outside any connection seen from its SYN), " +
                    std::to_string(connections_) + " connections, " +
                    std::to_string(violations_) + " violations, checksums verified " +
                    std::to_string(checksums_.verified) + " failed " +
                    std::to_string(checksums_.failed) + " unverifiable " +
                    std::to_string(checksums_.unverifiable) +
                    (path_events_ ? ", path events " + std::to_string(path_events_) : "") +
                    "\n");
        for (const std::string& s : summaries_) AppendAndFlush(s);
        if (summaries_omitted_) {
          out_.append("  (" + std::to_string(summaries_omitted_) + " more connections)\n");
        }
        return;
      case Format::kJson:
        out_.append("{\"type\":\"summary\",\"file\":");
        codec::AppendJsonString(file_, &out_);
        out_.append(",\"frames\":");
        AppendUint(frames_, &out_);
        out_.append(",\"tcp_segments\":");
        AppendUint(tcp_segments_, &out_);
        out_.append(",\"ignored_segments\":");
        AppendUint(st.ignored, &out_);
        out_.append(",\"malformed_frames\":");
        AppendUint(malformed_, &out_);
        out_.append(",\"violations\":");
        AppendUint(violations_, &out_);
        out_.append(",\"path_events\":");
        AppendUint(path_events_, &out_);
        AppendChecksums(checksums_, kJsonChecksumLabels, &out_);
        out_.append(",\"connection_count\":");
        AppendUint(connections_, &out_);
        out_.append(",\"connections_omitted\":");
        AppendUint(summaries_omitted_, &out_);
        out_.append(",\"connections\":[");
        for (std::size_t i = 0; i < summaries_.size(); ++i) {
          if (i) out_.push_back(',');
          AppendAndFlush(summaries_[i]);
        }
        out_.append("]}\n");
        return;
    }
  }

  // Up to 10,000 summaries (11 MB of JSON for the bench's file) go out as they are appended,
  // not gathered into one string first.
  void AppendAndFlush(std::string_view text) {
    out_.append(text);
    if (out_.size() >= kFlushBytes) Flush();
  }

  void Flush() {
    io_.out.write(out_.data(), static_cast<std::streamsize>(out_.size()));
    out_.clear();
  }

  const Options& opts_;
  std::string file_;
  CommandIo io_;
  capture::SegmentPipeline pipeline_;
  std::vector<capture::SegmentFinding> found_;
  std::unordered_map<std::uint64_t, std::uint64_t> per_connection_;  // live connections only
  std::vector<std::string> summaries_;
  std::uint64_t summaries_omitted_ = 0;
  std::string out_;
  std::uint64_t frames_ = 0;
  std::uint64_t tcp_segments_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t violations_ = 0;
  std::uint64_t path_events_ = 0;
  std::uint64_t connections_ = 0;
  model::ChecksumStats checksums_;
};

std::optional<int> ParseArgs(const std::vector<std::string>& args, CommandIo io, Options* opts) {
  po::options_description desc;
  std::string format = "text";
  std::vector<std::string> rules_off;
  double idle_timeout_s = 600;
  std::size_t max_connections = opts->observer.max_connections;
  desc.add_options()("help,h", "print this help and exit")(
      "format,f", po::value<std::string>(&format)->value_name("text|json"),
      "output format (default: text)")(
      "rule-off", po::value<std::vector<std::string>>(&rules_off)->value_name("ID"),
      "do not report rule ID (e.g. D3); repeatable")(
      "allow-midstream",
      "the capture may start after connections did: an MP_JOIN for a token never seen is not "
      "a violation (rule J2)")(
      "idle-timeout", po::value<double>(&idle_timeout_s)->value_name("SECONDS"),
      "retire connections silent this long in capture time (default: 600)")(
      "max-connections", po::value<std::size_t>(&max_connections)->value_name("N"),
      "live connections tracked at once; beyond, the least recently active is retired "
      "(default: 65536)");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::vector<std::string>>(&opts->files));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill check: " << e.what() << "\nTry 'mpdrill check --help'.\n";
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << desc;
    return kExitOk;
  }
  auto usage_error = [&io](const std::string& message) {
    io.err << "mpdrill check: " << message << "\nTry 'mpdrill check --help'.\n";
    return kExitBadInput;
  };
  if (format == "text") {
    opts->format = Format::kText;
  } else if (format == "json") {
    opts->format = Format::kJson;
  } else {
    return usage_error("--format must be 'text' or 'json', not '" + format + "'");
  }
  for (const std::string& r : rules_off) {
    const auto id = codec::ParseRuleName(r);
    if (!id) return usage_error("--rule-off: unknown rule '" + r + "'");
    opts->rules_off.insert(*id);
  }
  if (!(idle_timeout_s > 0) || idle_timeout_s > 1e9) {
    return usage_error("--idle-timeout must be a positive number of seconds");
  }
  if (max_connections == 0) return usage_error("--max-connections must be at least 1");
  opts->observer.idle_timeout_us = static_cast<std::uint64_t>(idle_timeout_s * 1e6);
  opts->observer.max_connections = max_connections;
  opts->observer.unknown_token_is_violation = vm.count("allow-midstream") == 0;
  opts->observer.checksum_failures_as_path_events = true;
  if (opts->files.empty()) return usage_error("missing FILE");
  return std::nullopt;
}

}  // namespace

int RunCheck(const std::vector<std::string>& args, CommandIo io) {
  Options opts;
  if (auto exit = ParseArgs(args, io, &opts)) return *exit;
  int exit_code = kExitOk;
  for (const std::string& file : opts.files) {
    FileChecker checker(opts, file, io);
    const int rc = checker.Run();
    // Unreadable input outranks violations.
    if (rc == kExitBadInput || (rc == kExitFailure && exit_code == kExitOk)) exit_code = rc;
  }
  return exit_code;
}

}  // namespace mpdrill::cli
