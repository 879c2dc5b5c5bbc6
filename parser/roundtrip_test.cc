// Every script the project holds (parser/testdata, corpus seeds) and the third-party MPTCP suite
// under /work/shared/upstream/mptcp (read-only; skipped if absent) must parse, and printing the
// tree must give text that parses back into an equal tree: Parse(Print(t)) == t, and printing
// is a fixed point: Print(Parse(Print(t))) == Print(t).
#include <algorithm>
#include <filesystem>
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
  const fs::path dir = "/work/shared/upstream/mptcp";
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
