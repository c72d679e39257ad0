// XML rendering of API results in CiviCRM's ResultSet/Result layout, always
// well-formed (kith's decision A.4 in shared/PROTOCOL.md):
//   - text is escaped (&, <, >, and quotes), characters XML 1.0 forbids
//     (control characters other than tab/newline/CR) are dropped, except
//     CiviCRM's multi-value separator \x01, which renders as ',';
//   - an object key that is a valid XML name becomes the element name; any
//     other key (numeric ids, "0", names with spaces) becomes
//     <item key="...">...</item>;
//   - arrays render each entry as <item key="N">...</item>;
//   - null and false render as an empty element, true as 1, numbers as text.
// Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

#include "base/value.h"

namespace kith::wire {

// Escapes text content/attribute values as described above.
std::string XmlEscape(std::string_view text);

// True when `name` can be an XML element name as-is (ASCII letters, digits,
// '_', '-', '.', not starting with a digit, '-' or '.', not "xml"-prefixed).
bool IsXmlName(std::string_view name);

// Appends the children of `value` (an object or array) at `depth`, using
// CiviCRM's indentation of 4 spaces per depth level and one line per leaf.
void AppendXmlChildren(const Value& value, int depth, std::string& out);

}  // namespace kith::wire
