// `mpdrill run` as a CI suite runner, end to end: each report format fed to a real consumer
// from Debian -- TAP::Parser (perl, prove's parser) for --tap, `xmllint --schema tests/junit.xsd`
// for --junit, the kernel's own KTAP parser (kunit_parser.py from linux-source) for --ktap,
// python3's json for --json -- with the counts checked against the text summary; a kernel
// WARN written into /dev/kmsg during a run becomes that run's verdict in every format; a
// timing failure that passes on a retry is FLAKY; -j keeps serial verdicts and order; the
// progress line shows on a terminal only; run markers reach the kernel log.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/health/health.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run_support.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kMpdrill = MpdrillPath();
const std::string kSmoke = MPDRILL_SOURCE_DIR "/scripts/smoke";

// scripts/smoke's runs: each script in the three variants (none is named *v4/*v6.pkt);
// shell_fail.pkt is the one that fails.
int SmokeRuns() {
  int scripts = 0;
  for (const auto& e : std::filesystem::directory_iterator(kSmoke)) {
    scripts += e.path().extension() == ".pkt";
  }
  return 3 * scripts;
}
const std::string kTests = MPDRILL_SOURCE_DIR "/tests";

std::string Scratch(const std::string& name) { return (ScratchDir("reports") / name).string(); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ToolRun Shell(const std::string& command) {
  return RunTool({"/bin/sh", "-c", command}, milliseconds(60000));
}

bool Have(const std::string& tool) { return Shell("command -v " + tool).exit_code == 0; }

// "N run(s), P passed, F failed, S script error(s), E environment error(s)" from the text.
struct TextCounts {
  int runs = -1, passed = -1, failed = -1, script_errors = -1, env = -1;
};
TextCounts ParseSummary(const std::string& out) {
  std::smatch m;
  static const std::regex re(
      R"((\d+) run\(s\), (\d+) passed, (\d+) failed, (\d+) script error\(s\), (\d+) environment)");
  TextCounts c;
  if (std::regex_search(out, m, re)) {
    c = {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[5])};
  }
  return c;
}

