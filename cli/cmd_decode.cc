#include "cli/commands.h"

#include <ostream>

namespace mpdrill::cli {

int RunDecode(const std::vector<std::string>&, CommandIo io) {
  io.err << "mpdrill decode: not built yet\n";
  return kExitEnvironment;
}

}  // namespace mpdrill::cli
