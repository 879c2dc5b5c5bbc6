#include "vm/accel.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;

std::string HostRelease() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "unknown";
}

}  // namespace

AccelChoice ChooseAccel(AccelMode mode, const fs::path& cache_dir, const std::string& identity,
                        const std::function<ProbeResult()>& probe) {
  switch (mode) {
    case AccelMode::kTcg:
      return {Accel::kTcg, "tcg (asked for)"};
    case AccelMode::kKvm:
      return {Accel::kKvm, "kvm (asked for)"};
    case AccelMode::kAuto:
      break;
  }
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return {Accel::kTcg, std::string("tcg: /dev/kvm: ") + std::strerror(errno)};
  }
  close(fd);
  const fs::path cached = cache_dir.empty()
                              ? fs::path()
                              : cache_dir / "accel" / (identity.substr(0, 16) + "." + HostRelease());
  if (!cached.empty()) {
    if (auto text = ReadFile(cached, 4096)) {
      if (text->rfind("kvm", 0) == 0) return {Accel::kKvm, "kvm (probe cached)"};
      if (text->rfind("tcg", 0) == 0) return {Accel::kTcg, *text + " (probe cached)"};
    }
  }
  const ProbeResult r = probe();
  AccelChoice choice = r.up ? AccelChoice{Accel::kKvm, "kvm (probe boot came up)"}
                            : AccelChoice{Accel::kTcg, "tcg: a KVM probe boot " + r.why};
  if (!cached.empty()) {
    std::error_code ec;
    fs::create_directories(cached.parent_path(), ec);
    (void)WriteFile(cached, r.up ? "kvm" : "tcg: a KVM probe boot " + r.why);
  }
  return choice;
}

}  // namespace mpdrill::vm
