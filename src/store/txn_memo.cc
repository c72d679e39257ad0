#include "store/txn_memo.h"

#include "store/internal/sql_transaction.h"

namespace kith::store {

namespace {
internal::LookupMemo* MemoOf(Transaction& txn) {
  auto* t = dynamic_cast<internal::SqlTransaction*>(&txn);
  return t == nullptr ? nullptr : &t->memo();
}

bool KnownWithoutLinksIn(const internal::LookupMemo& memo, const schema::Catalog& catalog,
                         std::string_view entity, std::string_view field, int64_t id) {
  const schema::Entity* e = catalog.Find(entity);
  const schema::Field* f = e == nullptr ? nullptr : e->FindField(field);
  if (f == nullptr || f->fk_entity.empty() ||
      (!memo.links_unknown.empty() && memo.links_unknown.count(f->fk_entity) > 0)) {
    return false;
  }
  auto inserted = memo.inserted.find(f->fk_entity);
  if (inserted == memo.inserted.end() || !inserted->second.contains(id)) return false;
  // Made in a buffer kept per thread: "Email.contact_id" is too long for a
  // string's own room, and every email, phone and address written asks.
  thread_local std::string link_key;
  link_key.assign(e->name).append(1, '.').append(f->name);
  auto linked = memo.linked.find(link_key);
  return linked == memo.linked.end() || !linked->second.contains(id);
}
}  // namespace

const Value* Recall(Transaction& txn, const std::string& key) {
  internal::LookupMemo* memo = MemoOf(txn);
  if (memo == nullptr) return nullptr;
  auto it = memo->values.find(key);
  return it == memo->values.end() ? nullptr : &it->second;
}

void Remember(Transaction& txn, std::initializer_list<std::string_view> entities,
              const std::string& key, Value value) {
  internal::LookupMemo* memo = MemoOf(txn);
  if (memo == nullptr) return;
  auto [it, added] = memo->values.insert_or_assign(key, std::move(value));
  if (!added) return;  // still listed under its entities
  for (std::string_view e : entities) {
    // The same key remembered again and again (forgotten through another of
    // its entities each time) is listed once, not once per time.
    std::vector<std::string>& keys = memo->keys_by_tag[std::string(e)];
    if (keys.empty() || keys.back() != it->first) keys.push_back(it->first);
  }
}

bool KnownWithoutLinks(Transaction& txn, std::string_view entity, std::string_view field,
                       int64_t id) {
  internal::LookupMemo* memo = MemoOf(txn);
  if (memo == nullptr) return false;
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  // Asked again about the same row with nothing inserted or linked since.
  internal::LookupMemo::KnownAnswer& last = memo->last_known;
  if (last.valid && last.version == memo->links_version && last.id == id && last.catalog == catalog &&
      last.entity == entity && last.field == field) {
    return last.known;
  }
  bool known = KnownWithoutLinksIn(*memo, *catalog, entity, field, id);
  last.valid = true;
  last.known = known;
  last.version = memo->links_version;
  last.catalog = std::move(catalog);
  last.entity.assign(entity);
  last.field.assign(field);
  last.id = id;
  return known;
}

bool KnownToExist(Transaction& txn, std::string_view entity, int64_t id) {
  internal::LookupMemo* memo = MemoOf(txn);
  if (memo == nullptr) return false;
  auto it = memo->exists.find(entity);
  return it != memo->exists.end() && it->second.contains(id);
}

void NoteExists(Transaction& txn, std::string_view entity, int64_t id) {
  internal::LookupMemo* memo = MemoOf(txn);
  if (memo != nullptr) memo->exists[std::string(entity)].insert(id);
}

}  // namespace kith::store
