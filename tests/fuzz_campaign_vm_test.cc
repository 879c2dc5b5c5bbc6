// `mpdrill fuzz campaign` end to end in a Debian-kernel guest (label vm, serial): a seed corpus
// of three inputs whose middle one carries the test-only panic marker (fuzz/live_hooks.h). The
// guest panics on it; the campaign records the finding (the input, the console excerpt, the
// kernel's identity, the replay command), boots a second guest and runs the input after it;
// then the finding's replay command panics a third guest the same way. Three boots. Skips without
// qemu, busybox or a kernel package (bash ci/fetch_kernel.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/exec.h"
#include "base/files.h"
#include "tests/vm_fixture.h"

namespace mpdrill {
namespace {

namespace fs = std::filesystem;
using vm_test::kMpdrill;
using vm_test::VmTest;

constexpr const char* kMarker = "6d706472696c6c2d70616e6963";  // "mpdrill-panic"

using FuzzCampaignTest = VmTest;

TEST_F(FuzzCampaignTest, SurvivesAGuestPanicAndRecordsIt) {
  const fs::path corpus = dir() / "corpus", findings = dir() / "findings";
  fs::create_directories(corpus);
  // Sorted: a_ runs in the first guest, b_ panics it, c_ (IPv6: kernel as client with joins)
  // runs in the second.
  fs::copy_file(MPDRILL_SOURCE_DIR "/corpus/live_fuzzer/empty", corpus / "a_empty");
  const std::string panic_input = std::string("\x00\x00\x00\x00", 4) + "mpdrill-panic";
  ASSERT_TRUE(WriteFile(corpus / "b_panic", panic_input).ok());
  fs::copy_file(MPDRILL_SOURCE_DIR "/corpus/live_fuzzer/ipv6_kernel_client_joins",
                corpus / "c_ipv6_kernel_client_joins");

  ExecOptions o;
  o.timeout = std::chrono::seconds(240);
  const std::string cwd = dir().string();
  o.before_exec = [c = cwd.c_str()] { return chdir(c) == 0; };
  auto r = ExecWithDeadline(
      {kMpdrill, "fuzz", "campaign", "--kernel", kernel_, "--cache", MPDRILL_BINARY_DIR "/vm-cache",
       "--time", "200", "--corpus", corpus.string(), "--findings", findings.string(), "--fuzzer",
       MPDRILL_BINARY_DIR "/fuzz/live_fuzzer", "--env",
       std::string("MPDRILL_LIVE_FUZZ_PANIC_MARKER=") + kMarker},
      o);
  ASSERT_TRUE(r.ok());
  SCOPED_TRACE("stdout:\n" + r->out + "\nstderr:\n" + r->err);
  EXPECT_EQ(r->exit_code, 1);  // a finding
  const fs::path finding = findings / "001-kernel-panic";
  EXPECT_NE(r->out.find("finding " + finding.string() +
                        ": KERNEL-PANIC: Kernel panic - not syncing: sysrq triggered crash"),
            std::string::npos);
  // Two guests; the inputs before and after the panicking one both ran to the end.
  EXPECT_NE(r->out.find("worker 0: 2 boot(s), 2 inputs"), std::string::npos);
  EXPECT_NE(r->out.find("1 finding(s)"), std::string::npos);

  auto input = ReadFile(finding / "input");
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(*input, panic_input);
  auto console = ReadFile(finding / "console.txt");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find("KERNEL-PANIC (console line"), std::string::npos) << *console;
  EXPECT_NE(console->find("sysrq triggered crash"), std::string::npos);
  EXPECT_NE(console->find("console tail:"), std::string::npos);
  EXPECT_TRUE(fs::exists(finding / "console.log"));
  auto text = ReadFile(finding / "finding.txt");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("verdict: KERNEL-PANIC\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("kernel-image: " + kernel_ + "\n"), std::string::npos);
  EXPECT_NE(text->find("kernel: 6."), std::string::npos);
  const auto sha = text->find("kernel-sha256: ");
  ASSERT_NE(sha, std::string::npos);
  EXPECT_EQ(text->find('\n', sha) - sha, std::string("kernel-sha256: ").size() + 64);
  EXPECT_NE(text->find("replay: " + kMpdrill + " vm --kernel '" + kernel_ + "' --rwdir '" +
                       finding.string() + "' --env 'MPDRILL_LIVE_FUZZ_PANIC_MARKER=" + kMarker +
                       "' -- '" + MPDRILL_BINARY_DIR "/fuzz/live_fuzzer' '" +
                       (finding / "input").string() + "'"),
            std::string::npos);

  // The replay command reproduces the panic (third boot), from a directory that does not hold
  // the finding (its --rwdir shares it).
  const auto line = text->find("replay: ");
  std::string replay = text->substr(line + 8, text->find('\n', line) - line - 8);
  replay.insert(replay.find(" vm ") + 4, "--cache " MPDRILL_BINARY_DIR "/vm-cache ");
  ExecOptions ro;
  ro.timeout = std::chrono::seconds(120);
  const std::string other = corpus.string();
  ro.before_exec = [c = other.c_str()] { return chdir(c) == 0; };
  auto again = ExecWithDeadline({"/bin/sh", "-c", replay}, ro);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 5) << replay << "\n" << again->err;
  EXPECT_NE(again->err.find("KERNEL-PANIC during no run"), std::string::npos) << again->err;
  EXPECT_NE(again->err.find("live_fuzzer: panic marker found"), std::string::npos) << again->err;

  // Nothing left: no qemu, no campaign state, no guest work directory, no scratch kernel.
  ExpectNothingLeft();
  for (const auto& e : fs::directory_iterator(findings)) {
    EXPECT_EQ(e.path().filename().string().rfind(".campaign.", 0), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace mpdrill
