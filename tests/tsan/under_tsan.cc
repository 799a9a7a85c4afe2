#include "tests/tsan/under_tsan.h"

#include <dlfcn.h>

namespace switchboard::testing {

bool UnderThreadSanitizer() {
  // The TSan runtime (libtsan) defines it; nothing else does.
  static const bool under_tsan = dlsym(RTLD_DEFAULT, "__tsan_init") != nullptr;
  return under_tsan;
}

}  // namespace switchboard::testing
