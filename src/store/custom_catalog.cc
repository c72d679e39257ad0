#include "store/custom_catalog.h"

#include "schema/custom_schema.h"

namespace kith::store {
namespace {

StatusOr<std::vector<Value>> AllRows(Transaction& txn, const schema::Catalog& base,
                                     const char* entity, std::vector<std::string> extra) {
  const schema::Entity* e = base.Find(entity);
  if (e == nullptr) return std::vector<Value>();
  Query q;
  q.entity = entity;
  for (const schema::Field& f : e->fields) q.select.push_back(f.name);
  for (std::string& path : extra) q.select.push_back(std::move(path));
  q.order_by = {{"weight", false}, {"id", false}};
  return txn.Select(q);
}

}  // namespace

StatusOr<std::shared_ptr<const schema::Catalog>> LoadCustomCatalog(Transaction& txn,
                                                                   const schema::Catalog& base) {
  KITH_ASSIGN_OR_RETURN(std::vector<Value> groups, AllRows(txn, base, "CustomGroup", {}));
  KITH_ASSIGN_OR_RETURN(std::vector<Value> fields,
                        AllRows(txn, base, "CustomField", {schema::kOptionGroupNamePath}));
  return schema::DeriveCatalog(base, groups, fields);
}

}  // namespace kith::store
