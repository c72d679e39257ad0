#include "schema/schema.h"

#include "base/strings.h"
#include "schema/custom_schema.h"

namespace kith::schema {

std::string JoinStoredValues(const Field& field, const std::vector<std::string>& values) {
  if (values.empty()) return "";
  if (field.comma_separated) return Join(values, ",");
  return "\x01" + Join(values, "\x01") + "\x01";
}

namespace {
std::vector<std::string> SplitOn(std::string_view stored, char separator) {
  std::vector<std::string> out;
  for (std::string_view part : Split(stored, separator, /*skip_empty=*/true)) out.emplace_back(part);
  return out;
}
}  // namespace

std::vector<std::string> SplitStoredValues(const Field& field, std::string_view stored) {
  return SplitOn(stored, field.comma_separated ? ',' : '\x01');
}

std::vector<std::string> SplitPaddedValues(std::string_view stored) { return SplitOn(stored, '\x01'); }

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kInt: return "Integer";
    case FieldType::kString: return "String";
    case FieldType::kText: return "Text";
    case FieldType::kBool: return "Boolean";
    case FieldType::kDate: return "Date";
    case FieldType::kDateTime: return "Timestamp";
    case FieldType::kFloat: return "Float";
    case FieldType::kMoney: return "Money";
  }
  return "String";
}

bool CiviNotNull(const Field& f) {
  if (f.civi.not_null) return *f.civi.not_null;
  return f.name == "id" || (f.type == FieldType::kBool && !f.nullable) || f.required;
}

const std::string& CiviFkEntity(const Field& f) {
  return f.civi.fk_entity ? *f.civi.fk_entity : f.fk_entity;
}

void Entity::IndexFields() {
  field_index.positions.clear();
  for (size_t i = 0; i < fields.size(); ++i) field_index.positions.emplace(fields[i].name, i);
  field_index.field_count = fields.size();
}

const Field* Entity::FindField(std::string_view field_name) const {
  if (field_index.field_count == fields.size() && field_index.field_count > 0) {
    auto it = field_index.positions.find(field_name);
    if (it == field_index.positions.end()) return nullptr;
    // Renamed in place since indexing: fall through to the scan.
    if (it->second < fields.size() && fields[it->second].name == field_name) return &fields[it->second];
  }
  for (const Field& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const char* Entity::SuffixColumn(std::string_view suffix) const {
  auto has = [&](const char* n) { return FindField(n) != nullptr; };
  // RelationshipType names its rows from A to B.
  if (suffix == "name") return has("name") ? "name" : has("name_a_b") ? "name_a_b" : nullptr;
  if (suffix == "abbr") {
    if (has("iso_code")) return "iso_code";
    if (has("abbreviation")) return "abbreviation";
    return nullptr;
  }
  if (suffix == "label") {
    for (const char* n : {"label", "display_name", "title", "label_a_b", "name"}) {
      if (has(n)) return n;
    }
  }
  return nullptr;
}

const ReverseJoin* Entity::FindJoin(std::string_view join_name) const {
  for (const ReverseJoin& j : joins) {
    if (j.name == join_name) return &j;
  }
  return nullptr;
}

void Catalog::Add(Entity entity) {
  const std::vector<std::string> kAdmin = {"access CiviCRM", "administer CiviCRM"};
  if (entity.get_permissions.empty()) entity.get_permissions = {"access CiviCRM"};
  if (entity.create_permissions.empty()) entity.create_permissions = kAdmin;
  if (entity.update_permissions.empty()) entity.update_permissions = kAdmin;
  if (entity.delete_permissions.empty()) entity.delete_permissions = kAdmin;
  entity.IndexFields();
  auto shared = std::make_shared<const Entity>(std::move(entity));
  auto known = by_name_.find(shared->name);
  if (known != by_name_.end()) {
    for (auto& e : ordered_) {
      if (e == known->second) e = shared;
    }
    known->second = std::move(shared);
    return;
  }
  by_name_[shared->name] = shared;
  ordered_.push_back(std::move(shared));
}

const Entity* Catalog::Find(std::string_view entity_name) const {
  auto it = by_name_.find(entity_name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

void Catalog::AddCustomGroup(CustomGroupInfo group) { custom_groups_.push_back(std::move(group)); }

void Catalog::AddCustomField(CustomFieldInfo field) {
  for (CustomGroupInfo& g : custom_groups_) {
    if (g.id == field.group_id) g.field_ids.push_back(field.id);
  }
  int64_t id = field.id;
  custom_fields_[id] = std::move(field);
}

const CustomGroupInfo* Catalog::FindCustomGroup(int64_t id) const {
  for (const CustomGroupInfo& g : custom_groups_) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

const CustomGroupInfo* Catalog::FindCustomGroup(std::string_view group_name) const {
  for (const CustomGroupInfo& g : custom_groups_) {
    if (g.name == group_name) return &g;
  }
  return nullptr;
}

const CustomFieldInfo* Catalog::FindCustomField(int64_t id) const {
  auto it = custom_fields_.find(id);
  return it == custom_fields_.end() ? nullptr : &it->second;
}

const CustomFieldInfo* Catalog::FindCustomField(std::string_view group_name,
                                                std::string_view field_name) const {
  const CustomGroupInfo* g = FindCustomGroup(group_name);
  if (g == nullptr) return nullptr;
  for (int64_t id : g->field_ids) {
    const CustomFieldInfo* f = FindCustomField(id);
    if (f != nullptr && f->name == field_name) return f;
  }
  return nullptr;
}

const CustomFieldInfo* Catalog::FindCustomFieldByKey(std::string_view key) const {
  std::optional<CustomKey> parsed = ParseCustomKey(key);
  return parsed ? FindCustomField(parsed->field_id) : nullptr;
}

std::vector<const CustomFieldInfo*> Catalog::CustomFieldsOf(std::string_view base_entity) const {
  std::vector<const CustomFieldInfo*> out;
  for (const CustomGroupInfo& g : custom_groups_) {
    if (g.base_entity != base_entity || !g.is_active) continue;
    for (int64_t id : g.field_ids) {
      if (const CustomFieldInfo* f = FindCustomField(id)) out.push_back(f);
    }
  }
  return out;
}

}  // namespace kith::schema
