#include "store/internal/sql_transaction.h"

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

const std::string& ReadVersionsSql() {
  static const std::string sql = [] {
    std::string s = "SELECT version";
    for (const char* counter : kChangeCounters) {
      s += std::string(", (SELECT count FROM kith_change_count WHERE entity = '") + counter + "')";
    }
    return s + " FROM kith_catalog_version";
  }();
  return sql;
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
