// Errors of the network-namespace sandbox. One code per kind of failure; the message says
// which call failed and why (errno text, command output, timeout).
#ifndef MPDRILL_SANDBOX_SANDBOX_ERROR_H_
#define MPDRILL_SANDBOX_SANDBOX_ERROR_H_

#include <string>

#include "base/result.h"

namespace mpdrill::sandbox {

enum class SandboxErrorCode {
  kPermission,      // not root / no CAP_SYS_ADMIN: unshare or setns refused (exit code 3)
  kSyscall,         // another system call failed
  kTimeout,         // a child, command or wait ran past its deadline and was killed
  kCommandFailed,   // a command exited non-zero or died of a signal
  kHostNamespace,   // refused: the code would have run in the host's network namespace
  kCapture,         // libpcap failed
  kInvalidArgument,
};

struct SandboxError {
  SandboxErrorCode code;
  std::string message;
};

const char* SandboxErrorCodeName(SandboxErrorCode code);

template <typename T>
using SandboxResult = Result<T, SandboxError>;
using SandboxStatus = Status<SandboxError>;

// `what: strerror(errno)`; kPermission for EPERM / EACCES, kSyscall otherwise.
SandboxError ErrnoError(const std::string& what, int err);

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_SANDBOX_ERROR_H_
