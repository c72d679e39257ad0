// Building blocks shared by the APIv4 action files: field expressions
// resolved to store paths, typed values, the query of a get, and the checks
// every action makes on its parameters. Internal to entities/v4.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "entities/v4/v4_actions.h"
#include "schema/schema.h"
#include "store/query.h"

namespace kith::entities::v4 {

// A v4 field expression ("first_name", "email_primary.email",
// "address_primary.country_id:abbr", "e.email", "MyGroup.my_field:label")
// resolved against the schema.
struct FieldRef {
  std::string key;                  // as the client wrote it
  std::string path;                 // the store path
  const schema::Field* field = nullptr;  // the column at the end of the path
  const schema::Entity* owner = nullptr;  // the entity that column belongs to
  std::vector<const schema::Entity*> via;  // entities the path passes into
  const schema::CustomFieldInfo* custom = nullptr;
  std::string suffix;               // "label", "name", "abbr", ... ("" for none)
  bool top_level = false;           // a column of the queried entity itself
};

// Explicit joins of a get: alias -> entity name.
using JoinAliases = std::map<std::string, std::string>;

// Resolves `key` on `root`; std::nullopt when it names nothing. `for_write`:
// a write-only field (schema Field::write_only) is found too.
std::optional<FieldRef> ResolveField(const schema::Catalog& catalog, const schema::Entity& root,
                                     const JoinAliases& joins, const std::string& key,
                                     bool for_write = false);

// Whether the caller may read every entity `ref` passes into (their get
// permissions), so that a path cannot reach what a get could not.
bool MayReach(const api::ActionContext& ctx, const FieldRef& ref);

// kInvalidArgument "Invalid field '<key>'" naming it.
Status InvalidField(const std::string& key);
// CiviCRM's words for an operator it does not know (a clause without one
// included): "Illegal operator", the field in the details.
Status IllegalOperator(const std::string& field);
// CiviCRM's words for an action parameter of the wrong type ("array", "int").
Status WrongParamType(const std::string& param, const std::string& expected);

// The v4 form of a stored value of `ref` (booleans, lists for multi-value
// fields, numbers) — `type_override` "Integer" keeps a flag a number.
Value TypedValue(const FieldRef& ref, const Value& stored, const std::string& type_override = "");
Value TypedColumn(const schema::Field& field, const Value& stored,
                  const std::string& type_override = "");

// The stored value of `input` for the field `ref` names: an option's value
// for a :name/:label suffix (or an id for :name/:abbr/:label of a link),
// then CoerceFieldValue; "user_contact_id" becomes the caller's contact.
StatusOr<Value> WriteValue(api::ActionContext& ctx, const FieldRef& ref, const Value& input);

// True for fields holding contact ids.
bool HoldsContactIds(const schema::Entity& entity, const schema::Field& field);

// kInvalidArgument "Unknown api parameter: set<Name>" unless every key of
// `params` is in `allowed` or common to every action.
Status CheckParams(const Value& params, const std::set<std::string>& allowed);
// The same for a fixed list (no set built per call).
Status CheckParams(const Value& params, std::initializer_list<const char*> allowed);

// One row of an answer, keyed as asked.
struct GetResult {
  std::vector<Value> rows;
  std::optional<int64_t> count;          // row_count: the matched total
  std::optional<int64_t> count_matched;  // when known
};

// Runs the get described by `params` (select, where, orderBy, limit,
// offset, join, groupBy) on `entity`. With `rows_out`, rows whose shape is
// known (nothing finished on whole rows) are written there as they are read
// and left out of the result.
StatusOr<GetResult> RunGet(api::ActionContext& ctx, const schema::Entity& entity,
                           const Value& params, AnswerRows* rows_out = nullptr);

// The ids of the records `where` matches (trash rules as for a get, with
// `orderBy`, `limit` and `offset` honoured).
StatusOr<std::vector<int64_t>> MatchingIds(api::ActionContext& ctx, const schema::Entity& entity,
                                           const Value& params);

// The columns of a whole row of `entity`, in CiviCRM's order (hooks.layout,
// else schema order plus the virtual columns).
std::vector<std::string> RowColumns(const schema::Entity& entity, const V4Hooks& hooks);

// The whole stored row `id` in the v4 form (select *).
StatusOr<Value> WholeRow(api::ActionContext& ctx, const schema::Entity& entity, int64_t id);

// Runs the `chain` of `params` for each row of `values` (in place).
Status RunChains(api::ActionContext& ctx, const Value& params, Value& values);

// The write actions (create/update/save/delete/replace) and the meta ones.
StatusOr<Value> CreateAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> UpdateAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> SaveAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> DeleteAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> ReplaceAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> GetFieldsAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> GetActionsAction(api::ActionContext& ctx, const std::string& entity);
// The parameters `action` of `entity` takes, as getActions lists them
// ("params"); `plural` names the entity's records ("Groups").
StatusOr<Value> ActionParams(api::ActionContext& ctx, const std::string& entity, const std::string& action,
                             const std::string& plural);
// CiviCRM's checkAccess: whether the caller may run `action` (with `values`)
// on the entity: {"values": [{"access": bool}]}.
StatusOr<Value> CheckAccessAction(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> EntityGetAction(api::ActionContext& ctx);

// Filters in-memory rows (getFields, getActions, Entity.get) with a v4
// `where`, then applies select, orderBy, limit and offset.
StatusOr<Value> FilterRows(const Value& rows, const Value& params);

}  // namespace kith::entities::v4
