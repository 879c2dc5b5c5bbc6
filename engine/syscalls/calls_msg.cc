// sendmsg and recvmsg: {msg_name(...)=..., msg_iov(N)=[{..., len}], msg_flags=F,
// msg_control=[{cmsg_level=L, cmsg_type=T, cmsg_data=D}, ...]}.
#include <time.h>  // before linux/errqueue.h, which uses struct timespec

#include <linux/errqueue.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/syscalls/executor_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

using parser::BraceForm;
using parser::Expr;
using parser::ExprKind;

constexpr std::size_t kControlBytes = 4096;  // room for the control messages a call receives

// One {cmsg_level=..., cmsg_type=..., cmsg_data=...}.
struct CmsgSpec {
  std::int64_t level = 0, type = 0;
  const Expr* data = nullptr;
};

struct Msg {
  IoVecs iov;
  SockAddr name;
  bool has_name = false;
  std::optional<std::int64_t> flags;
  bool has_control = false;
  bool check_control = false;  // msg_control=[...] (not `...`)
  std::vector<CmsgSpec> cmsgs;
};

Result<Msg, SyscallError> MakeMsg(const Call& c, const Expr& e, bool sending) {
  if (e.kind != ExprKind::kBraces) {
    return MakeUnexpected(c.ErrorAt(e, "expected a msghdr {msg_name(...)=..., ...}, got " +
                                           Describe(e)));
  }
  Msg m;
  bool have_iov = false;
  MPD_ASSIGN(auto fields, c.Fields(e));
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [key, value] = fields[i];
    const Expr& lhs = e.children[i].children[0];
    if (key == "msg_name") {
      // sendmsg: `...` is the run's connect address, like sendto(..., ...); recvmsg: space
      // for the sender's address, not checked.
      m.has_name = true;
      if (sending) {
        MPD_ASSIGN(m.name, c.AddressOf(*value, AddrRole::kConnect));
      }
    } else if (key == "msg_iov") {
      MPD_ASSIGN(m.iov, MakeIoVecs(c, *value));
      have_iov = true;
      if (lhs.kind == ExprKind::kCall && lhs.children.size() == 1) {
        MPD_ASSIGN(std::int64_t n, c.Int(lhs.children[0]));
        if (n != static_cast<std::int64_t>(m.iov.iov.size())) {
          return MakeUnexpected(c.ErrorAt(lhs, "msg_iov(" + std::to_string(n) +
                                                   ") does not match its " +
                                                   std::to_string(m.iov.iov.size()) +
                                                   "-element array"));
        }
      }
    } else if (key == "msg_flags") {
      MPD_ASSIGN(std::int64_t v, c.Int(*value));
      m.flags = v;
    } else if (key == "msg_control") {
      m.has_control = true;
      if (value->kind == ExprKind::kEllipsis) continue;
      if (value->kind != ExprKind::kList) {
        return MakeUnexpected(c.ErrorAt(*value, "msg_control wants [{cmsg_level=..}, ...] or ..."));
      }
      m.check_control = true;
      for (const Expr& cm : value->children) {
        if (parser::ClassifyBraces(cm) != BraceForm::kCmsg) {
          return MakeUnexpected(c.ErrorAt(cm, "expected {cmsg_level=.., cmsg_type=.., cmsg_data=..}"));
        }
        MPD_ASSIGN(auto cfields, c.Fields(cm));
        CmsgSpec spec;
        for (const auto& [ckey, cvalue] : cfields) {
          if (ckey == "cmsg_level") {
            MPD_ASSIGN(spec.level, c.Int(*cvalue));
          } else if (ckey == "cmsg_type") {
            MPD_ASSIGN(spec.type, c.Int(*cvalue));
          } else if (ckey == "cmsg_data") {
            spec.data = cvalue;
          } else {
            return MakeUnexpected(c.ErrorAt(*cvalue, "unknown cmsg field: " + ckey));
          }
        }
        if (spec.data == nullptr) return MakeUnexpected(c.ErrorAt(cm, "cmsg without cmsg_data"));
        m.cmsgs.push_back(spec);
      }
    } else {
      return MakeUnexpected(c.ErrorAt(e.children[i], "unknown msghdr field: " + key));
    }
  }
  if (!have_iov) return MakeUnexpected(c.ErrorAt(e, "msghdr without msg_iov"));
  return m;
}

