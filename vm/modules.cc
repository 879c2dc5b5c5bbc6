#include "vm/modules.h"

#include <fstream>
#include <sstream>

#include "base/exec.h"
#include "vm/modinfo.h"
#include "base/files.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxModuleBytes = 64u << 20;
constexpr int kMaxDepth = 32;

// "kernel/fs/9p/9p.ko.xz" -> "9p"
std::string ModuleNameOf(const fs::path& path) {
  std::string base = path.filename().string();
  const auto ko = base.find(".ko");
  if (ko != std::string::npos) base.resize(ko);
  return NormalizeModuleName(base);
}

bool IsModuleFile(const fs::path& path) {
  const std::string name = path.filename().string();
  for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

class Resolver {
 public:
  explicit Resolver(const ModuleTree& tree) : tree_(tree) {}

  // Adds `name` and its dependencies (first). `required_by` names the chain for messages.
  VmStatus Add(const std::string& name, const std::string& required_by, int depth) {
    if (done_.count(name) || tree_.IsBuiltin(name)) {
      if (tree_.IsBuiltin(name) && !done_.count(name)) {
        done_.insert(name);
        selection_.builtin.push_back(name);
      }
      return Ok{};
    }
    if (depth > kMaxDepth || visiting_.count(name)) {
      return Unexpected{VmError{VmErrorCode::kBadImage,
                                tree_.dir().string() + ": module dependency loop at " + name}};
    }
    const fs::path* path = tree_.Find(name);
    if (path == nullptr) {
      std::string where = tree_.HasBuiltinList() ? "" : " (the tree has no modules.builtin)";
      return Unexpected{VmError{VmErrorCode::kMissingModule,
                                "module " + name + required_by + " is neither built in nor in " +
                                    tree_.dir().string() + where}};
    }
    visiting_.insert(name);
    auto image = ReadModuleFile(*path);
    if (!image) return Unexpected{image.error()};
    const Bytes bytes(reinterpret_cast<const std::uint8_t*>(image->data()), image->size());
    auto info = ReadModInfo(bytes);
    if (!info) {
      return Unexpected{VmError{info.error().code, path->string() + ": " + info.error().message}};
    }
    for (const std::string& dep : info->depends) {
      if (auto s = Add(dep, " (needed by " + name + ")", depth + 1); !s) return s;
    }
    visiting_.erase(name);
    done_.insert(name);
    selection_.load.push_back(LoadedModule{name, std::move(*image)});
    return Ok{};
  }

  ModuleSelection Take() { return std::move(selection_); }
  ModuleSelection& selection() { return selection_; }

 private:
  const ModuleTree& tree_;
  std::set<std::string> done_, visiting_;
  ModuleSelection selection_;
};

}  // namespace

VmResult<ModuleTree> ModuleTree::Open(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Unexpected{VmError{VmErrorCode::kIo, dir.string() + ": no such modules directory"}};
  }
  ModuleTree tree;
  tree.dir_ = dir;
  std::ifstream builtin(dir / "modules.builtin");
  if (builtin) {
    tree.has_builtin_list_ = true;
    for (std::string line; std::getline(builtin, line);) {
      if (!line.empty()) tree.builtin_.insert(ModuleNameOf(line));
    }
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && IsModuleFile(it->path())) {
      tree.files_.emplace(ModuleNameOf(it->path()), it->path());
    }
  }
  if (ec) return Unexpected{VmError{VmErrorCode::kIo, dir.string() + ": " + ec.message()}};
  return tree;
}

const fs::path* ModuleTree::Find(const std::string& name) const {
  const auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

VmResult<ModuleSelection> SelectModules(const ModuleTree& tree,
                                        const std::vector<std::string>& required,
                                        const std::vector<std::string>& optional) {
  Resolver resolver(tree);
  for (const std::string& name : required) {
    if (auto s = resolver.Add(NormalizeModuleName(name), "", 0); !s) return Unexpected{s.error()};
  }
  for (const std::string& name : optional) {
    const std::string n = NormalizeModuleName(name);
    if (!tree.IsBuiltin(n) && tree.Find(n) == nullptr) {
      resolver.selection().skipped.push_back(n);
      continue;
    }
    if (auto s = resolver.Add(n, "", 0); !s) return Unexpected{s.error()};
  }
  return resolver.Take();
}

VmResult<std::string> ReadModuleFile(const fs::path& path) {
  const std::string name = path.filename().string();
  auto ends = [&](const std::string& e) {
    return name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  const char* tool = ends(".xz") ? "xz" : ends(".zst") ? "zstd" : ends(".gz") ? "gzip" : nullptr;
  if (tool == nullptr) {
    auto bytes = ReadFile(path, kMaxModuleBytes);
    if (!bytes) return Unexpected{VmError{VmErrorCode::kIo, bytes.error()}};
    return std::move(*bytes);
  }
  ExecOptions options;
  options.max_capture = kMaxModuleBytes;
  options.timeout = std::chrono::seconds(60);
  auto r = ExecWithDeadline({tool, "-dc", path.string()}, options);
  if (!r) {
    return Unexpected{VmError{r.error().code == ExecErrorCode::kNotFound ? VmErrorCode::kMissingTool
                                                                         : VmErrorCode::kIo,
                              r.error().message}};
  }
  if (r->exit_code != 0) {
    return Unexpected{VmError{VmErrorCode::kBadImage, path.string() + ": " + tool +
                                                          " -dc failed: " + r->err}};
  }
  return std::move(r->out);
}

}  // namespace mpdrill::vm
