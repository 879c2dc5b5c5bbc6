#include "fuzz/live_input.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "base/bytes.h"
#include "engine/codec/json_util.h"
#include "engine/model/violation.h"

namespace mpdrill::fuzz {
namespace {

// Front to back, big-endian, built byte by byte so that a value cut by the end of the input
// keeps its leading bytes (the rest read as 0).
class InputReader {
 public:
  explicit InputReader(std::span<const std::uint8_t> bytes)
      : reader_(bytes.first(std::min(bytes.size(), kLiveMaxInput))) {}
  std::uint8_t U8() {
    std::uint8_t b = 0;
    (void)reader_.ReadU8(&b);
    return b;
  }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() << 8 | U8()); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(U16()) << 16 | U16(); }
  std::uint64_t U64() { return static_cast<std::uint64_t>(U32()) << 32 | U32(); }
  bool done() const { return reader_.empty(); }

 private:
  ByteReader reader_;
};

LiveHeader DecodeHeader(InputReader& in) {
  LiveHeader h;
  h.isn = in.U32();
  h.key = in.U64() | 1;
  h.how = in.U8();
  if (h.how & kHowFamily) {
    switch (in.U8() % 3) {
      case 0: h.family = run::IpVersion::kIpv4; break;
      case 1: h.family = run::IpVersion::kIpv4MappedIpv6; break;
      default: h.family = run::IpVersion::kIpv6; break;
    }
  }
  if (h.how & kHowAnyFlags) h.mpc_flags = in.U8();
  if (h.how & kHowAnyVersion) h.version = in.U8() & 0x0f;
  if (!h.kernel_client() && h.wrong_key()) h.wrong_key_xor = in.U64();
  return h;
}

DataStep DecodeData(InputReader& in, const LiveHeader& h) {
  DataStep s;
  s.how = in.U8();
  s.flow = in.U8();
  s.length = 1 + in.U16() % kLiveMss;
  if (s.no_dss()) return s;
  if (s.how & 0x02) s.dsn_delta = static_cast<std::int16_t>(in.U16());
  if (s.how & 0x08) s.data_level_length = in.U16();
  if (s.how & 0x10) s.ssn_delta = in.U16();
  if (h.checksums() && (s.how & 0x20)) {
    s.checksum_xor = static_cast<std::uint16_t>(1 + in.U16() % 0xfffe);
  }
  return s;
}

AddAddrStep DecodeAddAddr(InputReader& in) {
  AddAddrStep s;
  s.how = in.U8();
  s.address_id = in.U8();
  s.last_byte = in.U8();
  if (s.how & 0x04) s.port = in.U16();
  if (!s.echo() && (s.how & 0x08)) s.hmac_xor = in.U64() | 1;
  s.flow = in.U8();
  return s;
}

JoinStep DecodeJoin(InputReader& in) {
  JoinStep s;
  s.how = in.U8();
  s.isn = in.U32();
  s.nonce = in.U32();
  if (s.how & 0x01) s.token_xor = in.U32() | 1;
  s.address_id = in.U8();
  if (s.how & 0x04) s.hmac_byte = in.U8();
  return s;
}

RawStep DecodeRaw(InputReader& in) {
  RawStep s;
  const std::uint8_t n = 2 + in.U8() % 30;
  s.option.resize(n);
  s.option[0] = 30;  // kind: MPTCP
  for (std::size_t i = 1; i < n; ++i) s.option[i] = in.U8();
  s.payload = in.U8() & 0x01;
  s.flow = in.U8();
  return s;
}

LiveStep DecodeStep(InputReader& in, const LiveHeader& h) {
  // Action bytes 0xf0-0xff are the kernel's application writing; the others pick one of the
  // first twelve actions (their meaning is unchanged since the harness had only those).
  const std::uint8_t action = in.U8();
  switch (action >= 0xf0 ? 12 : action % 12) {
    case 0:
      return DecodeData(in, h);
    case 1: {
      DataAckStep s;
      s.how = in.U8();
      if (s.how & 0x01) s.delta = static_cast<std::int16_t>(in.U16());
      s.flow = in.U8();
      return s;
    }
    case 2:
      return DecodeAddAddr(in);
    case 3: {
      RemoveAddrStep s;
      const std::uint8_t n = 1 + in.U8() % 4;
      for (std::uint8_t i = 0; i < n; ++i) s.address_ids.push_back(in.U8());
      s.flow = in.U8();
      return s;
    }
    case 4: {
      MpPrioStep s;
      s.backup = in.U8() & 1;
      s.flow = in.U8();
      return s;
    }
    case 5: {
      MpFailStep s;
      s.back = in.U16();
      s.rst = in.U8() & 1;
      s.flow = in.U8();
      return s;
    }
    case 6: {
      FastcloseStep s;
      s.key_xor = in.U64();
      s.rst = in.U8() & 1;
      return s;
    }
    case 7:
      return DecodeJoin(in);
    case 8:
      return DecodeRaw(in);
    case 9: {
      FinStep s;
      s.how = in.U8();
      s.flow = in.U8();
      return s;
    }
    case 10: {
      TcpRstStep s;
      s.reason = in.U8();
      s.flags = in.U8() & 0x0f;
      s.flow = in.U8();
      return s;
    }
    case 11:
      return WaitStep{static_cast<std::uint8_t>(in.U8() % 40)};
    default: {
      AppWriteStep s;
      s.bytes = 1 + in.U16() % 8000;
      s.flow = in.U8();
      return s;
    }
  }
}

