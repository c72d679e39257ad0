// Entity descriptions: every entity kith serves is described here once —
// its table, fields, types, requirements, defaults, links and indexes — and
// the generic actions, the store's SQL, validation and getfields all work
// from that description. Field and table names follow CiviCRM's schema.
// Immutable after construction; thread-safe to share.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  int max_length = 0;          // strings: 0 = unlimited
  bool unique = false;
  bool serialized = false;     // multi-valued, stored \x01-padded
  bool readonly = false;       // computed by kith, ignored on write
  bool internal = false;       // never returned by a get (secrets)
};

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
  std::vector<std::vector<std::string>> indexes;  // non-unique indexes
  bool soft_delete = false;  // has is_deleted (contacts: the trash)
  bool api = true;           // served by the generic API actions (false: kith's own tables)
  // CiviCRM permissions each kind of action needs, all of them required.
  // Catalog::Add fills empty lists: get {"access CiviCRM"}, writes
  // {"access CiviCRM", "administer CiviCRM"}.
  std::vector<std::string> get_permissions;
  std::vector<std::string> create_permissions;
  std::vector<std::string> update_permissions;
  std::vector<std::string> delete_permissions;

  const Field* FindField(std::string_view name) const;
  const ReverseJoin* FindJoin(std::string_view name) const;
};

// A set of entity descriptions, looked up by name (case-sensitive) or table.
class Catalog {
 public:
  void Add(Entity entity);
  const Entity* Find(std::string_view name) const;
  const std::vector<std::shared_ptr<const Entity>>& entities() const { return ordered_; }

 private:
  std::vector<std::shared_ptr<const Entity>> ordered_;
  std::map<std::string, std::shared_ptr<const Entity>, std::less<>> by_name_;
};

// kith's built-in entities (contacts, their locations, reference data, users
// and sessions).
std::shared_ptr<const Catalog> BuiltinCatalog();

}  // namespace kith::schema
