// A memo of lookups that lives inside one store transaction, for write rules
// that look up the same reference rows for every record of a call (a
// contact's default greetings, a location type, that a linked id exists).
// A call that saves 1,000 contacts then asks the database once, not 1,000
// times.
//
// Contract: what is remembered under `entities` is forgotten as soon as the
// transaction writes to any of them (insert, update, delete), changes the
// schema, or rolls back to a savepoint; it dies with the transaction. So a
// memo never outlives the rows it was derived from, whichever code path
// writes them. Existence facts ("Contact 12 exists") are kept until the
// transaction deletes a row of that entity (a delete may cascade, so any
// delete forgets everything); every row the transaction inserts is known to
// exist, and known to have no linked rows until the transaction writes a row
// naming it (KnownWithoutLinks). A transaction of a store without a memo remembers nothing: Recall
// then always misses and callers ask the database, as they would anyway.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/value.h"
#include "store/store.h"

namespace kith::store {

// The value remembered under `key` in `txn`, or nullptr.
const Value* Recall(Transaction& txn, const std::string& key);

// Remembers `value` under `key` until `txn` writes to one of `entities`.
void Remember(Transaction& txn, std::initializer_list<std::string_view> entities,
              const std::string& key, Value value);

// Whether `txn` knows that row `id` of `entity` exists (it inserted it, or a
// caller noted it with NoteExists since the last delete).
bool KnownToExist(Transaction& txn, std::string_view entity, int64_t id);
void NoteExists(Transaction& txn, std::string_view entity, int64_t id);

// Whether `txn` knows that no row of `entity` has `field` (a link to another
// entity, schema fk_entity) equal to `id`: row `id` of the linked entity was
// inserted by this transaction, and no row of `entity` written since names it
// in `field`. (A new row can have no linked rows yet: the links are foreign
// keys and ids are not reused.) False when not known: ask the database.
bool KnownWithoutLinks(Transaction& txn, std::string_view entity, std::string_view field,
                       int64_t id);

}  // namespace kith::store
