// The change log's rows, made by the SQL backends' write paths
// (SqlTransaction): one per create, update and delete of a logged entity,
// in the same transaction as the change. Secrets never reach it: internal
// fields (password and key hashes) are left out, and users and sessions are
// not logged at all (schema Entity::change_logged).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include "base/clock.h"
#include "base/error_details.h"
#include "schema/sync_entities.h"
#include "store/internal/sql_builder.h"
#include "store/internal/sql_transaction.h"
#include "base/value_members.h"

namespace kith::store::internal {
namespace {

// A cascade deeper than this is a schema loop, not data.
constexpr int kMaxCascadeDepth = 8;

// Whether `s` is printable ASCII with no quote or backslash: JSON as it is.
// Eight bytes at a time (every text column of every row logged passes here).
bool PlainAscii(const std::string& s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  // The high bit of each byte of the result is set where `w`'s byte is zero.
  auto zero_bytes = [](uint64_t w) { return (w - kOnes) & ~w & kHigh; };
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t bad = (w - kOnes * 0x20) & ~w & kHigh;  // a byte below 0x20
    bad |= w & kHigh;                                  // a byte above 0x7f
    bad |= zero_bytes(w ^ (kOnes * 0x7f));             // DEL
    bad |= zero_bytes(w ^ (kOnes * '"'));
    bad |= zero_bytes(w ^ (kOnes * '\\'));
    if (bad != 0) return false;
  }
  for (; n > 0; ++p, --n) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

// A value as stored, for comparing old with new: booleans as 0/1, numbers
// as text ("5" written to an integer column reads back as 5).
std::string Comparable(const Value& v) {
  Value bound = BindValue(v);
  if (bound.is_null()) return std::string("\0null", 5);
  if (bound.is_string()) return bound.get<std::string>();
  if (bound.is_number_float()) {
    double d = bound.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return std::to_string(static_cast<int64_t>(d));
  }
  return bound.dump();
}

// A change's fields as the JSON object text {"field":[old,new],...}: the old
// value as read, the new one as it is written (BindValue), byte for byte as
// Value::dump() writes them. Written into a buffer of its own with memcpy:
// a bulk import logs some twenty columns a row, and std::string's appends
// (a call and a capacity check each, five a column) were most of the cost.
class ChangesText {
 public:
  void Add(std::string_view field, const Value& before, const Value& after) {
    // ,"field":[  before  ,  after  ]  (a schema name: nothing to escape)
    const bool first = n_ == 0;
    char* at = Room(field.size() + 5);
    at[0] = first ? '{' : ',';
    at[1] = '"';
    std::memcpy(at + 2, field.data(), field.size());
    std::memcpy(at + 2 + field.size(), "\":[", 3);
    PutJson(before, false);
    Put(',');
    PutJson(after, true);
    Put(']');
  }
  // A created row's field: `head` is its text up to the new value,
  // "field":[null,  (InsertPlan::created_heads), the same bytes Add writes.
  void AddCreated(std::string_view head, const Value& after) {
    const bool first = n_ == 0;
    char* at = Room(head.size() + 1);
    at[0] = first ? '{' : ',';
    std::memcpy(at + 1, head.data(), head.size());
    PutJson(after, true);
    Put(']');
  }
  bool empty() const { return n_ == 0; }
  std::string Take() {
    if (n_ == 0) return "{}";
    Put('}');
    buf_.resize(n_);
    n_ = 0;
    return std::move(buf_);
  }

