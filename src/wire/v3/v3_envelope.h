// The envelopes of APIv3 REST (shared/PROTOCOL.md C.2.4): a call's result
// normalised as CRM_Utils_REST::output normalises it, rendered as JSON
// (json=...) or as XML in CiviCRM's ResultSet/Result layout, and the error
// bodies. Values arrive as the API built them (strings, \x01-padded
// multi-values); this layer only renders:
//   JSON: keys in the order given; multi-value strings ("\x01a\x01b\x01")
//         become arrays, as _civicrm_api3_separate_values does;
//   XML:  CiviCRM's opening text and indentation; one <Result> per entry of
//         `values` when the result is hierarchical, else one <Result> with
//         every key; always well-formed (kith's decision A.4): keys that are
//         not XML names and list entries render as <item key="..">, errors
//         always as one flat <Result>, multi-values joined with ','.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "base/status.h"
#include "base/value.h"
#include "wire/common/text_rows.h"

namespace kith::wire::v3 {

// Content types as CiviCRM's endpoints send them.
inline constexpr char kJsonType[] = "application/json";
inline constexpr char kExternXmlType[] = "text/xml;charset=UTF-8";
inline constexpr char kAjaxXmlType[] = "text/html; charset=UTF-8";
inline constexpr char kAuthxErrorType[] = "text/javascript;charset=UTF-8";

// REST output()'s normalisation of what the API returned: a scalar becomes
// {"is_error":0,"result":v} (false, null, "" and 0 as 0); a flat object
// without is_error gets "is_error":0 appended; anything else is unchanged.
Value NormalizeV3Result(Value result);

// The body of a failed call (Kernel::formatApiException): the status's
// details other than error_code first, then error_code (0 when none),
// entity, action, is_error 1, error_message.
Value V3ErrorBody(const Status& status, const std::string& entity, const std::string& action);

// The body of a refusal before any API call (bad key, missing entity):
// {"error_message":...,"is_error":1}.
Value V3RestError(const std::string& message);

// Renders a normalised body.
std::string RenderV3Json(const Value& body, bool pretty = false);
std::string RenderV3Xml(const Value& body);

// Rows written as they are read (TextRows) in the form this dialect's
// answer holds them: JSON keyed by id (a list with `sequential`), or XML.
TextRows::Options RowsOptions(bool json, bool sequential);

// The text of a normalised `body` before and after its rows, when its
// "values" is an empty object or list standing for rows written apart
// (RowsOptions): head + rows + tail is the answer with them in.
Status RowsFrame(const Value& body, bool json, std::string& head, std::string& tail);

// The same frame put around `rows` (the rows' text) in place: `rows`
// becomes the whole answer; unchanged on an error.
Status FrameRows(const Value& body, bool json, std::string& rows);

// True when `body` says is_error (1 or true).
bool IsV3Error(const Value& body);

}  // namespace kith::wire::v3
