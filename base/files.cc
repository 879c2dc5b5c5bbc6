#include "base/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace mpdrill {

Result<std::string, std::string> ReadFile(const std::filesystem::path& path,
                                          std::size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected{path.string() + ": " + std::strerror(errno)};
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Unexpected{path.string() + ": " + std::strerror(err)};
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      close(fd);
      return Unexpected{path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return data;
}

Status<std::string> WriteFile(const std::filesystem::path& path, std::string_view data,
                              unsigned mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Unexpected{path.string() + ": " + std::strerror(errno)};
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      return Unexpected{path.string() + ": " + std::strerror(err)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (close(fd) != 0) return Unexpected{path.string() + ": " + std::strerror(errno)};
  return Ok{};
}

std::vector<std::filesystem::path> FindFiles(const std::vector<std::string>& inputs,
                                             std::string_view extension,
                                             std::vector<std::string>* missing) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const std::string& arg : inputs) {
    std::error_code ec;
    const fs::path path(arg);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == extension) found.push_back(*it);
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      missing->push_back(arg);
    }
  }
  return files;
}

Result<TempDir, std::string> TempDir::Make(const std::filesystem::path& parent,
                                           const std::string& prefix) {
  std::string templ = (parent / (prefix + "XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return Unexpected{templ + ": mkdtemp: " + std::strerror(errno)};
  }
  return TempDir(std::filesystem::path(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace mpdrill
