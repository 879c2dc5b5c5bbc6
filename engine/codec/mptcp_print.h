// One printer per option: MPTCP packetdrill script syntax, and the stable JSON fields.
// Shared by `mpdrill decode`, the parser's printer tests and the engine's diagnostics.
#ifndef MPDRILL_ENGINE_CODEC_MPTCP_PRINT_H_
#define MPDRILL_ENGINE_CODEC_MPTCP_PRINT_H_

#include <string>

#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_option.h"

namespace mpdrill::codec {

// Script syntax with concrete values, e.g.
//   mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210]
//   dss dack8=1001 dsn8=1 ssn=1 dll=1000 nocs
//   add_address address_id=12 addr[inet_addr("198.51.100.2")] hmac=0x1122334455667788
// The segment says which key is the client's (SYN/ACK: sender is the server). Bits the syntax
// has no room for print as `reserved=0x..` / `flags=0x..`; experimental and unknown subtypes
// print as `mptcp_raw=0x<whole option>`. docs/rules.md lists the forms.
std::string ToScript(const Option& option, const SegmentInfo& segment = {});

// Appends the per-subtype JSON members (no braces, no leading or trailing comma), e.g.
// `"version":1,"flags":1,...`. Only fields that are on the wire appear. 64-bit numbers are
// exact decimal integers; HMACs are hex strings; experimental and unknown subtypes give
// `"raw":"<hex of the whole option>"`.
void AppendJsonFields(const Option& option, std::string* out);

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_MPTCP_PRINT_H_
