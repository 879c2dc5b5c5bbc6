#include "base/exec.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

namespace mpdrill {
namespace {

using std::chrono::milliseconds;

TEST(Exec, CapturesOutputAndExitCode) {
  auto r = ExecWithDeadline({"sh", "-c", "echo out; echo err >&2; exit 7"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(Exec, SignalIsExitCode128PlusN) {
  auto r = ExecWithDeadline({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + 9);
}

TEST(Exec, MissingProgramIsNotFoundWithErrno) {
  auto r = ExecWithDeadline({"/nonexistent/mpdrill-no-such-program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ExecErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos) << r.error().message;
}

TEST(Exec, ProgramExiting127IsNotMistakenForMissing) {
  auto r = ExecWithDeadline({"sh", "-c", "exit 127"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
}

TEST(Exec, DeadlineKillsTheProgram) {
  ExecOptions o;
  o.timeout = milliseconds(200);
  auto r = ExecWithDeadline({"sleep", "30"}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ExecErrorCode::kTimeout);
  EXPECT_NE(r.error().message.find("sleep 30"), std::string::npos);
}

TEST(Exec, CaptureIsLimited) {
  ExecOptions o;
  o.max_capture = 10;
  auto r = ExecWithDeadline({"sh", "-c", "head -c 100000 /dev/zero"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 10u);
}

TEST(Exec, FailedHookRunsNothing) {
  ExecOptions o;
  o.before_exec = [] { return false; };
  auto r = ExecWithDeadline({"sh", "-c", "echo ran"}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ExecErrorCode::kHookFailed);
}

}  // namespace
}  // namespace mpdrill

namespace mpdrill {
namespace {

TEST(Spawn, RunsWithStdioInFilesAndIsReaped) {
  const std::string out = "/tmp/mpdrill-spawn-test." + std::to_string(getpid());
  SpawnOptions o;
  o.stdout_path = out;
  auto child = Spawn({"sh", "-c", "echo hi; exit 3"}, o);
  ASSERT_TRUE(child.ok()) << child.error().message;
  std::optional<int> code;
  for (int i = 0; i < 5000 && !code; ++i) {
    code = child->TryWait();
    if (!code) usleep(1000);
  }
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE(child->running());
  std::FILE* f = std::fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[8] = {};
  EXPECT_EQ(std::fread(buf, 1, sizeof(buf), f), 3u);
  std::fclose(f);
  EXPECT_STREQ(buf, "hi\n");
  std::remove(out.c_str());
}

TEST(Spawn, DestructionKillsTheWholeGroup) {
  pid_t grandchild = -1;
  const std::string pidfile = "/tmp/mpdrill-spawn-test-pid." + std::to_string(getpid());
  {
    auto child = Spawn({"sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"});
    ASSERT_TRUE(child.ok());
    for (int i = 0; i < 5000 && grandchild <= 0; ++i) {
      if (std::FILE* f = std::fopen(pidfile.c_str(), "r")) {
        if (std::fscanf(f, "%d", &grandchild) != 1) grandchild = -1;
        std::fclose(f);
      }
      if (grandchild <= 0) usleep(1000);
    }
    ASSERT_GT(grandchild, 0);
  }
  // The sleep was in the child's process group: gone too (reaped by init, give it a moment).
  bool gone = false;
  for (int i = 0; i < 2000 && !gone; ++i) {
    gone = kill(grandchild, 0) != 0;
    if (!gone) {  // a zombie nobody reaped yet is gone too
      char state = '?';
      const std::string stat = "/proc/" + std::to_string(grandchild) + "/stat";
      if (std::FILE* f = std::fopen(stat.c_str(), "r")) {
        if (std::fscanf(f, "%*d %*s %c", &state) != 1) state = '?';
        std::fclose(f);
      }
      gone = state == 'Z';
    }
    if (!gone) usleep(1000);
  }
  EXPECT_TRUE(gone);
  std::remove(pidfile.c_str());
}

TEST(Spawn, MissingProgramIsAnError) {
  auto child = Spawn({"/nonexistent/qemu"});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, ExecErrorCode::kNotFound);
}

}  // namespace
}  // namespace mpdrill
