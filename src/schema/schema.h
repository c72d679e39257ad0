// Entity descriptions: every entity kith serves is described here once —
// its table, fields, types, requirements, defaults, links and indexes — and
// the generic actions, the store's SQL, validation and getfields all work
// from that description. Field and table names follow CiviCRM's schema.
// Immutable after construction; thread-safe to share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/value.h"

namespace kith::schema {

enum class FieldType { kInt, kString, kText, kBool, kDate, kDateTime, kFloat, kMoney };

// The type's name as CiviCRM's getfields shows it ("Integer", "String", ...).
std::string_view FieldTypeName(FieldType type);

struct Field {
  std::string name;   // API name, also the column name
  FieldType type = FieldType::kString;
  std::string title;  // human label, for getfields and error messages
  bool required = false;       // must be given on create
  Value default_value;         // null: no default
  std::string fk_entity;       // entity this id points to ("" when none)
  std::string option_group;    // pseudoconstant option group name ("" when none)
  // The option column a stored value matches: "value", or "name" where
  // CiviCRM keys the pseudoconstant by name (preferred_language stores
  // "en_US", the name of the option whose value is "en").
  std::string option_key = "value";
  // A fixed option list instead of an option group (CiviCRM's callback and
  // table pseudoconstants: GroupContact.status, Contact.contact_type):
  // {stored value, label}; an option's name is its value.
  std::vector<std::pair<std::string, std::string>> choices;
  int max_length = 0;          // strings: 0 = unlimited
  bool unique = false;
  bool serialized = false;     // multi-valued, stored \x01-padded
  // Serialized as "a,b" instead (CiviCRM's SERIALIZE_COMMA: Tag.used_for);
  // APIv3 answers that text as it is stored.
  bool comma_separated = false;
  bool readonly = false;       // computed by kith, ignored on write
  bool internal = false;       // never returned by a get (secrets)
  // An internal field an APIv4 create/update may still set (a webhook's
  // secret): written, never read back.
  bool write_only = false;
  // Text holding JSON, answered as the structure it encodes (a change's
  // field -> [old, new] object).
  bool json = false;
  bool nullable = false;       // Bool only: NULL is a value of its own ("not set", custom fields)
  // CiviCRM's default_fallback: on a v4 create without this field, the
  // first of these fields that was given supplies its value (so the field
  // is not required there).
  std::vector<std::string> fallback;
  // What CiviCRM's metadata (APIv4 getFields, APIv3 getfields) says of the
  // field where it differs from what kith derives from the attributes
  // above; kith's behaviour follows those, this only describes the field.
  struct CiviMeta {
    // CiviCRM's column is NOT NULL (its schema's `required`): v3 `required`,
    // v4 `nullable` false and, on get, `required` when it has no default.
    // Unset: ids, non-nullable flags and the fields a create requires.
    std::optional<bool> not_null;
    std::optional<bool> readonly;
    // The input widget; "" for none (null). Unset: derived from the type,
    // options and links.
    std::optional<std::string> input_type;
    // "" when CiviCRM's link is a pseudoconstant, not a foreign key (no
    // fk_entity); a name for a list of ids CiviCRM links (Group.children).
    std::optional<std::string> fk_entity;
    // "Integer" for a flag CiviCRM keeps as a number; "Timestamp" for a
    // TIMESTAMP column (APIv3 type 256; kith's kDateTime is a DATETIME, 12).
    std::string data_type;
    std::string kind = "Field";   // getFields `type`: "Field", "Extra", "Filter"
    // Whether it has an option list: true for one kith has nothing to fill
    // ([]), false for a link CiviCRM does not list rows of. Unset: derived.
    std::optional<bool> has_options;
    std::optional<bool> required;  // v4 `required` on get, when not derived from not_null
    bool listed = true;  // false: a column of a CiviCRM component that is off (case_id)
  };
  CiviMeta civi;
  // CiviCRM's schema requires it but kith's rules make it from these fields
  // when it is left out (a group's name from its title): an APIv4 create
  // names it missing only when they are missing too.
  std::vector<std::string> made_from;
};

// A multi-valued field's values and their stored text ("\x01a\x01b\x01", or
// "a,b" for a comma-separated field); an empty list is stored "".
std::string JoinStoredValues(const Field& field, const std::vector<std::string>& values);
std::vector<std::string> SplitStoredValues(const Field& field, std::string_view stored);
// The values of text stored "\x01a\x01b\x01" (multi-valued custom fields,
// which have no schema Field, store their values so).
std::vector<std::string> SplitPaddedValues(std::string_view stored);

// CiviCRM's schema requirement of a field (Field::CiviMeta::not_null, or
// derived: ids, non-nullable flags and what a create requires).
bool CiviNotNull(const Field& field);
// The entity CiviCRM's metadata names as the field's link ("" for none).
const std::string& CiviFkEntity(const Field& field);

// A one-to-one link that is not a plain foreign key of this entity, e.g.
// Contact "email_primary" = the Email whose contact_id = Contact.id and
// is_primary = 1.
struct ReverseJoin {
  std::string name;          // path segment ("email_primary")
  std::string entity;        // joined entity ("Email")
  std::string remote_field;  // joined entity's column pointing back ("contact_id")
  std::vector<std::pair<std::string, Value>> conditions;  // extra equalities
};

struct Entity {
  std::string name;   // CamelCase API name ("GroupContact")
  std::string table;  // SQL table ("civicrm_group_contact")
  std::vector<Field> fields;  // "id" first
  std::vector<ReverseJoin> joins;
  // What getFields lists besides the columns and joins: CiviCRM's fields
  // kith answers without a column of its own (Contact.preferred_mail_format,
  // its "groups" and "tags" filters). Looked up by getFields only.
  std::vector<Field> meta_fields;
  std::vector<std::vector<std::string>> indexes;  // non-unique indexes
  // Non-unique indexes over only the rows whose first column is set, for
  // columns most rows leave empty (an organization's name on a person): a
  // lookup by value uses them, and rows without a value cost no index entry.
  // An optional link's own index is one too (store/internal/sql_builder).
  std::vector<std::vector<std::string>> sparse_indexes;
  std::vector<std::vector<std::string>> unique_indexes;  // unique keys over several columns
  bool soft_delete = false;  // has is_deleted (contacts: the trash)
  // A small table of reference data (location types) that most rows link
  // to: an optional link to it is checked by kith's store on every write,
  // and cleared by it when the row goes, instead of by a foreign key of
  // PostgreSQL's (store/internal/sql_builder.h ReferenceLinkCheckedByKith).
  bool reference_data = false;
  bool api = true;           // served by the generic API actions (false: kith's own tables)
  bool v3 = true;            // APIv3 serves it too (false: kith's APIv4-only entities)
  // Read-only through every API (get and getFields only), though a table of
  // its own that kith writes (the change log, webhook deliveries).
  bool read_only = false;
  // Its creates, updates and deletes go to the change log (store/change_log.h);
  // false for what must never be logged (users, sessions: keys and password
  // hashes) and for the change log's own plumbing.
  bool change_logged = true;
  // Rows the store derives from other tables (a view) instead of keeping
  // them: read-only for every API (APIv4 serves get and getFields only). The
  // store knows each derivation by this name ("" for a table of its own).
  std::string derived;
  // CiviCRM permissions each kind of action needs, all of them required.
  // Catalog::Add fills empty lists: get {"access CiviCRM"}, writes
  // {"access CiviCRM", "administer CiviCRM"}.
  std::vector<std::string> get_permissions;
  std::vector<std::string> create_permissions;
  std::vector<std::string> update_permissions;
  std::vector<std::string> delete_permissions;

