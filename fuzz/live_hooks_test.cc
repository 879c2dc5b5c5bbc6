#include "fuzz/live_hooks.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace mpdrill::fuzz {
namespace {

TEST(LiveHooksTest, ParsesHexBytes) {
  EXPECT_EQ(ParseHexBytes("c0FFee"), (std::vector<std::uint8_t>{0xc0, 0xff, 0xee}));
  EXPECT_FALSE(ParseHexBytes(""));
  EXPECT_FALSE(ParseHexBytes("abc"));
  EXPECT_FALSE(ParseHexBytes("zz"));
}

TEST(LiveHooksTest, StatsRoundTripThroughTheFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mpdrill-live-stats-" + std::to_string(getpid())))
          .string();
  WriteLiveStats(path, {3, 120, 95, 41});
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  const auto s = ParseLiveStats(text);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->inputs, 3u);
  EXPECT_EQ(s->injected, 120u);
  EXPECT_EQ(s->kernel, 95u);
  EXPECT_EQ(s->wait_ms, 41u);
  EXPECT_FALSE(ParseLiveStats("inputs 3\n"));
  EXPECT_EQ(ParseLiveStats("inputs 1\ninjected 2\nkernel 3\n")->wait_ms, 0u);  // older files
}

// The panic hook is refused on the host: without MPDRILL_VM=1, and with it but a root that is
// not 9p (this test never runs with a 9p root: it is the host's build).
TEST(LiveHooksTest, PanicMarkerIsRefusedOutsideAGuest) {
  setenv("MPDRILL_LIVE_FUZZ_PANIC_MARKER", "c0ffee", 1);
  unsetenv("MPDRILL_VM");
  EXPECT_TRUE(LiveHooksFromEnvironment().panic_marker.empty());
  setenv("MPDRILL_VM", "1", 1);
  if (!InMpdrillGuest()) {
    EXPECT_TRUE(LiveHooksFromEnvironment().panic_marker.empty());
  }
  unsetenv("MPDRILL_VM");
  unsetenv("MPDRILL_LIVE_FUZZ_PANIC_MARKER");
}

}  // namespace
}  // namespace mpdrill::fuzz