// TAP::Parser's counts: "tests_run passed failed skipped parse_errors".
std::string TapCounts(const std::string& file) {
  ToolRun r = Shell(
      "perl -MTAP::Parser -e '$p = TAP::Parser->new({source => $ARGV[0]}); "
      "while (defined($p->next)) {} "
      "printf(\"%d %d %d %d %d\", $p->tests_run, scalar($p->passed), scalar($p->failed), "
      "scalar($p->skipped), scalar($p->parse_errors))' " + file);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::string Xpath(const std::string& file, const std::string& expr) {
  std::string out = Shell("xmllint --xpath '" + expr + "' " + file).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(RunReportsTest, EveryFormatIsAcceptedByItsConsumerAndCountsAgreeWithTheText) {
  SKIP_WITHOUT_ROOT();
  if (!Have("perl") || !Have("xmllint") || !Have("python3")) {
    GTEST_SKIP() << "needs perl (TAP::Parser), xmllint (libxml2-utils) and python3";
  }
  const std::string bad = WriteScratchFile("reports", "syntax_bad.pkt", "+0 frobnicate(\n");
  const std::string tap = Scratch("r.tap"), junit = Scratch("r.xml"), json = Scratch("r.json");
  // Scaled tolerances: the smoke scripts' verdicts, not this machine's load, are under test.
  ToolRun r = RunTool({kMpdrill, "run", "--tolerance_scale", "5", "--ktap", "--tap", tap,
                       "--junit", junit, "--json", json, kSmoke, bad},
                      milliseconds(120000));
  ASSERT_EQ(r.exit_code, 2) << r.out << r.err;  // a script error wins over the smoke failures
  const TextCounts text = ParseSummary(r.out);
  // scripts/smoke: shell_fail.pkt fails in its 3 variants, the others pass; the bad script
  // is 1 run.
  const int runs = SmokeRuns() + 1, passed = SmokeRuns() - 3;
  const std::string n = std::to_string(runs), p = std::to_string(passed);
  ASSERT_EQ(text.runs, runs) << r.out;
  EXPECT_EQ(text.passed, passed);
  EXPECT_EQ(text.failed, 3);
  EXPECT_EQ(text.script_errors, 1);

  // TAP 13: prove's parser.
  EXPECT_EQ(TapCounts(tap), n + " " + p + " 4 0 0") << Slurp(tap);
  ToolRun prove = Shell("prove --exec cat " + tap);
  EXPECT_THAT(prove.out, HasSubstr("Tests=" + n)) << prove.out;
  EXPECT_THAT(prove.out, Not(HasSubstr("Parse errors")));

  // JUnit: the schema, one testsuite per directory, counts.
  ToolRun valid = Shell("xmllint --noout --schema " + kTests + "/junit.xsd " + junit);
  EXPECT_EQ(valid.exit_code, 0) << valid.err << Slurp(junit);
  EXPECT_EQ(Xpath(junit, "count(//testsuite)"), "2");
  EXPECT_EQ(Xpath(junit, "count(//testcase)"), n);
  EXPECT_EQ(Xpath(junit, "count(//testcase/failure)"), "3");
  EXPECT_EQ(Xpath(junit, "count(//testcase/error)"), "1");
  EXPECT_THAT(Xpath(junit, "string(//testcase[failure][1]/failure/@message)"),
              HasSubstr("shell command failed: expected: exit 0 actual: exit 3"));
  EXPECT_THAT(Xpath(junit, "string(//testcase[failure][1]/system-out)"),
              HasSubstr("smoke-output-marker"));

  // JSON Lines: python's json, one run record per run plus the summary.
  ToolRun py = Shell(
      "python3 -c 'import json,sys,collections\n"
      "recs=[json.loads(l) for l in open(sys.argv[1])]\n"
      "runs=[x for x in recs if x[\"type\"]==\"run\"]\n"
      "s=[x for x in recs if x[\"type\"]==\"summary\"][0]\n"
      "c=collections.Counter(x[\"verdict\"] for x in runs)\n"
      "print(len(runs), c[\"PASS\"], c[\"FAIL\"], c[\"ERROR\"], s[\"runs\"], s[\"exit_code\"])' " +
      json);
  EXPECT_EQ(py.exit_code, 0) << py.err << Slurp(json);
  EXPECT_EQ(py.out, n + " " + p + " 3 1 " + n + " 2\n");

  // KTAP on stdout: the kernel's parser (the text lines are "# " diagnostics to it).
  const std::string ktap_out = Scratch("r.ktap");
  std::ofstream(ktap_out) << r.out;
  ToolRun kunit = Shell("python3 " + kTests + "/ktap_counts.py < " + ktap_out);
  if (kunit.exit_code == 77) GTEST_SKIP() << "KTAP not checked: " << kunit.err;
  EXPECT_EQ(kunit.exit_code, 0) << kunit.err;
  EXPECT_THAT(kunit.out, HasSubstr("\"passed\": " + p + ", \"failed\": 4, \"crashed\": 0, "
                                   "\"skipped\": 0, \"errors\": 0"))
      << kunit.out << kunit.err;
}

TEST(RunReportsTest, AKernelWarningDuringARunIsThatRunsVerdictInEveryFormat) {
  SKIP_WITHOUT_ROOT();
  if (access("/dev/kmsg", R_OK | W_OK) != 0) GTEST_SKIP() << "needs /dev/kmsg read and write";
  // The fake WARN says clearly that it is a test marker, not a kernel problem. It names the
  // writing shell's host PID (/proc is the host's) as a real WARN names its task, and the
  // shell stays a moment: the seven runs go at once (-j auto), and the suite gives the WARN
  // to the run whose PID namespace holds that task, not to every run active then.
  const std::string warn = WriteScratchFile(
      "reports", "warn.pkt",
      "0 `read -r pid rest < /proc/self/stat; echo \"<4>WARNING: CPU: 0 PID: $pid at "
      "mpdrill-test: fake WARN written by tests/run_reports_test.cc\" > /dev/kmsg; sleep 0.5`\n"
      "+0 `true`\n");
  // Six runs before it: their 12 markers exceed the kernel's per-open-file rate limit on
  // /dev/kmsg writes (10 per 5 s), which once silently dropped the later markers.
  const std::string ok = WriteScratchFile("reports", "ok.pkt", "0 `true`\n");
  const std::string tap = Scratch("k.tap"), junit = Scratch("k.xml"), json = Scratch("k.json");
  std::vector<std::string> args = {kMpdrill, "run",  "--ip_version=ipv4", "--ktap", "--tap",
                                   tap,      "--junit", junit, "--json", json};
  for (int i = 0; i < 6; ++i) args.push_back(ok);
  args.push_back(warn);
  ToolRun r = RunTool(args, milliseconds(60000));
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("# PASS " + ok + " (ipv4)"));
  EXPECT_THAT(r.out, HasSubstr("# KERNEL-WARNING " + warn + " (ipv4)"));
  EXPECT_THAT(r.out, HasSubstr("#     kernel: WARNING: CPU: 0 PID: "));
  EXPECT_THAT(r.out, HasSubstr(" at mpdrill-test: fake WARN"));
  EXPECT_THAT(r.out, HasSubstr("not ok 7 " + warn + " (ipv4)"));
  EXPECT_THAT(r.out, HasSubstr("1 with kernel health events"));
  const std::string ktap_out = Scratch("k.ktap");
  std::ofstream(ktap_out) << r.out;
  ToolRun kunit = Shell("python3 " + kTests + "/ktap_counts.py < " + ktap_out);
  if (kunit.exit_code != 77) {  // the kernel's KTAP parser, where installed
    EXPECT_THAT(kunit.out, HasSubstr("\"passed\": 6, \"failed\": 1, \"crashed\": 0, "
                                     "\"skipped\": 0, \"errors\": 0"))
        << kunit.out << kunit.err;
  }
  EXPECT_THAT(Slurp(tap), HasSubstr("not ok 7 - " + warn + " (ipv4)\n  ---\n  verdict: "
                                    "\"KERNEL-WARNING\""));
  EXPECT_EQ(TapCounts(tap), "7 6 1 0 0");
  EXPECT_EQ(Shell("xmllint --noout --schema " + kTests + "/junit.xsd " + junit).exit_code, 0);
  EXPECT_EQ(Xpath(junit, "string(//testcase[@status=\"KERNEL-WARNING\"]/failure/@type)"),
            "KERNEL-WARNING");
  EXPECT_THAT(Xpath(junit, "string(//testcase[@status=\"KERNEL-WARNING\"]/system-out)"),
              HasSubstr("mpdrill-test: fake WARN"));
  const std::string records = Slurp(json);
  EXPECT_THAT(records, HasSubstr("\"verdict\":\"KERNEL-WARNING\",\"class\":\"none\""));
  EXPECT_THAT(records, HasSubstr("\"health\":[{\"kind\":\"warning\",\"verdict\":\"KERNEL-WARNING\""));
  EXPECT_THAT(records, HasSubstr("\"kernel\":1"));
}

TEST(RunReportsTest, RunMarkersReachTheKernelLogAndAttributeEventsThere) {
  SKIP_WITHOUT_ROOT();
  const int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "needs /dev/kmsg";
  lseek(fd, 0, SEEK_END);
  const std::string s = WriteScratchFile("reports", "marked.pkt", "0 `true`\n");
  ToolRun r = Shell("MPDRILL_KMSG_MARKERS=1 " + kMpdrill + " run --health=off --ip_version=ipv6 " + s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  health::HealthLog log;
  bool begin = false, end = false;
  char buf[8192];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EPIPE);) {
    if (n <= 0) continue;
    const std::string rec(buf, static_cast<std::size_t>(n));
    log.Feed(rec);
    if (auto m = health::ParseRunMarker(health::ParseLogLine(rec).text)) {
      begin |= m->begin && m->index == 1 && m->script == s && m->variant == "ipv6";
      end |= !m->begin && m->index == 1 && m->verdict == "PASS";
    }
  }
  close(fd);
  EXPECT_TRUE(begin);
  EXPECT_TRUE(end);
}

