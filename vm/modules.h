// The kernel modules a guest needs, taken from a modules tree (lib/modules/<release>/ of a
// kernel package or `make modules_install`): which are built in (modules.builtin), where the
// others are (*.ko, *.ko.xz, *.ko.zst, *.ko.gz), and the order to load them in (each module's
// .modinfo `depends=` first). Compressed modules are unpacked on the host (xz, zstd, gzip) so
// the guest's busybox insmod needs no decompressor.
#ifndef MPDRILL_VM_MODULES_H_
#define MPDRILL_VM_MODULES_H_

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "vm/vm_error.h"

namespace mpdrill::vm {

class ModuleTree {
 public:
  // `dir` is lib/modules/<release>. kIo when it is missing or unreadable.
  static VmResult<ModuleTree> Open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  bool HasBuiltinList() const { return has_builtin_list_; }
  bool IsBuiltin(const std::string& name) const { return builtin_.count(name) > 0; }
  // nullptr when the tree has no such module file.
  const std::filesystem::path* Find(const std::string& name) const;

 private:
  std::filesystem::path dir_;
  bool has_builtin_list_ = false;
  std::set<std::string> builtin_;
  std::map<std::string, std::filesystem::path> files_;
};

struct LoadedModule {
  std::string name;
  std::string image;  // the uncompressed .ko
};

struct ModuleSelection {
  std::vector<LoadedModule> load;     // dependencies first
  std::vector<std::string> builtin;   // wanted and built in: nothing to load
  std::vector<std::string> skipped;   // optional, absent
};

// Resolves `required` (kMissingModule when one is neither built in nor present) and
// `optional` modules with their dependencies.
VmResult<ModuleSelection> SelectModules(const ModuleTree& tree,
                                        const std::vector<std::string>& required,
                                        const std::vector<std::string>& optional);

// A module file's bytes, uncompressed according to its extension.
VmResult<std::string> ReadModuleFile(const std::filesystem::path& path);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_MODULES_H_
