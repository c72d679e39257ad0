// EntityBuilder: a compact way to write an entity description. Modifiers
// after Field(...) apply to that field.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "schema/schema.h"

namespace kith::schema {

class EntityBuilder {
 public:
  EntityBuilder(std::string name, std::string table) {
    entity_.name = std::move(name);
    entity_.table = std::move(table);
    // CiviCRM titles every id after its entity ("Email ID", "Group Contact ID").
    Field("id", FieldType::kInt, SpacedName(entity_.name) + " ID").Readonly();
  }

  // "GroupContact" -> "Group Contact".
  static std::string SpacedName(const std::string& camel) {
    std::string out;
    for (size_t i = 0; i < camel.size(); ++i) {
      if (i > 0 && camel[i] >= 'A' && camel[i] <= 'Z') out += ' ';
      out += camel[i];
    }
    return out;
  }

  EntityBuilder& Field(std::string name, FieldType type, std::string title) {
    meta_last_ = false;
    schema::Field f;
    f.name = std::move(name);
    f.type = type;
    f.title = std::move(title);
    entity_.fields.push_back(std::move(f));
    return *this;
  }
  EntityBuilder& Int(std::string n, std::string t) { return Field(std::move(n), FieldType::kInt, std::move(t)); }
  EntityBuilder& Str(std::string n, std::string t, int max_length = 255) {
    Field(std::move(n), FieldType::kString, std::move(t));
    last().max_length = max_length;
    return *this;
  }
  EntityBuilder& Text(std::string n, std::string t) { return Field(std::move(n), FieldType::kText, std::move(t)); }
  EntityBuilder& Bool(std::string n, std::string t, bool default_value = false) {
    Field(std::move(n), FieldType::kBool, std::move(t));
    last().default_value = default_value;
    return *this;
  }
  EntityBuilder& Date(std::string n, std::string t) { return Field(std::move(n), FieldType::kDate, std::move(t)); }
  EntityBuilder& DateTime(std::string n, std::string t) {
    return Field(std::move(n), FieldType::kDateTime, std::move(t));
  }
  EntityBuilder& Float(std::string n, std::string t) { return Field(std::move(n), FieldType::kFloat, std::move(t)); }

  EntityBuilder& Required() { last().required = true; return *this; }
  EntityBuilder& Default(Value v) { last().default_value = std::move(v); return *this; }
  EntityBuilder& Fk(std::string entity) { last().fk_entity = std::move(entity); return *this; }
  EntityBuilder& Options(std::string group, std::string key = "value") {
    last().option_group = std::move(group);
    last().option_key = std::move(key);
    return *this;
  }
  EntityBuilder& Choices(std::vector<std::pair<std::string, std::string>> choices) {
    last().choices = std::move(choices);
    return *this;
  }
  EntityBuilder& Unique() { last().unique = true; return *this; }
  EntityBuilder& Readonly() { last().readonly = true; return *this; }
  EntityBuilder& Internal() { last().internal = true; return *this; }
  EntityBuilder& Serialized() { last().serialized = true; return *this; }
  EntityBuilder& CommaSerialized() {
    last().serialized = last().comma_separated = true;
    return *this;
  }
  EntityBuilder& WriteOnly() { last().internal = true; last().write_only = true; return *this; }
  EntityBuilder& Json() { last().json = true; return *this; }
  EntityBuilder& V4Only() { entity_.v3 = false; return *this; }
  EntityBuilder& ReadOnly() { entity_.read_only = true; return *this; }
  EntityBuilder& NotLogged() { entity_.change_logged = false; return *this; }
  // CiviCRM's metadata where it is not what kith derives (Field::CiviMeta).
  EntityBuilder& Input(std::string input_type) { last().civi.input_type = std::move(input_type); return *this; }
  EntityBuilder& NoInput() { last().civi.input_type = ""; return *this; }
  EntityBuilder& NotNull(bool not_null = true) { last().civi.not_null = not_null; return *this; }
  EntityBuilder& CiviReadonly(bool readonly) { last().civi.readonly = readonly; return *this; }
  EntityBuilder& CiviFk(std::string entity) { last().civi.fk_entity = std::move(entity); return *this; }
  EntityBuilder& CiviType(std::string data_type) { last().civi.data_type = std::move(data_type); return *this; }
  EntityBuilder& HasOptions(bool has) { last().civi.has_options = has; return *this; }
  EntityBuilder& CiviRequired(bool required) { last().civi.required = required; return *this; }
  EntityBuilder& Unlisted() { last().civi.listed = false; return *this; }
  // A field getFields lists that is not a column (Entity::meta_fields); the
  // modifiers after it apply to it.
  EntityBuilder& MetaField(std::string name, FieldType type, std::string title, std::string kind) {
    schema::Field f;
    f.name = std::move(name);
    f.type = type;
    f.title = std::move(title);
    f.civi.kind = std::move(kind);
    entity_.meta_fields.push_back(std::move(f));
    meta_last_ = true;
    return *this;
  }
  EntityBuilder& Fallback(std::vector<std::string> fields) { last().fallback = std::move(fields); return *this; }
  EntityBuilder& MadeFrom(std::vector<std::string> fields) { last().made_from = std::move(fields); return *this; }
  EntityBuilder& Derived(std::string derivation) { entity_.derived = std::move(derivation); return *this; }
  EntityBuilder& SoftDelete() { entity_.soft_delete = true; return *this; }
  EntityBuilder& ReferenceData() { entity_.reference_data = true; return *this; }
  EntityBuilder& Hidden() { entity_.api = false; return *this; }
  EntityBuilder& Permissions(std::vector<std::string> get, std::vector<std::string> create,
                             std::vector<std::string> update, std::vector<std::string> remove) {
    entity_.get_permissions = std::move(get);
    entity_.create_permissions = std::move(create);
    entity_.update_permissions = std::move(update);
    entity_.delete_permissions = std::move(remove);
    return *this;
  }
  EntityBuilder& Join(ReverseJoin join) { entity_.joins.push_back(std::move(join)); return *this; }
  EntityBuilder& Index(std::vector<std::string> columns) {
    entity_.indexes.push_back(std::move(columns));
    return *this;
  }
  EntityBuilder& SparseIndex(std::vector<std::string> columns) {
    entity_.sparse_indexes.push_back(std::move(columns));
    return *this;
  }
  EntityBuilder& UniqueIndex(std::vector<std::string> columns) {
    entity_.unique_indexes.push_back(std::move(columns));
    return *this;
  }

  Entity Build() { return std::move(entity_); }

 private:
  schema::Field& last() { return meta_last_ ? entity_.meta_fields.back() : entity_.fields.back(); }
  Entity entity_;
  bool meta_last_ = false;
};

}  // namespace kith::schema
