// Parsing of an APIv3 REST request (shared/PROTOCOL.md C.2.1-C.2.2): which
// entity and action it names (entity=/action=, or q=civicrm/<entity>/<action>),
// its parameters (json={...} decoded first, every other form field layered on
// top, as CRM_Utils_REST::buildParamList does), the reply format and the
// credentials it carries; and the entity=api3 form that carries several calls.
// Names are normalised as CiviCRM normalises them; whether they exist is for
// the API to say. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/request_limits.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::wire::v3 {

// One call of an entity=api3 request: {"name": [entity, action, {params}]}.
struct V3SubCall {
  std::string name;    // the key the answer is filed under
  std::string entity;  // normalised (V3EntityName)
  std::string action;  // normalised (V3ActionName)
  Value params = Value::object();
};

struct V3Request {
  std::string entity;  // normalised; "" when missing
  std::string action;  // normalised; "" when missing
  Value params = Value::object();  // without q, json, key, api_key, entity, action
  bool json = false;         // answer in JSON (json= non-empty and not "0"), else XML
  bool pretty = false;       // prettyprint=1
  std::string site_key;      // key=
  std::string api_key;       // api_key=
  bool multi = false;        // entity=api3: `calls` holds the calls
  std::vector<V3SubCall> calls;
};

// CiviCRM's entity-name normalisation: runs of characters other than
// letters, digits and '_' become '_', then each '_'-separated part gets an
// upper-case first letter: "contact" -> "Contact", "group_contact" ->
// "GroupContact". The rest of each part is kept ("CONTACT" stays "CONTACT").
std::string V3EntityName(std::string_view raw);

// Actions are munged and lower-cased: "Get" and "GET" are "get".
std::string V3ActionName(std::string_view raw);

// Parses `form` (the request's parameters, wire/common/form_params.h).
// `q_function` is the q= path when the call came as q=civicrm/<e>/<a> ("" otherwise).
// Errors (kInvalidArgument): "Unable to decode supplied JSON." when json=
// starts with '{' (or, for api3, '{' or '[') but is not a JSON object/list;
// "Invalid api3 call: <name>" for a malformed entry of an api3 request;
// json= nested deeper than limits.max_nesting_depth. TooLarge: a JSON object
// of more than limits.max_parameters members, an api3 request of more than
// limits.max_multi_calls calls.
StatusOr<V3Request> ParseV3Request(const Value& form, std::string_view q_function,
                                   const RequestLimits& limits = RequestLimits());

// True when a json= value asks for a JSON answer (non-empty, not "0").
bool WantsJson(const Value& form);

// Whether a get's answer lists its values (sequential=) rather than keying
// them by id, for the parameter's usual spellings (absent, 0, 1, "", "0",
// "1", false, true); nullopt for any other, which the action alone reads.
std::optional<bool> WantsSequential(const Value& params);

}  // namespace kith::wire::v3
