// The wire protocol between `mpdrill run` (the client) and `mpdrill agent` (the server on the
// machine under test), version 1. docs/agent.md is the reference; this header is its code.
//
// Every message is one frame: u32 length (of what follows, big-endian), u8 type, u32 request
// id, then the body. A length below 5 or above kMaxFrameBody + 5 is refused before anything is
// read or allocated. Strings are u32 length + bytes. Every decoder reads through base's
// bounds-checked ByteReader and reports the byte offset (inside the frame, counting from the
// type byte) where a body stopped making sense.
#ifndef MPDRILL_ENGINE_AGENT_PROTOCOL_H_
#define MPDRILL_ENGINE_AGENT_PROTOCOL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "engine/syscalls/executor.h"

namespace mpdrill::agent {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'M', 'P', 'D', 'A'};
inline constexpr std::uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kFrameHeader = 4;          // the length field
inline constexpr std::size_t kFrameMinLength = 5;       // type + request id
inline constexpr std::size_t kMaxFrameBody = 1 << 20;   // 1 MiB
inline constexpr std::size_t kNonceSize = 32;
inline constexpr std::size_t kMacSize = 32;             // HMAC-SHA256

enum class MessageType : std::uint8_t {
  // Handshake (request id 0).
  kChallenge = 0x01,  // agent -> client: magic, version, agent nonce
  kAuth = 0x02,       // client -> agent: magic, version, client nonce, client MAC
  kWelcome = 0x03,    // agent -> client: agent MAC
  // Requests, client -> agent.
  kSetContext = 0x10,  // a fresh syscall executor for a run
  kSyscall = 0x11,     // one script syscall event
  kCloseAll = 0x12,    // close the run's fds (unblocks a call in flight)
  kCommand = 0x13,     // a shell command with environment and deadline
  kInterfaces = 0x14,  // the target's interfaces, MACs and addresses
  kFreshNetns = 0x15,  // a fresh network namespace for the next run, with the test device
  kKernelLog = 0x16,   // the target kernel's log records since the last kernel-log request
  kShutdown = 0x1f,    // end the session; the agent exits 0
  // Replies, agent -> client, with the request's id.
  kOk = 0x80,
  kSyscallResult = 0x81,
  kSyscallError = 0x82,
  kCommandResult = 0x83,
  kInterfaceList = 0x84,
  kLogLines = 0x85,
  // Either direction; the agent closes the connection after one it sends in the handshake.
  kError = 0xff,
};
std::string_view MessageTypeName(MessageType type);
bool IsKnownMessageType(std::uint8_t type);

enum class ErrorCode : std::uint16_t {
  kMalformed = 1,    // a body that does not decode (with the byte offset)
  kOversized = 2,    // a frame length above the limit
  kVersion = 3,      // unsupported protocol version
  kAuth = 4,         // wrong token (MAC mismatch)
  kBusy = 5,         // another client is connected, or a call of that kind is in flight
  kUnexpected = 6,   // a message not valid in this state (e.g. a request before the handshake)
  kTimeout = 7,      // the peer went silent mid-frame or during the handshake
  kNoContext = 8,    // a syscall before kSetContext
  kInternal = 9,     // the agent could not do it (fork failed, ...)
};
std::string_view ErrorCodeName(ErrorCode code);

struct Frame {
  MessageType type = MessageType::kError;
  std::uint32_t id = 0;
  std::vector<std::uint8_t> body;
};

// A decoding error: what was wrong and where (byte offset inside the frame, from its type).
struct DecodeError {
  ErrorCode code = ErrorCode::kMalformed;
  std::size_t offset = 0;
  std::string message;
  std::string ToString() const;  // "byte 9: string length 4000 exceeds the 12 byte(s) left"
};

// The 4-byte length field: Ok(length of type+id+body) or kOversized / kMalformed (offset 0).
Result<std::uint32_t, DecodeError> DecodeFrameLength(std::array<std::uint8_t, 4> header);
// type + id + body (what follows the length field).
Result<Frame, DecodeError> DecodeFrame(Bytes payload);
// The whole frame, length field included.
std::vector<std::uint8_t> EncodeFrame(const Frame& frame);

// ---- Message bodies ------------------------------------------------------------------------

using Nonce = std::array<std::uint8_t, kNonceSize>;
using Mac = std::array<std::uint8_t, kMacSize>;

