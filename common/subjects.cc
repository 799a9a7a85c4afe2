#include "common/subjects.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace switchboard {

Subjects::Subjects(absl::string_view prefix)
    : prefix_(prefix),
      pub_(std::string(prefix) + ".pub."),
      room_(std::string(prefix) + ".room."),
      eph_(std::string(prefix) + ".eph.") {
  // Stream names may not contain '.', '*', '>' or spaces.
  for (char c : prefix) {
    stream_.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c))
                          ? absl::ascii_toupper(static_cast<unsigned char>(c))
                          : '_');
  }
  bucket_prefix_ = stream_ + "_";
  stream_ += "_ROOMS";
}

absl::string_view Subjects::RoomOf(absl::string_view subject) const {
  for (const std::string* p : {&room_, &pub_, &eph_}) {
    if (absl::StartsWith(subject, *p)) return subject.substr(p->size());
  }
  return {};
}

}  // namespace switchboard
