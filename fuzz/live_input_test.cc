#include "fuzz/live_input.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <variant>
#include <vector>

namespace mpdrill::fuzz {
namespace {

std::vector<std::uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(LiveInputTest, EmptyInputIsAConformingIpv4Handshake) {
  const LiveInput in = DecodeLiveInput({});
  EXPECT_EQ(in.header.isn, 0u);
  EXPECT_EQ(in.header.key, 1u);  // keys are odd
  EXPECT_EQ(in.header.family, run::IpVersion::kIpv4);
  EXPECT_FALSE(in.header.kernel_client());
  EXPECT_TRUE(in.steps.empty());
}

// The D10 finding (fuzz/findings/live_d10_segment_longer_than_mapping), field by field.
TEST(LiveInputTest, DecodesTheD10Finding) {
  const auto bytes =
      ReadFile(MPDRILL_SOURCE_DIR "/fuzz/findings/live_d10_segment_longer_than_mapping");
  const LiveInput in = DecodeLiveInput(bytes);
  EXPECT_EQ(in.header.isn, 0x1000u);
  EXPECT_EQ(in.header.key, 0x0123456789abcdefu);
  EXPECT_EQ(in.header.family, run::IpVersion::kIpv4);
  ASSERT_EQ(in.steps.size(), 4u);
  const auto* join = std::get_if<JoinStep>(&in.steps[0]);
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->isn, 0x5000u);
  EXPECT_EQ(join->nonce, 0x77u);
  EXPECT_EQ(join->address_id, 1);
  const auto* data = std::get_if<DataStep>(&in.steps[1]);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->length, 629u);
  EXPECT_EQ(data->data_level_length, 255);
  EXPECT_FALSE(data->conforming_mapping());
  const auto* write = std::get_if<AppWriteStep>(&in.steps[2]);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->bytes, 497u);
  EXPECT_EQ(write->flow, 1);
  const auto* wait = std::get_if<WaitStep>(&in.steps[3]);
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->milliseconds, 30);
}

TEST(LiveInputTest, FamilyByteFollowsTheHandshakeByte) {
  for (const auto& [byte, family] :
       {std::pair{0, run::IpVersion::kIpv4}, {1, run::IpVersion::kIpv4MappedIpv6},
        {2, run::IpVersion::kIpv6}, {5, run::IpVersion::kIpv6}}) {
    // ISN, key, how = family | any flags, family byte, flag byte.
    std::vector<std::uint8_t> b(12, 0);
    b.push_back(kHowFamily | kHowAnyFlags);
    b.push_back(static_cast<std::uint8_t>(byte));
    b.push_back(0x81);
    const LiveInput in = DecodeLiveInput(b);
    EXPECT_EQ(in.header.family, family) << byte;
    EXPECT_EQ(in.header.mpc_flags, 0x81) << byte;
    EXPECT_TRUE(in.steps.empty());
  }
}

TEST(LiveInputTest, ValuesCutByTheEndKeepTheirLeadingBytes) {
  std::vector<std::uint8_t> b(13, 0);
  b.insert(b.end(), {0xf0, 0x01});  // app write, U16 cut after its first byte: 0x0100
  const LiveInput in = DecodeLiveInput(b);
  ASSERT_EQ(in.steps.size(), 1u);
  EXPECT_EQ(std::get<AppWriteStep>(in.steps[0]).bytes, 1u + 0x100u);
}

TEST(LiveInputTest, AtMost24StepsAndBytesPast4096Ignored) {
  std::vector<std::uint8_t> b(13, 0);
  b.resize(8192, 11);  // wait steps: action 11, 11 ms
  const LiveInput in = DecodeLiveInput(b);
  EXPECT_EQ(in.steps.size(), kLiveMaxSteps);
  for (const LiveStep& s : in.steps) EXPECT_EQ(std::get<WaitStep>(s).milliseconds, 11);
}

TEST(LiveInputTest, EveryCorpusInputDecodesAndDescribes) {
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(MPDRILL_SOURCE_DIR "/corpus/live_fuzzer")) {
    const LiveInput in = DecodeLiveInput(ReadFile(e.path()));
    EXPECT_FALSE(DescribeHeader(in.header).empty());
    for (const LiveStep& s : in.steps) EXPECT_FALSE(DescribeStep(s).empty()) << e.path();
    ++n;
  }
  EXPECT_GT(n, 10);
}

TEST(LiveInputTest, EncodeIsTheInverseOfDecodeOnTheCorpus) {
  for (const auto& e :
       std::filesystem::directory_iterator(MPDRILL_SOURCE_DIR "/corpus/live_fuzzer")) {
    const LiveInput in = DecodeLiveInput(ReadFile(e.path()));
    EXPECT_EQ(DecodeLiveInput(EncodeLiveInput(in)), in) << e.path();
  }
  const auto d10 =
      ReadFile(MPDRILL_SOURCE_DIR "/fuzz/findings/live_d10_segment_longer_than_mapping");
  EXPECT_EQ(EncodeLiveInput(DecodeLiveInput(d10)), d10);
}

TEST(LiveInputTest, EncodesStepsWithoutTheirNeighbours) {
  LiveInput in = DecodeLiveInput(
      ReadFile(MPDRILL_SOURCE_DIR "/fuzz/findings/live_d10_segment_longer_than_mapping"));
  in.steps.erase(in.steps.begin() + 3);  // the wait
  in.header.how |= kHowFamily;
  in.header.family = run::IpVersion::kIpv6;
  EXPECT_EQ(DecodeLiveInput(EncodeLiveInput(in)), in);
}

}  // namespace
}  // namespace mpdrill::fuzz