struct Challenge {
  std::uint16_t version = kProtocolVersion;
  Nonce agent_nonce{};
};
struct Auth {
  std::uint16_t version = kProtocolVersion;
  Nonce client_nonce{};
  Mac client_mac{};
};
struct Welcome {
  Mac agent_mac{};
};
struct ErrorMessage {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};
struct SyscallRequest {
  std::uint32_t line = 0;  // the event's place in the client's script, for errors
  std::uint32_t col = 0;
  std::string text;        // parser::PrintSyscall of the call
};
struct SyscallReply {  // kSyscallResult
  syscalls::Outcome outcome;
};
struct SyscallFailure {  // kSyscallError: an error in the script itself
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::string message;
};
// How fresh-netns configures the device in the new namespace (as a TUN run's tun0): up with
// `mtu` (0: as it is), `address`/`prefix`, a route to `route`/`route_prefix` via `gateway`.
// An empty address: the device only goes up.
struct LinkSetup {
  std::uint32_t mtu = 0;
  std::string address;
  std::uint8_t prefix = 0;
  std::string route;  // the network address
  std::uint8_t route_prefix = 0;
  std::string gateway;
};
struct FreshNetnsRequest {
  std::string device;  // the target's interface on the test link, moved into the namespace
  LinkSetup link;
};
struct CommandRequest {
  std::string command;            // run as /bin/sh -c COMMAND
  std::vector<std::string> env;   // NAME=VALUE, added to the agent's environment
  std::string cwd;                // empty: the agent's working directory
  std::uint32_t timeout_ms = 30000;
};
struct CommandReply {
  std::int32_t exit_code = -1;  // 128+N when killed by signal N; -1 on the deadline
  bool timed_out = false;
  std::string output;           // stdout+stderr, truncated by the agent
};
struct InterfaceAddress {
  std::string address;  // "198.51.100.2", "2001:db8::2"
  std::uint8_t prefix = 0;
};
struct InterfaceInfo {
  std::string name;
  std::uint32_t index = 0;
  bool up = false;
  std::array<std::uint8_t, 6> mac{};  // zeros for devices without one (lo, tun)
  std::vector<InterfaceAddress> addresses;
};

// Bodies. Encoders cannot fail (sizes are bounded by the caller's limits: a body above
// kMaxFrameBody is refused by the peer); decoders check every field and that nothing is left.
std::vector<std::uint8_t> EncodeChallenge(const Challenge& m);
std::vector<std::uint8_t> EncodeAuth(const Auth& m);
std::vector<std::uint8_t> EncodeWelcome(const Welcome& m);
std::vector<std::uint8_t> EncodeError(const ErrorMessage& m);
std::vector<std::uint8_t> EncodeContext(const syscalls::Context& m);
std::vector<std::uint8_t> EncodeSyscall(const SyscallRequest& m);
std::vector<std::uint8_t> EncodeSyscallReply(const SyscallReply& m);
std::vector<std::uint8_t> EncodeSyscallFailure(const SyscallFailure& m);
std::vector<std::uint8_t> EncodeCommand(const CommandRequest& m);
std::vector<std::uint8_t> EncodeCommandReply(const CommandReply& m);
std::vector<std::uint8_t> EncodeInterfaces(const std::vector<InterfaceInfo>& m);
std::vector<std::uint8_t> EncodeFreshNetns(const FreshNetnsRequest& m);
std::vector<std::uint8_t> EncodeLogLines(const std::vector<std::string>& lines);

// Decoders take the frame's body; offsets in errors count from the frame's type byte.
Result<Challenge, DecodeError> DecodeChallenge(Bytes body);
Result<Auth, DecodeError> DecodeAuth(Bytes body);
Result<FreshNetnsRequest, DecodeError> DecodeFreshNetns(Bytes body);
Result<std::vector<std::string>, DecodeError> DecodeLogLines(Bytes body);
Result<Welcome, DecodeError> DecodeWelcome(Bytes body);
Result<ErrorMessage, DecodeError> DecodeErrorMessage(Bytes body);
Result<syscalls::Context, DecodeError> DecodeContext(Bytes body);
Result<SyscallRequest, DecodeError> DecodeSyscall(Bytes body);
Result<SyscallReply, DecodeError> DecodeSyscallReply(Bytes body);
Result<SyscallFailure, DecodeError> DecodeSyscallFailure(Bytes body);
Result<CommandRequest, DecodeError> DecodeCommand(Bytes body);
Result<CommandReply, DecodeError> DecodeCommandReply(Bytes body);
Result<std::vector<InterfaceInfo>, DecodeError> DecodeInterfaces(Bytes body);

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_PROTOCOL_H_
