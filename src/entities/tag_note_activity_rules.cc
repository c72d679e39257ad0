#include "entities/tag_note_activity_rules.h"

#include "api/field_values.h"
#include "base/clock.h"

namespace kith::entities {
namespace {

std::string Now() { return FormatDateTime(Clock::Real().NowSeconds()); }

bool Unset(const Value& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty());
}

// The caller's contact as the author of a new record, unless one is named.
void DefaultAuthor(api::ActionContext& ctx, const Value& record, Value& changes,
                   const char* column) {
  if (Unset(record.value(column, Value())) && ctx.caller.contact_id > 0) {
    changes[column] = ctx.caller.contact_id;
  }
}

Status TagBeforeWrite(api::ActionContext& ctx, const Value& record, Value& changes, bool creating) {
  if (!creating) return Status();
  if (Unset(record.value("label", Value()))) changes["label"] = record.value("name", Value());
  DefaultAuthor(ctx, record, changes, "created_id");
  changes["created_date"] = Now();
  return Status();
}

Status NoteBeforeWrite(api::ActionContext& ctx, const Value& record, Value& changes, bool creating) {
  std::string now = Now();
  if (creating) {
    DefaultAuthor(ctx, record, changes, "contact_id");
    changes["created_date"] = now;
    if (Unset(record.value("note_date", Value()))) changes["note_date"] = now;
  }
  changes["modified_date"] = now;
  return Status();
}

Status ActivityBeforeWrite(api::ActionContext&, const Value& record, Value& changes,
                           bool creating) {
  std::string now = Now();
  if (creating) {
    changes["created_date"] = now;
    // CiviCRM's BAO gives an activity created without a status "Completed"
    // when the call dates it (any date: its comparison with today is a
    // no-op) and "Scheduled" when it does not; APIv3 dates it now first.
    const Value& status = changes.value("status_id", Value());
    if (Unset(status)) {
      changes["status_id"] = Unset(changes.value("activity_date_time", Value())) ? 1 : 2;
    }
    // CiviCRM's column default: an activity without a date happens now.
    if (Unset(record.value("activity_date_time", Value()))) changes["activity_date_time"] = now;
  }
  changes["modified_date"] = now;
  return Status();
}

}  // namespace

void RegisterTagNoteActivityRules(api::RulesRegistry& rules) {
  rules.Set("Tag", {TagBeforeWrite});
  rules.Set("Note", {NoteBeforeWrite});
  rules.Set("Activity", {ActivityBeforeWrite});
}

}  // namespace kith::entities
