// APIv4 (shared/PROTOCOL.md C.3): the version-4 actions of every entity the
// catalog serves (api == true), built from its schema — get, create,
// update, save, delete, replace, getFields, getActions — plus Entity.get.
// Each action returns the v4 Result as a Value:
//   {"values": [...rows...]}            plus, when known,
//   "count" (the matched total when row_count is selected) and
//   "countMatched"; replace adds "deleted".
// wire/v4 renders it into the envelope. Values are typed (integers,
// booleans, null, lists for multi-value fields). Chained calls (`chain`) run
// for every row inside the same transaction through the dispatcher, so each
// child call's permissions are checked.
//
// An entity that really differs (Contact: its type guess, primary email /
// phone / address written through its values, the trash) supplies
// V4Hooks; whatever it leaves empty is generic.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "schema/schema.h"
#include "store/query.h"

namespace kith::entities::v4 {

struct V4Hooks {
  // CiviCRM's column order for whole rows when it differs from kith's
  // schema order; may name virtual columns.
  std::vector<std::string> layout;
  // Columns CiviCRM has and kith does not keep, with their constant value
  // (kith keeps api keys hashed, apart from contacts: Contact.api_key).
  std::map<std::string, Value> virtual_columns;
  // Columns a get row lists after the other asked ones, whatever their
  // place in select (CiviCRM fills them after its query: CustomField's
  // serialize).
  std::set<std::string> late_columns;
  // Permissions a caller needs (any of them) to see a column.
  std::map<std::string, std::vector<std::string>> column_permissions;
  // Columns CiviCRM types differently from kith's schema: "Integer" for a
  // flag CiviCRM keeps as a number (Email.on_hold).
  std::map<std::string, std::string> column_types;
  // Columns that apply to one kind of row only, by the kind, and the column
  // that says a row's kind (Contact: organization_name only on an
  // Organization, by contact_type). A whole row (select * / reload) leaves
  // out the columns of the other kinds.
  std::string row_kind_column;
  std::map<std::string, std::string> kind_columns;
  // Before a write (`creating` for a create): fills in what CiviCRM guesses
  // or defaults (Contact.contact_type, an email's location type and hold
  // dates).
  std::function<Status(api::ActionContext&, Value& values, bool creating)> prepare;
  // Creates the record instead of the generic write, for entities whose
  // creation is more than a row (custom groups and fields: their tables).
  // Returns the id; the answer is built from the stored row.
  std::function<StatusOr<int64_t>(api::ActionContext&, const Value& values)> create_record;
  // After the generic write of a record (`written`: the columns written).
  std::function<Status(api::ActionContext&, int64_t id, const Value& written, bool creating)>
      after_write;
  // After a create, with the values the call gave (after prepare): what
  // needs the new id (Group: a name made from its title and id).
  std::function<Status(api::ActionContext&, int64_t id, const Value& values)> after_create;
  // After a record's own row is written: writes what its values held for
  // records joined to it (email_primary.email, ...), keyed by join name.
  std::function<Status(api::ActionContext&, int64_t id, const Value& joined)> write_joined;
  // Deletes one record; empty: a real delete. Contact: the trash.
  std::function<Status(api::ActionContext&, int64_t id, const Value& params)> remove;
  // Columns whose values live in rows of another entity (Activity's
  // source_contact_id, target_contact_id, assignee_contact_id: its
  // ActivityContact rows). A get that selects one asks `read` for the value
  // of each row id (an id left out reads null); a create or update that
  // gives one calls `write` after the record's own row is written.
  struct RelatedColumn {
    std::function<StatusOr<std::map<int64_t, Value>>(api::ActionContext&,
                                                     const std::vector<int64_t>& ids)>
        read;
    std::function<Status(api::ActionContext&, int64_t id, const Value& value)> write;
  };
  std::map<std::string, RelatedColumn> related_columns;
  // Extra action parameters this entity's delete takes (useTrash).
  std::set<std::string> delete_params;
  // A delete answers the ids as numbers (CiviCRM's own Contact delete
  // action); the generic delete answers them as text.
  bool delete_ids_as_numbers = false;
  // A where-clause field that is not a column (Contact "groups"): the
  // condition for `op value`.
  std::function<StatusOr<std::optional<store::Condition>>(
      api::ActionContext&, const std::string& field, const std::string& op, const Value& value)>
      virtual_filter;
  // Write answers (CiviCRM echoes the saved object):
  //   create_echo: columns shown even when the call did not write them;
  std::set<std::string> create_echo;
  //   create_echo_stored: a create answer shows every stored non-null column;
  bool create_echo_stored = false;
  //   echo_nulls: columns a write answer shows even as null (when written,
  //   or for a create when they are in create_echo);
  std::set<std::string> echo_nulls;
  //   echo_format: rewrites a write answer's values as CiviCRM's BAO left
  //   them (dates as MySQL took them), before the call's other keys;
  std::function<void(Value& row)> echo_format;
  //   create_tail: keys appended to a create answer, given the values;
  std::function<Value(const Value& values)> create_tail;
  //   echo_hidden: columns computed after the save in CiviCRM, so that its
  //   answers show them as they were before (greetings);
  std::set<std::string> echo_hidden;
  //   create_digits: dates a create answer shows as YYYYMMDDhhmmss, as
  //   CiviCRM's BAO handed them to MySQL (api::MysqlDateDigits);
  std::set<std::string> create_digits;
  //   database_columns: columns CiviCRM's database fills after its BAO's
  //   save (kith writes them itself): a create answer shows them as null,
  //   an update answer leaves them out;
  std::set<std::string> database_columns;
  //   database_filled: columns CiviCRM's database fills in when a write
  //   leaves them out (a trigger: Phone.phone_numeric; a column default:
  //   Activity.activity_date_time), so its BAO never holds them: a write
  //   answer shows them only when the call gave them;
  std::set<std::string> database_filled;
  //   update_hidden: columns an update answer leaves out though kith wrote
  //   them (Note.modified_date: CiviCRM's database sets it);
  std::set<std::string> update_hidden;
  //   update_whole_row: an update answer shows the whole record (Contact);
  bool update_whole_row = false;
  //   whole_row_update: the same, decided per call from its values (a
  //   Relationship update shows the whole record unless it only disables);
  std::function<bool(const Value& values)> whole_row_update;
  //   batch_fields: columns an update answer shows from the stored record;
  std::vector<std::string> batch_fields;
  //   update_tail: keys appended to an update answer (not to a save's).
  Value update_tail = Value::object();
  //   last_create_tail: keys appended to the last record a create, save or
  //   replace wrote (CiviCRM's GroupContact BAO leaves method and tracking
  //   on the last object it saved).
  Value last_create_tail = Value::object();
};

using V4HooksTable = std::map<std::string, V4Hooks>;

// Registers every version-4 action (see the file comment) for the api
// entities of `catalog`, and Entity.get.
void RegisterV4Actions(api::ActionRegistry& registry, const schema::Catalog& catalog);

// What Entity.create does with `values` (its params' "values") for entity
// `name` (canonical), every rule included, without building the answer: for
// bulk loads that need only the new id (kith import), whose values are
// handed over rather than copied out of ctx.params. Errors as the action's.
// `keys`, when given, keeps how each key of the values resolved (which
// column, custom field or joined record it names) from one call to the next
// (an import's rows name the same columns), valid while the transaction's
// catalog is the same.
struct WriteKeys {
  WriteKeys();
  ~WriteKeys();
  struct Plans;  // v4_write.cc
  std::unique_ptr<Plans> plans;
};
StatusOr<int64_t> CreateWithoutAnswer(api::ActionContext& ctx, const std::string& name, Value values,
                                      WriteKeys* keys = nullptr);

// The entity hooks of this module.
void AddContactHooks(V4HooksTable& table);
void AddLocationHooks(V4HooksTable& table);
void AddGroupHooks(V4HooksTable& table);
void AddRelationshipHooks(V4HooksTable& table);
void AddCustomDataHooks(V4HooksTable& table);
void AddActivityHooks(V4HooksTable& table);
void AddTagAndNoteHooks(V4HooksTable& table);
void AddWebhookHooks(V4HooksTable& table);

// The hooks of `entity` (an empty set when it has none).
const V4Hooks& HooksOf(const std::string& entity);

}  // namespace kith::entities::v4
