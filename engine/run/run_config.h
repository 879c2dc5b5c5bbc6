// Settings of one `mpdrill run` execution: packetdrill's flags with packetdrill's names,
// defaults and precedence (script header `--name=value` lines first, the command line over
// them), resolved for one IP variant.
#ifndef MPDRILL_ENGINE_RUN_RUN_CONFIG_H_
#define MPDRILL_ENGINE_RUN_RUN_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace mpdrill::run {

enum class IpVersion : std::uint8_t { kIpv4, kIpv4MappedIpv6, kIpv6 };

std::string_view IpVersionName(IpVersion v);  // "ipv4", "ipv4-mapped-ipv6", "ipv6"
std::optional<IpVersion> ParseIpVersion(std::string_view name);
// The variants a script's file name implies: *v4.pkt -> ipv4 + ipv4-mapped-ipv6,
// *v6.pkt -> ipv6, any other -> all three (upstream run_all.py's rule).
std::vector<IpVersion> VariantsForFile(std::string_view path);

// What --model asks of a run (mpdrill's own flag): ignore the live reference model, print its
// findings, or also fail the run on a violation by the kernel (the default).
enum class ModelMode : std::uint8_t { kOff, kWarn, kFail };
std::string_view ModelModeName(ModelMode m);  // "off" / "warn" / "fail"
std::optional<ModelMode> ParseModelMode(std::string_view text);

struct RunConfig {
  std::optional<IpVersion> ip_version;  // nullopt: ipv4 (after Finalize)
  // Address flags as given ("" = packetdrill's default for the variant).
  std::string local_ip, remote_ip, gateway_ip, netmask_ip;
  std::uint16_t bind_port = 8080;
  std::uint16_t connect_port = 8080;
  int mss = 0;  // 0: not set
  int mtu = 1500;
  std::int64_t tolerance_usecs = 4000;
  double tolerance_percent = 12.5;
  // Busy time before the run's time 0, as packetdrill (10 clock ticks, ~100 ms): a CPU just
  // out of idle runs the kernel's timers a tick late. Suites running several runs at once
  // set 0 (their runs keep the CPUs busy; a spinning run would delay the others).
  std::int64_t warm_start_usecs = 100000;
  // Nice value of the commands run before time 0 (--init_scripts, the script's init command):
  // untimed set-up. Suites running several runs at once set 19, so that one run's set-up
  // yields the CPU to another run's timed steps (its shell commands, its packets).
  int untimed_nice = 0;
  // The runner's timeline thread under SCHED_FIFO from time 0 (run::EnterRealtime): set by
  // suites running several runs at once, whose runs' wake-ups otherwise queue behind each
  // other's work on a few cores.
  bool realtime = false;
  std::int64_t tcp_ts_tick_usecs = 0;  // 0: outbound TS val not checked (packetdrill default)
  bool strict_segments = false;
  // MPTCP options of an outbound packet in the script's order (packetdrill's behaviour);
  // default: paired by subtype whatever their order (docs/run-mptcp.md).
  bool strict_option_order = false;
  bool non_fatal_packet = false;
  bool non_fatal_syscall = false;
  bool dry_run = false;
  int verbose = 0;
  std::optional<std::uint64_t> seed;
  ModelMode model_mode = ModelMode::kFail;                   // --model
  // --init_scripts=CMD[,CMD...]: shell commands run before the script's own init command.
  std::string init_scripts;
  // --code_command: what runs the %{ }% program (its path is appended).
  std::string code_command = "python3";
  std::vector<std::pair<std::string, std::string>> defines;  // -D NAME=VALUE, in order
  // The kernel's device facing mpdrill (OPT_LOCAL_DEV): tun0, or the target's interface on a
  // wire run. Not a flag: set by the transport.
  std::string local_dev = "tun0";

  // Resolved by Finalize():
  IpVersion version = IpVersion::kIpv4;
  int remote_prefix_len = 24;  // from --remote_ip=ADDR/LEN
  int local_prefix_len = 16;   // from --netmask_ip (IPv4) or 48 (IPv6)

  // Applies one flag by its packetdrill name without dashes ("tolerance_usecs", "define" or
  // "D" for NAME=VALUE). `value` is nullopt for a bare `--name`. Error text names the flag.
  Status<std::string> Apply(std::string_view name, const std::optional<std::string>& value);
  // Fills the variant's defaults (config.c's) and splits ADDR/LEN of --remote_ip.
  Status<std::string> Finalize();

  // OPT_* variables for shell commands, plus every -D symbol.
  std::vector<std::pair<std::string, std::string>> ShellEnvironment() const;
  // -D symbols as a map (later definitions win).
  std::map<std::string, std::string> DefineMap() const;
  // True for the IPv6 wire (ipv6); false for ipv4 and ipv4-mapped-ipv6.
  bool wire_ipv6() const { return version == IpVersion::kIpv6; }
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_RUN_CONFIG_H_
