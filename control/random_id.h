#ifndef SWITCHBOARD_CONTROL_RANDOM_ID_H_
#define SWITCHBOARD_CONTROL_RANDOM_ID_H_

#include <string>

namespace switchboard::control {

// A random 128-bit id in lowercase hex (32 characters), for message and
// command ids the caller did not choose. Thread-safe.
std::string RandomId();

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_RANDOM_ID_H_
