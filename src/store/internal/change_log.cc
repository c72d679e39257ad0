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

// What a change may show of `f`: nothing of a secret, whatever its entity
// calls it.
bool Loggable(const schema::Field& f) {
  if (f.internal || f.name == "id") return false;
  for (const char* secret : {"password", "api_key", "secret", "session"}) {
    if (f.name.find(secret) != std::string::npos) return false;
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

// Whether deleting a row of the linked entity makes the database remove or
// clear rows of `e` through `f` (BuildCreateTable's REFERENCES ... ON
// DELETE). Columns added to custom value tables later have no such clause;
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

Value SqlTransaction::ChangeRow(const schema::Entity& e, int64_t id, const char* action,
                                const Value& changes) const {
  return Value{{"entity", e.name},
               {"entity_id", id},
               {"action", action},
               {"contact_id", change_author_ ? Value(*change_author_) : Value()},
               {"created_date", FormatDateTime(Clock::Real().NowSeconds())},
               {"changes", changes.dump()}};
}

Status SqlTransaction::LogInsert(const schema::Entity& e, int64_t id, const Value& row) {
  if (!Logs(e)) return Status();
  Value changes = Value::object();
  for (const auto& [name, value] : row.items()) {
    const schema::Field* f = e.FindField(name);
    if (f == nullptr || !Loggable(*f) || value.is_null()) continue;
    changes[name] = Value::array({nullptr, BindValue(value)});
  }
  return StoreChange(ChangeRow(e, id, "create", changes));
}

StatusOr<Value> SqlTransaction::OldValues(const schema::Entity& e, int64_t id, const Value& changes) {
  Value old = Value::object();
  if (!Logs(e)) return old;
  Query q;
  q.entity = e.name;
  for (const auto& [name, value] : changes.items()) {
    const schema::Field* f = e.FindField(name);
    if (f != nullptr && Loggable(*f)) q.select.push_back(f->name);
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
  Value diff = Value::object();
  for (const auto& [name, before] : old.items()) {
    const Value& after = changes[name];
    if (Comparable(before) == Comparable(after)) continue;
    diff[name] = Value::array({before, BindValue(after)});
  }
  if (diff.empty()) return Status();  // written as it was: nothing changed
  return StoreChange(ChangeRow(e, id, "update", diff));
}

StatusOr<std::vector<Value>> SqlTransaction::DeleteChanges(const schema::Entity& e, int64_t id) {
  std::vector<Value> out;
  if (change_log_) KITH_RETURN_IF_ERROR(CollectDeletes(e, id, out, 0));
  return out;
}

Status SqlTransaction::CollectDeletes(const schema::Entity& e, int64_t id, std::vector<Value>& out,
                                      int depth) {
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
          out.push_back(ChangeRow(other, other_id, "update",
                                  Value{{f.name, Value::array({id, nullptr})}}));
        }
      }
    }
  }
  if (!Logs(e)) return Status();
  Query q;
  q.entity = e.name;
  for (const schema::Field& f : e.fields) {
    if (Loggable(f)) q.select.push_back(f.name);
  }
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, Select(q));
  if (rows.empty()) return Status();
  Value changes = Value::object();
  for (const std::string& name : q.select) {
    const Value& v = rows[0][name];
    if (!v.is_null()) changes[name] = Value::array({v, nullptr});
  }
  out.push_back(ChangeRow(e, id, "delete", changes));
  return Status();
}

}  // namespace kith::store::internal
