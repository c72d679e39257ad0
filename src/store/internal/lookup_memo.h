// The lookup memo of a store transaction (store/txn_memo.h), shared by the
// SQL backends: their transactions (SqlTransaction) keep one and report
// their writes to it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/name_hash.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/id_set.h"
#include "base/value_members.h"

namespace kith::store::internal {

struct LookupMemo {
  LookupMemo() = default;
  LookupMemo(const LookupMemo&) = delete;  // it points into its own maps
  LookupMemo& operator=(const LookupMemo&) = delete;

  // Keyed by name with NameHash (found without making a std::string).
  template <typename V>
  using ByName = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;
  ByName<Value> values;
  // Entity -> the keys of `values` derived from it: a write forgets only
  // those (a contact's insert keeps the option labels every contact needs).
  // A key may linger here after it was forgotten; erasing it again is harmless.
  ByName<std::vector<std::string>> keys_by_tag;
  ByName<IdSet> exists;
  // Rows this transaction inserted (entity -> ids), and the ids each linking
  // column (entity, field) was written with since: an inserted row that no
  // written link names has no linked rows (it is new; a row naming it needed
  // a write that named it). `links_unknown`: a link was written in a form not
  // understood here, so nothing is known about that target entity.
  ByName<IdSet> inserted;
  ByName<IdSet> linked;  // key: entity + '.' + field
  std::unordered_set<std::string, NameHash, std::equal_to<>> links_unknown;
  // Counts the changes to `inserted`, `linked` and `links_unknown`: an
  // answer worked out from them holds while it stays the same.
  uint64_t links_version = 0;
  // The last KnownWithoutLinks answer (a contact's email asks three times
  // over before it is written), with what it was asked about.
  struct KnownAnswer {
    bool valid = false;
    bool known = false;
    uint64_t version = 0;
    std::shared_ptr<const schema::Catalog> catalog;  // held: its address is not reused
    std::string entity;
    std::string field;
    int64_t id = 0;
  };
  KnownAnswer last_known;

  void Wrote(std::string_view entity) {
    if (keys_by_tag.empty()) return;
    auto it = keys_by_tag.find(entity);
    if (it == keys_by_tag.end() || it->second.empty()) return;
    for (const std::string& key : it->second) values.erase(key);
    // Emptied, not erased: a bulk write remembers a value under the same
    // entity after each row it writes (a contact's settled names), and the
    // entry's node and room are then used again.
    it->second.clear();
  }
  // A row of `entity` was written with `row`'s columns: notes the links.
  void Linked(const schema::Entity& entity, const Value& row) {
    ++links_version;
    for (const auto& [name, v] : row.items()) {
      if (v.is_null()) continue;
      const schema::Field* f = entity.FindField(name);
      if (f == nullptr || f->fk_entity.empty()) continue;
      if (v.is_number_integer()) {
        linked[entity.name + "." + f->name].insert(v.get<int64_t>());
      } else {
        links_unknown.insert(f->fk_entity);
      }
    }
  }
  // Row `id` of `entity` was inserted with `row`'s columns; `fields`, when
  // given, are their fields in order (a bulk write's plan found them once).
  void Inserted(const schema::Entity& entity, int64_t id, const Value& row,
                const std::vector<const schema::Field*>* fields = nullptr) {
    Wrote(entity.name);
    ++links_version;
    if (fields == nullptr || fields->size() != row.size()) {
      exists[entity.name].insert(id);
      inserted[entity.name].insert(id);
      Linked(entity, row);
      return;
    }
    EntitySets& sets = SetsOf(entity.name);
    sets.exists->insert(id);
    sets.inserted->insert(id);
    size_t i = 0;
    for (const auto& [name, v] : Members(row)) {
      const schema::Field* f = (*fields)[i++];
      if (f->fk_entity.empty() || v.is_null()) continue;
      if (v.is_number_integer()) {
        LinkedSet(sets, entity.name, f->name).insert(v.get<int64_t>());
      } else {
        links_unknown.insert(f->fk_entity);
      }
    }
  }
  // A row of `entity` was updated with `changes`.
  void Updated(const schema::Entity& entity, const Value& changes) {
    Wrote(entity.name);
    Linked(entity, changes);
  }
  void Clear() {
    values.clear();
    keys_by_tag.clear();
    exists.clear();
    inserted.clear();
    linked.clear();
    links_unknown.clear();
    ++links_version;
    last_known = {};
    recent_ = {};
  }

 private:
  // The sets of an entity a bulk write inserts into (a contact, its email,
  // in turn), found by comparing its name rather than hashing it into three
  // maps per row: the maps' nodes keep their addresses until Clear().
  struct EntitySets {
    std::string name;
    IdSet* exists = nullptr;
    IdSet* inserted = nullptr;
    std::vector<std::pair<std::string, IdSet*>> linked;  // by field name
  };
  EntitySets& SetsOf(const std::string& entity) {
    for (EntitySets& s : recent_) {
      if (s.exists != nullptr && s.name == entity) return s;
    }
    EntitySets& s = recent_[next_recent_++ % recent_.size()];
    s = {entity, &exists[entity], &inserted[entity], {}};
    return s;
  }
  IdSet& LinkedSet(EntitySets& sets, const std::string& entity, const std::string& field) {
    for (auto& [name, set] : sets.linked) {
      if (name == field) return *set;
    }
    std::string key = entity + '.' + field;
    IdSet* set = &linked[key];
    sets.linked.emplace_back(field, set);
    return *set;
  }

  std::array<EntitySets, 4> recent_;
  size_t next_recent_ = 0;
};

}  // namespace kith::store::internal
