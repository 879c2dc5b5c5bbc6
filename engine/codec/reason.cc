#include "engine/codec/reason.h"

#include <ostream>

namespace mpdrill::codec {

std::ostream& operator<<(std::ostream& os, Reason r) { return os << std::string_view(r); }

}  // namespace mpdrill::codec
