#include "vm/kernel_prep.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/exec.h"
#include "base/files.h"
#include "vm/cpio.h"
#include "vm/guest_script.h"
#include "vm/kernel_image.h"
#include "vm/modules.h"
#include "vm/net.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKernelBytes = 256u << 20;
constexpr std::size_t kMaxBusyboxBytes = 16u << 20;
constexpr auto kExtractTimeout = std::chrono::minutes(5);

// What a cache entry holds, next to vmlinuz and modules/<name>.ko.
constexpr const char* kMetaFile = "meta";
constexpr const char* kCompleteFile = "complete";

VmError Io(const std::string& message) { return VmError{VmErrorCode::kIo, message}; }

VmResult<std::string> Head(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Unexpected{Io(path.string() + ": no such file")};
    return Unexpected{Io(path.string() + ": cannot read")};
  }
  std::string head(kImageSniffBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

Bytes AsBytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

VmResult<BzImageInfo> InspectBzImage(const fs::path& path) {
  auto head = Head(path);
  if (!head) return Unexpected{head.error()};
  auto kind = SniffImage(AsBytes(*head));
  if (!kind) return Unexpected{VmError{kind.error().code, path.string() + ": " + kind.error().message}};
  if (*kind != ImageKind::kBzImage) {
    return Unexpected{VmError{VmErrorCode::kNotAKernel, path.string() + ": not a bzImage"}};
  }
  auto info = ParseBzImage(AsBytes(*head));
  if (!info) return Unexpected{VmError{info.error().code, path.string() + ": " + info.error().message}};
  return info;
}

// A kernel config's answer for CONFIG_NAME: "y", "m" or "" (not set).
std::string ConfigValue(const std::string& config, const std::string& name) {
  const std::string key = "\nCONFIG_" + name + "=";
  const auto at = ("\n" + config).find(key);
  if (at == std::string::npos) return "";
  const auto start = at + key.size() - 1;
  return config.substr(start, config.find('\n', start) - start);
}

// The features mpdrill needs, from a config file that came with the kernel.
VmStatus CheckConfig(const fs::path& path) {
  auto config = ReadFile(path, 16u << 20);
  if (!config) return Ok{};  // no config: the guest checks
  struct Need {
    const char* option;
    const char* what;
    bool module_ok;
  };
  for (const Need& n : {Need{"MPTCP", "MPTCP", false}, Need{"TUN", "TUN", true},
                        Need{"NET_9P_VIRTIO", "virtio-9p transport", true},
                        Need{"9P_FS", "9p file system", true},
                        Need{"VIRTIO_PCI", "virtio PCI", true}}) {
    const std::string v = ConfigValue(*config, n.option);
    if (v == "y" || (n.module_ok && v == "m")) continue;
    return Unexpected{VmError{VmErrorCode::kKernelLacks,
                              path.string() + ": the kernel lacks " + n.what + " (CONFIG_" +
                                  n.option + (v.empty() ? " is not set" : "=" + v) + ")"}};
  }
  return Ok{};
}

// lib/modules/<release> inside `dir`, or `dir` itself.
fs::path ModulesDirFor(const fs::path& dir, const std::string& release) {
  std::error_code ec;
  for (const fs::path& p : {dir / "lib" / "modules" / release, dir / release}) {
    if (fs::is_directory(p, ec)) return p;
  }
  return dir;
}

struct Extracted {
  fs::path vmlinuz;
  BzImageInfo info;
  std::vector<std::string> loaded, skipped;
  std::vector<std::pair<std::string, std::string>> modules;  // name, uncompressed image
};

VmResult<Extracted> SelectFrom(const fs::path& vmlinuz, const BzImageInfo& info,
                               const std::optional<fs::path>& modules_dir,
                               const std::vector<std::string>& extra) {
  Extracted e{vmlinuz, info, {}, {}, {}};
  if (!modules_dir) {
    if (!extra.empty()) {
      return Unexpected{VmError{VmErrorCode::kMissingModule,
                                "--module " + extra.front() + " needs a modules tree (--modules DIR)"}};
    }
    return e;  // everything the guest needs must be built in: the guest says if not
  }
  auto tree = ModuleTree::Open(ModulesDirFor(*modules_dir, info.release));
  if (!tree) return Unexpected{tree.error()};
  std::vector<std::string> required = RequiredModules();
  required.insert(required.end(), extra.begin(), extra.end());
  auto selection = SelectModules(*tree, required, OptionalModules());
  if (!selection) {
    return Unexpected{VmError{selection.error().code,
                              "kernel " + info.release + ": " + selection.error().message}};
  }
  for (LoadedModule& m : selection->load) {
    e.loaded.push_back(m.name);
    e.modules.emplace_back(m.name, std::move(m.image));
  }
  e.skipped = selection->skipped;
  return e;
}

// A Debian package: unpacked with dpkg-deb into `into`.
VmResult<Extracted> FromPackage(const fs::path& deb, const fs::path& into,
                                const std::vector<std::string>& extra) {
  ExecOptions options;
  options.timeout = kExtractTimeout;
  auto r = ExecWithDeadline({"dpkg-deb", "-x", deb.string(), into.string()}, options);
  if (!r) {
    return Unexpected{VmError{r.error().code == ExecErrorCode::kNotFound ? VmErrorCode::kMissingTool
                                                                         : VmErrorCode::kIo,
                              r.error().message}};
  }
  if (r->exit_code != 0) {
    return Unexpected{VmError{VmErrorCode::kBadImage,
                              deb.string() + ": dpkg-deb -x failed: " + r->err}};
  }
  std::error_code ec;
  fs::path vmlinuz;
  for (auto it = fs::directory_iterator(into / "boot", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().filename().string().rfind("vmlinuz-", 0) == 0) vmlinuz = it->path();
  }
  if (vmlinuz.empty()) {
    return Unexpected{VmError{VmErrorCode::kNotAKernel,
                              deb.string() + ": a Debian package without boot/vmlinuz-*: not a "
                                             "linux-image package"}};
  }
  auto info = InspectBzImage(vmlinuz);
  if (!info) return Unexpected{info.error()};
  if (auto s = CheckConfig(into / "boot" / ("config-" + info->release)); !s) {
    return Unexpected{s.error()};
  }
  return SelectFrom(vmlinuz, *info, into / "lib" / "modules" / info->release, extra);
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The cache entry: vmlinuz, modules/<name>.ko, meta (release, version, loaded, skipped).
VmStatus StoreEntry(const fs::path& entry, const Extracted& e) {
  std::error_code ec;
  fs::create_directories(entry / "modules", ec);
  if (ec) return Unexpected{Io(entry.string() + ": " + ec.message())};
  fs::copy_file(e.vmlinuz, entry / "vmlinuz", fs::copy_options::overwrite_existing, ec);
  if (ec) return Unexpected{Io(entry.string() + "/vmlinuz: " + ec.message())};
  for (const auto& [name, image] : e.modules) {
    if (auto s = WriteFile(entry / "modules" / (name + ".ko"), image); !s) {
      return Unexpected{Io(s.error())};
    }
  }
  const std::string meta = "release " + e.info.release + "\nversion " + e.info.version +
                           "\nloaded " + Join(e.loaded) + "\nskipped " + Join(e.skipped) + "\n";
  if (auto s = WriteFile(entry / kMetaFile, meta); !s) return Unexpected{Io(s.error())};
  if (auto s = WriteFile(entry / kCompleteFile, ""); !s) return Unexpected{Io(s.error())};
  return Ok{};
}

std::optional<Extracted> LoadEntry(const fs::path& entry) {
  std::error_code ec;
  if (!fs::exists(entry / kCompleteFile, ec)) return std::nullopt;
  auto meta = ReadFile(entry / kMetaFile, 1 << 20);
  if (!meta) return std::nullopt;
  Extracted e;
  e.vmlinuz = entry / "vmlinuz";
  std::istringstream in(*meta);
  for (std::string line; std::getline(in, line);) {
    const auto sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (key == "release") e.info.release = value;
    if (key == "version") e.info.version = value;
    if (key == "loaded") e.loaded = Split(value);
    if (key == "skipped") e.skipped = Split(value);
  }
  for (const std::string& name : e.loaded) {
    auto image = ReadFile(entry / "modules" / (name + ".ko"), 64u << 20);
    if (!image) return std::nullopt;
    e.modules.emplace_back(name, std::move(*image));
  }
  if (e.info.release.empty()) return std::nullopt;
  return e;
}

VmStatus WriteInitramfs(const fs::path& path, const fs::path& busybox, const Extracted& e) {
  auto bb = ReadFile(busybox, kMaxBusyboxBytes);
  if (!bb) {
    return Unexpected{VmError{VmErrorCode::kMissingTool,
                              bb.error() + " (Debian package busybox-static)"}};
  }
  CpioWriter cpio;
  for (const char* d : {"bin", "dev", "proc", "sys", "ctl", "newroot", "lib", "lib/modules"}) {
    cpio.AddDirectory(d);
  }
  cpio.AddFile("bin/busybox", *bb, 0755);
  cpio.AddFile("init", InitScript(e.loaded), 0755);
  for (const auto& [name, image] : e.modules) cpio.AddFile("lib/modules/" + name + ".ko", image);
  if (auto s = WriteFile(path, cpio.Finish()); !s) return Unexpected{Io(s.error())};
  return Ok{};
}

// The module lists the cache entry was made for (FNV-1a): a change of the lists makes a new
// entry instead of reusing one without the modules now wanted.
std::string SelectionKey() {
  std::uint32_t h = 2166136261u;
  for (const auto* list : {&RequiredModules(), &OptionalModules()}) {
    for (const std::string& name : *list) {
      for (char c : name + ",") h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    }
    h = (h ^ ';') * 16777619u;
  }
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", h);
  return hex;
}

}  // namespace

const std::vector<std::string>& RequiredModules() {
  static const std::vector<std::string> kRequired = {"virtio_pci", "9pnet_virtio", "9p", "tun"};
  return kRequired;
}

const std::vector<std::string>& OptionalModules() {
  static const std::vector<std::string> kOptional = {
      "overlay", "virtio_net", "veth", "sch_fq", "sch_netem", "inet_diag", "tcp_diag",
      "udp_diag", "mptcp_diag"};
  return kOptional;
}

fs::path DefaultCacheDir() {
  if (const char* d = std::getenv("MPDRILL_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0') {
    return fs::path(d) / "mpdrill";
  }
  if (const char* d = std::getenv("HOME"); d != nullptr && *d != '\0') {
    return fs::path(d) / ".cache" / "mpdrill";
  }
  return fs::temp_directory_path() / "mpdrill-cache";
}

VmResult<std::string> Sha256File(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected{Io(path.string() + ": cannot read")};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Unexpected{Io("SHA-256: OpenSSL failed")};
  }
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  char two[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(two, sizeof(two), "%02x", md[i]);
    hex += two;
  }
  return hex;
}

VmResult<PreparedKernel> PrepareKernel(const KernelRequest& request) {
  auto head = Head(request.image);
  if (!head) return Unexpected{head.error()};
  auto kind = SniffImage(AsBytes(*head));
  if (!kind) {
    return Unexpected{VmError{kind.error().code, request.image.string() + ": " + kind.error().message}};
  }
  auto identity = Sha256File(request.image);
  if (!identity) return Unexpected{identity.error()};
  PreparedKernel out;
  out.identity = *identity;
  out.label = request.image.filename().string();
  std::optional<Extracted> e;
  switch (*kind) {
    case ImageKind::kBzImage: {
      auto info = InspectBzImage(request.image);
      if (!info) return Unexpected{info.error()};
      auto sel = SelectFrom(request.image, *info, request.modules, request.extra_modules);
      if (!sel) return Unexpected{sel.error()};
      e = std::move(*sel);
      break;
    }
    case ImageKind::kDebianPackage: {
      if (request.modules) {
        return Unexpected{VmError{VmErrorCode::kBadImage,
                                  "--modules goes with a bzImage: a package brings its own"}};
      }
      const fs::path entry = request.cache_dir.empty()
                                 ? fs::path()
                                 : request.cache_dir / "kernels" /
                                       (out.identity.substr(0, 16) + "." + SelectionKey());
      if (!entry.empty() && request.extra_modules.empty()) e = LoadEntry(entry);
      out.from_cache = e.has_value();
      if (!e) {
        auto scratch = TempDir::Make(request.work_dir, "deb.");
        if (!scratch) return Unexpected{Io(scratch.error())};
        auto x = FromPackage(request.image, scratch->path(), request.extra_modules);
        if (!x) return Unexpected{x.error()};
        e = std::move(*x);
        if (!entry.empty() && request.extra_modules.empty()) {
          // Built beside the entry and renamed into place: a half-written entry never counts.
          std::error_code ec;
          fs::create_directories(entry.parent_path(), ec);
          auto staging = TempDir::Make(entry.parent_path(), ".staging.");
          if (staging && StoreEntry(staging->path(), *e)) {
            fs::remove_all(entry, ec);
            fs::rename(staging->path(), entry, ec);
            if (!ec) {
              staging->Release();
              e->vmlinuz = entry / "vmlinuz";
            }
          }
        }
        if (e->vmlinuz.string().rfind(scratch->path().string(), 0) == 0) {
          // Not cached: keep the kernel beside the initramfs, the scratch tree goes.
          std::error_code ec;
          fs::copy_file(e->vmlinuz, request.work_dir / "vmlinuz", ec);
          if (ec) return Unexpected{Io("copying the kernel: " + ec.message())};
          e->vmlinuz = request.work_dir / "vmlinuz";
        }
      }
      break;
    }
  }
  // virtio_net is optional for every guest (skipped when the kernel lacks it) and required
  // for one with a NIC: refused here, before booting.
  if (request.need_nic) {
    for (const std::string& m : e->skipped) {
      if (m != kNicModule) continue;
      return Unexpected{VmError{VmErrorCode::kMissingModule,
                                "kernel " + e->info.release + ": module " + m +
                                    " (for --tap/--control-port) is neither built in nor in its "
                                    "modules"}};
    }
  }
  out.vmlinuz = e->vmlinuz;
  out.release = e->info.release;
  out.version = e->info.version;
  out.loaded = e->loaded;
  out.skipped = e->skipped;
  out.initramfs = request.work_dir / "initramfs.cpio";
  if (auto s = WriteInitramfs(out.initramfs, request.busybox, *e); !s) return Unexpected{s.error()};
  return out;
}

}  // namespace mpdrill::vm
