#ifndef SWITCHBOARD_COMMON_RANDOM_ID_H_
#define SWITCHBOARD_COMMON_RANDOM_ID_H_

#include <string>

namespace switchboard {

// A random 128-bit id in lowercase hex (32 characters), for message and
// command ids the caller did not choose. Thread-safe.
std::string RandomId();

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_RANDOM_ID_H_
