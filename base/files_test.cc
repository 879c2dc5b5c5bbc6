#include "base/files.h"

#include <gtest/gtest.h>

namespace mpdrill {
namespace {

namespace fs = std::filesystem;

TEST(Files, WriteReadAndLimit) {
  auto dir = TempDir::Make(fs::temp_directory_path(), "mpdrill-files-test.");
  ASSERT_TRUE(dir.ok()) << dir.error();
  const fs::path f = dir->path() / "a";
  ASSERT_TRUE(WriteFile(f, std::string("hello\0world", 11)).ok());
  auto back = ReadFile(f);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::string("hello\0world", 11));
  auto limited = ReadFile(f, 4);
  ASSERT_FALSE(limited.ok());
  EXPECT_NE(limited.error().find("larger than 4 bytes"), std::string::npos);
  auto missing = ReadFile(dir->path() / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("nope: No such file"), std::string::npos) << missing.error();
}

TEST(Files, TempDirGoesWithEverythingInIt) {
  fs::path kept;
  {
    auto dir = TempDir::Make(fs::temp_directory_path(), "mpdrill-files-test.");
    ASSERT_TRUE(dir.ok());
    kept = dir->path();
    fs::create_directories(kept / "x" / "y");
    ASSERT_TRUE(WriteFile(kept / "x" / "y" / "z", "1").ok());
    TempDir moved = std::move(*dir);
    EXPECT_EQ(moved.path(), kept);
  }
  EXPECT_FALSE(fs::exists(kept));
}

}  // namespace
}  // namespace mpdrill
