#include "cli/commands.h"

#include <ostream>

namespace mpdrill::cli {

int RunLint(const std::vector<std::string>&, CommandIo io) {
  io.err << "mpdrill lint: not built yet\n";
  return kExitEnvironment;
}

}  // namespace mpdrill::cli
