// Client and server bodies of mpdrill-mkcapture: real MPTCP sockets (IPPROTO_MPTCP), run in
// forked children that already sit in their namespace. Every call is bounded in time.
#ifndef MPDRILL_SANDBOX_MKCAPTURE_TRAFFIC_H_
#define MPDRILL_SANDBOX_MKCAPTURE_TRAFFIC_H_

#include <cstdint>
#include <string>

namespace mpdrill::mkcapture {

// Control bytes from the orchestrator to the client, and the client's answers.
inline constexpr char kCmdData = 'D';       // exchange one chunk (several writes) and its echo
inline constexpr char kCmdWaitSubflows = 'W';  // wait (bounded) for the extra subflows
inline constexpr char kCmdClose = 'C';      // shutdown(SHUT_WR), read to EOF, close: DATA_FIN
inline constexpr char kCmdFastclose = 'F';  // SO_LINGER {1, 0} + close: MP_FASTCLOSE
inline constexpr char kAnswerDone = 'K';    // after kCmdWaitSubflows: then one byte, the count
inline constexpr char kAnswerReady = 'R';   // connected, first chunk echoed

struct TrafficConfig {
  int family = 0;            // AF_INET / AF_INET6
  std::string server_ip;     // the client connects here
  std::uint16_t port = 0;
  int chunk_writes = 4;      // writes per exchanged chunk ...
  int write_size = 700;      // ... of this many bytes ...
  int write_gap_ms = 15;     // ... this far apart, so PM events land mid-connection
  int want_subflows = 2;     // extra subflows the client waits for before reporting ready
  int wait_subflows_ms = 600;  // IPv6 typically gets 1 (no join from the subflow endpoint)
};

// Child body: listen, write one byte to `ready_fd`, accept one connection, echo everything
// until EOF or reset. Exit code 0 on success.
int RunServer(const TrafficConfig& config, int ready_fd);

// Child body: connect, exchange a first chunk (sent before the peer's first DSS, so it rides
// on the 22/24-byte MP_CAPABLE), write kAnswerReady to `answer_fd`, then obey control bytes
// from `control_fd` until a close command. Exit code 0 on success; diagnostics on stderr.
int RunClient(const TrafficConfig& config, int control_fd, int answer_fd);

}  // namespace mpdrill::mkcapture

#endif  // MPDRILL_SANDBOX_MKCAPTURE_TRAFFIC_H_
