#include "wire/common/json_writer.h"

namespace kith::wire {
namespace {

std::string Dump(const Value& v, int indent) {
  try {
    return v.dump(indent, ' ', /*ensure_ascii=*/false, Value::error_handler_t::replace);
  } catch (...) {
    // Only allocation failure can get here; a JSON null is the least bad answer.
    return "null";
  }
}

}  // namespace

std::string ToJson(const Value& v) { return Dump(v, -1); }

std::string ToJsonPretty(const Value& v) { return Dump(v, 4); }

}  // namespace kith::wire
