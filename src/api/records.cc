#include "api/records.h"

#include <array>
#include <memory>
#include <map>
#include <optional>
#include <vector>

#include "api/field_values.h"
#include "base/error_details.h"
#include "store/bulk_writes.h"
#include "store/txn_memo.h"
#include "base/value_members.h"

namespace kith::api {

using store::Condition;
using store::Op;
using store::Query;

RulesRegistry& GlobalRules() {
  static RulesRegistry rules;
  return rules;
}

StatusOr<Value> CoerceRecord(const schema::Entity& entity, const Value& input,
                             bool ignore_unknown) {
  Value out = Value::object();
  // The input's keys are distinct: each appended without searching `out`
  // for it, into room made once.
  auto& items = out.get_ref<Value::object_t&>();
  items.reserve(input.size());
  for (const auto& [name, raw] : input.items()) {
    const schema::Field* f = entity.FindField(name);
    if (f == nullptr) {
      if (ignore_unknown) continue;
      return InvalidArgument("Unknown field: " + name, {{"error_field", name}});
    }
    if (f->readonly || f->internal) continue;
    KITH_ASSIGN_OR_RETURN(Value coerced, CoerceFieldValue(*f, raw));
    items.Container::emplace_back(name, std::move(coerced));
  }
  return out;
}

namespace {

// The whole row a create's rules read (every column: given or default),
// kept per thread and entity and refilled for each create: making its fifty
// keys anew and freeing them was a tenth of a bulk import's instructions. A
// create inside a create's rules (or of another entity) gets a row of its own.
class RowScratch {
 public:
  // `catalog`, when given, holds `e`: a slot filled for `e` under it (and
  // holding it, so that no other entity can take e's address) is known to
  // match without comparing its keys.
  RowScratch(const schema::Entity& e, std::shared_ptr<const schema::Catalog> catalog) {
    Slots& slots = ThreadSlots();
    Slot* free = nullptr;  // an unused slot before one holding another entity's row
    for (Slot& slot : slots.slots) {
      if (slot.busy) continue;
      if (catalog != nullptr && slot.entity == &e && slot.catalog == catalog) {
        Take(slot);
        return;
      }
      if (Matches(slot.row, e)) {
        slot.entity = &e;
        slot.catalog = std::move(catalog);
        Take(slot);
        return;
      }
      if (free == nullptr || (slot.row.empty() && !free->row.empty())) free = &slot;
    }
    if (free == nullptr) {  // every slot in use by the creates around this one
      Fill(own_, e);
      row_ = &own_;
      return;
    }
    Fill(free->row, e);
    free->entity = &e;
    free->catalog = std::move(catalog);
    Take(*free);
  }
  ~RowScratch() {
    if (busy_ != nullptr) *busy_ = false;
  }
  RowScratch(const RowScratch&) = delete;
  RowScratch& operator=(const RowScratch&) = delete;

  Value& row() { return *row_; }

 private:
  struct Slot {
    Value row = Value::object();
    bool busy = false;
    const schema::Entity* entity = nullptr;  // whose row, when `catalog` holds it
    std::shared_ptr<const schema::Catalog> catalog;
  };
  // A contact's create writes its email's: a slot each, and a spare.
  struct Slots {
    std::array<Slot, 4> slots;
  };
  static Slots& ThreadSlots() {
    thread_local Slots slots;
    return slots;
  }
  void Take(Slot& slot) {
    slot.busy = true;
    busy_ = &slot.busy;
    row_ = &slot.row;
  }
  // The row's keys are the entity's field names, in order (compared, not
  // trusted by address: a catalog reloaded may put another entity there).
  static bool Matches(const Value& row, const schema::Entity& e) {
    const auto& items = row.get_ref<const Value::object_t&>();
    if (items.size() != e.fields.size()) return false;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items.begin()[i].first != e.fields[i].name) return false;
    }
    return true;
  }
  static void Fill(Value& row, const schema::Entity& e) {
    row = Value::object();
    auto& items = row.get_ref<Value::object_t&>();
    items.reserve(e.fields.size());
    for (const schema::Field& f : e.fields) items.Container::emplace_back(f.name, Value());
  }

  Value* row_ = nullptr;
  Value own_;
  bool* busy_ = nullptr;
};

