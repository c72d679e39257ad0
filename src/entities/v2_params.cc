#include "entities/v2_params.h"

#include <set>

namespace kith::entities {

bool IsV2EnvelopeParam(const std::string& key) {
  static const std::set<std::string> envelope = {
      "q",       "json",  "key",        "api_key",     "PHPSESSID", "pass",   "fnName",
      "version", "debug", "sequential", "prettyprint", "callback",  "entity", "action"};
  return envelope.count(key) > 0;
}

}  // namespace kith::entities
