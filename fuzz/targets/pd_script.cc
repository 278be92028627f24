// Fuzz target (c): the packetdrill-style script parser (tests/packetdrill/pd_script). Any
// text either parses or throws ScriptError naming a line; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pd_script.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nicsim::pd::Script s = nicsim::pd::parse_script(text, "fuzz.pkt");
    (void)s;
  } catch (const nicsim::pd::ScriptError&) {
  }
  return 0;
}
