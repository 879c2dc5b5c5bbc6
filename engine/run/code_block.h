// `%{ }%` code blocks with packetdrill's semantics (its code.c): when the runner reaches a
// block it takes a snapshot of TCP_INFO, TCP_CC_INFO and SO_MEMINFO of the socket under test;
// after the script (and its cleanup command) every block runs, in script order, in one
// python3 program in which each snapshot's fields are variables (`tcpi_snd_cwnd = 10`,
// `TCP_CA_Open = 0`, `SK_MEMINFO_RCVBUF = ...`) assigned just before that block's text. An
// exception (a failed `assert`) fails the run at the block's file:line.
#ifndef MPDRILL_ENGINE_RUN_CODE_BLOCK_H_
#define MPDRILL_ENGINE_RUN_CODE_BLOCK_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace mpdrill::run {

struct CodeFailure {
  int line = 0;          // the block whose code raised
  std::string message;   // "error in Python code: AssertionError: 12"
  std::string output;    // python's whole output (the traceback)
  bool environment = false;  // python3 could not run at all
};

class CodeBlocks {
 public:
  // Takes the snapshot on the real descriptor `fd` and records the block's text (stripped of
  // the blanks around it and dedented, so `%{ assert x }%` is a statement). Error text when a
  // snapshot getsockopt fails (packetdrill's "runtime error in code").
  Status<std::string> Add(int fd, int line, const std::string& text);
  bool empty() const { return program_.empty(); }

  // The python3 program: a preamble whose excepthook names the failing block's file:line,
  // then each snapshot and block.
  std::string Program(const std::string& script_path) const;

  // Runs the program as packetdrill does, `/bin/sh -c "<command> <file>"` (command: python3
  // unless --code_command; cwd, env as shell commands get them); nullopt when it exits 0, else
  // what failed.
  std::optional<CodeFailure> Execute(const std::string& command, const std::string& script_path,
                                     const std::string& cwd,
                                     const std::vector<std::string>& env,
                                     std::chrono::milliseconds timeout) const;

 private:
  struct Block {
    int line = 0;
    std::string variables;  // "name = value\n" lines of the snapshot
    std::string text;
  };
  std::vector<Block> program_;
};

// The variables of one TCP_INFO answer (`len` bytes as the kernel returned them), as python
// assignments; exposed for tests.
std::string TcpInfoVariables(const unsigned char* info, std::size_t len);

// A code block's text as a python statement list: blank lines around it dropped, the common
// indentation removed.
std::string DedentCode(const std::string& text);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_CODE_BLOCK_H_
