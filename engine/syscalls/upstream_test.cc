// Every syscall event in the third-party MPTCP packetdrill scripts (read in place, never copied
// into the repo) names a syscall the executor supports, and every symbol and errno name in it
// resolves. Skipped when the scripts are not on this machine.
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "engine/syscalls/executor.h"
#include "engine/syscalls/symbols.h"
#include "gtest/gtest.h"
#include "parser/parser.h"

namespace mpdrill::syscalls {
namespace {

namespace fs = std::filesystem;

fs::path UpstreamDir() {
  if (const char* dir = std::getenv("MPDRILL_UPSTREAM_MPTCP")) return dir;
  // ../shared beside the source tree, as ci/upstream.sh finds it.
  return fs::path(MPDRILL_SOURCE_DIR) / ".." / "shared" / "upstream" / "mptcp";
}

// Collects symbol names that do not resolve (field names of `field=value` are not symbols).
void UnknownWords(const parser::Expr& e, std::vector<std::string>* out) {
  if (e.kind == parser::ExprKind::kWord && !LookupSymbol(e.text)) out->push_back(e.text);
  for (std::size_t i = 0; i < e.children.size(); ++i) {
    if (e.kind == parser::ExprKind::kAssign && i == 0) continue;
    UnknownWords(e.children[i], out);
  }
}

TEST(UpstreamScriptsTest, EverySyscallAndSymbolIsKnown) {
  const fs::path dir = UpstreamDir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no upstream scripts at " << dir;
  int scripts = 0, calls = 0;
  const Executor executor(Context{.family = AF_INET, .local_ip = "192.0.2.1",
                                  .remote_ip = "192.0.2.2"});
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".pkt") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parser::Parse(text.str(), entry.path().string());
    if (!parsed.ok()) continue;  // the parser's own tests cover its errors
    ++scripts;
    for (const parser::Event& ev : parsed->events) {
      const auto* sc = std::get_if<parser::Syscall>(&ev.action);
      if (sc == nullptr) continue;
      ++calls;
      const std::string where = entry.path().string() + ":" + std::to_string(ev.loc.line);
      EXPECT_TRUE(Executor::Supports(sc->name)) << where << ": " << sc->name;
      auto checked = executor.Check(*sc, ev.loc);
      EXPECT_TRUE(checked.ok()) << where << ": " << checked.error().message;
      std::vector<std::string> unknown;
      for (const parser::Expr& arg : sc->args) UnknownWords(arg, &unknown);
      UnknownWords(sc->result, &unknown);
      for (const std::string& w : unknown) ADD_FAILURE() << where << ": unknown symbol " << w;
      if (sc->errno_name) {
        EXPECT_TRUE(ErrnoFromName(*sc->errno_name).has_value()) << where << ": " << *sc->errno_name;
      }
    }
  }
  EXPECT_GT(scripts, 0);
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace mpdrill::syscalls
