// Parsing of request parameters as PHP builds $_GET/$_POST, because every
// CiviCRM client was written against PHP's rules:
//   - application/x-www-form-urlencoded pairs, '+' as space, %XX decoding;
//   - bracket names build nested objects: a[b][c]=1 -> {"a":{"b":{"c":"1"}}},
//     a[]=x appends with the next integer key ("0", "1", ...);
//   - in a top-level name, '.' and ' ' become '_' (PHP's mangling), and an
//     unbalanced '[' is taken literally as PHP does ("a[b" -> "a_b"; like
//     PHP 8, ' ', '.' and '[' after it become '_' too: "a[b.c" -> "a_b_c");
//     inside brackets nothing is mangled ("a[b.c]" keeps its dot);
//   - text after a closing ']' that is not '[' is ignored ("a[b]x" = "a[b]"),
//     and an unbalanced '[' after a first segment too ("a[b][c" = "a[b]");
//   - a later pair with the same name overwrites an earlier one; a string
//     overwritten by a bracketed name becomes an object;
//   - leading spaces of a name are dropped, names empty after that are
//     ignored, and a name is cut at its first NUL byte (PHP's C strings).
// All values are strings. Objects keep first-insertion key order.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/request_limits.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::wire {

// Splits and percent-decodes a urlencoded string into (name, value) pairs, in
// order. Errors: kInvalidArgument when a name or value is not valid UTF-8
// after decoding (message names the parameter), or on a malformed %-escape.
StatusOr<std::vector<std::pair<std::string, std::string>>> DecodeUrlEncoded(
    std::string_view encoded);

// Adds `pairs` to `params` (an object) with PHP's bracket and mangling rules.
// Errors: kInvalidArgument when brackets nest deeper than `max_nesting`.
Status MergePhpParams(const std::vector<std::pair<std::string, std::string>>& pairs,
                      Value& params, int64_t max_nesting = RequestLimits().max_nesting_depth);

// The parameters of a request as PHP's $_REQUEST would hold them for CiviCRM:
// the query string, then the body on top (body wins; nested objects merge
// recursively, as PHP merges $_GET and $_POST).
// `content_type` decides whether the body is parsed: its media type (case-
// insensitive, parameters such as charset ignored) must be
// application/x-www-form-urlencoded or multipart/form-data (text fields only;
// file parts are skipped; a malformed body is kInvalidArgument). Other bodies
// are left for the caller.
// `limits`: brackets nest at most max_nesting_depth levels (kInvalidArgument);
// query and body together hold at most max_parameters pairs (TooLarge,
// counted before anything is decoded).
StatusOr<Value> ParseRequestParams(std::string_view query, std::string_view content_type,
                                   std::string_view body,
                                   const RequestLimits& limits = RequestLimits());

// Cookie header "a=1; b=2" -> value of `name`, or "" when absent.
std::string CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace kith::wire
