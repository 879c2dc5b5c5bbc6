#include "parser/ast.h"

#include <string_view>

namespace mpdrill::parser {

BraceForm ClassifyBraces(const Expr& braces) {
  if (braces.kind != ExprKind::kBraces || braces.children.empty()) return BraceForm::kList;
  const Expr& first = braces.children.front();
  if (braces.children.size() == 2 && first.kind == ExprKind::kEllipsis &&
      braces.children[1].kind == ExprKind::kInteger) {
    return BraceForm::kIovec;
  }
  if (first.kind != ExprKind::kAssign || first.children.empty()) return BraceForm::kList;
  const std::string_view field = first.children.front().text;
  if (field == "sa_family" || field == "sin_family" || field == "sin6_family") {
    return BraceForm::kSockaddr;
  }
  if (field == "msg_name") return BraceForm::kMsghdr;
  if (field == "cmsg_level") return BraceForm::kCmsg;
  if (field == "fd") return BraceForm::kPollfd;
  if (field == "events") return BraceForm::kEpollEvent;
  if (field == "onoff") return BraceForm::kLinger;
  if (field == "tv_sec") return BraceForm::kTimeval;
  if (field == "scm_sec") return BraceForm::kScmTimestamping;
  if (field == "ee_errno") return BraceForm::kExtendedErr;
  return BraceForm::kList;
}

}  // namespace mpdrill::parser
