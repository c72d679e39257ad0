// The change log's rows, made by the SQL backends' write paths
// (SqlTransaction): one per create, update and delete of a logged entity,
// in the same transaction as the change. Secrets never reach it: internal
// fields (password and key hashes) are left out, and users and sessions are
// not logged at all (schema Entity::change_logged).
#include <set>

#include "base/clock.h"
#include "base/error_details.h"
#include "schema/sync_entities.h"
#include "store/internal/sql_builder.h"
#include "store/internal/sql_transaction.h"

namespace kith::store::internal {
namespace {

// A cascade deeper than this is a schema loop, not data.
constexpr int kMaxCascadeDepth = 8;

// Whether `s` is printable ASCII with no quote or backslash: JSON as it is.
bool PlainAscii(const std::string& s) {
  for (unsigned char c : s) {
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

// Appends `v` (as stored, BindValue, when `bound`) as JSON, byte for byte
// as Value::dump() writes it. The common shapes, an integer and a string with
// nothing to escape, are written here: dumping a tree of [old, new] arrays
// was a sixth of a bulk import's instructions.
void AppendJson(std::string& out, const Value& v, bool bound) {
  using namespace std::string_view_literals;
  switch (v.type()) {
    case Value::value_t::boolean: {
      bool b = v.get<bool>();
      out += bound ? (b ? "1"sv : "0"sv) : (b ? "true"sv : "false"sv);
      return;
    }
    case Value::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return;
    case Value::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return;
    case Value::value_t::null:
      out += "null"sv;
      return;
    case Value::value_t::string: {
      const std::string& text = *v.get_ptr<const std::string*>();
      if (!PlainAscii(text)) break;
      out.reserve(out.size() + text.size() + 2);
      out.push_back('"');
      out += text;
      out.push_back('"');
      return;
    }
    default:
      break;
  }
  out += v.dump();
}

// A change's fields as the JSON object text {"field":[old,new],...}: the old
// value as read, the new one as it is written.
class ChangesText {
 public:
  void Add(std::string_view field, const Value& before, const Value& after) {
    using namespace std::string_view_literals;
    if (text_.empty()) text_.reserve(512);  // a contact's fit without growing
    text_ += text_.empty() ? "{\""sv : ",\""sv;
    text_ += field;  // a schema name: nothing to escape
    text_ += "\":["sv;
    AppendJson(text_, before, false);
    text_.push_back(',');
    AppendJson(text_, after, true);
    text_.push_back(']');
  }
  bool empty() const { return text_.empty(); }
  std::string Take() {
    if (text_.empty()) return "{}";
    text_ += '}';
    return std::move(text_);
  }

 private:
  std::string text_;
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
  const bool planned = plan != nullptr && plan->logged.size() == row.size();
  size_t i = 0;
  for (const auto& [name, value] : row.items()) {
    const size_t column = i++;
    if (value.is_null()) continue;
    if (planned) {
      if (!plan->logged[column]) continue;
    } else {
      const schema::Field* f = e.FindField(name);
      if (f == nullptr || !ChangeLogShows(*f)) continue;
    }
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
