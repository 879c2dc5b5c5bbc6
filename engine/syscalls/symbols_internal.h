// Pieces of the symbol table that live in their own translation units (header clashes).
#ifndef MPDRILL_ENGINE_SYSCALLS_SYMBOLS_INTERNAL_H_
#define MPDRILL_ENGINE_SYSCALLS_SYMBOLS_INTERNAL_H_

#include <cstdint>
#include <span>

namespace mpdrill::syscalls::internal {

struct NamedValue {
  const char* name;
  std::int64_t value;
};

// TCP_NLA_* from <linux/tcp.h> (symbols_linux_tcp.cc).
std::span<const NamedValue> LinuxTcpSymbols();

}  // namespace mpdrill::syscalls::internal

#endif  // MPDRILL_ENGINE_SYSCALLS_SYMBOLS_INTERNAL_H_
