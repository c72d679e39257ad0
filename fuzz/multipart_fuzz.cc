// multipart/form-data bodies (wire/common/form_params.h). The input's first
// line is the Content-Type's parameters (e.g. `boundary=XyZ`), the rest the
// body. Properties: no crash, no exception, linear time; a body that parses
// gives an object of string leaves.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "wire/common/form_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kith;
  std::string_view text = fuzz::AsText(data, size);
  size_t nl = text.find('\n');
  std::string_view params = nl == std::string_view::npos ? text : text.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  std::string content_type = "multipart/form-data; " + std::string(params);
  StatusOr<Value> parsed = wire::ParseRequestParams("", content_type, body, fuzz::SmallLimits());
  if (!parsed.ok()) return 0;
  if (!parsed->is_object()) fuzz::Fail("parameters are an object", parsed->dump());
  return 0;
}