// Control bytes for sendmsg: each cmsg with an int payload (packetdrill: 4-byte int data).
Result<std::string, SyscallError> EncodeControl(const Call& c, const Msg& m) {
  std::string out;
  for (const CmsgSpec& spec : m.cmsgs) {
    MPD_ASSIGN(std::int64_t v, c.Int(*spec.data));
    const auto value = static_cast<std::int32_t>(v);
    std::string one(CMSG_SPACE(sizeof(value)), '\0');
    cmsghdr hdr{};
    hdr.cmsg_len = CMSG_LEN(sizeof(value));
    hdr.cmsg_level = static_cast<int>(spec.level);
    hdr.cmsg_type = static_cast<int>(spec.type);
    std::memcpy(one.data(), &hdr, sizeof(hdr));
    std::memcpy(one.data() + (CMSG_LEN(0)), &value, sizeof(value));
    out += one;
  }
  return out;
}

// The unsigned little-endian (host order) integer in `data` of 1, 2, 4 or 8 bytes.
std::optional<std::uint64_t> IntPayload(const unsigned char* data, std::size_t len) {
  switch (len) {
    case 1: return data[0];
    case 2: { std::uint16_t v; std::memcpy(&v, data, 2); return v; }
    case 4: { std::uint32_t v; std::memcpy(&v, data, 4); return v; }
    case 8: { std::uint64_t v; std::memcpy(&v, data, 8); return v; }
    default: return std::nullopt;
  }
}

// Compares one received control message with the script's; returns a script error only for
// a bad expression.
SyscallStatus CheckCmsg(Call& c, std::size_t index, const CmsgSpec& want, const cmsghdr* got) {
  const std::string at = "cmsg[" + std::to_string(index) + "]";
  if (got->cmsg_level != want.level) {
    c.AddMismatch(at + ".cmsg_level", std::to_string(want.level), std::to_string(got->cmsg_level));
    return Ok{};
  }
  if (got->cmsg_type != want.type) {
    c.AddMismatch(at + ".cmsg_type", std::to_string(want.type), std::to_string(got->cmsg_type));
    return Ok{};
  }
  const auto* data = CMSG_DATA(got);
  const std::size_t len = got->cmsg_len - CMSG_LEN(0);
  const Expr& d = *want.data;
  if (d.kind == ExprKind::kEllipsis) return Ok{};
  if (d.kind == ExprKind::kBraces) {
    const BraceForm form = parser::ClassifyBraces(d);
    if (form == BraceForm::kScmTimestamping) return Ok{};  // times: not checked (docs)
    if (form != BraceForm::kExtendedErr) {
      return MakeUnexpected(c.ErrorAt(d, "unsupported cmsg_data struct"));
    }
    if (len < sizeof(sock_extended_err)) {
      c.AddMismatch(at + ".cmsg_data", "a sock_extended_err", std::to_string(len) + " bytes");
      return Ok{};
    }
    sock_extended_err ee;
    std::memcpy(&ee, data, sizeof(ee));
    MPD_ASSIGN(auto fields, c.Fields(d));
    for (const auto& [key, value] : fields) {
      if (value->kind == ExprKind::kEllipsis) continue;
      MPD_ASSIGN(std::int64_t v, c.Int(*value));
      std::int64_t actual = 0;
      if (key == "ee_errno") actual = ee.ee_errno;
      else if (key == "ee_origin") actual = ee.ee_origin;
      else if (key == "ee_type") actual = ee.ee_type;
      else if (key == "ee_code") actual = ee.ee_code;
      else if (key == "ee_info") actual = ee.ee_info;
      else if (key == "ee_data") actual = ee.ee_data;
      else return MakeUnexpected(c.ErrorAt(*value, "unknown sock_extended_err field: " + key));
      if (actual != v) c.AddMismatch(at + "." + key, std::to_string(v), std::to_string(actual));
    }
    return Ok{};
  }
  MPD_ASSIGN(std::int64_t v, c.Int(d));
  const std::optional<std::uint64_t> actual = IntPayload(data, len);
  if (!actual) {
    c.AddMismatch(at + ".cmsg_data", std::to_string(v), std::to_string(len) + " bytes");
  } else if (*actual != static_cast<std::uint64_t>(v) &&
             static_cast<std::int64_t>(*actual) != v) {
    c.AddMismatch(at + ".cmsg_data", std::to_string(v), std::to_string(*actual));
  }
  return Ok{};
}

}  // namespace

