#include "vm/guest_script.h"

namespace mpdrill::vm {
namespace {

// 9p mount options: 9P2000.L over virtio; 256 KiB messages (the kernel caps virtio at ~500k).
constexpr std::string_view k9pOptions = "trans=virtio,version=9p2000.L,msize=262144";

constexpr std::string_view kGuestPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace

std::string ShellQuote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string InitScript(const std::vector<std::string>& modules_in_order) {
  std::string s =
      "#!/bin/busybox sh\n"
      "# mpdrill vm: the guest's init (generated). Set-up failures end the guest at once.\n"
      "B=/bin/busybox\n"
      "fail() { echo \"mpdrill-vm: error: $*\" > /dev/console; $B reboot -f; "
      "while :; do $B sleep 1; done; }\n"
      "$B mount -t proc proc /proc && $B mount -t sysfs sys /sys && "
      "$B mount -t devtmpfs dev /dev || fail 'cannot mount proc, sysfs or devtmpfs'\n";
  for (const std::string& m : modules_in_order) {
    s += "$B insmod /lib/modules/" + m + ".ko || fail " +
         ShellQuote("cannot load module " + m + " (dmesg above says why)") + "\n";
  }
  s += "$B mkdir -p /ctl /newroot\n";
  s += "$B mount -t 9p -o " + std::string(k9pOptions) + " " + std::string(kTagCtl) +
       " /ctl || fail 'cannot mount the control directory over virtio-9p: the kernel needs "
       "9P_FS, NET_9P_VIRTIO and VIRTIO_PCI'\n";
  // The host root does not change under a guest: its pages may stay cached (cache=loose), so
  // binaries and libraries are read over 9p once, not at every exec.
  s += "$B mount -t 9p -o ro,cache=loose," + std::string(k9pOptions) + " " +
       std::string(kTagHostRoot) +
       " /newroot || fail 'cannot mount the host root over virtio-9p'\n";
  s += "$B sh /ctl/" + std::string(kCtlGuestScript) +
       "\n$B sync\n$B reboot -f\nwhile :; do $B sleep 1; done\n";
  return s;
}

std::string GuestNetScript(const GuestNics& nics) {
  if (!nics.any()) return "";
  const std::string tap(kGuestTapIf), ctl(kGuestControlIf);
  // A bounded wait: up to T tries 0.1 s apart.
  std::string s =
      "T=100\n"
      "upto() { i=0; until eval \"$1\"; do i=$((i+1)); [ $i -le $T ] || fail \"$2\"; "
      "$B usleep 100000; done; }\n"
      "nic() { upto \"[ -e /sys/class/net/$1 ]\" \"no network interface $1 ($3) after 10 s: "
      "the kernel needs VIRTIO_NET\"; a=$($B cat /sys/class/net/$1/address); "
      "[ \"$a\" = \"$2\" ] || fail \"$1 has MAC $a, not $2 ($3)\"; }\n"
      "sys() { { echo $3 > /proc/sys/net/ipv6/conf/$1/$2; } 2>/dev/null; }\n";
  if (!nics.tap.empty()) {
    s += "nic " + tap + " " + nics.tap_mac + " " + ShellQuote("the NIC on tap " + nics.tap) + "\n";
    s += "for k in accept_ra autoconf accept_dad; do sys " + tap + " $k 0; done; sys " + tap +
         " addr_gen_mode 1\n";
    s += "$B ip link set " + tap + " up || fail 'cannot bring " + tap + " up'\n";
  }
  if (nics.control_port != 0) {
    // Alone, the control NIC is the kernel's eth0: it is eth1 whatever the other NIC.
    if (nics.tap.empty()) {
      s += "nic " + tap + " " + std::string(kControlMac) + " 'the control NIC'\n";
      s += "$B ip link set " + tap + " name " + ctl + " || fail 'cannot rename " + tap + " to " +
           ctl + "'\n";
    }
    s += "nic " + ctl + " " + std::string(kControlMac) + " 'the control NIC'\n";
    s += "sys " + ctl + " disable_ipv6 1\n";
    s += "$B ip addr add " + std::string(kControlGuestAddress) + "/" +
         std::to_string(kControlPrefixLen) + " dev " + ctl + " && $B ip link set " + ctl +
         " up || fail 'cannot configure " + ctl + "'\n";
  }
  for (const std::string& n : {tap, ctl}) {
    if (n == tap ? nics.tap.empty() : nics.control_port == 0) continue;
    s += "upto '[ \"$($B cat /sys/class/net/" + n + "/carrier 2>/dev/null)\" = 1 ] && " +
         "[ \"$($B cat /sys/class/net/" + n + "/operstate)\" = up ]' " +
         ShellQuote(n + " has no link after 10 s") + "\n";
  }
  if (!nics.tap.empty()) {
    s += "upto '[ -e /ctl/" + std::string(kCtlTapUp) + " ]' " +
         ShellQuote("the host did not bring tap " + nics.tap + " up within 10 s") + "\n";
  }
  return s;
}

std::string GuestScript(const GuestPlan& plan) {
  std::string s =
      "# mpdrill vm: this invocation's guest script (generated).\n"
      "B=/bin/busybox\n"
      "R=/newroot\n"
      "fail() { echo \"$*\" > /ctl/error; echo \"mpdrill-vm: error: $*\" > /dev/console; "
      "$B reboot -f; }\n"
      "lacks() { echo \"$*\" > /ctl/lacks; echo \"mpdrill-vm: error: the kernel lacks $*\" > "
      "/dev/console; $B reboot -f; }\n"
      "$B mount -t proc proc $R/proc && $B mount -t sysfs sys $R/sys && "
      "$B mount -t devtmpfs dev $R/dev || fail 'cannot mount proc, sysfs or devtmpfs in the "
      "host root'\n"
      "$B mount -t devpts devpts $R/dev/pts 2>/dev/null\n"
      "$B mount -t tmpfs shm $R/dev/shm 2>/dev/null\n"
      "$B mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null\n"
      // /tmp and /var/tmp: the host's files show through (an input under /tmp is
      // readable), writes stay in the guest (overlay on a tmpfs; a plain tmpfs without
      // overlayfs). /run: a tmpfs.
      "$B mount -t tmpfs tmpfs $R/run || fail 'cannot mount a tmpfs on /run'\n"
      "$B mkdir -p /ovl && $B mount -t tmpfs ovl /ovl || fail 'cannot mount a tmpfs'\n"
      "for d in tmp var/tmp; do\n"
      "  u=/ovl/$($B echo $d | $B tr / _)\n"
      "  $B mkdir -p $u/upper $u/work\n"
      "  $B mount -t overlay overlay -o lowerdir=$R/$d,upperdir=$u/upper,workdir=$u/work $R/$d "
      "2>/dev/null || $B mount -t tmpfs tmpfs $R/$d || fail \"cannot mount /$d\"\n"
      "done\n";
  for (const GuestShare& share : plan.shares) {
    const std::string at = ShellQuote("/newroot" + share.path);
    s += "$B mkdir -p " + at + " 2>/dev/null; $B mount -t 9p -o " +
         (share.readonly ? "ro," : "") + std::string(k9pOptions) + " " + share.tag + " " + at +
         " || fail " + ShellQuote("cannot mount " + share.path + " over virtio-9p") + "\n";
  }
  if (plan.need_mptcp) {
    s += "[ -e /proc/sys/net/mptcp/enabled ] || lacks 'MPTCP (CONFIG_MPTCP)'\n";
  }
  if (plan.need_tun) s += "[ -c /dev/net/tun ] || lacks 'TUN (CONFIG_TUN)'\n";
  s += GuestNetScript(plan.nics);
  // A heartbeat in /ctl: the host's watchdog tells a live guest from a hung one by it.
  s += "( n=0; while :; do n=$((n+1)); echo $n > /ctl/heartbeat; $B sleep 1; done ) &\n";
  s += "echo \"$($B uname -r) $($B cat /proc/uptime)\" > /ctl/ready\n";
  s += "$B chroot $R /usr/bin/env -i PATH=" + std::string(kGuestPath) + " HOME=/tmp TERM=dumb";
  for (const auto& [name, value] : plan.env) s += " " + ShellQuote(name + "=" + value);
  s += " /bin/sh -c 'cd \"$1\" || exit 3; shift; exec \"$@\"' mpdrill-vm " + ShellQuote(plan.cwd);
  for (const std::string& a : plan.argv) s += " " + ShellQuote(a);
  s += " < /dev/null > /ctl/stdout 2> /ctl/stderr\n";
  s += "echo $? > /ctl/exit\n";
  return s;
}

std::string ProbeScript() {
  return "echo \"$(/bin/busybox uname -r) $(/bin/busybox cat /proc/uptime)\" > /ctl/ready\n";
}

}  // namespace mpdrill::vm
