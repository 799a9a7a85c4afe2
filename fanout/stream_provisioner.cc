#include "fanout/stream_provisioner.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/nats_status.h"

namespace switchboard::fanout {
namespace {

struct InfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
using InfoPtr = std::unique_ptr<jsStreamInfo, InfoDeleter>;

// Lists every managed setting in which `have` differs from `want`.
std::vector<std::string> Differences(const jsStreamConfig& have, const jsStreamConfig& want) {
  std::vector<std::string> diffs;
  auto check = [&diffs](const char* name, auto have_value, auto want_value) {
    if (have_value != want_value) {
      diffs.push_back(absl::StrCat(name, " is ", have_value, ", want ", want_value));
    }
  };
  check("max_msgs_per_subject", have.MaxMsgsPerSubject, want.MaxMsgsPerSubject);
  check("max_age_ns", have.MaxAge, want.MaxAge);
  check("duplicate_window_ns", have.Duplicates, want.Duplicates);
  check("storage(0=file,1=memory)", static_cast<int>(have.Storage), static_cast<int>(want.Storage));
  check("replicas", have.Replicas, want.Replicas);
  check("max_msg_size", have.MaxMsgSize, want.MaxMsgSize);
  check("allow_direct", have.AllowDirect, want.AllowDirect);
  const bool same_subjects = have.SubjectsLen == 1 &&
                             std::string(have.Subjects[0]) == std::string(want.Subjects[0]);
  if (!same_subjects) diffs.push_back(absl::StrCat("subjects differ, want ", want.Subjects[0]));
  const bool same_republish =
      have.RePublish != nullptr && have.RePublish->Source != nullptr &&
      have.RePublish->Destination != nullptr &&
      std::string(have.RePublish->Source) == want.RePublish->Source &&
      std::string(have.RePublish->Destination) == want.RePublish->Destination &&
      have.RePublish->HeadersOnly == false;
  if (!same_republish) {
    diffs.push_back(absl::StrCat("republish must be ", want.RePublish->Source, " -> ",
                                 want.RePublish->Destination));
  }
  return diffs;
}

}  // namespace

absl::Status EnsureStream(jsCtx* js, const Subjects& subjects, const StreamOptions& options,
                          bool update_if_different) {
  const std::string name = subjects.StreamName();
  const std::string subject = subjects.PublishWildcard();
  const std::string destination = subjects.RoomWildcard();
  const char* subject_list[] = {subject.c_str()};

  jsRePublish republish;
  jsRePublish_Init(&republish);
  republish.Source = subject.c_str();
  republish.Destination = destination.c_str();

  jsStreamConfig want;
  jsStreamConfig_Init(&want);
  want.Name = name.c_str();
  want.Description = "Switchboard persisted rooms";
  want.Subjects = subject_list;
  want.SubjectsLen = 1;
  want.Retention = js_LimitsPolicy;
  want.MaxMsgsPerSubject = options.history_per_room;
  want.MaxAge = absl::ToInt64Nanoseconds(options.history_ttl);
  want.Duplicates = absl::ToInt64Nanoseconds(options.dedupe_window);
  want.Storage = options.file_storage ? js_FileStorage : js_MemoryStorage;
  want.Replicas = options.replicas;
  want.MaxMsgSize = options.max_message_bytes;
  want.Discard = js_DiscardOld;
  want.RePublish = &republish;
  want.AllowDirect = true;

  for (int attempt = 0; attempt < 3; ++attempt) {
    jsStreamInfo* raw = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&raw, js, name.c_str(), nullptr, &jerr);
    InfoPtr info(raw);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
      jsStreamInfo* created = nullptr;
      s = js_AddStream(&created, js, &want, nullptr, &jerr);
      InfoPtr created_info(created);
      if (s == NATS_OK) {
        SB_LOG_INFO("created stream {} ({} per room, ttl {}, {} storage, {} replicas)", name,
                    options.history_per_room, absl::FormatDuration(options.history_ttl),
                    options.file_storage ? "file" : "memory", options.replicas);
        return absl::OkStatus();
      }
      // Another process created it between our look-up and our create: re-read.
      if (jerr == JSStreamNameExistErr) continue;
      return FromNatsStatus(s, absl::StrCat("create stream ", name));
    }
    if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("stream info ", name));

    std::vector<std::string> diffs = Differences(*info->Config, want);
    if (diffs.empty()) return absl::OkStatus();
    if (!update_if_different) {
      return absl::FailedPreconditionError(absl::StrCat(
          "stream ", name, " exists with a different configuration: ", absl::StrJoin(diffs, "; "),
          ". Use the same stream flags on every process, or pass --stream_update to apply "
          "these flags to the stream."));
    }
    jsStreamInfo* updated = nullptr;
    s = js_UpdateStream(&updated, js, &want, nullptr, &jerr);
    InfoPtr updated_info(updated);
    if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("update stream ", name));
    SB_LOG_WARN("updated stream {}: {}", name, absl::StrJoin(diffs, "; "));
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("stream ", name, " kept changing while provisioning"));
}

}  // namespace switchboard::fanout
