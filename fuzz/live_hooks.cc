#include "fuzz/live_hooks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mpdrill::fuzz {

bool InMpdrillGuest() {
  const char* vm = std::getenv("MPDRILL_VM");
  if (vm == nullptr || std::string_view(vm) != "1") return false;
  std::ifstream mounts("/proc/self/mounts");
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream words(line);
    std::string device, point, type;
    if (words >> device >> point >> type && point == "/" && type == "9p") return true;
  }
  return false;
}

std::optional<std::vector<std::uint8_t>> ParseHexBytes(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

LiveHooks LiveHooksFromEnvironment() {
  LiveHooks h;
  if (const char* p = std::getenv("MPDRILL_LIVE_FUZZ_CURRENT")) h.current = p;
  if (const char* p = std::getenv("MPDRILL_LIVE_FUZZ_STATS")) h.stats = p;
  const char* marker = std::getenv("MPDRILL_LIVE_FUZZ_PANIC_MARKER");
  if (marker == nullptr || *marker == '\0') return h;
  if (!InMpdrillGuest()) {
    std::fprintf(stderr,
                 "live_fuzzer: MPDRILL_LIVE_FUZZ_PANIC_MARKER ignored: not inside an mpdrill vm "
                 "guest (a test-only hook)\n");
    return h;
  }
  if (auto bytes = ParseHexBytes(marker)) {
    h.panic_marker = std::move(*bytes);
  } else {
    std::fprintf(stderr,
                 "live_fuzzer: MPDRILL_LIVE_FUZZ_PANIC_MARKER: expected hex bytes, got "
                 "'%s'; ignored\n",
                 marker);
  }
  return h;
}

void WriteCurrentInput(const std::string& path, std::span<const std::uint8_t> input) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  for (std::size_t done = 0; done < input.size();) {
    const ssize_t n = write(fd, input.data() + done, input.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  fsync(fd);
  close(fd);
}

void WriteLiveStats(const std::string& path, const LiveStats& stats) {
  char text[160];
  const int n = std::snprintf(text, sizeof(text),
                              "inputs %llu\ninjected %llu\nkernel %llu\nwait_ms %llu\n",
                              static_cast<unsigned long long>(stats.inputs),
                              static_cast<unsigned long long>(stats.injected),
                              static_cast<unsigned long long>(stats.kernel),
                              static_cast<unsigned long long>(stats.wait_ms));
  const std::string tmp = path + ".new";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const bool ok = n > 0 && write(fd, text, static_cast<std::size_t>(n)) == n;
  close(fd);
  if (ok) std::rename(tmp.c_str(), path.c_str());
}

std::optional<LiveStats> ParseLiveStats(std::string_view text) {
  LiveStats s;
  int seen = 0;
  std::istringstream in{std::string(text)};
  std::string name;
  unsigned long long value = 0;
  while (in >> name >> value) {
    if (name == "inputs")
      s.inputs = value, seen |= 1;
    else if (name == "injected")
      s.injected = value, seen |= 2;
    else if (name == "kernel")
      s.kernel = value, seen |= 4;
    else if (name == "wait_ms")
      s.wait_ms = value;
  }
  if (seen != 7) return std::nullopt;
  return s;
}

void PanicOnMarker(const LiveHooks& hooks, std::span<const std::uint8_t> input) {
  if (hooks.panic_marker.empty() ||
      std::search(input.begin(), input.end(), hooks.panic_marker.begin(),
                  hooks.panic_marker.end()) == input.end()) {
    return;
  }
  std::fprintf(stderr, "live_fuzzer: panic marker found: crashing the guest kernel (test hook)\n");
  std::ofstream("/proc/sysrq-trigger") << 'c' << std::flush;
}

}  // namespace mpdrill::fuzz
