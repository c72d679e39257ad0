#include "base/request_record.h"

namespace kith {
namespace {

thread_local RequestRecord* tls_record = nullptr;

// Names from a request are kept short: they go to logs.
constexpr size_t kMaxNameBytes = 64;

std::string Clipped(std::string_view name) {
  return std::string(name.substr(0, kMaxNameBytes));
}

}  // namespace

RequestRecord* CurrentRequestRecord() { return tls_record; }

ScopedRequestRecord::ScopedRequestRecord(RequestRecord* record) : previous_(tls_record) {
  tls_record = record;
}

ScopedRequestRecord::~ScopedRequestRecord() { tls_record = previous_; }

void NoteProtocol(std::string_view protocol) {
  if (tls_record != nullptr) tls_record->protocol = protocol;
}

void NoteCall(std::string_view entity, std::string_view action, bool known) {
  RequestRecord* r = tls_record;
  if (r == nullptr) return;
  if (!r->call_noted) {
    r->entity = Clipped(entity);
    r->action = Clipped(action);
    r->known_call = known;
    r->call_noted = true;
  } else if (r->entity != entity || r->action != action) {
    r->entity = "*";
    r->action = "*";
    r->known_call = true;  // "*" is a label of its own, not a name from the request
  }
}

void NoteCaller(int64_t user_id, int64_t contact_id) {
  if (tls_record == nullptr) return;
  tls_record->user_id = user_id;
  tls_record->contact_id = contact_id;
}

void NoteError(const Status& status) {
  if (tls_record == nullptr || status.ok() || tls_record->error != absl::StatusCode::kOk) return;
  tls_record->error = status.code();
}

void NoteTransaction(std::chrono::steady_clock::duration elapsed) {
  if (tls_record == nullptr) return;
  tls_record->database_nanos +=
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  ++tls_record->transactions;
}

}  // namespace kith