  const Field* FindField(std::string_view name) const;
  const ReverseJoin* FindJoin(std::string_view name) const;
  // The column that ":label" / ":name" / ":abbr" names on a row of this
  // entity when another entity links to it (a reference row: a location
  // type, a country); nullptr when it has none.
  const char* SuffixColumn(std::string_view suffix) const;

  // Field name -> position, built by Catalog::Add (FindField runs for every
  // selected column of every request). An entity whose `fields` changed
  // since (a copy being extended) is searched field by field instead.
  struct FieldIndex {
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
    };
    std::unordered_map<std::string, size_t, Hash, std::equal_to<>> positions;
    size_t field_count = 0;  // fields.size() when built
  };
  FieldIndex field_index;
  void IndexFields();
};

// A custom field as the catalog knows it, derived from its civicrm_custom_field
// row (schema/custom_schema.h). Its values live in column `column` of its
// group's entity `entity` (table civicrm_value_<group>_<id>).
struct CustomFieldInfo {
  int64_t id = 0;
  int64_t group_id = 0;
  std::string name;          // unique within its group ("shoe_size")
  std::string label;
  std::string data_type;     // CiviCRM's: String, Int, Float, Money, Memo, Date, Boolean, ...
  std::string html_type;     // Text, Select, CheckBox, ...
  std::string column;        // "shoe_size_5"
  std::string entity;        // the group's entity ("Custom_Constituent_Info")
  // The store path from the extended entity through the group's join
  // ("custom_Constituent_Info.shoe_size_5"); "" for a multi-record group.
  std::string path;
  std::string option_group;  // name of its option list ("" when none)
  std::string default_value;
  bool serialized = false;   // multi-valued, stored \x01-padded
  bool is_active = true;
  bool is_required = false;
  bool is_searchable = false;
  bool is_view = false;

