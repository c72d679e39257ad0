#include "store/internal/sql_transaction.h"

#include <charconv>

#include "base/error_details.h"
#include "base/request_record.h"

namespace kith::store::internal {

int ChangeCounterOf(std::string_view entity) {
  for (const CountedEntity& c : kCountedEntities) {
    if (entity != c.entity) continue;
    for (size_t i = 0; i < kChangeCounterCount; ++i) {
      if (std::string_view(kChangeCounters[i]) == c.counter) return static_cast<int>(i);
    }
  }
  return -1;
}

std::string_view ChangeCounterColumn(std::string_view counter) {
  for (size_t i = 0; i < kChangeCounterCount; ++i) {
    if (counter == kChangeCounters[i]) return kChangeCounterColumns[i];
  }
  return {};
}

const std::string& ReadVersionsSql() {
  static const std::string sql = [] {
    std::string s = std::string("SELECT ") + kVersionsCatalog;
    for (const char* column : kChangeCounterColumns) s += std::string(", ") + column;
    return s + " FROM " + kVersionsTable;
  }();
  return sql;
}

const std::string& BumpCatalogVersionSql() {
  static const std::string sql = std::string("UPDATE ") + kVersionsTable + " SET " +
                                 kVersionsCatalog + " = " + kVersionsCatalog + " + 1 RETURNING " +
                                 kVersionsCatalog;
  return sql;
}

std::vector<std::string> CreateVersionsSql(std::string_view integer) {
  std::string columns = std::string(kVersionsCatalog) + " " + std::string(integer) + " NOT NULL";
  std::string zeros = "0";
  for (const char* column : kChangeCounterColumns) {
    columns += std::string(", ") + column + " " + std::string(integer) + " NOT NULL";
    zeros += ", 0";
  }
  return {std::string("CREATE TABLE IF NOT EXISTS ") + kVersionsTable + " (" + columns + ")",
          std::string("INSERT INTO ") + kVersionsTable + " SELECT " + zeros +
              " WHERE NOT EXISTS (SELECT 1 FROM " + kVersionsTable + ")"};
}

void SqlTransaction::NoteEnded() {
  if (ended_) return;
  ended_ = true;
  NoteTransaction(std::chrono::steady_clock::now() - began_);
}

StatusOr<const schema::Entity*> SqlTransaction::Find(std::string_view entity) const {
  const schema::Entity* e = catalog()->Find(entity);
  if (e == nullptr) return InvalidArgument("Unknown entity: " + std::string(entity));
  return e;
}

StatusOr<const schema::Field*> SqlTransaction::FindField(const schema::Entity& entity,
                                                         std::string_view field) const {
  const schema::Field* f = entity.FindField(field);
  if (f == nullptr || f->name == "id") {
    return InvalidArgument("Unknown field: " + entity.name + "." + std::string(field));
  }
  return f;
}

namespace {

// The id a link field's value names: an integer, or a text of one; nullopt
// for anything else.
std::optional<int64_t> LinkedId(const Value& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return std::nullopt;
  int64_t parsed = 0;
  const std::string& text = v.get_ref<const std::string&>();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec == std::errc() && end == text.data() + text.size()) return parsed;
  return std::nullopt;
}

}  // namespace

StatusOr<int64_t> SqlTransaction::CountById(const std::string& entity, int64_t id) {
  Query q;
  q.entity = entity;
  q.select = {"id"};
  q.where = Condition::Leaf("id", Op::kEq, id);
  return Count(q);
}

Status SqlTransaction::CheckReferenceLinks(const schema::Entity& e, const Value& row) {
  for (const schema::Field& f : e.fields) {
    if (f.fk_entity.empty() || f.required) continue;  // most fields, before any lookup
    const schema::Entity* target = ReferenceTarget(*catalog(), f);
    if (target == nullptr) continue;
    auto v = row.find(f.name);  // a row's fields are searched in order: last
    if (v == row.end() || v->is_null()) continue;
    std::optional<int64_t> id = LinkedId(*v);
    if (id && memo_.exists[target->name].contains(*id)) continue;
    int64_t found = 0;
    if (id) {
      KITH_ASSIGN_OR_RETURN(found, CountById(target->name, *id));
    }
    if (found == 0) {
      return InvalidArgument(f.name + " is not valid: " + v->dump(),
                             {{"error_code", 2001}, {"error_field", f.name}});
    }
    memo_.exists[target->name].insert(*id);
  }
  return Status();
}

Status SqlTransaction::CheckStoreCheckedLinks(const schema::Entity& e, const Value& row) {
  for (const schema::Field& f : e.fields) {
    if (f.fk_entity.empty()) continue;  // most fields, before any lookup
    const schema::Entity* owner = nullptr;
    if (f.required) {
      owner = OwnerCheckedByStore(*catalog(), e, f);
    } else if (f.fk_entity == e.name && SelfLinkCheckedByStore(e, f)) {
      owner = &e;
    }
    if (owner == nullptr) continue;
    auto v = row.find(f.name);
    if (v == row.end() || v->is_null()) continue;
    std::optional<int64_t> id = LinkedId(*v);
    if (!id) continue;  // not a number: the column's type refuses it
    // A row inserted with its own id linking to itself: the foreign key,
    // checked after the insert, found it.
    if (owner == &e) {
      auto own = row.find("id");
      if (own != row.end() && own->is_number_integer() && own->get<int64_t>() == *id) continue;
    }
    if (memo_.exists[owner->name].contains(*id)) continue;
    KITH_ASSIGN_OR_RETURN(int64_t found, CountById(owner->name, *id));
    if (found == 0) return InvalidArgument("a linked record does not exist");
    memo_.exists[owner->name].insert(*id);
  }
  return Status();
}

Status SqlTransaction::CreateTable(std::string_view entity) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  return RunDdl(BuildCreateTable(*catalog(), *e, dialect()));
}

Status SqlTransaction::AddColumn(std::string_view entity, std::string_view field) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(const schema::Field* f, FindField(*e, field));
  return RunDdl(BuildAddColumn(*e, *f, dialect()));
}

Status SqlTransaction::DropColumn(std::string_view entity, std::string_view field) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(const schema::Field* f, FindField(*e, field));
  return RunDdl(BuildDropColumn(*e, *f, dialect()));
}

Status SqlTransaction::DropTable(std::string_view entity) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  return RunDdl(BuildDropTable(*e, dialect()));
}

Status SqlTransaction::SyncIndexes(std::string_view entity, std::string_view field) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(const schema::Field* f, FindField(*e, field));
  return RunDdl(BuildSyncIndexes(*e, *f, dialect()));
}

}  // namespace kith::store::internal
