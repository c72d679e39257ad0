#include "schema/schema.h"

namespace kith::schema {

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

const Field* Entity::FindField(std::string_view field_name) const {
  for (const Field& f : fields) {
    if (f.name == field_name) return &f;
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
  auto shared = std::make_shared<const Entity>(std::move(entity));
  by_name_[shared->name] = shared;
  ordered_.push_back(std::move(shared));
}

const Entity* Catalog::Find(std::string_view entity_name) const {
  auto it = by_name_.find(entity_name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

}  // namespace kith::schema