Status CheckLinks(ActionContext& ctx, const schema::Entity& entity, const Value& changes) {
  for (const auto& [name, v] : Members(changes)) {
    // Only an integer can name a linked row: most columns written (names,
    // dates) are not looked up at all.
    if (!v.is_number_integer()) continue;
    const schema::Field* f = entity.FindField(name);
    if (f == nullptr || f->fk_entity.empty()) continue;
    if (store::KnownToExist(ctx.txn, f->fk_entity, v.get<int64_t>())) continue;
    Query q;
    q.entity = f->fk_entity;
    q.select = {"id"};
    q.where = Condition::Leaf("id", Op::kEq, v);
    KITH_ASSIGN_OR_RETURN(int64_t n, ctx.txn.Count(q));
    if (n == 0) {
      return InvalidArgument(name + " is not valid: " + v.dump(),
                             {{"error_code", 2001}, {"error_field", name}});
    }
    store::NoteExists(ctx.txn, f->fk_entity, v.get<int64_t>());
  }
  return Status();
}

Status RunRules(ActionContext& ctx, const std::string& entity, const Value& record,
                Value& changes, bool creating) {
  const EntityRules* rules = GlobalRules().Find(entity);
  if (rules == nullptr || !rules->before_write) return Status();
  return rules->before_write(ctx, record, changes, creating);
}

// The memo key of row `id` as LoadRecord reads it; "" for a view's rows
// (other tables' writes change them).
std::string RowKey(const schema::Entity& entity, int64_t id) {
  if (!entity.derived.empty()) return std::string();
  return "row\x1f" + entity.name + "\x1f" + std::to_string(entity.fields.size()) + "\x1f" +
         std::to_string(id);
}

// Remembers row `id` as LoadRecord would read it now that `written` is
// stored over `before` (the row as read; null for a new row, whose other
// columns hold their defaults), so that an answer echoing it and the rules
// that read it back (a contact's names after its email) read nothing. Kept
// until the transaction writes to the entity again, as a read row is.
// Nothing is remembered when a value's read form is not sure.
void RememberWrittenRow(store::Transaction& txn, const schema::Entity& entity, int64_t id,
                        const Value* before, const Value& written) {
  std::string key = RowKey(entity, id);
  if (key.empty()) return;
  Value row = Value::object();
  auto& columns = row.get_ref<Value::object_t&>();
  columns.reserve(entity.fields.size());
  for (const schema::Field& f : entity.fields) {
    if (f.internal) continue;
    if (f.name == "id") {
      columns.Container::emplace_back(f.name, id);
      continue;
    }
    auto given = written.find(f.name);
    if (given != written.end()) {
      std::optional<Value> read = store::ReadBack(f, *given);
      if (!read) return;
      columns.Container::emplace_back(f.name, *std::move(read));
    } else if (before != nullptr) {
      auto stored = before->find(f.name);
      if (stored == before->end()) return;
      columns.Container::emplace_back(f.name, *stored);
    } else {
      std::optional<Value> read = store::ReadBack(f, f.default_value);
      if (!read) return;
      columns.Container::emplace_back(f.name, *std::move(read));
    }
  }
  store::Remember(txn, {entity.name}, key, std::move(row));
}

Status RunAfterRules(ActionContext& ctx, const std::string& entity, int64_t id,
                     const Value& written, bool creating) {
  const EntityRules* rules = GlobalRules().Find(entity);
  if (rules == nullptr || !rules->after_write) return Status();
  return rules->after_write(ctx, id, written, creating);
}

}  // namespace

StatusOr<int64_t> CreateRecord(ActionContext& ctx, const std::string& entity, Value values,
                               Value* written, bool remember_row) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return InvalidArgument("Unknown entity: " + entity);
  // Field names are distinct: appended without the ordered object's search
  // for an existing key, which made this quadratic in the column count.
  // Each given value found by its field's position (one hash lookup per
  // value), not each field searched for among the values (a linear search
  // per field).
  // Room for the columns the rules add (names, greetings, dates), made
  // before `given` points into it: growing an ordered object copies every key.
  if (values.is_object()) values.get_ref<Value::object_t&>().reserve(values.size() + 16);
  std::vector<const Value*> given(e->fields.size(), nullptr);
  for (const auto& [name, value] : Members(values)) {
    const schema::Field* f = e->FindField(name);
    if (f != nullptr && f->name == name) given[static_cast<size_t>(f - e->fields.data())] = &value;
  }
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  if (catalog.get() != &ctx.catalog) catalog.reset();  // e is not known to be held by it
  RowScratch scratch(*e, std::move(catalog));
  auto& fields = scratch.row().get_ref<Value::object_t&>();
  for (size_t i = 0; i < e->fields.size(); ++i) {
    Value& cell = fields.begin()[i].second;
    const Value& value = given[i] != nullptr ? *given[i] : e->fields[i].default_value;
    // Most columns are null before and after (a contact has some fifty):
    // left as they are rather than copied over.
    if (value.is_null()) {
      if (!cell.is_null()) cell = nullptr;
      continue;
    }
    // Nor is a default the cell holds already from the last row (assigning
    // copies the value and frees the old one).
    if (cell.type() == value.type() && cell == value) continue;
    cell = value;
  }
  KITH_RETURN_IF_ERROR(RunRules(ctx, entity, scratch.row(), values, /*creating=*/true));
  KITH_RETURN_IF_ERROR(CheckLinks(ctx, *e, values));
  KITH_ASSIGN_OR_RETURN(int64_t id, ctx.txn.Insert(entity, values));
  if (remember_row) RememberWrittenRow(ctx.txn, *e, id, nullptr, values);
  KITH_RETURN_IF_ERROR(RunAfterRules(ctx, entity, id, values, /*creating=*/true));
  // Moved, not copied: every caller that asks for it drops it on an error.
  if (written != nullptr) *written = std::move(values);
  return id;
}

