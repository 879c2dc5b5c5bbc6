#include "engine/codec/reason.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec {
namespace {

TEST(ReasonTest, ReadsAsTheSentence) {
  const Reason r = "dss: reserved bits are set";
  EXPECT_EQ(std::string_view(r), "dss: reserved bits are set");
  EXPECT_EQ(std::string(r), "dss: reserved bits are set");
  EXPECT_FALSE(r.empty());
  std::ostringstream os;
  os << r;
  EXPECT_EQ(os.str(), "dss: reserved bits are set");
}

TEST(ReasonTest, ComparesByText) {
  static constexpr char kCopy[] = "mp_prio: reserved bits are set";
  EXPECT_EQ(Reason("mp_prio: reserved bits are set"), Reason(kCopy));
  EXPECT_NE(Reason("mp_prio: reserved bits are set"), Reason("mp_fail: reserved bits are set"));
  EXPECT_TRUE(Reason("").empty());
  EXPECT_TRUE(Reason{}.empty());  // value-initialised: no sentence
}

TEST(ReasonTest, ViolationIsSmallAndItsSeverityDefaults) {
  const Violation v{RuleId::kD1, 2, "dss: reserved bits are set"};
  EXPECT_EQ(v.severity, Severity::kViolation);
  EXPECT_EQ(sizeof(Violation), 16u);
  EXPECT_EQ(v, (Violation{RuleId::kD1, 2, "dss: reserved bits are set", Severity::kViolation}));
}

}  // namespace
}  // namespace mpdrill::codec
