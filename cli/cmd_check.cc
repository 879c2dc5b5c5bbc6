#include <ostream>

#include "cli/commands.h"

namespace mpdrill::cli {

int RunCheck(const std::vector<std::string>&, CommandIo io) {
  io.err << "mpdrill check: not built yet\n";
  return kExitEnvironment;
}

}  // namespace mpdrill::cli
