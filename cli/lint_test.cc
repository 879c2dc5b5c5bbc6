// `mpdrill lint` end to end: runs the built binary on scripts written to a temp dir.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mpdrill_lint_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  RunResult Lint(const std::vector<std::string>& args) const {
    std::string cmd = std::string(MPDRILL_BINARY_DIR) + "/cli/mpdrill lint";
    for (const std::string& a : args) cmd += " '" + a + "'";
    cmd += " >'" + (dir_ / "stdout").string() + "' 2>'" + (dir_ / "stderr").string() + "'";
    RunResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(dir_ / "stdout");
    r.err = ReadFile(dir_ / "stderr");
    return r;
  }

  fs::path dir_;
};

TEST_F(LintTest, CleanScriptExitsZero) {
  const std::string f = Write("ok.pkt", "+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n");
  const RunResult r = Lint({f});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 script(s), 0 with errors"), std::string::npos) << r.err;
}

TEST_F(LintTest, ErrorsAreLocatedWithExcerptAndCaretAndExitTwo) {
  const std::string f = Write("bad.pkt",
                              "+0 close(3) = 0\n"
                              "+0 < S 0:0(0) win 70000\n"
                              "+0 < . 1:1(0) ack 1 win 1 <mp_join_syn address_id=256 token=auto>\n");
  const RunResult r = Lint({"--quiet", f});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, f + ":2:19: error: window out of range: 70000 (maximum 65535)\n"
                       "+0 < S 0:0(0) win 70000\n"
                       "                  ^\n" +
                       f + ":3:51: error: address_id out of range: 256 (maximum 255)\n"
                       "+0 < . 1:1(0) ack 1 win 1 <mp_join_syn address_id=256 token=auto>\n"
                       "                                                  ^\n");
}

TEST_F(LintTest, MissingFileExitsTwoWithAMessage) {
  const RunResult r = Lint({(dir_ / "nope.pkt").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.pkt: error: no such file or directory"), std::string::npos) << r.err;
}

TEST_F(LintTest, DirectoriesAreSearchedRecursivelyForPkt) {
  Write("a/one.pkt", "+0 close(3) = 0\n");
  Write("a/b/two.pkt", "+0 close(4) = 0\n");
  Write("a/b/notes.txt", "not a script\n");
  const RunResult ok = Lint({(dir_ / "a").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("2 script(s), 0 with errors"), std::string::npos) << ok.err;
  Write("a/b/c/three.pkt", "+0 bogus\n");
  EXPECT_EQ(Lint({(dir_ / "a").string()}).exit_code, 2);
}

TEST_F(LintTest, PrintWritesTheCanonicalForm) {
  const std::string f =
      Write("p.pkt", "--tolerance_usecs=1000\n  +0.10   close( 3 )=0   // c\n");
  const RunResult r = Lint({"--print", f});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "--tolerance_usecs=1000\n\n+0.1 close(3) = 0\n");
}

TEST_F(LintTest, HelpAndUsageErrors) {
  const RunResult help = Lint({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: mpdrill lint"), std::string::npos);
  EXPECT_NE(help.out.find("--print"), std::string::npos);
  EXPECT_EQ(Lint({}).exit_code, 2);
  EXPECT_EQ(Lint({"--no-such-flag", "x.pkt"}).exit_code, 2);
}

}  // namespace