 private:
  // Inlined (a row's text takes some forty of these), its growing not.
  char* Room(size_t n) {
    if (__builtin_expect(n_ + n > buf_.size(), 0)) Grow(n);
    char* at = buf_.data() + n_;
    n_ += n;
    return at;
  }
  // A contact's columns fit in the first 512 bytes without growing again.
  [[gnu::noinline]] void Grow(size_t n) { buf_.resize(std::max<size_t>(512, 2 * (n_ + n))); }
  void Put(char c) { *Room(1) = c; }
  void Put(std::string_view s) { std::memcpy(Room(s.size()), s.data(), s.size()); }
  // `v` as JSON; as stored (booleans as 0/1) when `bound`. The common shapes,
  // an integer and a string with nothing to escape, are written here.
  void PutJson(const Value& v, bool bound) {
    switch (v.type()) {
      case Value::value_t::boolean: {
        bool b = v.get<bool>();
        if (bound) {
          Put(b ? '1' : '0');
        } else {
          Put(b ? std::string_view("true") : std::string_view("false"));
        }
        return;
      }
      case Value::value_t::number_unsigned:
        Put(std::to_string(v.get<uint64_t>()));
        return;
      case Value::value_t::number_integer: {
        char digits[24];  // any int64
        char* end = std::to_chars(digits, digits + sizeof digits, v.get<int64_t>()).ptr;
        Put(std::string_view(digits, static_cast<size_t>(end - digits)));
        return;
      }
      case Value::value_t::null:
        Put(std::string_view("null"));
        return;
      case Value::value_t::string: {
        const std::string& text = *v.get_ptr<const std::string*>();
        if (!PlainAscii(text)) break;
        char* at = Room(text.size() + 2);
        at[0] = '"';
        std::memcpy(at + 1, text.data(), text.size());
        at[text.size() + 1] = '"';
        return;
      }
      default:
        break;
    }
    Put(v.dump());
  }

  std::string buf_;
  size_t n_ = 0;  // bytes of buf_ written
};

// Whether deleting a row of the linked entity makes the database remove or
// clear rows of `e` through `f` (BuildCreateTable's REFERENCES ... ON
// DELETE; on PostgreSQL the store itself clears a link to reference data,
// sql_builder.h ReferenceTarget). Columns added to custom value tables later have no such clause;
// only their entity_id, made with the table, has.
bool CascadesThrough(const schema::Entity& e, const schema::Field& f) {
  if (f.fk_entity.empty() || !e.derived.empty()) return false;
  return e.name.rfind("Custom_", 0) != 0 || f.name == "entity_id";
}

// Whether any entity links to `name` (so that deleting its rows may reach further).
bool Referenced(const schema::Catalog& catalog, const std::string& name) {
  for (const auto& shared : catalog.entities()) {
    for (const schema::Field& f : shared->fields) {
      if (f.fk_entity == name && CascadesThrough(*shared, f)) return true;
    }
  }
  return false;
}

}  // namespace

bool ChangeLogShows(const schema::Field& f) {
  if (f.internal || f.name == "id") return false;
  for (const char* secret : {"password", "api_key", "secret", "session"}) {
    if (f.name.find(secret) != std::string::npos) return false;
  }
  return true;
}

Value ChangeRecord::AsRow() const {
  Value row = Value::object();
  row[kChangeColumns[0]] = entity;
  row[kChangeColumns[1]] = entity_id;
  row[kChangeColumns[2]] = action;
  row[kChangeColumns[3]] = contact_id ? Value(*contact_id) : Value();
  row[kChangeColumns[4]] = created_date;
  row[kChangeColumns[5]] = changes;
  return row;
}

void ChangeRecord::AppendBinds(std::vector<Value>& binds) && {
  binds.emplace_back(std::move(entity));
  binds.emplace_back(entity_id);
  binds.emplace_back(action);
  binds.emplace_back(contact_id ? Value(*contact_id) : Value());
  binds.emplace_back(std::move(created_date));
  binds.emplace_back(std::move(changes));
}

ChangeRecord SqlTransaction::ChangeRow(const schema::Entity& e, int64_t id, const char* action,
                                       std::string changes) {
  // Formatted once a second, not once a row.
  int64_t now = Clock::Real().NowSeconds();
  if (now != stamped_at_ || stamp_.empty()) {
    stamp_ = FormatDateTime(now);
    stamped_at_ = now;
  }
  return ChangeRecord{e.name, id, action, change_author_, stamp_, std::move(changes)};
}

Status SqlTransaction::LogInsert(const schema::Entity& e, int64_t id, const Value& row,
                                 const InsertPlan* plan) {
  if (!Logs(e)) return Status();
  static const Value kNull;
  ChangesText changes;
  // The plan's columns are the row's: what each shows was decided once.
  const bool planned = plan != nullptr && plan->logged.size() == row.size() &&
                       plan->created_heads.size() == row.size();
  size_t i = 0;
  for (const auto& [name, value] : Members(row)) {
    const size_t column = i++;
    if (value.is_null()) continue;
    if (planned) {
      if (plan->logged[column]) changes.AddCreated(plan->created_heads[column], value);
      continue;
    }
    const schema::Field* f = e.FindField(name);
    if (f == nullptr || !ChangeLogShows(*f)) continue;
    changes.Add(name, kNull, value);
  }
  return StoreChange(ChangeRow(e, id, "create", changes.Take()));
}

StatusOr<Value> SqlTransaction::OldValues(const schema::Entity& e, int64_t id, const Value& changes) {
  Value old = Value::object();
  if (!Logs(e)) return old;
  Query q;
  q.entity = e.name;
  for (const auto& [name, value] : changes.items()) {
    const schema::Field* f = e.FindField(name);
    if (f != nullptr && ChangeLogShows(*f)) q.select.push_back(f->name);
  }
  if (q.select.empty()) return old;
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, Select(q));
  if (rows.empty()) return old;
  for (const std::string& name : q.select) old[name] = rows[0][name];
  return old;
}

