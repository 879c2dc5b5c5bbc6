#include "engine/suite/plan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "parser/parser.h"

namespace mpdrill::suite {
namespace {

namespace fs = std::filesystem;
using run::IpVersion;
using run::RunConfig;

}  // namespace

void UpstreamVariantDefaults(IpVersion v, RunConfig* c) {
  switch (v) {
    case IpVersion::kIpv4:
      c->defines = {{"TFO_COOKIE", "de4f234f0f433a55"}, {"CMSG_LEVEL_IP", "SOL_IP"},
                    {"CMSG_TYPE_RECVERR", "IP_RECVERR"}};
      break;
    case IpVersion::kIpv4MappedIpv6:
      c->defines = {{"TFO_COOKIE", "de4f234f0f433a55"}, {"CMSG_LEVEL_IP", "SOL_IPV6"},
                    {"CMSG_TYPE_RECVERR", "IPV6_RECVERR"}};
      break;
    case IpVersion::kIpv6:
      c->mtu = 1520;
      c->defines = {{"TFO_COOKIE", "6aa6ae70c288023b"}, {"CMSG_LEVEL_IP", "SOL_IPV6"},
                    {"CMSG_TYPE_RECVERR", "IPV6_RECVERR"}};
      break;
  }
}

std::string VariantLabel(IpVersion v) {
  // verdicts.tsv spells the mapped variant "ipv4-mapped-v6".
  return v == IpVersion::kIpv4MappedIpv6 ? "ipv4-mapped-v6" : std::string(run::IpVersionName(v));
}

Plan MakePlan(const std::vector<std::string>& inputs, const PlanOptions& options) {
  Plan plan;
  std::optional<IpVersion> forced;
  for (const Flag& f : options.flags) {
    if (f.name == "ip_version" && f.value) forced = run::ParseIpVersion(*f.value);
  }
  std::vector<std::string> missing;
  const std::vector<fs::path> files = FindFiles(inputs, ".pkt", &missing);
  for (const std::string& arg : missing) {
    plan.input_errors.push_back(arg + ": error: no such file or directory");
  }
  for (const fs::path& path : files) {
    auto read = ReadFile(path);
    if (!read) {
      plan.input_errors.push_back(path.string() + ": error: cannot read file");
      continue;
    }
    const std::string& text = *read;
    auto parsed = parser::Parse(text, path.string());
    if (!parsed.ok()) {
      PlanItem item;
      item.kind = PlanItem::Kind::kSyntaxError;
      item.index = static_cast<int>(plan.items.size()) + 1;
      item.script_path = path.string();
      item.error = parser::FormatDiagnostics(parsed.error());
      plan.items.push_back(std::move(item));
      continue;
    }
    auto script = std::make_shared<const parser::Script>(std::move(parsed.value()));
    std::vector<IpVersion> variants;
    if (forced) {
      variants = {*forced};
    } else if (options.packetdrill_mode) {
      variants = {IpVersion::kIpv4};
    } else {
      variants = run::VariantsForFile(path.string());
    }
    for (IpVersion v : variants) {
      RunConfig config;
      if (!options.packetdrill_mode) UpstreamVariantDefaults(v, &config);
      // As packetdrill, the verdicts are packetdrill's: the model only warns unless asked.
      if (options.packetdrill_mode) config.model_mode = run::ModelMode::kWarn;
      config.ip_version = v;
      std::optional<std::string> bad;
      for (const auto& h : script->options) {
        if (auto s = config.Apply(h.name == "-D" ? "D" : h.name, h.value); !s) {
          bad = path.string() + ":" + std::to_string(h.loc.line) + ": " + s.error();
        }
      }
      for (const Flag& f : options.flags) (void)config.Apply(f.name, f.value);
      if (!forced) config.ip_version = v;
      if (!bad) {
        if (auto s = config.Finalize(); !s) bad = path.string() + ": " + s.error();
      }
      PlanItem item;
      item.index = static_cast<int>(plan.items.size()) + 1;
      item.script_path = path.string();
      item.variant = VariantLabel(config.version);
      item.config = config;
      if (bad) {
        item.kind = PlanItem::Kind::kConfigError;
        item.error = *bad;
      } else {
        item.kind = config.dry_run ? PlanItem::Kind::kDry : PlanItem::Kind::kRun;
        item.script = script;
      }
      plan.items.push_back(std::move(item));
    }
  }
  return plan;
}

}  // namespace mpdrill::suite
