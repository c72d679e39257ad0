// What every 3.2-dialect (v2) action skips among its request fields.
#pragma once

#include <string>

namespace kith::entities {

// The request fields that are credentials or envelope switches (q, json,
// key, api_key, PHPSESSID, pass, fnName, version, debug, sequential,
// prettyprint, callback, entity, action): never data of the call.
bool IsV2EnvelopeParam(const std::string& key);

}  // namespace kith::entities
