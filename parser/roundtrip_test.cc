// Every script the project holds (scripts/, parser/testdata, corpus seeds) and the third-party
// MPTCP suite under ../shared/upstream/mptcp beside the source tree (read-only; skipped if
// absent) must parse, and
// printing the tree must give text that parses back into an equal tree: Parse(Print(t)) == t, and
// printing is a fixed point: Print(Parse(Print(t))) == Print(t). scripts/syntax/ must together
// use every construct of the language (SyntaxScriptsCoverEveryConstruct).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "parser/parser.h"
#include "parser/printer.h"

namespace mpdrill::parser {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> ScriptsUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".pkt") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ExpectParsesAndRoundTrips(const fs::path& path) {
  SCOPED_TRACE(path.string());
  const std::string text = ReadFile(path);
  auto parsed = Parse(text, path.string());
  ASSERT_TRUE(parsed.ok()) << FormatDiagnostics(parsed.error());
  EXPECT_FALSE(parsed->events.empty());
  const std::string printed = PrintScript(*parsed);
  auto reparsed = Parse(printed, "printed");
  ASSERT_TRUE(reparsed.ok()) << FormatDiagnostics(reparsed.error()) << printed;
  EXPECT_TRUE(*reparsed == *parsed) << printed;
  EXPECT_EQ(PrintScript(*reparsed), printed);
}

TEST(RoundTripTest, UpstreamMptcpSuiteParsesAndRoundTrips) {
  // ../shared beside the source tree (read-only third-party scripts), as ci/upstream.sh.
  const char* env = std::getenv("MPDRILL_UPSTREAM_MPTCP");
  const fs::path dir =
      env ? fs::path(env) : fs::path(MPDRILL_SOURCE_DIR) / ".." / "shared" / "upstream" / "mptcp";
  const std::vector<fs::path> scripts = ScriptsUnder(dir);
  if (scripts.empty()) GTEST_SKIP() << dir << " not present";
  EXPECT_GE(scripts.size(), 68u);
  for (const fs::path& p : scripts) ExpectParsesAndRoundTrips(p);
}

TEST(RoundTripTest, OwnTestdataParsesAndRoundTrips) {
  const std::vector<fs::path> scripts =
      ScriptsUnder(fs::path(MPDRILL_SOURCE_DIR) / "parser" / "testdata");
  ASSERT_GE(scripts.size(), 5u);
  for (const fs::path& p : scripts) ExpectParsesAndRoundTrips(p);
}

TEST(RoundTripTest, ProjectScriptsParseAndRoundTrip) {
  const std::vector<fs::path> scripts = ScriptsUnder(fs::path(MPDRILL_SOURCE_DIR) / "scripts");
  ASSERT_GE(scripts.size(), 7u);
  for (const fs::path& p : scripts) ExpectParsesAndRoundTrips(p);
}

// What the scripts of scripts/syntax/ use, as "kind:detail" strings.
class ConstructCollector {
 public:
  const std::set<std::string>& seen() const { return seen_; }
  void Add(std::string s) { seen_.insert(std::move(s)); }

  void Script(const parser::Script& s) {
    for (const HeaderOption& o : s.options) Add(o.name == "-D" ? "header:-D" : "header:option");
    if (s.init_command) Add(std::string("command:init") + (Multiline(s.init_command->text)));
    if (s.cleanup_command) {
      Add(std::string("command:cleanup") + Multiline(s.cleanup_command->text));
    }
    for (const Event& e : s.events) EventOf(e);
  }

