// `mpdrill script-from-pcap`: one side of a captured MPTCP conversation as a packetdrill
// script that mpdrill replays against that side's implementation (docs/script-from-pcap.md).
// mpdrill plays the other side: its packets become inbound (`<`) lines, the side's packets
// outbound (`>`) lines, with symbolic MPTCP keys (ckey/skey, as scripts/mptcp writes them),
// DSNs and DATA_ACKs relative to the IDSNs, and the syscalls the side's application must have
// made inferred from the packets.
//
// Either side of one connection: MP_CAPABLE handshake, joins (subflows named by their
// addresses, caddrN/saddrN), ADD_ADDR, REMOVE_ADDR, MP_PRIO, data both ways (DSS without
// checksums), DATA_FIN or FIN close. Anything else (checksums, MP_FASTCLOSE, MP_FAIL,
// MP_TCPRST, a second connection) is refused with a clear error naming the frame, never
// guessed.
#ifndef MPDRILL_ENGINE_CAPTURE_SCRIPT_FROM_PCAP_H_
#define MPDRILL_ENGINE_CAPTURE_SCRIPT_FROM_PCAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/capture/pcap_reader.h"

namespace mpdrill::capture {

enum class ScriptSide : std::uint8_t { kClient, kServer };

struct ScriptFromPcapOptions {
  ScriptSide side = ScriptSide::kServer;
  // Shell commands run before the script (backquoted lines), e.g. sysctls pinning the window
  // scale the capture's host used.
  std::vector<std::string> init_commands;
  std::uint32_t tolerance_usecs = 100000;
};

struct ScriptFromPcapError {
  std::string message;  // names the frame (1-based) when one is at fault
};

// The script for the first connection (the first SYN) among `segments`, in capture order.
Result<std::string, ScriptFromPcapError> ScriptFromSegments(
    const std::vector<CapturedSegment>& segments, const ScriptFromPcapOptions& options);

// Reads the capture (pcap_reader.h's ReadTcpSegments) and converts it.
Result<std::string, ScriptFromPcapError> ScriptFromPcap(const std::string& path,
                                                        const ScriptFromPcapOptions& options);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_SCRIPT_FROM_PCAP_H_
