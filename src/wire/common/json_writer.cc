#include "wire/common/json_writer.h"

#include <array>
#include <charconv>
#include <cstring>
#include <cstdint>

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

// Bytes a JSON string writes as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

void AppendString(std::string& out, const std::string& s) {
  // The usual case, printable ASCII with nothing to escape, as it is (one
  // table lookup a byte, one append); the rest (escapes, UTF-8 checked and
  // repaired) by nlohmann's serializer.
  for (unsigned char c : s) {
    if (!kPlain[c]) {
      out += Dump(Value(s), -1);
      return;
    }
  }
  const size_t at = out.size();
  out.resize(at + s.size() + 2);
  char* p = out.data() + at;
  *p++ = '"';
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '"';
}

template <typename Number>
void AppendNumber(std::string& out, Number n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// The compact form written straight into one string: nlohmann's dump spends
// most of its time on strings a character at a time (a sixth of an APIv4
// get's own work); the output is the same byte for byte.
void Append(std::string& out, const Value& v, StringValueWriter strings) {
  switch (v.type()) {
    case Value::value_t::null:
      out += "null";
      return;
    case Value::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Value::value_t::number_integer:
      AppendNumber(out, v.get<int64_t>());
      return;
    case Value::value_t::number_unsigned:
      AppendNumber(out, v.get<uint64_t>());
      return;
    case Value::value_t::string:
      if (strings == nullptr || !strings(out, v.get_ref<const std::string&>())) {
        AppendString(out, v.get_ref<const std::string&>());
      }
      return;
    case Value::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.items()) {
        if (!first) out += ',';
        first = false;
        AppendString(out, key);
        out += ':';
        Append(out, member, strings);
      }
      out += '}';
      return;
    }
    case Value::value_t::array: {
      out += '[';
      bool first = true;
      for (const Value& element : v) {
        if (!first) out += ',';
        first = false;
        Append(out, element, strings);
      }
      out += ']';
      return;
    }
    default:  // doubles (their shortest form), binary
      out += Dump(v, -1);
      return;
  }
}

}  // namespace

std::string ToJson(const Value& v) {
  try {
    std::string out;
    out.reserve(4096);  // a whole record's answer fits without growing
    Append(out, v, nullptr);
    return out;
  } catch (...) {
    return "null";  // allocation failure, as in Dump
  }
}

void AppendJson(std::string& out, const Value& v) { AppendJson(out, v, nullptr); }

void AppendJson(std::string& out, const Value& v, StringValueWriter strings) {
  size_t size = out.size();
  try {
    Append(out, v, strings);
  } catch (...) {
    out.resize(size);
    out += "null";  // allocation failure, as in Dump
  }
}

std::string ToJsonPretty(const Value& v) { return Dump(v, 4); }

}  // namespace kith::wire
