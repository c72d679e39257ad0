#include "wire/common/xml_writer.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "base/strings.h"

namespace kith::wire {
namespace {

constexpr char kReplacementChar[] = "\xEF\xBF\xBD";

void Indent(int depth, std::string& out) { out.append(static_cast<size_t>(depth) * 4, ' '); }

// The text of a scalar leaf.
std::string LeafText(const Value& v) {
  switch (v.type()) {
    case Value::value_t::string:
      return XmlEscape(v.get_ref<const std::string&>());
    case Value::value_t::boolean:
      return v.get<bool>() ? "1" : "";
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned:
      return v.dump();
    case Value::value_t::number_float:
      return std::isfinite(v.get<double>()) ? v.dump() : "";
    default:  // null, binary, discarded
      return "";
  }
}

void AppendElement(std::string_view open, std::string_view close, const Value& v, int depth,
                   std::string& out) {
  Indent(depth, out);
  out += '<';
  out += open;
  out += '>';
  if ((v.is_object() || v.is_array()) && !v.empty()) {
    out += '\n';
    AppendXmlChildren(v, depth + 1, out);
    Indent(depth, out);
  } else if (!v.is_object() && !v.is_array()) {
    out += LeafText(v);
  }
  out += "</";
  out += close;
  out += ">\n";
}

void AppendItem(std::string_view key, const Value& v, int depth, std::string& out) {
  std::string open = "item key=\"";
  open += XmlEscape(key);
  open += '"';
  AppendElement(open, "item", v, depth, out);
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\x01': out += ','; break;  // CiviCRM's multi-value separator
        case '\t':
        case '\n':
        case '\r': out += static_cast<char>(c); break;
        default:
          if (c >= 0x20) out += static_cast<char>(c);  // other C0 controls are dropped
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = Utf8SequenceAt(text, i, cp);
    if (len == 0) {
      out += kReplacementChar;  // keep the document well-formed whatever the input
      ++i;
      continue;
    }
    if (cp != 0xFFFE && cp != 0xFFFF) out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

bool IsXmlName(std::string_view name) {
  if (name.empty()) return false;
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_letter(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.') return false;
  }
  if (name.size() >= 3 && (name[0] == 'x' || name[0] == 'X') && (name[1] == 'm' || name[1] == 'M') &&
      (name[2] == 'l' || name[2] == 'L')) {
    return false;
  }
  return true;
}

void AppendXmlChildren(const Value& value, int depth, std::string& out) {
  if (depth < 0) depth = 0;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& key = it.key();
      if (IsXmlName(key)) {
        AppendElement(key, key, it.value(), depth, out);
      } else {
        AppendItem(key, it.value(), depth, out);
      }
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      AppendItem(std::to_string(i), value[i], depth, out);
    }
  }
}

}  // namespace kith::wire
