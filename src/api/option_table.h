// The option groups' values (label, name, value) kept in memory across
// transactions, so that a get that answers an option's label beside its id
// looks it up here instead of joining two tables per option field.
//
// A table serves a transaction only when the store vouches that the option
// rows are the ones it was read from: the store counts every change to
// OptionGroup and OptionValue rows, whichever process makes it
// (Transaction::ChangeCount), and a table is kept with the count and the
// catalog it was read at. Otherwise (no count, or the transaction wrote
// options itself) there is no table: ask the database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "schema/schema.h"
#include "store/store.h"

namespace kith::api {

class OptionTable {
 public:
  struct Option {
    std::optional<std::string> label;  // nullopt: NULL
    std::optional<std::string> name;
  };

  // The options of one group, by one key column (`value` or `name`).
  class Keyed {
   public:
    // The option whose key is `text`, compared as the store compares its
    // text (ASCII letters in either case); nullptr when none. Only for a
    // `text` of ASCII bytes: others may compare otherwise (PostgreSQL folds
    // other letters too).
    const Option* Find(std::string_view text, std::string& scratch) const;

   private:
    friend class OptionTable;
    std::unordered_map<std::string, Option> by_key_;  // key in ASCII lower case
  };

  // The options of `group` (as the schema names it) by `key_column`
  // ("value" or "name"), when looking one up here answers what the
  // database would: the group's keys are ASCII text, distinct in either
  // case (a group with no options, or none, has no option either way).
  // nullptr otherwise: ask the database.
  const Keyed* Find(std::string_view group, std::string_view key_column) const;

  // Reads every option `txn` sees.
  static StatusOr<std::shared_ptr<const OptionTable>> Read(store::Transaction& txn);

 private:
  // By group name in ASCII lower case; a group whose keys a Keyed cannot
  // answer for has none.
  std::unordered_map<std::string, Keyed> by_value_;
  std::unordered_map<std::string, Keyed> by_name_;
  std::unordered_map<std::string, bool> unanswerable_;  // "value:<group>" / "name:<group>"
};

// The options as `txn` sees them: kept from an earlier transaction of the
// same catalog with the same option change count, or read now and kept.
// nullptr when the store cannot vouch for a kept table (see above).
StatusOr<std::shared_ptr<const OptionTable>> OptionTableFor(store::Transaction& txn);

}  // namespace kith::api