 private:
  static std::string Multiline(const std::string& text) {
    return text.find('\n') == std::string::npos ? "" : "+multiline";
  }
  void EventOf(const Event& e) {
    Add("time:" + std::to_string(static_cast<int>(e.time.kind)));
    std::visit(
        [this](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, Packet>) {
            PacketOf(a);
          } else if constexpr (std::is_same_v<T, Syscall>) {
            Add("action:syscall");
            if (a.end_usecs) Add("time:blocking");
            if (a.errno_name) Add("result:errno");
            if (a.note) Add(a.errno_name ? "result:errno+note" : "result:note");
            for (const Expr& x : a.args) ExprOf(x);
            ExprOf(a.result);
          } else if constexpr (std::is_same_v<T, Command>) {
            Add("action:command" + Multiline(a.text));
          } else {
            Add("action:code" + Multiline(a.text));
          }
        },
        e.action);
  }
  void ExprOf(const Expr& x) {
    Add("expr:" + std::to_string(static_cast<int>(x.kind)));
    if (x.kind == ExprKind::kInteger && x.hex) Add("expr:hex");
    if (x.kind == ExprKind::kInteger && x.integer < 0) Add("expr:negative");
    if (x.string_ellipsis) Add("expr:string...");
    if (x.kind == ExprKind::kBraces) {
      Add("braces:" + std::to_string(static_cast<int>(ClassifyBraces(x))));
    }
    if (x.kind == ExprKind::kCall) Add("call:" + x.text);
    for (const Expr& c : x.children) ExprOf(c);
  }
  void IpInfoOf(const IpInfo& i) {
    if (i.ecn) Add("ecn:" + std::to_string(static_cast<int>(*i.ecn)));
    if (i.tos) Add("ip:tos");
    if (i.ttl) Add("ip:ttl");
    if (i.flowlabel) Add("ip:flowlabel");
  }
  void PacketOf(const Packet& p) {
    Add(p.direction == Direction::kInbound ? "packet:<" : "packet:>");
    for (const Encap& e : p.encaps) {
      Add("encap:" + std::to_string(static_cast<int>(e.kind)));
      if (e.ip_info) IpInfoOf(*e.ip_info);
    }
    if (p.ip_info) IpInfoOf(*p.ip_info);
    if (p.tuple) {
      Add("tuple:src" + std::to_string(static_cast<int>(p.tuple->src.kind)));
      Add("tuple:dst" + std::to_string(static_cast<int>(p.tuple->dst.kind)));
    }
    if (const auto* u = std::get_if<UdpDatagram>(&p.body)) {
      (void)u;
      Add("body:udp");
    } else if (const auto* m = std::get_if<IcmpMessage>(&p.body)) {
      Add("body:icmp");
      Add("icmp:echoed" + std::to_string(static_cast<int>(m->echoed)));
      if (m->mtu) Add("icmp:mtu");
      if (m->id) Add("icmp:id");
    } else {
      TcpOf(std::get<TcpSegment>(p.body));
    }
  }
  void TcpOf(const TcpSegment& s) {
    Add("body:tcp");
    if (s.flags.empty()) Add("flags:none");
    if (s.flags.find_first_of("01234567") != std::string::npos) Add("flags:ace");
    for (char c : s.flags) Add(std::string("flags:") + c);
    if (s.ack) Add("tcp:ack");
    if (s.win) Add("tcp:win");
    if (s.urg) Add("tcp:urg");
    if (s.mutation) Add("tcp:mutation");
    Add("options:" + std::to_string(static_cast<int>(s.options_form)));
    for (const TcpOption& o : s.options) {
      Add("option:" + std::to_string(o.index()));
      if (const auto* mss = std::get_if<OptMss>(&o); mss && !mss->symbol.empty()) {
        Add("mss:symbol");
      }
      if (const auto* fo = std::get_if<OptFastOpen>(&o)) {
        Add(std::string(fo->experimental ? "FOEXP" : "FO") +
            (fo->cookie.empty() ? "" : "+cookie"));
      }
      if (const auto* m = std::get_if<MptcpOption>(&o)) MptcpOf(*m);
    }
  }
  void MptcpOf(const MptcpOption& m) {
    Add("mptcp:" + std::to_string(m.spec.index()));
    if (m.reserved) Add("mptcp:reserved");
    if (const auto* c = std::get_if<MpCapableSpec>(&m.spec)) {
      Add("mpc:legacy" + std::to_string(static_cast<int>(c->legacy)));
      Add(c->version ? "mpc:v" + std::to_string(*c->version) : "mpc:none");
      Add(c->raw_flags ? "mpc:raw_flags" : "mpc:flag_list");
      if (!c->raw_flags && c->flags == 0) Add("mpc:no_flags");
      Add("mpc:keys" + std::to_string(c->keys.size()));
      for (const KeyRef& k : c->keys) if (k.value) Add("mpc:key=value");
      if (c->data_len) Add("mpc:mpcdatalen");
      if (c->checksum) Add("mpc:cksum");
    } else if (const auto* j = std::get_if<MpJoinSpec>(&m.spec)) {
      Add("join:" + std::to_string(static_cast<int>(j->form)));
      if (j->backup) Add("join:backup");
      if (j->address_id) Add(j->address_id->is_auto ? "join:address_id=auto" : "join:address_id");
      if (j->token) Add("token:" + std::to_string(static_cast<int>(j->token->kind)));
      if (j->rand) Add("join:rand");
      if (j->sender_hmac) Add("hmac:" + std::to_string(static_cast<int>(j->sender_hmac->kind)));
    } else if (const auto* d = std::get_if<DssSpec>(&m.spec)) {
      for (const auto* f : {&d->data_ack, &d->dsn}) {
        if (!*f) continue;
        const std::string name = f == &d->data_ack ? "dack" : "dsn";
        Add("dss:" + name + std::to_string((*f)->width));
        Add("dssvalue:" + std::to_string(static_cast<int>((*f)->value.kind)));
        if ((*f)->value.addend) Add("dssvalue:+N");
      }
      if (d->ssn) Add("dss:ssn");
      if (d->dll) Add("dss:dll");
      Add("dss:checksum" + std::to_string(static_cast<int>(d->checksum)));
      if (d->fin) Add("dss:fin");
      if (d->flags) Add("dss:flags");
    } else if (const auto* a = std::get_if<AddAddressSpec>(&m.spec)) {
      Add("addaddr:family" + std::to_string(static_cast<int>(a->addr.family)));
      if (!a->addr.var.empty() && a->addr.family != AddrRef::Family::kUnspecified) {
        Add("addaddr:var=");
      }
      if (a->port) Add("addaddr:port");
      if (a->echo) Add("addaddr:echo");
      if (a->hmac_auto) Add("addaddr:hmac=auto");
      if (a->hmac) Add("addaddr:hmac=N");
      if (a->address_id) Add("addaddr:address_id");
    } else if (const auto* r = std::get_if<RemoveAddressSpec>(&m.spec)) {
      Add(r->address_ids.size() > 1 ? "rmaddr:many" : "rmaddr:one");
    } else if (const auto* pr = std::get_if<MpPrioSpec>(&m.spec)) {
      Add(pr->backup ? "prio:backup" : "prio:bare");
      if (pr->address_id) Add("prio:address_id");
    } else if (const auto* fc = std::get_if<MpFastcloseSpec>(&m.spec)) {
      if (!fc->key) Add("fastclose:bare");
      else if (fc->key->name.empty()) Add("fastclose:literal");
      else if (fc->addend) Add("fastclose:var+N");
      else if (fc->key->value) Add("fastclose:var=N");
      else Add("fastclose:var");
    } else if (const auto* rst = std::get_if<MpResetSpec>(&m.spec)) {
      Add(rst->flags ? (*rst->flags ? "reset:flags" : "reset:no_flags") : "reset:bare");
    }
  }

  std::set<std::string> seen_;
};

