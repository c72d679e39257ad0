// 3.2 (v2) and APIv3 requests (wire/v3/v3_request.h,
// wire/v2/v2_request.h). By the first byte the input is the json= value of a
// Contact.get, of an entity=api3 multi-call, or a whole urlencoded form (q=,
// entity=, action=, json=, ...) read as both dialects read it. Properties:
// no crash, no exception, linear time; a request that parses has object
// params and names its calls within the limit.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "wire/common/form_params.h"
#include "wire/v2/v2_request.h"
#include "wire/v3/v3_request.h"

namespace {

void Check(const kith::StatusOr<kith::wire::v3::V3Request>& request, const kith::RequestLimits& limits) {
  using kith::fuzz::Fail;
  if (!request.ok()) return;
  if (!request->params.is_object()) Fail("v3 params are an object", request->params.dump());
  if (static_cast<int64_t>(request->calls.size()) > limits.max_multi_calls) {
    Fail("api3 calls within the limit");
  }
  for (const auto& call : request->calls) {
    if (!call.params.is_object()) Fail("api3 call params are an object", call.params.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kith;
  auto [mode, text] = fuzz::ModeAndText(data, size);
  RequestLimits limits = fuzz::SmallLimits();
  switch (mode % 3) {
    case 0: {
      Value form = {{"entity", "Contact"}, {"action", "get"}, {"json", std::string(text)}};
      Check(wire::v3::ParseV3Request(form, "", limits), limits);
      break;
    }
    case 1: {
      Value form = {{"entity", "api3"}, {"action", "call"}, {"json", std::string(text)}};
      Check(wire::v3::ParseV3Request(form, "", limits), limits);
      break;
    }
    default: {
      StatusOr<Value> form = wire::ParseRequestParams(text, "", "", limits);
      if (!form.ok()) break;
      std::string q = form->contains("q") && (*form)["q"].is_string() ? (*form)["q"].get<std::string>() : "";
      Check(wire::v3::ParseV3Request(*form, q, limits), limits);
      (void)wire::v3::WantsJson(*form);
      StatusOr<wire::v2::V2Request> v2 = wire::v2::ParseV2Request(*form, q, "");
      if (v2.ok() && !v2->params.is_object()) {
        fuzz::Fail("3.2 params are an object", v2->params.dump());
      }
      break;
    }
  }
  return 0;
}
