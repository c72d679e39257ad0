// APIv3 (shared/PROTOCOL.md C.2): the version-3 actions of every entity the
// catalog serves (api == true), built from its schema — get, getsingle,
// getcount, getvalue, create (update when an id is given), delete,
// getfields, getoptions, getactions, replace where an entity has it — plus
// Entity.get. Each action returns what CiviCRM's v3 function returns (the
// envelope {is_error, version, count, [id], values}, getsingle's bare record,
// getcount's number); wire/v3 renders it. Chained calls (api.<Entity>.<action>)
// run inside the same transaction through the dispatcher, so every child
// call's permissions are checked.
//
// An entity that really differs (Contact's joined row, GroupContact's
// counts, ...) supplies V3Hooks; everything it leaves empty is generic.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "entities/v3/v3_params.h"
#include "schema/schema.h"

namespace kith::entities::v3 {

// The rows of a get, keyed by id in answer order, and the criteria that were
// ignored because they name no field (reported with debug=1).
struct V3Rows {
  Value rows = Value::object();
  std::vector<std::string> undefined;
  // Set when the rows went to V3Options::rows_out instead of `rows`: how
  // many, and the first one's key (its id's text).
  bool written = false;
  int64_t written_rows = 0;
  std::string first_key;
};

using RowsFn = std::function<StatusOr<V3Rows>(api::ActionContext&, const Value& params,
                                              const V3Options& options)>;
using CountFn = std::function<StatusOr<int64_t>(api::ActionContext&, const Value& params)>;

struct V3Hooks {
  RowsFn rows;             // get family; empty: generic
  CountFn count;           // getcount; empty: generic (or rows().size() when rows is set)
  api::ActionHandler create;  // the whole create action; empty: generic
  api::ActionHandler remove;  // the whole delete action; empty: generic
  // CiviCRM's column order for answers when it differs from kith's schema
  // order; may name columns kith does not store (virtual_columns).
  std::vector<std::string> layout;
  // Columns CiviCRM has and kith does not keep: their value in gets (null:
  // left out, as a NULL column is); "" in create answers.
  std::map<std::string, Value> virtual_columns;
  // Columns a create answer shows even when the call did not write them
  // (CiviCRM's BAO sets them); others not written show as "".
  std::set<std::string> create_echo;
  // Columns an update answer shows from the stored record although the call
  // did not write them (Group: its BAO loads the title).
  std::set<std::string> update_echo;
  // Columns kith writes that a create (update) answer shows as "": CiviCRM's
  // database fills them, not its BAO (created_date), or its update leaves
  // them out.
  std::set<std::string> create_hidden;
  std::set<std::string> update_hidden;
  // An update answer shows the whole stored record (Tag).
  bool update_whole_row = false;
  // Dates a create answer shows as YYYYMMDDhhmmss (api::MysqlDateDigits).
  std::set<std::string> create_digits;
  // api.default values applied on create when not given.
  Value create_defaults = Value::object();
  // api.default values of its get spec, applied to a read that names no id
  // (as CiviCRM's API layer applies a spec's defaults).
  Value get_defaults = Value::object();
  // Fields APIv3's create spec marks api.required beyond the schema's.
  std::set<std::string> create_required;
  Value delete_result = 1;  // delete answers {"values": delete_result}
  // A delete of an id that does not exist: this text and the id.
  std::string delete_missing = "Could not delete entity id ";
  bool replace = false;     // has the replace action
  api::ActionHandler replace_action;  // its own replace; empty: generic
  // Further actions of the entity (name -> handler, permissions of a get).
  std::map<std::string, api::ActionHandler> extra_reads;
};

using V3HooksTable = std::map<std::string, V3Hooks>;

// Registers every version-3 action (see the file comment) for the api
// entities of `catalog`, with the entity hooks of this module.
void RegisterV3Actions(api::ActionRegistry& registry, const schema::Catalog& catalog);

// ---- Building blocks shared by the entity files ----

// {is_error:0, version:3, count, [id], values}: `values` keyed by id (an
// object) or a list; id present when there is exactly one value (a number
// when its key is one); values a list with `sequential`; [] when empty.
Value V3Success(Value values, bool sequential);

// The envelope V3Success makes for `rows` rows written elsewhere (the
// first keyed `first_key`): its "values" empty, [] or {} as the rows would
// be, for the rows to be put in when it is rendered.
Value V3SuccessWritten(int64_t rows, const std::string& first_key, bool sequential);

// The v3 text form of a stored value (null -> "").
Value V3Text(const Value& stored);

// kInvalidArgument "Mandatory key(s) missing from params array: a, b" with
// {"fields": [...], "error_code": "mandatory_missing"}.
Status MandatoryMissing(const std::vector<std::string>& fields);

// kPermissionDenied in CiviCRM's words unless the caller holds `permissions`.
Status CheckPermissions(const api::ActionContext& ctx, const std::string& entity,
                        const std::string& action, const std::vector<std::string>& permissions);

// The id a v3 call names: `id`, or the `<entity>_id` alias. std::nullopt
// when absent or empty; kInvalidArgument when not an integer (or
// "user_contact_id" for contact ids, which resolves to the caller's contact).
StatusOr<std::optional<int64_t>> RequestedId(const api::ActionContext& ctx,
                                             const std::string& entity, const Value& params);

// `value` with "user_contact_id" replaced by the caller's contact id when
// `field` holds contact ids.
Value ResolveUserContact(const api::ActionContext& ctx, const schema::Field* field,
                         const Value& value);

// A field value given by name or label where an option list or a linked
// reference entity (LocationType, Country, ...) applies, as its stored value.
// Returns `value` unchanged when nothing applies. kInvalidArgument naming
// the field when a name matches nothing.
StatusOr<Value> ResolvePseudoValue(api::ActionContext& ctx, const schema::Field& field,
                                   const Value& value);

// Generic pieces an entity may reuse.
// CiviCRM's check of a get's filters on integer fields (the id and its
// <entity>_id alias included): a value, or an operator's operand, that is not
// an integer is error 2001 "<field> is not a valid integer".
Status CheckIntegerFilters(const schema::Entity& entity, const Value& params);

// Every filter of a read checked against its field before the query, as
// CiviCRM's API layer does for each action (api/v3/utils.php): integers as
// above, an option given by name or label becomes its value (an unknown one
// is error 2001 "'x' is not a valid option for field f"), and a date that is
// no date is refused. Returns the params with the options resolved, or
// nullopt when no filter names an option or a date (the params stand as
// they are: a get by id is not copied).
StatusOr<std::optional<Value>> CheckedFilters(api::ActionContext& ctx, const schema::Entity& entity,
                                              const Value& params);

StatusOr<V3Rows> GenericRows(api::ActionContext& ctx, const std::string& entity,
                             const V3Hooks& hooks, const Value& params, const V3Options& options);
StatusOr<int64_t> GenericCount(api::ActionContext& ctx, const std::string& entity,
                               const Value& params);
StatusOr<Value> GenericCreate(api::ActionContext& ctx, const std::string& entity,
                              const V3Hooks& hooks);
StatusOr<Value> GenericDelete(api::ActionContext& ctx, const std::string& entity,
                              const V3Hooks& hooks);

// The row a create answer shows for record `id` (see V3Hooks::create_echo;
// an update, `creating` false, shows only what it wrote, as CiviCRM's DAO
// holds only the call's values then, unless the entity's hooks say more).
StatusOr<Value> CreateAnswerRow(api::ActionContext& ctx, const schema::Entity& entity,
                                const V3Hooks& hooks, int64_t id, const Value& written,
                                bool creating = true);

// Runs a version-3 call inside the current transaction through the
// dispatcher (its permission check included). kNotFound with CiviCRM's
// "API (E, a) does not exist (join the API team and implement it!)".
StatusOr<Value> RunV3(api::ActionContext& ctx, const std::string& entity,
                      const std::string& action, Value params);

// Wraps an action so that the chained calls in its parameters run for each
// row of its values (shared/PROTOCOL.md C.2.6).
api::ActionHandler WithChains(std::string entity, std::string action, api::ActionHandler handler);

// The entity hooks of this module, by entity.
void AddContactHooks(V3HooksTable& table);
void AddLocationHooks(V3HooksTable& table);
void AddGroupHooks(V3HooksTable& table);
void AddRelationshipHooks(V3HooksTable& table);
void AddCustomHooks(V3HooksTable& table);
void AddActivityHooks(V3HooksTable& table);  // Activity and EntityTag

// Actions of entities that have no table of their own (CustomValue).
void RegisterCustomValueActions(api::ActionRegistry& registry);

// getfields, getoptions, getactions and Entity.get.
StatusOr<Value> GetFields(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> GetOptions(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> GetActions(api::ActionContext& ctx, const std::string& entity);
StatusOr<Value> EntityGet(api::ActionContext& ctx);

}  // namespace kith::entities::v3