using model::Hex;

}  // namespace

LiveInput DecodeLiveInput(std::span<const std::uint8_t> bytes) {
  InputReader in(bytes);
  LiveInput input;
  input.header = DecodeHeader(in);
  while (input.steps.size() < kLiveMaxSteps && !in.done()) {
    input.steps.push_back(DecodeStep(in, input.header));
  }
  return input;
}

namespace {

// Writes each step's fields in the order DecodeStep reads them (an overlong input is cut at
// kLiveMaxInput, as the decoder would).
class InputWriter {
 public:
  explicit InputWriter(const LiveHeader& h) : h_(h), writer_(buf_) {}
  void U8(std::uint8_t v) { (void)writer_.WriteU8(v); }
  void U16(std::uint16_t v) { (void)writer_.WriteU16(v); }
  void U32(std::uint32_t v) { (void)writer_.WriteU32(v); }
  void U64(std::uint64_t v) { (void)writer_.WriteU64(v); }
  std::vector<std::uint8_t> bytes() const {
    return {writer_.written().begin(), writer_.written().end()};
  }

  void Header() {
    U32(h_.isn);
    U64(h_.key);
    std::uint8_t how = h_.how;
    if (h_.family != run::IpVersion::kIpv4) how |= kHowFamily;
    if (h_.mpc_flags) how |= kHowAnyFlags;
    if (h_.version) how |= kHowAnyVersion;
    U8(how);
    if (how & kHowFamily) U8(static_cast<std::uint8_t>(h_.family));
    if (how & kHowAnyFlags) U8(h_.mpc_flags.value_or(0));
    if (how & kHowAnyVersion) U8(h_.version.value_or(0));
    if (!(how & kHowKernelClient) && (how & kHowWrongKey)) U64(h_.wrong_key_xor);
  }

  void operator()(const DataStep& s) {
    U8(0);
    U8(s.how);
    U8(s.flow);
    U16(static_cast<std::uint16_t>(s.length - 1));
    if (s.no_dss()) return;
    if (s.how & 0x02) U16(static_cast<std::uint16_t>(s.dsn_delta));
    if (s.how & 0x08) U16(s.data_level_length.value_or(0));
    if (s.how & 0x10) U16(s.ssn_delta);
    if (h_.checksums() && (s.how & 0x20)) U16(static_cast<std::uint16_t>(s.checksum_xor - 1));
  }
  void operator()(const DataAckStep& s) {
    U8(1);
    U8(s.how);
    if (s.how & 0x01) U16(static_cast<std::uint16_t>(s.delta));
    U8(s.flow);
  }
  void operator()(const AddAddrStep& s) {
    U8(2);
    U8(s.how);
    U8(s.address_id);
    U8(s.last_byte);
    if (s.how & 0x04) U16(s.port.value_or(0));
    if (!s.echo() && (s.how & 0x08)) U64(s.hmac_xor);
    U8(s.flow);
  }
  void operator()(const RemoveAddrStep& s) {
    U8(3);
    U8(static_cast<std::uint8_t>(s.address_ids.size() - 1));
    for (std::uint8_t id : s.address_ids) U8(id);
    U8(s.flow);
  }
  void operator()(const MpPrioStep& s) {
    U8(4);
    U8(s.backup);
    U8(s.flow);
  }
  void operator()(const MpFailStep& s) {
    U8(5);
    U16(s.back);
    U8(s.rst);
    U8(s.flow);
  }
  void operator()(const FastcloseStep& s) {
    U8(6);
    U64(s.key_xor);
    U8(s.rst);
  }
  void operator()(const JoinStep& s) {
    U8(7);
    U8(s.how);
    U32(s.isn);
    U32(s.nonce);
    if (s.how & 0x01) U32(s.token_xor);
    U8(s.address_id);
    if (s.how & 0x04) U8(s.hmac_byte);
  }
  void operator()(const RawStep& s) {
    U8(8);
    U8(static_cast<std::uint8_t>(s.option.size() - 2));
    for (std::size_t i = 1; i < s.option.size(); ++i) U8(s.option[i]);
    U8(s.payload);
    U8(s.flow);
  }
  void operator()(const FinStep& s) {
    U8(9);
    U8(s.how);
    U8(s.flow);
  }
  void operator()(const TcpRstStep& s) {
    U8(10);
    U8(s.reason);
    U8(s.flags);
    U8(s.flow);
  }
  void operator()(const WaitStep& s) {
    U8(11);
    U8(s.milliseconds);
  }
  void operator()(const AppWriteStep& s) {
    U8(0xf0);
    U16(static_cast<std::uint16_t>(s.bytes - 1));
    U8(s.flow);
  }

