// Versioned schema migrations. Each migration creates the tables of the
// entities it introduces (DDL generated from their schema description) and
// seeds their reference data; the store records the applied version and
// applies the missing ones, in order, at start.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "schema/schema.h"
#include "store/store.h"

namespace kith::store {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> new_entities;  // tables to create, in order
  // Data to load after the tables exist (runs in the same transaction).
  std::function<Status(Transaction&)> seed;
  // Columns (entity, field) added to an existing table. A database created
  // after the field joined the schema has it from its CREATE TABLE already,
  // so only a missing column is added.
  std::vector<std::pair<std::string, std::string>> new_columns = {};
  // Entities of existing tables whose schema gained indexes: each declared
  // index is created when missing.
  std::vector<std::string> new_indexes = {};
  // Entities of existing tables whose sparse indexes (schema sparse_indexes,
  // optional links) were made as plain ones: dropped and made again.
  std::vector<std::string> sparse_indexes = {};
  // Entities of existing tables whose indexes over text columns index, on
  // PostgreSQL, the column's lowered text (were: the citext column).
  std::vector<std::string> key_indexes = {};
  // Entities of existing tables whose optional unique columns were, on
  // PostgreSQL, UNIQUE constraints: now unique indexes of only the rows
  // that have a value (internal::BuildUniqueWhereSetIndexes).
  std::vector<std::string> unique_where_set = {};
  // Entities of existing tables whose links to the row owning them or to
  // another of their rows are, on PostgreSQL, checked and followed by kith's
  // store instead of a foreign key (internal::OwnerCheckedByStore,
  // internal::SelfLinkCheckedByStore): the foreign key is dropped.
  std::vector<std::string> store_checked_links = {};
};

// Every migration, in version order.
const std::vector<Migration>& AllMigrations();

}  // namespace kith::store
