#include "engine/model/violation.h"

#include <cstdio>

namespace mpdrill::model {

std::string_view SideName(Side s) {
  switch (s) {
    case Side::kClient:
      return "client";
    case Side::kServer:
      return "server";
  }
  return "?";
}

std::string_view Section(codec::RuleId rule) { return codec::Describe(rule).section; }

std::string Format(const Violation& v) {
  std::string out = "packet " + std::to_string(v.packet) + " conn " +
                    std::to_string(v.connection) + " subflow " + std::to_string(v.subflow) +
                    " " + std::string(SideName(v.sender)) + ": " +
                    std::string(codec::RuleName(v.rule)) + " (" + std::string(Section(v.rule)) +
                    "): " + v.explanation;
  return out;
}

void Reporter::Report(codec::RuleId rule, std::string explanation) const {
  if (sink == nullptr) return;
  sink->push_back(Violation{rule, connection, subflow, packet, timestamp_us, sender,
                            std::move(explanation)});
}

std::string ExpectedActual(std::string_view expected, std::string_view actual) {
  std::string out = "expected: ";
  out += expected;
  out += " actual: ";
  out += actual;
  return out;
}

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace mpdrill::model