Status UpdateRecord(ActionContext& ctx, const std::string& entity, int64_t id, Value changes,
                    Value* written) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return InvalidArgument("Unknown entity: " + entity);
  KITH_ASSIGN_OR_RETURN(Value record, LoadRecord(ctx.txn, *e, id));
  // The stored values the given changes replace (a change to a column the
  // row does not show, an internal one, has none and is always written).
  std::map<std::string, std::optional<Value>> replaced;
  for (const auto& [k, v] : changes.items()) {
    auto it = record.find(k);
    replaced[k] = it == record.end() ? std::nullopt : std::optional<Value>(std::move(*it));
    record[k] = v;
  }
  KITH_RETURN_IF_ERROR(RunRules(ctx, entity, record, changes, /*creating=*/false));
  KITH_RETURN_IF_ERROR(CheckLinks(ctx, *e, changes));
  if (written != nullptr) *written = changes;
  // Only the columns whose value differs reach the database: refreshing a
  // contact's names after each email, say, mostly changes nothing, and an
  // UPDATE that changes nothing still rewrites the row and its indexes.
  Value differing = Value::object();
  for (const auto& [k, v] : changes.items()) {
    const Value* old = nullptr;
    auto given = replaced.find(k);
    if (given != replaced.end()) {
      if (given->second) old = &*given->second;
    } else if (auto it = record.find(k); it != record.end()) {
      old = &*it;  // a column the rules computed: the row still holds its stored value
    }
    if (old == nullptr || old->type() != v.type() || *old != v) differing[k] = v;
  }
  if (!differing.empty()) {
    KITH_RETURN_IF_ERROR(ctx.txn.Update(entity, id, differing));
    // Read (and remembered) above, now written over: remembered as it is
    // now (`record` still holds the stored value of every column not changed).
    RememberWrittenRow(ctx.txn, *e, id, &record, changes);
  }
  return RunAfterRules(ctx, entity, id, changes, /*creating=*/false);
}

const Value* RememberedRecord(store::Transaction& txn, const schema::Entity& entity, int64_t id) {
  std::string key = RowKey(entity, id);
  return key.empty() ? nullptr : store::Recall(txn, key);
}

StatusOr<Value> LoadRecord(store::Transaction& txn, const schema::Entity& entity, int64_t id) {
  // Remembered until the transaction writes to the entity: a write rule that
  // reads the row back (a contact's names after its email) and the answer
  // that echoes it then read it once. Not a view's rows (other tables' writes
  // change them).
  std::string key = RowKey(entity, id);
  if (!key.empty()) {
    if (const Value* known = store::Recall(txn, key)) return *known;
  }
  Query q;
  q.entity = entity.name;
  for (const schema::Field& f : entity.fields) {
    if (!f.internal) q.select.push_back(f.name);
  }
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) {
    return NotFound(entity.name + " id " + std::to_string(id) + " not found",
                    {{"error_code", "not-found"}});
  }
  if (!key.empty()) store::Remember(txn, {entity.name}, key, rows[0]);
  return std::move(rows[0]);
}

StatusOr<std::optional<std::string>> ResolveOption(store::Transaction& txn,
                                                   const std::string& option_group,
                                                   const std::string& given,
                                                   const std::string& key) {
  Query q;
  q.entity = "OptionValue";
  q.select = {key};
  q.where = Condition::And(
      {Condition::Leaf("option_group_id.name", Op::kEq, option_group),
       Condition::Or({Condition::Leaf("value", Op::kEq, given),
                      Condition::Leaf("name", Op::kEq, given),
                      Condition::Leaf("label", Op::kEq, given)})});
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(api::ValueAsText(rows[0][key]));
}

}  // namespace kith::api