TEST(RunReportsTest, ATimingFailureRetriedAndThenPassingIsFlakyAndSemanticOnesAreNotRetried) {
  SKIP_WITHOUT_ROOT();
  // The first try's command takes 400 ms, so the event at 0.1 s comes late (a timing
  // failure); the retry finds the flag and is on time.
  const std::string flag = Scratch("flaky.flag");
  fs::remove(flag);
  const std::string s = WriteScratchFile(
      "reports", "flaky.pkt",
      "--tolerance_usecs=50000\n"
      "0   `test -e " + flag + " || { touch " + flag + "; sleep 0.4; }`\n0.1 `true`\n");
  const std::string json = Scratch("f.json");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--retries", "2", "--json", json, s,
                       kSmoke + "/shell_fail.pkt"},
                      milliseconds(60000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // shell_fail.pkt still fails
  EXPECT_THAT(r.out, HasSubstr("FLAKY " + s + " (ipv4)"));
  EXPECT_THAT(r.out, HasSubstr("passed on try 2; try 1: " + s + ":3: event: timing error"));
  EXPECT_THAT(r.out, HasSubstr("1 flaky"));
  const std::string records = Slurp(json);
  EXPECT_THAT(records, HasSubstr("\"verdict\":\"FLAKY\""));
  EXPECT_THAT(records, HasSubstr("\"verdict\":\"FAIL\",\"class\":\"semantic\",\"line\":2"));
  EXPECT_THAT(records, HasSubstr("\"retries\":0,\"first_try_error\":null,\"first_error\":"
                                 "\"" + kSmoke + "/shell_fail.pkt:2"));
  // Without retries the same failure is a timing FAIL, by how much recorded.
  fs::remove(flag);
  ToolRun once = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--json", json, s},
                         milliseconds(60000));
  EXPECT_EQ(once.exit_code, 1) << once.out;
  EXPECT_THAT(Slurp(json), HasSubstr("\"verdict\":\"FAIL\",\"class\":\"timing\",\"line\":3"));
}

