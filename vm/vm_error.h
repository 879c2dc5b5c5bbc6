// Errors of `mpdrill vm`: one code per kind of failure, the message names the file (and byte
// offset) or the command that failed.
#ifndef MPDRILL_VM_VM_ERROR_H_
#define MPDRILL_VM_VM_ERROR_H_

#include <string>

#include "base/result.h"

namespace mpdrill::vm {

enum class VmErrorCode {
  kNotAKernel,      // the image is neither a bzImage nor a Debian linux-image package
  kBadImage,        // it claims to be one but its structure is broken (offset in the message)
  kMissingModule,   // a module the guest needs is neither built in nor in the modules tree
  kKernelLacks,     // the kernel lacks a feature (MPTCP, TUN, 9p), from its config or the guest
  kMissingTool,     // qemu-system-x86_64, busybox, dpkg-deb, xz ... not installed
  kIo,              // reading or writing a file on the host failed
  kQemu,            // qemu could not start or failed on its own
  kNetwork,         // a guest NIC cannot be set up on the host: the host's initial network
                    // namespace (refused), the tap's name taken, its link not brought up
};

struct VmError {
  VmErrorCode code;
  std::string message;
};

const char* VmErrorCodeName(VmErrorCode code);

template <typename T>
using VmResult = Result<T, VmError>;
using VmStatus = Status<VmError>;

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_VM_ERROR_H_
