// A kernel module's .modinfo section (the "key=value\0" strings modinfo(8) prints), read from
// the module's ELF64 little-endian bytes: what `depends=` names is loaded first. Pure and
// bounds-checked; every failure names its byte offset.
#ifndef MPDRILL_VM_MODINFO_H_
#define MPDRILL_VM_MODINFO_H_

#include <string>
#include <vector>

#include "base/bytes.h"
#include "vm/vm_error.h"

namespace mpdrill::vm {

struct ModInfo {
  std::string name;                  // "name=" (normalized: '-' -> '_'), may be empty
  std::vector<std::string> depends;  // "depends=a,b" split, normalized
  std::string vermagic;              // "vermagic=6.1.0-57-amd64 SMP ..."
};

VmResult<ModInfo> ReadModInfo(Bytes elf);

// Module names use '-' and '_' interchangeably; the kernel and modprobe treat them alike.
std::string NormalizeModuleName(std::string name);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_MODINFO_H_
