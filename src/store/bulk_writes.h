// What a bulk write inside a longer transaction needs beyond store.h: an
// API call that saves thousands of records pipelines its inserts
// (Transaction::PipelineInserts) for itself alone, and answers with the
// rows it wrote without reading each one back.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/store.h"

namespace kith::store {

// Waits for the rows queued since PipelineInserts and inserts at once from
// then on, as before it (so that a savepoint around the bulk write can
// still undo it). The first queued row's failure, if one failed.
Status EndPipelinedInserts(Transaction& txn);

// How many calls since the transaction began had to wait for pipelined rows
// first (a read, an update): a bulk write whose rows each read is better off
// without pipelining, since every wait hands the connection between two
// threads. 0 for a store that does not pipeline on a thread of its own.
int64_t InsertWaits(Transaction& txn);

// The value a read of `field`'s column gives back once `written` is stored
// in it (store.h's rows: integers and flags as integers, numbers as
// doubles, texts as written; a null flag its default). std::nullopt when a
// store would turn it into something of its own (a number written to a text
// column is text as SQLite formats it).
std::optional<Value> ReadBack(const schema::Field& field, const Value& written);

}  // namespace kith::store
