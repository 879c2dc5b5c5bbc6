#include "engine/codec/rules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mpdrill::codec {
namespace {

TEST(RulesTest, EveryRuleHasUniqueNameSectionAndSummary) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(RuleId::kG7); ++i) {
    const auto id = static_cast<RuleId>(i);
    const RuleInfo& info = Describe(id);
    EXPECT_EQ(info.id, id);
    EXPECT_FALSE(info.name.empty());
    EXPECT_TRUE(info.section.starts_with("RFC ")) << info.name;
    EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
    EXPECT_EQ(ParseRuleName(info.name), id);
    EXPECT_EQ(RuleName(id), info.name);
  }
  EXPECT_EQ(names.size(), 61u);
}

TEST(RulesTest, KnownNamesAndStateFlags) {
  EXPECT_EQ(RuleName(RuleId::kC1), "C1");
  EXPECT_EQ(RuleName(RuleId::kD13), "D13");
  EXPECT_EQ(RuleName(RuleId::kG7), "G7");
  EXPECT_EQ(Describe(RuleId::kJ1).section, "RFC 8684 §3.2");
  EXPECT_FALSE(Describe(RuleId::kC1).needs_state);
  EXPECT_TRUE(Describe(RuleId::kC6).needs_state);
  EXPECT_TRUE(Describe(RuleId::kD10).needs_state);
  EXPECT_FALSE(Describe(RuleId::kG5).needs_state);
}

TEST(RulesTest, ParseRejectsUnknownNames) {
  EXPECT_EQ(ParseRuleName(""), std::nullopt);
  EXPECT_EQ(ParseRuleName("c1"), std::nullopt);
  EXPECT_EQ(ParseRuleName("C12"), std::nullopt);
  EXPECT_EQ(ParseRuleName("G8"), std::nullopt);
}

}  // namespace
}  // namespace mpdrill::codec
