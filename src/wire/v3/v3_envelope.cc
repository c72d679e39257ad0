#include "wire/v3/v3_envelope.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "base/error_details.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire::v3 {
namespace {

constexpr char kSeparator = '\x01';

bool IsHierarchical(const Value& v) {
  // (the members or elements as stored: items() made two strings for each)
  auto structured = [](const Value& x) { return x.is_object() || x.is_array(); };
  if (v.is_object()) {
    for (const auto& [key, member] : v.get_ref<const Value::object_t&>()) {
      if (structured(member)) return true;
    }
  } else if (v.is_array()) {
    for (const Value& element : v) {
      if (structured(element)) return true;
    }
  }
  return false;
}

std::string TrimSeparators(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && s[b] == kSeparator) ++b;
  while (e > b && s[e - 1] == kSeparator) --e;
  return s.substr(b, e - b);
}

// Multi-values as arrays (JSON) or with their padding removed (XML, where
// the writer turns the inner separators into ',').
Value SeparateValues(const Value& v, bool as_arrays) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.find(kSeparator) == std::string::npos) return v;
    std::string inner = TrimSeparators(s);
    if (!as_arrays) return inner;
    Value list = Value::array();
    for (std::string_view part : Split(inner, kSeparator)) list.push_back(std::string(part));
    return list;
  }
  if (v.is_object()) {
    // The source's keys are distinct: appended without a search for each.
    Value out = Value::object();
    auto& members = out.get_ref<Value::object_t&>();
    members.reserve(v.size());
    for (const auto& [k, x] : v.items()) members.Container::emplace_back(k, SeparateValues(x, as_arrays));
    return out;
  }
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v) out.push_back(SeparateValues(x, as_arrays));
    return out;
  }
  return v;
}

// A multi-value as the list SeparateValues(v, true) makes of it; false
// for any other string.
bool SeparatedList(std::string& out, const std::string& s) {
  if (s.find(kSeparator) == std::string::npos) return false;
  AppendJson(out, SeparateValues(Value(s), /*as_arrays=*/true));
  return true;
}

bool Falsy(const Value& v) {
  if (v.is_null()) return true;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() == 0;
  if (v.is_number_unsigned()) return v.get<uint64_t>() == 0;
  if (v.is_number_float()) return v.get<double>() == 0.0;
  if (v.is_string()) return v.get_ref<const std::string&>().empty() || v == "0";
  return false;
}

void AppendScalarResult(const std::string& key, const Value& v, std::string& out) {
  out += "<Result>\n<id>" + XmlEscape(key) + "</id><value>";
  if (v.is_string()) {
    out += XmlEscape(v.get_ref<const std::string&>());
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? "1" : "";
  } else if (!v.is_null()) {
    out += v.dump();
  }
  out += "</value></Result>\n";
}

}  // namespace

Value NormalizeV3Result(Value result) {
  if (!result.is_object() && !result.is_array()) {
    return Value{{"is_error", 0}, {"result", Falsy(result) ? Value(0) : result}};
  }
  if (IsHierarchical(result)) return result;
  Value flat = Value::object();
  if (result.is_array()) {
    for (size_t i = 0; i < result.size(); ++i) flat[std::to_string(i)] = std::move(result[i]);
  } else {
    flat = std::move(result);
  }
  if (FindMember(flat, "is_error") == nullptr) flat["is_error"] = 0;
  return flat;
}

Value V3ErrorBody(const Status& status, const std::string& entity, const std::string& action) {
  Value body = Value::object();
  Value details = ErrorDetails(status);
  if (details.value("error_plain", false) == true) {
    // a plain exception in CiviCRM: its message only
    return Value{{"is_error", 1}, {"error_message", std::string(status.message())}};
  }
  for (const auto& [k, v] : details.items()) {
    if (k != "error_code") body[k] = v;
  }
  body["error_code"] = details.contains("error_code") ? details["error_code"] : Value(0);
  body["entity"] = entity;
  body["action"] = action;
  body["is_error"] = 1;
  body["error_message"] = std::string(status.message());
  return body;
}