TEST(RunReportsTest, AnExpectedPacketComingAfterItsDeadlineIsATimingFailureByHowMuch) {
  SKIP_WITHOUT_ROOT();
  // The SYN-ACK's first retransmission comes about 1 s after the SYN-ACK (the initial RTO);
  // the script wants it at +0.5 s (+-0.2): packetdrill's "Timed out waiting", but it came
  // within the grace period (4 tolerances after the deadline: until ~1.5 s).
  const std::string s = WriteScratchFile("reports", "late.pkt",
                                         "--tolerance_usecs=200000\n"
                                         "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                         "+0  bind(3, ..., ...) = 0\n"
                                         "+0  listen(3, 1) = 0\n"
                                         "+0  < S 0:0(0) win 65535 <mss 1460>\n"
                                         "+0  > S. 0:0(0) ack 1 <...>\n"
                                         "+0.5 > S. 0:0(0) ack 1 <...>\n");
  const std::string json = Scratch("late.json");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", "--json", json, s},
                      milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("late.pkt:7: error handling packet: Timed out waiting for packet"));
  EXPECT_THAT(r.out, HasSubstr("sec after the deadline (a timing failure): > S. 0:0(0) ack 1"));
  const std::string records = Slurp(json);
  EXPECT_THAT(records, HasSubstr("\"verdict\":\"FAIL\",\"class\":\"timing\",\"line\":7"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(records, m, std::regex(R"("timing_excess_usecs":(\d+))")));
  EXPECT_GT(std::stol(m[1]), 50000) << records;  // ~0.3 s late
}

TEST(RunReportsTest, ParallelRunsKeepSerialVerdictsAndOrder) {
  SKIP_WITHOUT_ROOT();
  auto verdicts = [](const std::string& out) {
    std::string v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      const auto t = line.find(".pkt (");
      if (t != std::string::npos && line[0] != ' ') {
        v += line.substr(0, line.find(')', t) + 1) + "\n";
      }
    }
    return v;
  };
  ToolRun serial =
      RunTool({kMpdrill, "run", "--tolerance_scale=5", kSmoke}, milliseconds(120000));
  ToolRun parallel =
      RunTool({kMpdrill, "run", "--tolerance_scale=5", "-j", "4", kSmoke}, milliseconds(120000));
  EXPECT_EQ(serial.exit_code, parallel.exit_code);
  EXPECT_EQ(verdicts(serial.out), verdicts(parallel.out)) << parallel.out;
  EXPECT_THAT(parallel.out, HasSubstr("-j 4: at most "));
  ToolRun bad = RunTool({kMpdrill, "run", "-j", "0", kSmoke}, milliseconds(10000));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("-j wants a number 1..256 or auto"));
}

TEST(RunReportsTest, TheProgressLineShowsOnATerminalOnly) {
  if (!Have("script")) GTEST_SKIP() << "needs script(1) (util-linux) for a terminal";
  ToolRun tty = Shell("script -qec '" + kMpdrill + " run --dry_run " + kSmoke +
                      "' /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.out << tty.err;
  const std::string all = std::to_string(SmokeRuns());
  EXPECT_THAT(tty.out, HasSubstr("[" + all + "/" + all + "] 0 failed, "));
  ToolRun pipe = RunTool({kMpdrill, "run", "--dry_run", kSmoke}, milliseconds(10000));
  EXPECT_THAT(pipe.out + pipe.err, Not(HasSubstr("[" + all + "/" + all + "]")));
  EXPECT_THAT(pipe.err, Not(HasSubstr("\033[K")));
}

}  // namespace
}  // namespace mpdrill::tests