TEST(RoundTripTest, SyntaxScriptsCoverEveryConstruct) {
  const std::vector<fs::path> scripts =
      ScriptsUnder(fs::path(MPDRILL_SOURCE_DIR) / "scripts" / "syntax");
  ASSERT_GE(scripts.size(), 7u);
  ConstructCollector c;
  for (const fs::path& p : scripts) {
    auto parsed = Parse(ReadFile(p), p.string());
    ASSERT_TRUE(parsed.ok()) << FormatDiagnostics(parsed.error());
    c.Script(*parsed);
  }
  std::vector<std::string> want = {
      "header:-D", "header:option", "command:init+multiline", "command:cleanup+multiline",
      "time:blocking", "result:errno+note", "result:note", "action:syscall", "action:command",
      "action:command+multiline", "action:code", "action:code+multiline", "expr:hex",
      "expr:negative", "expr:string...", "call:inet_addr", "call:inet6_addr", "call:htons",
      "packet:<", "packet:>", "body:tcp", "body:udp", "body:icmp", "icmp:mtu", "icmp:id",
      "flags:none", "flags:ace", "tcp:ack", "tcp:win", "tcp:urg", "tcp:mutation", "mss:symbol",
      "FO", "FO+cookie", "FOEXP", "FOEXP+cookie", "ip:tos", "ip:ttl", "ip:flowlabel",
      "mpc:none", "mpc:v0", "mpc:v1", "mpc:raw_flags", "mpc:flag_list", "mpc:no_flags",
      "mpc:keys0", "mpc:keys1", "mpc:keys2", "mpc:key=value", "mpc:mpcdatalen", "mpc:cksum",
      "join:backup", "join:address_id", "join:address_id=auto", "join:rand", "dss:dack4",
      "dss:dack8", "dss:dsn4", "dss:dsn8", "dssvalue:+N", "dss:ssn", "dss:dll", "dss:fin",
      "dss:flags", "addaddr:var=", "addaddr:port", "addaddr:echo", "addaddr:hmac=auto",
      "addaddr:hmac=N", "addaddr:address_id", "rmaddr:one", "rmaddr:many", "prio:bare",
      "prio:backup", "prio:address_id", "fastclose:bare", "fastclose:literal",
      "fastclose:var", "fastclose:var=N", "fastclose:var+N", "reset:bare", "reset:flags",
      "reset:no_flags", "mptcp:reserved"};
  for (char f : std::string("FSRPUEWAN.")) want.push_back(std::string("flags:") + f);
  const auto all = [&](std::string prefix, int n) {
    for (int i = 0; i < n; ++i) want.push_back(prefix + std::to_string(i));
  };
  all("time:", 5);                 // TimeKind
  all("expr:", 10);                // ExprKind
  all("braces:", 11);              // BraceForm
  all("encap:", 6);                // EncapKind
  all("ecn:", 5);                  // EcnMark
  all("icmp:echoed", 4);           // IcmpMessage::Echoed
  all("tuple:src", 4);             // Endpoint::Kind
  all("tuple:dst", 4);
  all("options:", 3);              // OptionsForm
  all("option:", static_cast<int>(std::variant_size_v<TcpOption>));
  all("mptcp:", static_cast<int>(std::variant_size_v<decltype(MptcpOption::spec)>));
  all("mpc:legacy", 3);            // MpCapableSpec::Legacy
  all("join:", 3);                 // MpJoinSpec::Form
  all("token:", 4);                // TokenSpec::Kind
  all("hmac:", 5);                 // HmacSpec::Kind
  all("dssvalue:", 5);             // DssValue::Kind
  all("dss:checksum", 3);          // DssSpec::Checksum
  all("addaddr:family", 3);        // AddrRef::Family
  for (const std::string& w : want) {
    if (w == "tuple:dst0") continue;  // a tuple always has a destination
    EXPECT_TRUE(c.seen().count(w)) << "no script in scripts/syntax uses " << w;
  }
}

TEST(RoundTripTest, CorpusSeedsThatParseRoundTrip) {
  for (const char* name : {"parser_fuzzer", "parser_roundtrip_fuzzer"}) {
    const fs::path dir = fs::path(MPDRILL_SOURCE_DIR) / "corpus" / name;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string text = ReadFile(e.path());
      auto parsed = Parse(text, e.path().string());
      if (!parsed.ok()) continue;  // seeds may be deliberately broken
      auto reparsed = Parse(PrintScript(*parsed));
      ASSERT_TRUE(reparsed.ok()) << e.path() << FormatDiagnostics(reparsed.error());
      EXPECT_TRUE(*reparsed == *parsed) << e.path();
    }
  }
}

}  // namespace
}  // namespace mpdrill::parser
