#include "store/postgres/pg_record.h"

namespace kith::store::postgres {
namespace {
constexpr char kRecordShapePayload[] = "kith.store/record-shape";
}  // namespace

Status RecordShapeError() {
  Status s = absl::FailedPreconditionError("a row read whole is not of its table's shape");
  s.SetPayload(kRecordShapePayload, absl::Cord("1"));
  return s;
}

bool IsRecordShapeError(const Status& status) {
  return !status.ok() && status.GetPayload(kRecordShapePayload).has_value();
}

bool SplitRecord(std::string_view record, std::vector<RecordField>& fields, std::string& scratch) {
  fields.clear();
  scratch.clear();
  // Unescaped text is never longer than its source: no reallocation, so
  // the views into `scratch` stay valid while it fills.
  scratch.reserve(record.size());
  if (record.size() < 2 || record.front() != '(' || record.back() != ')') return false;
  const char* at = record.data() + 1;
  const char* const end = record.data() + record.size() - 1;  // its ')'
  for (;;) {
    RecordField field;
    if (at != end && *at != ',') {
      field.null = false;
      // PostgreSQL quotes a value with a quote, a backslash, a comma, a
      // parenthesis or white space in it (or none at all): text up to the
      // next comma with neither is the value as it is.
      const char* stop = at;
      while (stop != end && *stop != ',' && *stop != '"' && *stop != '\\') ++stop;
      if (stop == end || *stop == ',') {
        field.text = std::string_view(at, static_cast<size_t>(stop - at));
        at = stop;
      } else {
        // Copied without its quotes; a doubled quote inside quotes, or a
        // backslash before any character, stands for that character.
        const size_t from = scratch.size();
        bool quoted = false;
        for (; at != end && (quoted || *at != ','); ++at) {
          const char c = *at;
          if (c == '\\') {
            if (++at == end) return false;
            scratch.push_back(*at);
          } else if (c == '"') {
            if (quoted && at + 1 != end && at[1] == '"') {
              scratch.push_back('"');
              ++at;
            } else {
              quoted = !quoted;
            }
          } else if (quoted) {
            // The run up to the next quote or backslash at once.
            const char* stop = at;
            while (stop != end && *stop != '"' && *stop != '\\') ++stop;
            scratch.append(at, static_cast<size_t>(stop - at));
            at = stop - 1;
          } else {
            scratch.push_back(c);
          }
        }
        if (quoted) return false;
        field.text = std::string_view(scratch.data() + from, scratch.size() - from);
      }
    }
    fields.push_back(field);
    if (at == end) return true;
    ++at;  // the ','
  }
}

}  // namespace kith::store::postgres
