// ActionRegistry: the one table of every (version, entity, action) kith
// serves, with the permission each needs and whether it writes. Built once at
// start by RegisterBuiltins() (explicit registration, no static
// initialisers); read-only and thread-safe afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/api.h"
#include "schema/schema.h"

namespace kith::api {

// What an action gets to work with.
struct ActionContext {
  store::Transaction& txn;
  const auth::Caller& caller;
  const Dispatcher& dispatcher;
  const schema::Catalog& catalog;
  const ApiCall& call;
  const Value& params;
};

using ActionHandler = std::function<StatusOr<Value>(ActionContext&)>;

// A parameter an action documents itself, for actions whose parameters are
// not an entity's schema fields: extension actions (src/extensions) describe
// every parameter they take here. getfields/getactions of APIv3 and APIv4
// list these for an action that has them (an extension entity has no
// schema::Entity); the action itself checks `required` and `type`.
struct ParamSpec {
  std::string name;
  // CiviCRM's data type name, as schema::FieldTypeName gives it: "String",
  // "Text", "Integer", "Boolean", "Float", "Money", "Date", "Timestamp";
  // or "Array" for a structured (list/object) value.
  std::string type = "String";
  std::string title;
  bool required = false;
  std::string description;
};

struct ActionSpec {
  int version = 3;
  std::string entity;  // canonical CamelCase name
  std::string action;  // canonical lower-case name
  // Every permission listed is required; empty = any authenticated caller.
  std::vector<std::string> permissions;
  bool writes = false;
  std::string description;
  ActionHandler handler;
  // The action's own parameter descriptions (see ParamSpec); empty for
  // actions built on their entity's schema.
  std::vector<ParamSpec> params = {};
};

class ActionRegistry {
 public:
  // Adds `spec`. A second spec for the same (version, entity, action) is a
  // programming error and aborts in debug builds; in release the first wins.
  void Register(ActionSpec spec);

  // The spec for an entity/action as a client sent them (entity in any of
  // CiviCRM's accepted spellings, action case-insensitive), or nullptr.
  const ActionSpec* Find(int version, std::string_view entity, std::string_view action) const;

  // The actions of one entity, for getactions.
  std::vector<const ActionSpec*> ActionsOf(int version, std::string_view entity) const;

  // Every canonical entity name registered for `version`.
  std::vector<std::string> Entities(int version) const;

 private:
  std::map<std::string, ActionSpec> specs_;  // key: version/entity_lower/action
  // Which registration this registry has seen last, unique across
  // registries (a thread's last Find is kept for the same state).
  uint64_t state_ = 0;
};

// CiviCRM's entity-name normalisation: "group_contact", "GroupContact" and
// "groupContact" give "GroupContact"; "contact" gives "Contact".
std::string CanonicalEntityName(std::string_view name);

}  // namespace kith::api
