// Whole files and temporary directories: reading a file into memory with a size limit,
// writing one, and a directory removed with everything in it when its owner goes.
#ifndef MPDRILL_BASE_FILES_H_
#define MPDRILL_BASE_FILES_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mpdrill {

// The file's bytes; an error text naming the path (missing, unreadable, larger than
// max_bytes) otherwise.
Result<std::string, std::string> ReadFile(const std::filesystem::path& path,
                                          std::size_t max_bytes = std::size_t{1} << 30);

// Writes `data` to `path` (created or truncated) with `mode`.
Status<std::string> WriteFile(const std::filesystem::path& path, std::string_view data,
                              unsigned mode = 0644);

// The files `inputs` name: each directory searched recursively for files ending in
// `extension` (sorted), each file as given. Inputs that do not exist are appended to
// `missing` (their text as given) and skipped.
std::vector<std::filesystem::path> FindFiles(const std::vector<std::string>& inputs,
                                             std::string_view extension,
                                             std::vector<std::string>* missing);

// A directory made by mkdtemp(3) under `parent` with `prefix`, removed recursively by the
// destructor (or Release() keeps it).
class TempDir {
 public:
  static Result<TempDir, std::string> Make(const std::filesystem::path& parent,
                                           const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Release() { return std::exchange(path_, {}); }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace mpdrill

#endif  // MPDRILL_BASE_FILES_H_
