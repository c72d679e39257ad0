// The form/bracket parameter parser (wire/common/form_params.h): a query
// string, or a urlencoded body on top of one. Properties: no crash, no
// exception, linear time (libFuzzer's -timeout); a query parses as the same
// text sent as a form body does (the one-pass path against the general
// one); a parse that succeeds gives an object nested no deeper than the
// limit, with string leaves only.
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "wire/common/form_params.h"

namespace {

bool StringLeaves(const kith::Value& v) {
  if (v.is_string()) return true;
  if (!v.is_object()) return false;
  for (const auto& child : v) {
    if (!StringLeaves(child)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kith;
  auto [mode, text] = fuzz::ModeAndText(data, size);
  // Mode bit 0: the input is a body under the query "a[b]=1&c=2"; else the query.
  bool body = (mode & 1) != 0;
  RequestLimits limits = fuzz::SmallLimits();
  StatusOr<Value> params =
      body ? wire::ParseRequestParams("a[b]=1&c=2", "application/x-www-form-urlencoded", text, limits)
           : wire::ParseRequestParams(text, "", "", limits);
  if (!body) {
    // A query of plain names takes a one-pass path of its own; the same text
    // as a form body takes the general one, which must agree with it.
    StatusOr<Value> general =
        wire::ParseRequestParams("", "application/x-www-form-urlencoded", text, limits);
    if (params.ok() != general.ok()) {
      fuzz::Fail("a query and the same text as a body are both accepted or both refused",
                 params.ok() ? params->dump() : general->dump());
    }
    if (params.ok() && *params != *general) {
      fuzz::Fail("a query and the same text as a body give the same parameters",
                 params->dump() + " / " + general->dump());
    }
  }
  if (!params.ok()) return 0;
  if (!params->is_object()) fuzz::Fail("parameters are an object", params->dump());
  // The root object counts as no level; each bracket adds one.
  if (fuzz::Depth(*params) > limits.max_nesting_depth + 1) {
    fuzz::Fail("brackets nest within the limit", params->dump());
  }
  if (!StringLeaves(*params)) fuzz::Fail("every value is a string", params->dump());
  // Merging the same pairs again into the result keeps it an object.
  StatusOr<std::vector<std::pair<std::string, std::string>>> pairs = wire::DecodeUrlEncoded(text);
  if (pairs.ok()) {
    Value again = *params;
    (void)wire::MergePhpParams(*pairs, again, limits.max_nesting_depth);
    if (!again.is_object()) fuzz::Fail("merged parameters are an object", again.dump());
  }
  (void)wire::CookieValue(text, "PHPSESSID");
  return 0;
}
