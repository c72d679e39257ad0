// Value: the dynamic, order-preserving document type of kith's API core.
// Request parameters, result rows and envelopes are all Values; CiviCRM's
// answers have a meaningful key order, so objects keep insertion order.
#pragma once

#include <nlohmann/json.hpp>

namespace kith {

using Value = nlohmann::ordered_json;

}  // namespace kith
