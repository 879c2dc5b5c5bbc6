#include "fuzz/live_mib.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mpdrill::fuzz {
namespace {

// libFuzzer's extra counters: a section it reads after each input and clears before the next
// (its API for features of the target's own; owned by libFuzzer, the one mutable global here).
__attribute__((section("__libfuzzer_extra_counters"), used)) std::uint8_t g_extra_counters[64];

}  // namespace

std::span<std::uint8_t> LibFuzzerExtraCounters() { return g_extra_counters; }

MibCounters ParseMptcpMibs(std::string_view netstat) {
  MibCounters m;
  std::istringstream lines{std::string(netstat)};
  bool header = true;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MPTcpExt:", 0) != 0) continue;
    std::istringstream words(line.substr(9));
    if (header) {
      for (std::string w; words >> w;) m.names.push_back(w);
      header = false;
      continue;
    }
    for (std::uint64_t v; words >> v;) m.values.push_back(v);
    break;
  }
  if (m.values.size() != m.names.size()) return {};
  return m;
}

MibCounters ReadMptcpMibs() {
  std::ifstream in("/proc/net/netstat");
  if (!in) return {};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseMptcpMibs(text);
}

std::size_t MibFeatures(const MibCounters& before, const MibCounters& after,
                        std::span<std::uint8_t> counters, std::vector<std::string>* moved) {
  if (counters.empty() || before.values.size() != after.values.size()) return 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < after.values.size(); ++i) {
    if (after.values[i] <= before.values[i]) continue;
    const std::uint64_t delta = after.values[i] - before.values[i];
    std::uint8_t& c = counters[i % counters.size()];
    c = static_cast<std::uint8_t>(std::min<std::uint64_t>(255, std::max<std::uint64_t>(c, delta)));
    if (moved != nullptr && i < after.names.size()) moved->push_back(after.names[i]);
    ++n;
  }
  return n;
}

}  // namespace mpdrill::fuzz
