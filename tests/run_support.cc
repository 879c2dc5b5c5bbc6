#include "tests/run_support.h"

#include <unistd.h>

#include <fstream>

#include "sandbox/tun.h"

namespace mpdrill::tests {

bool CanRunScripts() { return geteuid() == 0 && sandbox::TunAvailable(); }

std::filesystem::path ScratchDir(const std::string& tag) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("mpdrill_" + tag + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::string WriteScratchFile(const std::string& tag, const std::string& name,
                             const std::string& text) {
  const std::filesystem::path p = ScratchDir(tag) / name;
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace mpdrill::tests
