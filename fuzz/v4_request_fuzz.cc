// APIv4 requests (wire/v4/v4_request.h): the input is, by its first byte,
// a JSON body on /Contact/get, a urlencoded body (params=, calls=, index=) on
// the multi-call path or a single call, or an authx credential. Properties:
// no crash, no exception, linear time; JSON parsed within the nesting limit;
// a request that parses has calls with an entity, an action and object params.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json_parse.h"
#include "fuzz/fuzz_support.h"
#include "wire/v4/v4_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kith;
  auto [mode, text] = fuzz::ModeAndText(data, size);
  RequestLimits limits = fuzz::SmallLimits();
  StatusOr<Value> json = wire::v4::ParseJsonParam(text, "params", limits);
  if (json.ok() && fuzz::Depth(*json) > limits.max_nesting_depth + 1) {
    fuzz::Fail("JSON nests within the limit", json->dump());
  }

  wire::v4::V4RawRequest raw;
  switch (mode % 4) {
    case 0:
      raw.path_tail = "/Contact/get";
      raw.content_type = "application/json";
      raw.body = text;
      break;
    case 1:
      raw.path_tail = "";
      raw.content_type = "application/x-www-form-urlencoded";
      raw.body = text;
      break;
    case 2:
      raw.path_tail = "/Contact/get";
      raw.query = text;
      break;
    default:
      raw.path_tail = "/Contact/get";
      raw.x_civi_auth = text;
      raw.authorization = text;
      raw.cookie = text;
      break;
  }
  StatusOr<wire::v4::V4Request> request = wire::v4::ParseV4Request(raw, limits);
  (void)wire::v4::ParseCredential(text, "header");
  if (!request.ok()) return 0;
  if (!request->multi && request->calls.size() != 1) fuzz::Fail("a single call is one call");
  if (static_cast<int64_t>(request->calls.size()) > limits.max_multi_calls) {
    fuzz::Fail("calls within the multi-call limit");
  }
  for (const auto& [name, call] : request->calls) {
    if (!call.params.is_object()) fuzz::Fail("params are an object", call.params.dump());
    if (call.entity.empty() || call.action.empty()) fuzz::Fail("a call names entity and action", name);
  }
  return 0;
}
