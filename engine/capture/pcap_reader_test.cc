#include "engine/capture/pcap_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/capture/test_frames.h"

namespace mpdrill::capture {
namespace {

using testing::Buf;

class PcapReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

Buf SegmentFrame(std::uint16_t sport, std::size_t payload) {
  testing::TcpSpec s;
  s.sport = sport;
  s.flags = kTcpAck;
  s.payload = Buf(payload, 0x11);
  return testing::Ethernet(0x0800, testing::Ipv4({}, testing::Tcp(s)));
}

TEST_F(PcapReaderTest, ReadsFramesInOrderWithNumbersTimestampsAndLengths) {
  const std::string path = Path("a.pcap");
  ASSERT_TRUE(testing::WritePcap(path, kLinkEthernet,
                                 {{SegmentFrame(1, 10), 0}, {SegmentFrame(2, 100), 60}}));
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader->linktype(), kLinkEthernet);
  Frame f;
  auto more = reader->Next(&f);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.timestamp.seconds, 1700000000);
  EXPECT_EQ(f.timestamp.nanoseconds, 0u);
  EXPECT_EQ(f.data.size(), 14u + 20 + 20 + 10);
  EXPECT_EQ(f.original_length, f.data.size());
  more = reader->Next(&f);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(f.number, 2u);
  EXPECT_EQ(f.timestamp.nanoseconds, 1000u);
  EXPECT_EQ(f.data.size(), 60u);
  EXPECT_EQ(f.original_length, 154u);
  more = reader->Next(&f);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST_F(PcapReaderTest, MissingFileNamesTheFile) {
  auto reader = PcapReader::Open(Path("nope.pcap"));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().message, Path("nope.pcap") + ": " + std::strerror(ENOENT));
}

TEST_F(PcapReaderTest, RecordsAcrossReadBufferBoundariesAreWhole) {
  // More than the reader's 1 MiB stdio buffer, in records of odd sizes, then a cut record.
  const std::string path = Path("big.pcap");
  std::vector<Buf> frames;
  for (std::uint16_t i = 0; i < 2000; ++i) frames.push_back(SegmentFrame(i, 1000 + i % 7));
  ASSERT_TRUE(testing::WritePcap(path, kLinkEthernet, frames));
  ASSERT_GT(std::filesystem::file_size(path), std::uintmax_t{2} << 20);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  Frame f;
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    auto more = reader->Next(&f);
    ASSERT_TRUE(more.ok() && *more) << "frame " << i + 1;
    ASSERT_EQ(f.number, i + 1u);
    ASSERT_TRUE(std::equal(f.data.begin(), f.data.end(), frames[i].begin(), frames[i].end()))
        << "frame " << i + 1;
  }
  auto more = reader->Next(&f);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().message.find("after frame 1999"), std::string::npos)
      << more.error().message;
}

TEST_F(PcapReaderTest, GarbageAndEmptyFilesAreErrorsNamingTheFile) {
  const std::string garbage = Path("garbage.pcap");
  std::ofstream(garbage) << "this is not a capture file at all, just some text\n";
  auto r = PcapReader::Open(garbage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(garbage + ": ", 0), 0u) << r.error().message;

  const std::string empty = Path("empty.pcap");
  std::ofstream{empty};
  r = PcapReader::Open(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(empty + ": ", 0), 0u) << r.error().message;
}

TEST_F(PcapReaderTest, RecordCutShortIsAnErrorAfterTheGoodFrames) {
  const std::string path = Path("cut.pcap");
  ASSERT_TRUE(testing::WritePcap(path, kLinkEthernet, {SegmentFrame(1, 10), SegmentFrame(2, 10)}));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok());
  Frame f;
  auto more = reader->Next(&f);
  ASSERT_TRUE(more.ok() && *more);
  more = reader->Next(&f);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().message.find("after frame 1"), std::string::npos)
      << more.error().message;
}

TEST_F(PcapReaderTest, ForEachTcpSegmentCountsEveryKindOfFrame) {
  const std::string path = Path("mix.pcap");
  Buf malformed = SegmentFrame(3, 0);
  malformed.resize(40);  // TCP header cut by the writer, not by a snap length
  ASSERT_TRUE(testing::WritePcap(
      path, kLinkEthernet,
      {SegmentFrame(1, 0), testing::Ethernet(0x0806, Buf(28, 0)), malformed, SegmentFrame(2, 5)}));
  std::vector<std::uint16_t> ports;
  std::vector<std::uint64_t> bad_frames;
  auto stats = ForEachTcpSegment(
      path, [&](const Frame&, const TcpSegment& t) { ports.push_back(t.sport); },
      [&](const Frame& f, const DissectError& e) {
        bad_frames.push_back(f.number);
        EXPECT_EQ(e.code, DissectErrorCode::kTruncatedTcpHeader);
      });
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{1, 2}));
  EXPECT_EQ(bad_frames, (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(stats->frames, 4u);
  EXPECT_EQ(stats->tcp_segments, 2u);
  EXPECT_EQ(stats->not_tcp, 1u);
  EXPECT_EQ(stats->malformed, 1u);
}

TEST_F(PcapReaderTest, ReadTcpSegmentsOwnsItsBytes) {
  const std::string path = Path("own.pcap");
  ASSERT_TRUE(testing::WritePcap(path, kLinkLinuxSll2,
                                 {testing::Sll2(0x0800, testing::Ipv4({}, testing::Tcp({}))),
                                  testing::Sll2(0x86dd, testing::Ipv6({}, testing::Tcp({})))}));
  auto segs = ReadTcpSegments(path);
  ASSERT_TRUE(segs.ok()) << segs.error().message;
  ASSERT_EQ(segs->size(), 2u);
  std::vector<CapturedSegment> moved = std::move(*segs);
  EXPECT_EQ(moved[0].frame_number, 1u);
  EXPECT_EQ(moved[1].frame_number, 2u);
  EXPECT_EQ(moved[1].tcp.src.version, 6);
  EXPECT_EQ(moved[1].tcp.header.data(), moved[1].bytes.data() + 20 + 40);
  EXPECT_EQ(moved[0].tcp.sport, 43210);
}

TEST_F(PcapReaderTest, UnsupportedLinkTypeIsAFileError) {
  const std::string path = Path("wifi.pcap");
  ASSERT_TRUE(testing::WritePcap(path, 105, {Buf(30, 0)}));
  auto stats = ForEachTcpSegment(path, [](const Frame&, const TcpSegment&) {});
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.error().message.find("unsupported link-layer type 105"), std::string::npos);
}

TEST_F(PcapReaderTest, ReadsPcapngWrittenByTshark) {
  // libpcap cannot write pcapng; if tshark's editcap is present, convert and read back.
  const std::string pcap = Path("x.pcap");
  const std::string pcapng = Path("x.pcapng");
  ASSERT_TRUE(testing::WritePcap(pcap, kLinkEthernet, {SegmentFrame(7, 3)}));
  const std::string cmd = "editcap -F pcapng '" + pcap + "' '" + pcapng + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "editcap not available";
  auto segs = ReadTcpSegments(pcapng);
  ASSERT_TRUE(segs.ok()) << segs.error().message;
  ASSERT_EQ(segs->size(), 1u);
  EXPECT_EQ((*segs)[0].tcp.sport, 7);
  EXPECT_EQ((*segs)[0].tcp.payload_length, 3u);
}

}  // namespace
}  // namespace mpdrill::capture
