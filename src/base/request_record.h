// RequestRecord: what one HTTP request did, noted by the parts that learn
// it (the route: protocol, call and caller; the store: time in transactions)
// for the metrics and the access log, which read it once it is answered.
//
// A record is made current on the thread that works on the request
// (ScopedRequestRecord), as the request budget is, so that the code between
// the route and the store need not carry it. The Note* functions do nothing
// when no record is current (the CLI, unit tests). Not thread-safe: one
// record belongs to one request, worked on by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kith {

struct RequestRecord {
  // "3.2", "v3", "v4" or "other" (static strings).
  std::string_view protocol = "other";
  // The API call as the request named it; "*" for a multi-call of several.
  std::string entity;
  std::string action;
  // True when the registry serves entity.action (its names are then the
  // canonical ones): only such names become metric labels.
  bool known_call = false;
  bool call_noted = false;
  int64_t user_id = 0;     // 0: no user (anonymous, refused)
  int64_t contact_id = 0;
  // The first error the answer carries, whatever HTTP status it went with
  // (3.2 and APIv3 answer most errors with 200).
  absl::StatusCode error = absl::StatusCode::kOk;
  int64_t database_nanos = 0;  // time inside store transactions
  int64_t transactions = 0;
};

// The current record of this thread, or nullptr.
RequestRecord* CurrentRequestRecord();

// Makes `record` (may be null) the thread's current record for this scope.
class ScopedRequestRecord {
 public:
  explicit ScopedRequestRecord(RequestRecord* record);
  ~ScopedRequestRecord();
  ScopedRequestRecord(const ScopedRequestRecord&) = delete;
  ScopedRequestRecord& operator=(const ScopedRequestRecord&) = delete;

 private:
  RequestRecord* previous_;
};

// The notes, on the current record.
void NoteProtocol(std::string_view protocol);  // a static string
// A call of the request; a second, different one makes the record's call "*".
void NoteCall(std::string_view entity, std::string_view action, bool known);
void NoteCaller(int64_t user_id, int64_t contact_id);
// Keeps the first error only.
void NoteError(const Status& status);
// One store transaction that lasted `elapsed`.
void NoteTransaction(std::chrono::steady_clock::duration elapsed);

}  // namespace kith
