#include "engine/run/code_block.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/run/netdev.h"

namespace mpdrill::run {
namespace {

struct Field {
  const char* name;
  std::size_t offset;
  std::size_t size;  // 1, 4 or 8 bytes, host order
};

// struct tcp_info (include/uapi/linux/tcp.h) by uapi offsets: the kernel returns as many bytes
// as it knows, so a field past the answer is simply not defined in python.
constexpr Field kTcpInfo[] = {
    {"tcpi_state", 0, 1},           {"tcpi_ca_state", 1, 1},
    {"tcpi_retransmits", 2, 1},     {"tcpi_probes", 3, 1},
    {"tcpi_backoff", 4, 1},         {"tcpi_options", 5, 1},
    {"tcpi_rto", 8, 4},             {"tcpi_ato", 12, 4},
    {"tcpi_snd_mss", 16, 4},        {"tcpi_rcv_mss", 20, 4},
    {"tcpi_unacked", 24, 4},        {"tcpi_sacked", 28, 4},
    {"tcpi_lost", 32, 4},           {"tcpi_retrans", 36, 4},
    {"tcpi_fackets", 40, 4},        {"tcpi_last_data_sent", 44, 4},
    {"tcpi_last_ack_sent", 48, 4},  {"tcpi_last_data_recv", 52, 4},
    {"tcpi_last_ack_recv", 56, 4},  {"tcpi_pmtu", 60, 4},
    {"tcpi_rcv_ssthresh", 64, 4},   {"tcpi_rtt", 68, 4},
    {"tcpi_rttvar", 72, 4},         {"tcpi_snd_ssthresh", 76, 4},
    {"tcpi_snd_cwnd", 80, 4},       {"tcpi_advmss", 84, 4},
    {"tcpi_reordering", 88, 4},     {"tcpi_rcv_rtt", 92, 4},
    {"tcpi_rcv_space", 96, 4},      {"tcpi_total_retrans", 100, 4},
    {"tcpi_pacing_rate", 104, 8},   {"tcpi_max_pacing_rate", 112, 8},
    {"tcpi_bytes_acked", 120, 8},   {"tcpi_bytes_received", 128, 8},
    {"tcpi_segs_out", 136, 4},      {"tcpi_segs_in", 140, 4},
    {"tcpi_notsent_bytes", 144, 4}, {"tcpi_min_rtt", 148, 4},
    {"tcpi_data_segs_in", 152, 4},  {"tcpi_data_segs_out", 156, 4},
    {"tcpi_delivery_rate", 160, 8}, {"tcpi_busy_time", 168, 8},
    {"tcpi_rwnd_limited", 176, 8},  {"tcpi_sndbuf_limited", 184, 8},
    {"tcpi_delivered", 192, 4},     {"tcpi_delivered_ce", 196, 4},
    {"tcpi_bytes_sent", 200, 8},    {"tcpi_bytes_retrans", 208, 8},
    {"tcpi_dsack_dups", 216, 4},    {"tcpi_reord_seen", 220, 4},
    {"tcpi_rcv_ooopack", 224, 4},   {"tcpi_snd_wnd", 228, 4},
    {"tcpi_rcv_wnd", 232, 4},       {"tcpi_rehash", 236, 4},
};

// Symbolic names packetdrill defines beside the tcp_info fields.
constexpr std::pair<const char*, int> kSymbols[] = {
    {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2},  {"TCP_SYN_RECV", 3},   {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},   {"TCP_TIME_WAIT", 6}, {"TCP_CLOSE", 7},      {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},    {"TCP_LISTEN", 10},   {"TCP_CLOSING", 11},   {"TCP_CA_Open", 0},
    {"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2},    {"TCP_CA_Recovery", 3}, {"TCP_CA_Loss", 4},
    {"TCPI_OPT_TIMESTAMPS", 1}, {"TCPI_OPT_SACK", 2}, {"TCPI_OPT_WSCALE", 4},
    {"TCPI_OPT_ECN", 8},    {"TCPI_OPT_ECN_SEEN", 16}, {"TCPI_OPT_SYN_DATA", 32},
    {"TCPI_OPT_USEC_TS", 64},
};

constexpr const char* kMemInfo[] = {
    "SK_MEMINFO_RMEM_ALLOC", "SK_MEMINFO_RCVBUF",      "SK_MEMINFO_WMEM_ALLOC",
    "SK_MEMINFO_SNDBUF",     "SK_MEMINFO_FWD_ALLOC",   "SK_MEMINFO_WMEM_QUEUED",
    "SK_MEMINFO_OPTMEM",     "SK_MEMINFO_BACKLOG",     "SK_MEMINFO_DROPS"};

std::uint64_t Host(const unsigned char* p, std::size_t size) {
  switch (size) {
    case 1: return p[0];
    case 2: { std::uint16_t v; std::memcpy(&v, p, 2); return v; }
    case 4: { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
    default: { std::uint64_t v; std::memcpy(&v, p, 8); return v; }
  }
}

void Assign(std::string* out, const std::string& name, std::uint64_t value) {
  *out += name + " = " + std::to_string(value) + "\n";
}

// TCP_CC_INFO: packetdrill reads the union as each of BBR, DCTCP and Vegas when the answer is
// long enough (cubic answers 0 bytes: nothing).
std::string CcInfoVariables(const unsigned char* p, std::size_t len) {
  std::string out;
  if (len >= 20) {
    const std::uint64_t lo = Host(p, 4), hi = Host(p + 4, 4);
    Assign(&out, "bbr_bw_lo", lo);
    Assign(&out, "bbr_bw_hi", hi);
    Assign(&out, "bbr_bw", (hi << 32) + lo);
    Assign(&out, "bbr_min_rtt", Host(p + 8, 4));
    Assign(&out, "bbr_pacing_gain", Host(p + 12, 4));
    Assign(&out, "bbr_cwnd_gain", Host(p + 16, 4));
  }
  if (len >= 16) {
    Assign(&out, "dctcp_enabled", Host(p, 2));
    Assign(&out, "dctcp_ce_state", Host(p + 2, 2));
    Assign(&out, "dctcp_alpha", Host(p + 4, 4));
    Assign(&out, "dctcp_ab_ecn", Host(p + 8, 4));
    Assign(&out, "dctcp_ab_tot", Host(p + 12, 4));
    Assign(&out, "tcpv_enabled", Host(p, 4));
    Assign(&out, "tcpv_rttcnt", Host(p + 4, 4));
    Assign(&out, "tcp_rtt", Host(p + 8, 4));
    Assign(&out, "tcp_minrtt", Host(p + 12, 4));
  }
  return out;
}

// Python string literal of a path.
std::string PyQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string TcpInfoVariables(const unsigned char* info, std::size_t len) {
  std::string out;
  for (const auto& [name, value] : kSymbols) Assign(&out, name, static_cast<std::uint64_t>(value));
  for (const Field& f : kTcpInfo) {
    if (f.offset + f.size <= len) Assign(&out, f.name, Host(info + f.offset, f.size));
  }
  if (len > 7) {
    Assign(&out, "tcpi_snd_wscale", info[6] & 0x0f);
    Assign(&out, "tcpi_rcv_wscale", info[6] >> 4);
    Assign(&out, "tcpi_delivery_rate_app_limited", info[7] & 0x01);
    Assign(&out, "tcpi_fastopen_client_fail", (info[7] >> 1) & 0x03);
  }
  return out;
}

std::string DedentCode(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.pop_back();
    }
    lines.push_back(line);
  }
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::size_t indent = std::string::npos;
  for (const std::string& l : lines) {
    if (!l.empty()) indent = std::min(indent, l.find_first_not_of(" \t"));
  }
  std::string out;
  for (const std::string& l : lines) out += (l.empty() ? l : l.substr(indent)) + "\n";
  return out;
}

Status<std::string> CodeBlocks::Add(int fd, int line, const std::string& text) {
  Block b;
  b.line = line;
  std::array<unsigned char, 512> buf{};
  socklen_t len = buf.size();
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf.data(), &len) != 0) {
    return MakeUnexpected(std::string("can't find getsockopt to get TCP info: ") +
                          std::strerror(errno));
  }
  b.variables = TcpInfoVariables(buf.data(), len);
  buf.fill(0);
  len = buf.size();
  if (getsockopt(fd, IPPROTO_TCP, TCP_CC_INFO, buf.data(), &len) != 0) {
    return MakeUnexpected(std::string("can't find getsockopt to get TCP_CC_INFO: ") +
                          std::strerror(errno));
  }
  b.variables += CcInfoVariables(buf.data(), len);
  std::array<std::uint32_t, 9> mem{};
  len = sizeof(mem);
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem.data(), &len) != 0) {
    return MakeUnexpected(std::string("can't find getsockopt to get sk_meminfo: ") +
                          std::strerror(errno));
  }
  for (std::size_t i = 0; i < mem.size() && (i + 1) * 4 <= len; ++i) {
    Assign(&b.variables, kMemInfo[i], mem[i]);
  }
  b.text = DedentCode(text);
  program_.push_back(std::move(b));
  return Ok{};
}