  std::string key() const { return "custom_" + std::to_string(id); }  // its API name
};

// A custom group: a set of custom fields extending one kind of entity, kept
// in a table of its own.
struct CustomGroupInfo {
  int64_t id = 0;
  std::string name;                    // unique ("Constituent_Info")
  std::string title;
  std::string extends;                 // Contact, Individual, Household, Organization, ...
  std::vector<std::string> sub_types;  // extends_entity_column_value (contact sub types)
  std::string base_entity;             // the entity extended ("Contact")
  std::string entity;                  // "Custom_<name>": id, entity_id, one column per field
  std::string table;                   // "civicrm_value_<munged name>_<id>"
  std::string join;                    // ReverseJoin on base_entity ("custom_<name>"); "" if multiple
  bool is_multiple = false;
  bool is_active = true;
  std::vector<int64_t> field_ids;      // by weight, then id
};

// A set of entity descriptions, looked up by name (case-sensitive) or table,
// plus the custom groups and fields of a store (empty in BuiltinCatalog()).
class Catalog {
 public:
  // Adds `entity`, replacing an entity of the same name (keeping its place).
  void Add(Entity entity);
  const Entity* Find(std::string_view name) const;
  const std::vector<std::shared_ptr<const Entity>>& entities() const { return ordered_; }

  // Custom data. A field's group must be added before the field.
  void AddCustomGroup(CustomGroupInfo group);
  void AddCustomField(CustomFieldInfo field);
  const std::vector<CustomGroupInfo>& custom_groups() const { return custom_groups_; }
  const CustomGroupInfo* FindCustomGroup(int64_t id) const;
  const CustomGroupInfo* FindCustomGroup(std::string_view name) const;
  const CustomFieldInfo* FindCustomField(int64_t id) const;
  // By APIv4's "GroupName.field_name" parts.
  const CustomFieldInfo* FindCustomField(std::string_view group_name,
                                         std::string_view field_name) const;
  // By API key: "custom_12" (also "custom_12_3" / "custom_12_-1", the row
  // forms; see ParseCustomKey in schema/custom_schema.h). nullptr when the
  // key is not of that form or names no field.
  const CustomFieldInfo* FindCustomFieldByKey(std::string_view key) const;
  // The fields of active groups extending `base_entity` ("Contact"), in
  // group then field order.
  std::vector<const CustomFieldInfo*> CustomFieldsOf(std::string_view base_entity) const;

 private:
  std::vector<std::shared_ptr<const Entity>> ordered_;
  // Hashed: every write looks its entity up a dozen times (a std::map's
  // string comparisons were 3 % of an import).
  std::unordered_map<std::string, std::shared_ptr<const Entity>, Entity::FieldIndex::Hash, std::equal_to<>>
      by_name_;
  std::vector<CustomGroupInfo> custom_groups_;
  std::map<int64_t, CustomFieldInfo> custom_fields_;
};

// kith's built-in entities (contacts, their locations, reference data, users
// and sessions).
std::shared_ptr<const Catalog> BuiltinCatalog();

}  // namespace kith::schema
