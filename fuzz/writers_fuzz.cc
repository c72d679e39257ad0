// The JSON and XML writers (wire/common/json_writer.h, xml_writer.h). By
// the first byte the input is JSON (parsed into a Value) or raw bytes cut
// into keys and strings (invalid UTF-8 and control characters included).
// Properties: the compact and pretty JSON parse (a strict parser that also
// refuses invalid UTF-8); from valid JSON, both parse back to the same
// document and writing that again gives the same text; the XML answer around the Value is well-formed
// (expat).
#include <expat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json_parse.h"
#include "fuzz/fuzz_support.h"
#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace {

using kith::Value;
using kith::fuzz::Fail;

// A Value from raw bytes: '|' separates pieces taken as key, value, key,
// ...; a piece starting with '[' opens an array, one starting with '{' an
// object, and ']' or '}' closes the innermost (so that nesting is reached).
Value FromBytes(std::string_view text) {
  Value root = Value::object();
  std::vector<Value*> stack{&root};
  std::string key;
  bool have_key = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t bar = text.find('|', start);
    if (bar == std::string_view::npos) bar = text.size();
    std::string piece(text.substr(start, bar - start));
    start = bar + 1;
    Value& top = *stack.back();
    if (!piece.empty() && (piece[0] == ']' || piece[0] == '}')) {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    bool opens = !piece.empty() && (piece[0] == '[' || piece[0] == '{') && stack.size() < 20;
    Value child = opens ? (piece[0] == '[' ? Value::array() : Value::object()) : Value(piece);
    Value* placed = nullptr;
    if (top.is_array()) {
      top.push_back(std::move(child));
      placed = &top.back();
    } else if (!have_key && !opens) {
      key = piece;
      have_key = true;
      continue;
    } else {
      placed = &(top[have_key ? key : piece] = std::move(child));
      have_key = false;
    }
    if (opens) stack.push_back(placed);
  }
  return root;
}

// `same`: the document holds valid UTF-8 only, so it must come back the
// same (invalid bytes become U+FFFD, so two keys may become one).
void CheckJson(const Value& v, bool same) {
  std::string compact = kith::wire::ToJson(v);
  Value back = Value::parse(compact, nullptr, /*allow_exceptions=*/false);
  if (back.is_discarded()) Fail("the compact JSON parses", compact);
  std::string pretty = kith::wire::ToJsonPretty(v);
  Value pretty_back = Value::parse(pretty, nullptr, /*allow_exceptions=*/false);
  if (pretty_back.is_discarded()) Fail("the pretty JSON parses", pretty);
  if (!same) return;
  std::string again = kith::wire::ToJson(back);
  if (again != compact) Fail("compact JSON written again is the same", compact + "\n" + again);
  if (kith::wire::ToJson(pretty_back) != compact) Fail("pretty and compact JSON agree", pretty);
}

void CheckXml(const Value& v) {
  std::string xml = "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<Result>\n";
  kith::wire::AppendXmlChildren(v, 1, xml);
  xml += "</Result>\n</ResultSet>\n";
  XML_Parser parser = XML_ParserCreate("UTF-8");
  bool ok = XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
  std::string error = ok ? "" : XML_ErrorString(XML_GetErrorCode(parser));
  XML_ParserFree(parser);
  if (!ok) Fail("the XML is well-formed", error + "\n" + xml);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [mode, text] = kith::fuzz::ModeAndText(data, size);
  Value v;
  bool from_json = (mode & 1) == 0;
  if (from_json) {
    kith::StatusOr<Value> parsed = kith::ParseJson(text, "input", 40, 1000);
    if (!parsed.ok()) return 0;
    v = std::move(*parsed);
  } else {
    v = FromBytes(text);
  }
  CheckJson(v, from_json);
  CheckXml(v);
  return 0;
}
