#include "campaign/campaign.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/files.h"

namespace mpdrill::campaign {
namespace {

vm::MachineOutcome Outcome(vm::Ending ending, std::string_view console, int exit_code = 0) {
  vm::MachineOutcome m;
  m.ending = ending;
  m.exit_code = exit_code;
  m.ready = "6.1.0-57-amd64 3.1 2.0";
  m.console.Feed(console);
  m.console.Finish();
  return m;
}

TEST(ClassifyBootTest, APanicIsAFindingWithItsConsole) {
  const auto v =
      ClassifyBoot(Outcome(vm::Ending::kPanic,
                           "[    9.1] sysrq: Trigger a crash\n"
                           "[    9.1] Kernel panic - not syncing: sysrq triggered crash\n"
                           "[    9.1] CPU: 0 PID: 77 Comm: live_fuzzer\n"),
                   "live_fuzzer: panic marker found\n");
  EXPECT_EQ(v.kind, BootVerdict::Kind::kFinding);
  EXPECT_EQ(v.verdict, "KERNEL-PANIC");
  EXPECT_EQ(v.what, "Kernel panic - not syncing: sysrq triggered crash");
  ASSERT_FALSE(v.excerpt.empty());
  EXPECT_NE(v.excerpt.back().find("CPU: 0 PID: 77"), std::string::npos);
}

// panic_on_warn: the WARN names the finding, not the panic it caused.
TEST(ClassifyBootTest, AWarningTurnedIntoAPanicIsAWarning) {
  const auto v = ClassifyBoot(
      Outcome(vm::Ending::kPanic,
              "[ 5.0] WARNING: CPU: 1 PID: 80 at net/mptcp/protocol.c:1234 mptcp_x+0x1/0x2\n"
              "[ 5.0] Kernel panic - not syncing: kernel: panic_on_warn set ...\n"),
      "");
  EXPECT_EQ(v.verdict, "KERNEL-WARNING");
  EXPECT_NE(v.what.find("net/mptcp/protocol.c:1234"), std::string::npos);
}

TEST(ClassifyBootTest, ModelRulesHangsAndTheBudget) {
  auto v = ClassifyBoot(Outcome(vm::Ending::kExited, "", 134),
                        "live_fuzzer: model: deliberate X\n"
                        "live_fuzzer: model: D10 (RFC 8684 §3.3.2) packet 17 conn 1\n");
  EXPECT_EQ(v.kind, BootVerdict::Kind::kFinding);
  EXPECT_EQ(v.verdict, "MODEL-D10");
  EXPECT_EQ(v.what, "model: D10 (RFC 8684 §3.3.2) packet 17 conn 1");
  EXPECT_EQ(ClassifyBoot(Outcome(vm::Ending::kHang, "x\n"), "").verdict, "KERNEL-HANG");
  EXPECT_EQ(ClassifyBoot(Outcome(vm::Ending::kTimeout, ""), "").kind,
            BootVerdict::Kind::kBudgetEnd);
  EXPECT_EQ(ClassifyBoot(Outcome(vm::Ending::kExited, ""), "replay: 3 inputs\n").kind,
            BootVerdict::Kind::kDone);
  EXPECT_EQ(ClassifyBoot(Outcome(vm::Ending::kExited, ""), "live_fuzzer: skipped: no TUN\n").kind,
            BootVerdict::Kind::kEnvironment);
  v = ClassifyBoot(Outcome(vm::Ending::kExited, "[ 1.0] BUG: KASAN: use-after-free in x\n"), "");
  EXPECT_EQ(v.verdict, "KERNEL-KASAN");
}

TEST(DetectFuzzerKindTest, LibFuzzerByItsFlagTable) {
  auto dir = TempDir::Make(std::filesystem::temp_directory_path(), "mpdrill-campaign-test.");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteFile(dir->path() / "lf", std::string("\x7f"
                                                        "ELF...max_total_time..."))
                  .ok());
  ASSERT_TRUE(WriteFile(dir->path() / "replay", std::string("\x7f"
                                                            "ELF...replay: ..."))
                  .ok());
  EXPECT_EQ(DetectFuzzerKind(dir->path() / "lf"), FuzzerKind::kLibFuzzer);
  EXPECT_EQ(DetectFuzzerKind(dir->path() / "replay"), FuzzerKind::kReplay);
}

}  // namespace
}  // namespace mpdrill::campaign