std::string CodeBlocks::Program(const std::string& script_path) const {
  std::string p =
      "import sys\n"
      "import traceback\n"
      "_file = " + PyQuote(script_path) + "\n"
      "_line = 0\n"
      "def _mpdrill_excepthook(etype, value, tb):\n"
      "  sys.stderr.write('%s:%d: error in Python code\\n' % (_file, _line))\n"
      "  traceback.print_exception(etype, value, tb)\n"
      "sys.excepthook = _mpdrill_excepthook\n\n";
  for (const Block& b : program_) {
    p += b.variables + "\n_line = " + std::to_string(b.line) + "\n" + b.text + "\n";
  }
  return p;
}

std::optional<CodeFailure> CodeBlocks::Execute(const std::string& command,
                                               const std::string& script_path,
                                               const std::string& cwd,
                                               const std::vector<std::string>& env,
                                               std::chrono::milliseconds timeout) const {
  if (program_.empty()) return std::nullopt;
  char path[] = "/tmp/mpdrill_code_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    return CodeFailure{0, std::string("cannot write the code file: ") + std::strerror(errno), "",
                       true};
  }
  const std::string program = Program(script_path);
  const bool written = write(fd, program.data(), program.size()) ==
                       static_cast<ssize_t>(program.size());
  close(fd);
  std::optional<CodeFailure> failure;
  if (!written) {
    failure = CodeFailure{0, "cannot write the code file", "", true};
  } else {
    ExecResult r = Exec({"/bin/sh", "-c", command + " " + path}, env, cwd, timeout);
    if (r.exit_code != 0 || r.timed_out) {
      CodeFailure f;
      f.output = r.output;
      static const std::regex kWhere(R"(:(\d+): error in Python code)");
      std::smatch m;
      if (std::regex_search(r.output, m, kWhere)) {
        f.line = std::stoi(m[1].str());
        // The exception's own line (the traceback's last): "AssertionError: 12".
        std::string last;
        std::istringstream lines(r.output);
        for (std::string l; std::getline(lines, l);) {
          if (!l.empty()) last = l;
        }
        f.message = "error in Python code: " + last;
      } else if (r.exit_code == 127) {
        f.environment = true;
        f.message = "error executing code: '" + command + "' not found";
      } else {
        f.message = r.timed_out ? "error executing code: '" + command + "' timed out"
                                : "error executing code: '" + command + "' returned non-zero status " +
                                      std::to_string(r.exit_code);
      }
      failure = f;
    }
  }
  unlink(path);
  return failure;
}

}  // namespace mpdrill::run
