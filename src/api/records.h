// Records: the version-neutral writes and reads every dialect's actions are
// built from. Values are checked and converted through the schema
// (field_values.h); foreign keys are checked with an error naming the field;
// an entity's own rules (display_name for contacts, ...) run through the
// EntityRules hook registered for it. All work happens in the action's
// transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::api {

// An entity's own rules, run before every write with:
//   record:  the whole row as it will be (stored values + changes)
//   changes: the columns about to be written; the hook may add computed ones
//   creating: true for an insert
using BeforeWriteHook =
    std::function<Status(ActionContext&, const Value& record, Value& changes, bool creating)>;

// Run after the row is written, in the same transaction, with its id and the
// columns written (for work that needs the id: a custom group's table).
using AfterWriteHook =
    std::function<Status(ActionContext&, int64_t id, const Value& written, bool creating)>;

struct EntityRules {
  BeforeWriteHook before_write;
  AfterWriteHook after_write = nullptr;  // optional
};

// Entity rules by entity name, registered at start beside the actions.
class RulesRegistry {
 public:
  void Set(const std::string& entity, EntityRules rules) { rules_[entity] = std::move(rules); }
  const EntityRules* Find(const std::string& entity) const {
    auto it = rules_.find(entity);
    return it == rules_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, EntityRules> rules_;
};

// The process-wide rules (filled by RegisterBuiltins before serving).
RulesRegistry& GlobalRules();

// Converts `input` (API field name -> value as sent) to stored values.
// Unknown fields are an error naming them unless `ignore_unknown`;
// readonly and internal fields are dropped.
StatusOr<Value> CoerceRecord(const schema::Entity& entity, const Value& input,
                             bool ignore_unknown);

// Inserts a record of `entity` from already coerced `values`; returns its id.
// `written`, when given, receives the columns actually written (the values
// plus what the entity's rules computed), for answers that echo them.
// `remember_row`: the row as LoadRecord would read it is worked out from
// what was written and remembered in the transaction, so that an answer
// echoing the stored row reads nothing (a save of thousands of records).
StatusOr<int64_t> CreateRecord(ActionContext& ctx, const std::string& entity, Value values,
                               Value* written = nullptr, bool remember_row = false);

// Applies coerced `changes` to record `id`. kNotFound when it does not exist.
// `written` as for CreateRecord.
Status UpdateRecord(ActionContext& ctx, const std::string& entity, int64_t id, Value changes,
                    Value* written = nullptr);

// The stored row `id` with every column of `entity` (internal ones left out).
// kNotFound when missing.
StatusOr<Value> LoadRecord(store::Transaction& txn, const schema::Entity& entity, int64_t id);

// Row `id` as LoadRecord would answer it when the transaction remembers it
// (read or written since its last write to `entity`), without a copy; valid
// until the transaction's next write. nullptr otherwise.
const Value* RememberedRecord(store::Transaction& txn, const schema::Entity& entity, int64_t id);

// The `key` column ("value", or "name": schema::Field::option_key) of the
// option whose value, name or label is `given` in `option_group`;
// std::nullopt when none.
StatusOr<std::optional<std::string>> ResolveOption(store::Transaction& txn,
                                                   const std::string& option_group,
                                                   const std::string& given,
                                                   const std::string& key = "value");

}  // namespace kith::api
