// KVM or TCG. /dev/kvm existing is not enough: on some hosts (nested paging-based KVM such as
// PVM) qemu aborts or a stock kernel hangs in its decompressor. So `auto` boots the kernel
// once under KVM with a guest that only says it came up, and uses KVM only if it did within
// a few seconds; the answer is cached per kernel image and host kernel.
#ifndef MPDRILL_VM_ACCEL_H_
#define MPDRILL_VM_ACCEL_H_

#include <filesystem>
#include <functional>
#include <string>

#include "vm/qemu.h"

namespace mpdrill::vm {

enum class AccelMode { kAuto, kKvm, kTcg };

struct AccelChoice {
  Accel accel = Accel::kTcg;
  std::string reason;  // one line for the user: why this one
};

// `probe` boots the kernel under KVM and says whether the guest came up (and if not, why).
struct ProbeResult {
  bool up = false;
  std::string why;
};

AccelChoice ChooseAccel(AccelMode mode, const std::filesystem::path& cache_dir,
                        const std::string& kernel_identity,
                        const std::function<ProbeResult()>& probe);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_ACCEL_H_
