#include "base/result.h"

#include <gtest/gtest.h>

#include <string>

namespace mpdrill {
namespace {

Result<int, std::string> Half(int x) {
  if (x % 2 != 0) return Unexpected{std::string("odd")};
  return x / 2;
}

TEST(ResultTest, HoldsValueOrError) {
  auto a = Half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  auto b = Half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), "odd");
}

TEST(ResultDeathTest, WrongAlternativeAborts) {
  auto b = Half(3);
  EXPECT_DEATH((void)b.value(), "");
}

TEST(StatusTest, OkCarriesNoValue) {
  Status<std::string> s = Ok{};
  EXPECT_TRUE(s.ok());
}

}  // namespace
}  // namespace mpdrill
