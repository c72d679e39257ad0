// The envelope of CiviCRM 3.2's REST interface (shared/PROTOCOL.md C.1.4):
// what the v2 function returned, normalised as CRM_Utils_REST::output did,
// as JSON (json=1) or as XML in the ResultSet/Result layout — always
// well-formed (keys that are not XML names become <item key="...">).
#pragma once

#include <string>

#include "base/status.h"
#include "base/value.h"
#include "wire/common/text_rows.h"

namespace kith::wire::v2 {

// 3.2's normalisation: a scalar becomes {"is_error":0,"result":v}; a result
// with any nested value is left as it is; a flat one gets "is_error":0
// appended when missing.
Value NormalizeV2Result(Value result);

// The error body of a failed call: {"is_error":1,"error_message":...} plus
// "error_data" when the status carries it.
Value V2ErrorBody(const Status& status);

// The body of a REST-layer refusal (bad site key, no credentials, unknown
// function): {"error_message":...,"is_error":1}, in that order.
Value V2RestError(const std::string& message);

// Renders a normalised result. JSON: integer-keyed objects become lists (PHP's
// array_merge), and each ",{" starts a new line as 3.2 wrote it.
std::string RenderV2Json(const Value& normalized);
std::string RenderV2Xml(const Value& normalized);

// Rows of a get written as they are read (TextRows) as this dialect's
// answer holds them (a list in JSON, "\n,"-joined; XML), their ids under
// contact_id; and the text before and after one or more of them: head +
// rows + tail is the answer with them in.
TextRows::Options RowsOptions(bool json);
void RowsFrame(bool json, std::string& head, std::string& tail);

}  // namespace kith::wire::v2
