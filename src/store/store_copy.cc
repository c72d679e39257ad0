#include "store/store_copy.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "base/error_details.h"
#include "store/postgres/pg_store.h"

namespace kith::store {
namespace {

// Rows read from the source at a time (a table of a million contacts is
// not held in memory whole).
constexpr int64_t kPage = 5000;

// A link set only after every table is copied: it points to a row that
// may not be there yet (of its own table, or of a later one in a cycle).
struct LaterLink {
  std::string entity;
  int64_t id;
  std::string field;
  Value value;
};

// The tables of `catalog` (not its views) other than the custom groups',
// each after the tables it links to (a cycle is broken in catalog order).
std::vector<const schema::Entity*> BuiltinTablesInLinkOrder(const schema::Catalog& catalog) {
  std::set<std::string> custom;
  for (const schema::CustomGroupInfo& g : catalog.custom_groups()) custom.insert(g.entity);
  std::vector<const schema::Entity*> pending;
  std::set<std::string> names;
  for (const auto& e : catalog.entities()) {
    if (!e->derived.empty() || custom.count(e->name) > 0) continue;
    pending.push_back(e.get());
    names.insert(e->name);
  }
  std::vector<const schema::Entity*> order;
  std::set<std::string> placed;
  auto ready = [&](const schema::Entity* e) {
    return std::all_of(e->fields.begin(), e->fields.end(), [&](const schema::Field& f) {
      return f.fk_entity.empty() || f.fk_entity == e->name || names.count(f.fk_entity) == 0 ||
             placed.count(f.fk_entity) > 0;
    });
  };
  while (!pending.empty()) {
    auto next = std::find_if(pending.begin(), pending.end(), ready);
    if (next == pending.end()) next = pending.begin();
    placed.insert((*next)->name);
    order.push_back(*next);
    pending.erase(next);
  }
  return order;
}

// Empties `entity`'s table in `to` (what migrations seeded there).
Status DeleteAll(Transaction& to, const schema::Entity& entity) {
  Query q;
  q.entity = entity.name;
  q.select = {"id"};
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, to.Select(q));
  for (const Value& row : rows) {
    Status s = to.Delete(entity.name, row["id"].get<int64_t>());
    // Gone already with a row it linked to (ON DELETE CASCADE).
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) return s;
  }
  return Status();
}

// Copies `entity`'s rows in id order, page by page. Links to rows of tables
// not in `copied` yet are left empty and queued in `later`.
StatusOr<int64_t> CopyRows(Transaction& from, Transaction& to, const schema::Entity& entity,
                           const std::set<std::string>& copied, std::vector<LaterLink>& later) {
  Query q;
  q.entity = entity.name;
  for (const schema::Field& f : entity.fields) q.select.push_back(f.name);
  q.order_by = {{"id", false}};
  q.limit = kPage;
  int64_t count = 0;
  for (int64_t last = 0;;) {
    q.where = Condition::Leaf("id", Op::kGt, last);
    KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, from.Select(q));
    for (Value& row : rows) {
      last = row["id"].get<int64_t>();
      for (const schema::Field& f : entity.fields) {
        if (f.fk_entity.empty() || f.required || copied.count(f.fk_entity) > 0) continue;
        Value& link = row[f.name];
        if (link.is_null()) continue;
        later.push_back({entity.name, last, f.name, std::move(link)});
        link = nullptr;
      }
      KITH_RETURN_IF_ERROR(to.Insert(entity.name, row).status());
    }
    count += static_cast<int64_t>(rows.size());
    if (static_cast<int64_t>(rows.size()) < kPage) return count;
  }
}

StatusOr<int64_t> CountRows(Transaction& txn, const std::string& entity) {
  Query q;
  q.entity = entity;
  return txn.Count(q);
}

}  // namespace

StatusOr<bool> DatabaseIsEmpty(const StoreOptions& options) {
  if (options.database_url.empty()) return InvalidArgument("only a PostgreSQL database can be checked");
  return postgres::DatabaseIsEmpty(options.database_url);
}

StatusOr<std::vector<TableCopy>> CopyStore(Store& from, Store& to) {
  std::vector<TableCopy> tables;
  {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> source, from.Begin(false));
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> target, to.Begin(true));
    std::shared_ptr<const schema::Catalog> catalog = source->catalog();
    std::vector<const schema::Entity*> order = BuiltinTablesInLinkOrder(*catalog);
    for (auto e = order.rbegin(); e != order.rend(); ++e) {
      KITH_RETURN_IF_ERROR(DeleteAll(*target, **e));
    }
    KITH_RETURN_IF_ERROR(target->PipelineInserts());
    std::set<std::string> copied;
    std::vector<LaterLink> later;
    auto copy = [&](const schema::Entity& entity) -> Status {
      KITH_ASSIGN_OR_RETURN(int64_t rows, CopyRows(*source, *target, entity, copied, later));
      copied.insert(entity.name);
      tables.push_back({entity.name, rows});
      return Status();
    };
    for (const schema::Entity* e : order) KITH_RETURN_IF_ERROR(copy(*e));
    // The custom groups' tables, as the copied groups and fields describe them.
    KITH_RETURN_IF_ERROR(target->ReloadCatalog());
    for (const schema::CustomGroupInfo& group : catalog->custom_groups()) {
      const schema::Entity* entity = catalog->Find(group.entity);
      if (entity == nullptr) return Internal("no schema for custom group " + group.name);
      KITH_RETURN_IF_ERROR(target->CreateTable(group.entity));
      KITH_RETURN_IF_ERROR(copy(*entity));
    }
    for (const LaterLink& link : later) {
      KITH_RETURN_IF_ERROR(target->Update(link.entity, link.id, Value{{link.field, link.value}}));
    }
    KITH_RETURN_IF_ERROR(target->Commit());
  }
  // Counted again, as each store now answers.
  KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> source, from.Begin(false));
  KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> target, to.Begin(false));
  for (const TableCopy& t : tables) {
    KITH_ASSIGN_OR_RETURN(int64_t in_source, CountRows(*source, t.entity));
    KITH_ASSIGN_OR_RETURN(int64_t in_target, CountRows(*target, t.entity));
    if (in_source != t.rows || in_target != t.rows) {
      return Internal(t.entity + ": " + std::to_string(in_source) + " rows in the source, " +
                      std::to_string(in_target) + " in the copy");
    }
  }
  return tables;
}

}  // namespace kith::store
