// APIv3 parameters that are not fields (shared/PROTOCOL.md C.2.2): which
// parameters are meta (options, return, sequential, chains, ...), the forms
// of `return`, the paging and sorting `options` with CiviCRM's checks, and
// the chained-call keys (C.2.6). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/row_sink.h"
#include "base/status.h"
#include "base/value.h"
#include "store/query.h"

namespace kith::entities::v3 {

// PHP's truthiness for flags sent as text: "", "0" and "false" are false.
bool Truthy(const Value& v);

// True for parameters that steer the call rather than name a field or
// filter (version, sequential, options, option.*, return, return.*, debug,
// chains, ...). Such parameters are never fields, filters or unknown fields.
bool IsMetaParam(const std::string& key, const Value& value);

// A chained call: api.<Entity>.<action>[.n] or api_<Entity>_<action> whose
// value is an object, a list or the number 1 (ChainSubscriber's rule).
struct ChainKey {
  std::string entity;  // as written ("Email", "group_contact")
  std::string action;  // "" when the key names none (the parent's action)
};
std::optional<ChainKey> ParseChainKey(const std::string& key, const Value& value);

// The fields asked for with `return` in any of its forms, in the order given:
//   return=a,b (spaces dropped)   return[]=a&return[]=b / ["a","b"]
//   return[a]=1&return[b]=1        return.a=1 (JSON callers)
std::vector<std::string> ReturnFields(const Value& params);

struct V3Options {
  int64_t limit = 25;   // 0: no limit
  int64_t offset = 0;
  std::string sort;     // as given ("last_name DESC, id")
  std::vector<std::string> match;  // options.match / options.match-mandatory
  bool match_mandatory = false;
  // A get's rows written here as they are read, where the entity's get can
  // (V3Rows::written); set by the get action from ApiCall::rows_out.
  AnswerRows* rows_out = nullptr;
};

// Reads options[...] and its older spellings (option.limit / option_limit,
// rowCount, offset, sort). kInvalidArgument for a limit or offset that is
// not a non-negative integer.
StatusOr<V3Options> ParseOptions(const Value& params);

// Resolves a sort key to a store path; std::nullopt when it is no sortable field.
using SortResolver = std::function<std::optional<std::string>(const std::string& key)>;

// "a DESC, b" -> order by. kInvalidArgument "invalid string in sort options"
// when the text contains SELECT, "Unknown field specified for sort. Cannot
// order by 'x'" for an unknown field or a malformed item.
StatusOr<std::vector<store::OrderBy>> ParseSort(const std::string& sort,
                                                const SortResolver& resolve);

// "GroupContact" -> "group_contact" (the <entity>_id alias of id).
std::string SnakeCase(const std::string& entity);

}  // namespace kith::entities::v3
