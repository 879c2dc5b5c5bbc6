// Names a packetdrill script may use for Linux constants (SOCK_STREAM, IPPROTO_MPTCP, SOL_MPTCP,
// TCP_FASTOPEN_CONNECT, MSG_*, O_*, F_*, POLL*, EPOLL*, errno names, ...). Values come from the
// system headers wherever they define the name; a few newer ones carry the kernel's uapi value.
// Stateless, read-only tables: no globals that change.
#ifndef MPDRILL_ENGINE_SYSCALLS_SYMBOLS_H_
#define MPDRILL_ENGINE_SYSCALLS_SYMBOLS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mpdrill::syscalls {

// The value of a constant, or nullopt if the name is unknown. Includes errno names.
std::optional<std::int64_t> LookupSymbol(std::string_view name);

// errno name → number ("ECONNREFUSED" → 111), and number → canonical name (11 → "EAGAIN";
// "errno 4242" for numbers with no name).
std::optional<int> ErrnoFromName(std::string_view name);
std::string ErrnoName(int err);

// How many named constants the table holds (for tests and docs).
std::size_t SymbolCount();

}  // namespace mpdrill::syscalls

#endif  // MPDRILL_ENGINE_SYSCALLS_SYMBOLS_H_