SyscallStatus DoSendmsg(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(Msg m, MakeMsg(c, c.arg(1), true));
  MPD_ASSIGN(std::int64_t flags, c.Int(2));
  if (m.flags && *m.flags != 0) {
    return MakeUnexpected(c.ErrorAt(c.arg(1), "sendmsg ignores msg_flags: write msg_flags=0"));
  }
  MPD_ASSIGN(std::string control, EncodeControl(c, m));
  msghdr hdr{};
  hdr.msg_iov = m.iov.iov.data();
  hdr.msg_iovlen = m.iov.iov.size();
  if (m.has_name) {
    hdr.msg_name = m.name.get();
    hdr.msg_namelen = m.name.len;
  }
  if (!control.empty()) {
    hdr.msg_control = control.data();
    hdr.msg_controllen = control.size();
  }
  c.Perform([&] { return sendmsg(fd, &hdr, static_cast<int>(flags)); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoRecvmsg(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(Msg m, MakeMsg(c, c.arg(1), false));
  MPD_ASSIGN(std::int64_t flags, c.Int(2));
  // Control messages are 8-byte aligned: keep the buffer in uint64_t storage.
  std::vector<std::uint64_t> control(m.has_control ? kControlBytes / sizeof(std::uint64_t) : 0);
  msghdr hdr{};
  hdr.msg_iov = m.iov.iov.data();
  hdr.msg_iovlen = m.iov.iov.size();
  if (m.has_name) {
    hdr.msg_name = m.name.get();
    hdr.msg_namelen = sizeof(m.name.storage);
  }
  if (m.has_control) {
    hdr.msg_control = control.data();
    hdr.msg_controllen = kControlBytes;
  }
  c.Perform([&] { return recvmsg(fd, &hdr, static_cast<int>(flags)); });
  if (!c.Finish(Check::kExact) || c.result() < 0) return Ok{};
  if (m.flags && *m.flags != hdr.msg_flags) {
    c.AddMismatch("msg_flags", std::to_string(*m.flags), std::to_string(hdr.msg_flags));
  }
  if (!m.check_control) return Ok{};
  std::size_t i = 0;
  for (cmsghdr* got = CMSG_FIRSTHDR(&hdr); got != nullptr; got = CMSG_NXTHDR(&hdr, got), ++i) {
    if (i >= m.cmsgs.size()) {
      c.AddMismatch("cmsgs", std::to_string(m.cmsgs.size()) + " control messages",
                    "more than " + std::to_string(m.cmsgs.size()));
      return Ok{};
    }
    MPD_TRY(CheckCmsg(c, i, m.cmsgs[i], got));
  }
  if (i < m.cmsgs.size()) {
    c.AddMismatch("cmsgs", std::to_string(m.cmsgs.size()) + " control messages",
                  std::to_string(i));
  }
  return Ok{};
}

}  // namespace mpdrill::syscalls::internal