Value V3RestError(const std::string& message) {
  return Value{{"error_message", message}, {"is_error", 1}};
}

bool IsV3Error(const Value& body) {
  if (!body.is_object()) return false;
  auto it = body.find("is_error");
  if (it == body.end()) return false;
  // is_error == 1, true or "1", as the JSON comparisons read them (a
  // number compared as a number), without a Value made for each.
  const Value& e = *it;
  if (e.is_boolean()) return e.get<bool>();
  if (e.is_string()) return e.get_ref<const std::string&>() == "1";
  if (e.is_number_float()) return e.get<double>() == 1.0;
  if (e.is_number_unsigned()) return e.get<uint64_t>() == 1;
  if (e.is_number_integer()) return e.get<int64_t>() == 1;
  return false;
}

std::string RenderV3Json(const Value& body, bool pretty) {
  if (pretty) return ToJsonPretty(SeparateValues(body, /*as_arrays=*/true));
  // The compact form written from `body` itself, not from a copy of the
  // whole answer with its multi-values made lists.
  std::string out;
  out.reserve(4096);
  AppendJson(out, body, SeparatedList);
  return out;
}

// APIv3's XML answer up to its ResultSet's attributes (RenderV3Xml's, and
// the usual get's frame).
constexpr std::string_view kXmlOpening =
    "<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ";

std::string RenderV3Xml(const Value& input) {
  Value body = SeparateValues(input, /*as_arrays=*/false);
  std::string out(kXmlOpening);
  if (body.is_object() && body.contains("count")) {
    const Value& c = body["count"];
    out += " count=\"" + XmlEscape(c.is_string() ? c.get<std::string>() : c.dump()) + "\" ";
  }
  out += ">\n      ";
  if (IsHierarchical(body) && !IsV3Error(body)) {
    if (body.is_object() && body.contains("values") &&
        (body["values"].is_object() || body["values"].is_array())) {
      const Value& values = body["values"];
      size_t index = 0;
      for (auto it = values.begin(); it != values.end(); ++it, ++index) {
        std::string key = values.is_object() ? it.key() : std::to_string(index);
        if (it->is_object() || it->is_array()) {
          out += "<Result>\n";
          AppendXmlChildren(*it, 1, out);
          out += "</Result>\n";
        } else {
          AppendScalarResult(key, *it, out);
        }
      }
    } else if (!body.contains("values")) {
      // A hierarchical answer without values (api3 multi-call): one
      // <Result> per entry.
      for (const auto& item : body.items()) {
        out += "<Result>\n";
        AppendXmlChildren(item.value().is_object() || item.value().is_array()
                              ? item.value()
                              : Value{{item.key(), item.value()}},
                          1, out);
        out += "</Result>\n";
      }
    }
  } else {
    out += "<Result>\n";
    AppendXmlChildren(body, 1, out);
    out += "</Result>\n";
  }
  out += "</ResultSet>\n";
  return out;
}

}  // namespace kith::wire::v3

