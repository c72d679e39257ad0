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
// delete forgets them all); every row the transaction inserts is known to
// exist. A transaction of a store without a memo remembers nothing: Recall
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

}  // namespace kith::store