Status SqlTransaction::LogUpdate(const schema::Entity& e, int64_t id, const Value& old,
                                 const Value& changes) {
  if (!Logs(e) || old.empty()) return Status();
  ChangesText diff;
  for (const auto& [name, before] : old.items()) {
    const Value& after = changes[name];
    if (Comparable(before) == Comparable(after)) continue;
    diff.Add(name, before, after);
  }
  if (diff.empty()) return Status();  // written as it was: nothing changed
  return StoreChange(ChangeRow(e, id, "update", diff.Take()));
}

StatusOr<std::vector<ChangeRecord>> SqlTransaction::DeleteChanges(const schema::Entity& e,
                                                                 int64_t id) {
  std::vector<ChangeRecord> out;
  if (change_log_) KITH_RETURN_IF_ERROR(CollectDeletes(e, id, out, 0));
  return out;
}

Status SqlTransaction::CollectDeletes(const schema::Entity& e, int64_t id,
                                      std::vector<ChangeRecord>& out, int depth) {
  if (depth > kMaxCascadeDepth) return Status();
  std::shared_ptr<const schema::Catalog> cat = catalog();
  // What goes with the row first, so that a reader replaying the log never
  // sees an email outlive its contact.
  for (const auto& shared : cat->entities()) {
    const schema::Entity& other = *shared;
    for (const schema::Field& f : other.fields) {
      if (f.fk_entity != e.name || !CascadesThrough(other, f)) continue;
      // Cleared, or removed with nothing logged there or beyond: nothing to read.
      if (!Logs(other) && (!f.required || !Referenced(*cat, other.name))) continue;
      Query q;
      q.entity = other.name;
      q.select = {"id"};
      q.where = Condition::Leaf(f.name, Op::kEq, id);
      q.order_by = {{"id", false}};
      KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, Select(q));
      for (const Value& r : rows) {
        int64_t other_id = r["id"].get<int64_t>();
        if (f.required) {
          KITH_RETURN_IF_ERROR(CollectDeletes(other, other_id, out, depth + 1));
        } else {
          ChangesText cleared;
          cleared.Add(f.name, Value(id), Value());
          out.push_back(ChangeRow(other, other_id, "update", cleared.Take()));
        }
      }
    }
  }
  if (!Logs(e)) return Status();
  Query q;
  q.entity = e.name;
  for (const schema::Field& f : e.fields) {
    if (ChangeLogShows(f)) q.select.push_back(f.name);
  }
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, Select(q));
  if (rows.empty()) return Status();
  ChangesText changes;
  for (const std::string& name : q.select) {
    const Value& v = rows[0][name];
    if (!v.is_null()) changes.Add(name, v, Value());
  }
  out.push_back(ChangeRow(e, id, "delete", changes.Take()));
  return Status();
}

}  // namespace kith::store::internal
