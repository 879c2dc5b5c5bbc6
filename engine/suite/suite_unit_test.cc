// Unit tests of the suite's pure parts: error splitting, escaping, the concurrency and
// tolerance policies, the progress text, and the reporters on results given as data.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/suite/escape.h"
#include "engine/suite/latency.h"
#include "engine/suite/plan.h"
#include "engine/suite/reporters.h"
#include "engine/suite/result.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mpdrill::suite {
namespace {

using ::testing::HasSubstr;

TEST(SplitErrorTest, FieldExpectedActual) {
  const ErrorParts p = SplitError("dir/wrong_ack.pkt:6: tcp ack: expected: 7 actual: 1");
  EXPECT_EQ(p.field, "tcp ack");
  EXPECT_EQ(p.expected, "7");
  EXPECT_EQ(p.actual, "1");
  const ErrorParts none = SplitError("x.pkt: interrupted");
  EXPECT_EQ(none.field, "");
  EXPECT_FALSE(none.expected);
}

TEST(EscapeTest, JsonAndXml) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(JsonString("\xff"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonString("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(XmlEscape("<a & 'b'>\x02\n"), "&lt;a &amp; &apos;b&apos;&gt;\n");
  EXPECT_EQ(XmlEscape("a\nb", true), "a&#10;b");
}

TEST(LatencyPolicyTest, CapsHalveOverBudgetGrowWithinAndStayInBounds) {
  EXPECT_EQ(NextCap(8, 8, 3000, 1000, 16), 4);
  EXPECT_EQ(NextCap(1, 1, 3000, 1000, 16), 1);
  EXPECT_EQ(NextCap(4, 4, 100, 1000, 16), 5);
  EXPECT_EQ(NextCap(4, 2, 100, 1000, 16), 4);  // not all slots busy: no reason to grow
  EXPECT_EQ(NextCap(16, 16, 100, 1000, 16), 16);
  EXPECT_EQ(NextCap(4, 4, 700, 1000, 16), 5);
  EXPECT_EQ(NextCap(4, 4, 1001, 1000, 16), 2);
  EXPECT_EQ(AutoToleranceScale(100, 4000), 1.0);
  EXPECT_EQ(AutoToleranceScale(3000, 4000), 3.0);
  EXPECT_EQ(AutoToleranceScale(2100, 4000), 2.5);
  EXPECT_EQ(AutoToleranceScale(100000, 4000), 10.0);
  EXPECT_EQ(Quantile({5, 1, 3, 2, 4}, 0.5), 3);
  EXPECT_EQ(Quantile({}, 0.9), 0);
  const auto probes = ProbeWakeups(3, 100);
  ASSERT_EQ(probes.size(), 3u);
  for (std::int64_t p : probes) EXPECT_GE(p, 0);
}

TEST(ProgressTest, Text) {
  EXPECT_EQ(ProgressText(0, 10, 0, 0), "[0/10] 0 failed, 0s elapsed");
  EXPECT_EQ(ProgressText(5, 10, 1, 30), "[5/10] 1 failed, 30s elapsed, ETA 30s");
  EXPECT_EQ(ProgressText(2, 10, 0, 40), "[2/10] 0 failed, 40s elapsed, ETA 2m40s");
}

RunResult Make(int index, Outcome o, const std::string& first_error = "") {
  RunResult r;
  r.index = index;
  r.ran = true;
  r.script = "d/s" + std::to_string(index) + ".pkt";
  r.variant = "ipv4";
  r.outcome = o;
  r.report.first_error = first_error;
  r.seconds = 0.5;
  return r;
}

TEST(ReportersTest, VerdictWordsAndTextLines) {
  RunResult k = Make(1, Outcome::kKernel);
  health::HealthEvent e;
  e.kind = health::HealthKind::kWarning;
  e.excerpt = {"WARNING: CPU: 0 PID: 1 at mpdrill-test"};
  k.health.push_back(e);
  EXPECT_EQ(VerdictWord(k), "KERNEL-WARNING");
  RunResult f = Make(2, Outcome::kFlaky);
  f.retries = 1;
  f.first_attempt_error = "d/s2.pkt:3: outbound packet: timing error";
  std::ostringstream out, err;
  TextReporter text(out, err, "mpdrill run");
  text.Begin(SuiteInfo{});
  text.Result(k);
  text.Result(f);
  SuiteSummary s;
  s.runs = 2;
  s.kernel = 1;
  s.flaky = 1;
  text.End(s);
  EXPECT_EQ(out.str(),
            "KERNEL-WARNING d/s1.pkt (ipv4) 0.500s\n"
            "    kernel: WARNING: CPU: 0 PID: 1 at mpdrill-test\n"
            "FLAKY d/s2.pkt (ipv4) 0.500s: passed on try 2; try 1: d/s2.pkt:3: outbound packet: "
            "timing error\n"
            "mpdrill run: 2 run(s), 0 passed, 0 failed, 0 script error(s), 0 environment "
            "error(s), 1 flaky, 1 with kernel health events\n");
  EXPECT_EQ(ExitCode(s), kExitKernelHealth);
}

TEST(ReportersTest, KtapPlanFirstAndInterruptedRestSkipped) {
  std::ostringstream out;
  TapReporter ktap(out, TapReporter::Flavor::kKtap1);
  SuiteInfo info;
  info.planned = 3;
  ktap.Begin(info);
  ktap.Result(Make(1, Outcome::kPass));
  ktap.Result(Make(2, Outcome::kFail, "d/s2.pkt:1: x"));
  ktap.End(SuiteSummary{});
  EXPECT_EQ(out.str(),
            "KTAP version 1\n1..3\nok 1 d/s1.pkt (ipv4)\nnot ok 2 d/s2.pkt (ipv4)\n"
            "ok 3 not run # SKIP interrupted\n"
            "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n");
}

TEST(PlanTest, VariantsFromNamesConfigErrorsSyntaxErrorsAndMissingInputs) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("mpdrill_plan_" + std::to_string(getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a_v4.pkt") << "0 `true`\n";
  std::ofstream(dir / "sub" / "b.pkt") << "--tolerance_usecs=x\n0 `true`\n";
  std::ofstream(dir / "sub" / "c_v6.pkt") << "+0 frobnicate(\n";
  std::ofstream(dir / "ignored.txt") << "not a script\n";
  const Plan plan = MakePlan({dir.string(), (dir / "missing.pkt").string()}, PlanOptions{});
  ASSERT_EQ(plan.items.size(), 6u);  // a: 2 variants, b: 3 (config errors), c: 1 syntax error
  EXPECT_EQ(plan.items[0].variant, "ipv4");
  EXPECT_EQ(plan.items[1].variant, "ipv4-mapped-v6");
  EXPECT_EQ(plan.items[0].kind, PlanItem::Kind::kRun);
  EXPECT_EQ(plan.items[0].config.defines.front().first, "TFO_COOKIE");  // upstream defaults
  EXPECT_EQ(plan.items[2].kind, PlanItem::Kind::kConfigError);
  EXPECT_THAT(plan.items[2].error, HasSubstr("b.pkt:1: "));
  EXPECT_EQ(plan.items[5].kind, PlanItem::Kind::kSyntaxError);
  EXPECT_EQ(plan.items[5].index, 6);
  ASSERT_EQ(plan.input_errors.size(), 1u);
  EXPECT_THAT(plan.input_errors[0], HasSubstr("missing.pkt: error: no such file or directory"));
  PlanOptions pd;
  pd.packetdrill_mode = true;
  pd.flags = {{"tolerance_usecs", "5000"}};
  const Plan one = MakePlan({(dir / "a_v4.pkt").string()}, pd);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].config.tolerance_usecs, 5000);
  EXPECT_EQ(one.items[0].config.model_mode, run::ModelMode::kWarn);
  EXPECT_TRUE(one.items[0].config.defines.empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mpdrill::suite
