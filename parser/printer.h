// Writes a Script (or a part of one) back out as script text that Parse() reads back into an
// equal tree: Parse(Print(t)) == t. One printer per node type, shared by `mpdrill lint --print`,
// diagnostics and round-trip tests.
#ifndef MPDRILL_PARSER_PRINTER_H_
#define MPDRILL_PARSER_PRINTER_H_

#include <cstdint>
#include <string>

#include "parser/ast.h"

namespace mpdrill::parser {

std::string PrintScript(const Script& script);
std::string PrintEvent(const Event& event);
std::string PrintTime(const EventTime& time);
std::string PrintPacket(const Packet& packet);
std::string PrintSyscall(const Syscall& syscall);
std::string PrintExpr(const Expr& expr);
std::string PrintTcpOption(const TcpOption& option);
std::string PrintMptcpOption(const MptcpOption& option);
// Seconds with up to six decimals and no trailing zeros: 100000 -> "0.1", 2000000 -> "2".
std::string FormatSeconds(std::int64_t usecs);

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_PRINTER_H_