namespace kith::wire::v3 {

TextRows::Options RowsOptions(bool json, bool sequential) {
  TextRows::Options o;
  o.format = json ? TextRows::Format::kJson : TextRows::Format::kXml;
  o.multi_values = json ? TextRows::MultiValues::kList : TextRows::MultiValues::kTrimmed;
  o.keyed_by_id = json && !sequential;
  return o;
}

namespace {

// A get's envelope as it usually is (V3SuccessWritten's):
// {"is_error":0,"version":3,"count":N,["id":N,]"values":...}, whole
// numbers all. Its frame is written into `head` (room enough for any such
// envelope's), its size returned, and its tail is `tail`; 0 for any other
// envelope (left to RowsFrame's general path, whose bytes these are).
constexpr size_t kUsualHeadRoom = 192;
size_t UsualFrame(const Value& body, bool json, char (&head)[kUsualHeadRoom], std::string_view& tail) {
  if (!body.is_object()) return 0;
  const auto& members = static_cast<const Value::object_t::Container&>(
      body.get_ref<const Value::object_t&>());  // (by index)
  const size_t n = members.size();
  if (n != 4 && n != 5) return 0;
  // The member's whole number, when it has key `key` (null otherwise).
  auto whole = [&members](size_t i, std::string_view key) -> const int64_t* {
    return members[i].first == key ? members[i].second.get_ptr<const int64_t*>() : nullptr;
  };
  const int64_t* is_error = whole(0, "is_error");
  const int64_t* version = whole(1, "version");
  const int64_t* count = whole(2, "count");
  const int64_t* id = n == 5 ? whole(3, "id") : nullptr;
  if (is_error == nullptr || *is_error != 0 || version == nullptr || *version != 3 || count == nullptr ||
      (n == 5 && id == nullptr) || members[n - 1].first != "values") {
    return 0;
  }
  char* p = head;
  auto put = [&p](std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  auto put_number = [&p, &head](int64_t number) {
    p = std::to_chars(p, head + kUsualHeadRoom, number).ptr;  // (20 digits and a sign fit)
  };
  if (!json) {
    // RenderV3Xml's opening, its count an attribute, and no <Result> yet.
    put(kXmlOpening);
    put(R"( count=")");
    put_number(*count);
    put("\" >\n      ");
    tail = "</ResultSet>\n";
    return static_cast<size_t>(p - head);
  }
  put(R"({"is_error":0,"version":3,"count":)");
  put_number(*count);
  if (id != nullptr) {
    put(R"(,"id":)");
    put_number(*id);
  }
  const bool list = members[n - 1].second.is_array();
  put(list ? R"(,"values":[)" : R"(,"values":{)");
  tail = list ? "]}" : "}}";
  return static_cast<size_t>(p - head);
}

}  // namespace

Status FrameRows(const Value& body, bool json, std::string& rows) {
  char usual[kUsualHeadRoom];
  std::string_view usual_tail;
  if (const size_t size = UsualFrame(body, json, usual, usual_tail)) {
    rows.insert(0, usual, size);
    rows += usual_tail;
    return Status();
  }
  std::string head, tail;
  KITH_RETURN_IF_ERROR(RowsFrame(body, json, head, tail));
  rows.insert(0, head);
  rows += tail;
  return Status();
}

Status RowsFrame(const Value& body, bool json, std::string& head, std::string& tail) {
  static constexpr std::string_view kXmlTail = "</ResultSet>\n";
  char usual[kUsualHeadRoom];
  std::string_view usual_tail;
  if (const size_t size = UsualFrame(body, json, usual, usual_tail)) {
    head.assign(usual, size);
    tail.assign(usual_tail);
    return Status();
  }
  if (json) {
    // The envelope's members as RenderV3Json writes them, the rows' list
    // or object opened where `values` is.
    if (!body.is_object() || !body.contains("values")) {
      return Internal("no place for the rows in an APIv3 answer");
    }
    std::string* out = &head;
    head.reserve(128);  // grown once, not step by step from a few bytes
    head = "{";
    tail.clear();
    bool first = true;
    // (the members themselves, not items(): no key texts made per member;
    // a whole number, the envelope's usual member, written here)
    for (const auto& [key, member] : body.get_ref<const Value::object_t&>()) {
      if (!first) *out += ',';
      first = false;
      AppendJsonString(*out, key);
      *out += ':';
      if (key == "values") {
        const bool list = member.is_array();
        *out += list ? '[' : '{';
        out = &tail;
        *out += list ? ']' : '}';
      } else if (member.is_number_integer() && !member.is_number_unsigned()) {
        char digits[24];
        const auto written = std::to_chars(digits, digits + sizeof digits, member.get<int64_t>());
        out->append(digits, written.ptr);
      } else {
        AppendJson(*out, member, SeparatedList);
      }
    }
    tail += '}';
    return Status();
  }
  Value envelope = body;
  envelope["values"] = Value::object();
  head = RenderV3Xml(envelope);
  if (!head.ends_with(kXmlTail)) return Internal("no place for the rows in an APIv3 answer");
  head.resize(head.size() - kXmlTail.size());
  tail = kXmlTail;
  return Status();
}

}  // namespace kith::wire::v3