 private:
  const LiveHeader& h_;
  std::array<std::uint8_t, kLiveMaxInput> buf_{};
  ByteWriter writer_;
};

}  // namespace

std::vector<std::uint8_t> EncodeLiveInput(const LiveInput& input) {
  InputWriter w(input.header);
  w.Header();
  for (const LiveStep& s : input.steps) std::visit(w, s);
  return w.bytes();
}

std::string DescribeHeader(const LiveHeader& h) {
  std::string s = std::string(h.kernel_client() ? "kernel client" : "kernel server") + " " +
                  std::string(run::IpVersionName(h.family)) + " isn=" + Hex(h.isn) +
                  " key=" + Hex(h.key) + " how=" + Hex(h.how);
  if (h.mpc_flags) s += " mpc_flags=" + Hex(*h.mpc_flags);
  if (h.version) s += " version=" + std::to_string(*h.version);
  if (h.wrong_key_xor) s += " key_xor=" + Hex(h.wrong_key_xor);
  return s;
}

std::string DescribeStep(const LiveStep& step) {
  return std::visit(
      [](const auto& s) -> std::string {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, DataStep>) {
          std::string r = "data how=" + Hex(s.how) + " flow=" + std::to_string(s.flow) +
                          " length=" + std::to_string(s.length);
          if (s.dsn_delta) r += " dsn_delta=" + std::to_string(s.dsn_delta);
          if (s.data_level_length) r += " dll=" + std::to_string(*s.data_level_length);
          if (s.ssn_delta) r += " ssn_delta=" + std::to_string(s.ssn_delta);
          if (s.checksum_xor) r += " checksum_xor=" + Hex(s.checksum_xor);
          return r;
        } else if constexpr (std::is_same_v<T, DataAckStep>) {
          return "data_ack how=" + Hex(s.how) + " delta=" + std::to_string(s.delta) +
                 " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, AddAddrStep>) {
          return "add_addr how=" + Hex(s.how) + " id=" + std::to_string(s.address_id) +
                 " last_byte=" + std::to_string(s.last_byte) +
                 " port=" + (s.port ? std::to_string(*s.port) : std::string("none")) +
                 " hmac_xor=" + Hex(s.hmac_xor) + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, RemoveAddrStep>) {
          std::string r = "remove_addr ids=";
          for (std::uint8_t id : s.address_ids) r += std::to_string(id) + ",";
          return r + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, MpPrioStep>) {
          return "mp_prio backup=" + std::to_string(s.backup) + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, MpFailStep>) {
          return "mp_fail back=" + std::to_string(s.back) + " rst=" + std::to_string(s.rst) +
                 " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, FastcloseStep>) {
          return "fastclose key_xor=" + Hex(s.key_xor) + " rst=" + std::to_string(s.rst);
        } else if constexpr (std::is_same_v<T, JoinStep>) {
          return "join how=" + Hex(s.how) + " isn=" + Hex(s.isn) + " nonce=" + Hex(s.nonce) +
                 " token_xor=" + Hex(s.token_xor) + " id=" + std::to_string(s.address_id) +
                 " hmac_byte=" + std::to_string(s.hmac_byte);
        } else if constexpr (std::is_same_v<T, RawStep>) {
          std::string r = "raw option=";
          codec::AppendHex(s.option, &r);
          return r + " payload=" + std::to_string(s.payload) + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, FinStep>) {
          return "fin how=" + Hex(s.how) + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, TcpRstStep>) {
          return "mp_tcprst reason=" + std::to_string(s.reason) +
                 " flags=" + Hex(s.flags) + " flow=" + std::to_string(s.flow);
        } else if constexpr (std::is_same_v<T, WaitStep>) {
          return "wait ms=" + std::to_string(s.milliseconds);
        } else {
          static_assert(std::is_same_v<T, AppWriteStep>);
          return "app_write bytes=" + std::to_string(s.bytes) + " flow=" + std::to_string(s.flow);
        }
      },
      step);
}

}  // namespace mpdrill::fuzz
