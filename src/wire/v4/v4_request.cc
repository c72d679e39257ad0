#include "wire/v4/v4_request.h"

#include <algorithm>
#include <iterator>

#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "wire/common/form_params.h"

namespace kith::wire::v4 {
namespace {

std::optional<std::string> DecodeBase64(std::string_view in) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t bits = 0;
  int nbits = 0;
  for (char c : in) {
    int d = digit(c);
    if (d < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(d);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((bits >> nbits) & 0xFF));
    }
  }
  return out;
}

// A form or JSON-body field as text; objects/arrays as "" (not a field value).
// (Fields are found by view, FindMember: Value's own lookups make a string
// of the name each time.)
std::string FieldText(const Value& fields, std::string_view key) {
  const Value* v = FindMember(fields, key);
  if (v == nullptr) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number()) return v->dump();
  return "";
}

// A JSON parameter that may arrive as text (form field) or, in a JSON body,
// already as an object.
StatusOr<Value> JsonField(const Value& fields, const char* key, bool allow_list,
                          const RequestLimits& limits) {
  const Value* found = FindMember(fields, key);
  if (found == nullptr) return Value::object();
  const Value& v = *found;
  Value parsed;
  if (v.is_string()) {
    // (the text viewed, not copied: a where's JSON is most of a request)
    const std::string& text = v.get_ref<const std::string&>();
    if (TrimAscii(text).empty()) return Value::object();
    KITH_ASSIGN_OR_RETURN(parsed, ParseJsonParam(text, key, limits));
  } else {
    parsed = v;
  }
  if (parsed.is_array() && allow_list && parsed.empty()) return Value::object();
  if (!parsed.is_object()) {
    return InvalidArgument(std::string(key) + " must be a JSON object", {{"error_field", key}});
  }
  return parsed;
}

// index: "0" -> 0, "id" -> "id", index[id]=name -> {"id":"name"}.
StatusOr<Value> IndexField(const Value& fields) {
  const Value* found = FindMember(fields, "index");
  if (found == nullptr) return Value();
  const Value& v = *found;
  if (v.is_null()) return Value();
  if (v.is_number_integer()) return v;
  if (v.is_string()) {
    std::string s(TrimAscii(v.get<std::string>()));
    if (s.empty()) return Value();
    if (auto n = ParseInt64(s)) return Value(*n);
    return Value(s);
  }
  if (v.is_object() && v.size() == 1 && v.begin().value().is_string()) return v;
  return InvalidArgument("index must be an integer, a field name or {\"key\": \"value\"}",
                         {{"error_field", "index"}});
}

// The action parameters CiviCRM also takes as their own query/form fields
// (?limit=10): a known name not already in params is added, JSON-decoded when
// it is JSON.
void MergeLooseParams(const Value& fields, Value& params, const RequestLimits& limits) {
  static constexpr std::string_view kNames[] = {
      "select", "where", "orderBy", "limit", "offset", "values", "records", "defaults", "match", "join",
      "groupBy", "having", "chain", "language", "useTrash", "reload", "loadOptions", "action", "debug"};
  // Usually there is none (only "params"): a look at each field first.
  bool any = false;
  for (const auto& [name, value] : Members(fields)) {
    any = any || std::find(std::begin(kNames), std::end(kNames), std::string_view(name)) != std::end(kNames);
  }
  if (!any) return;
  for (std::string_view view : kNames) {
    const std::string name(view);
    if (!fields.contains(name) || params.contains(name)) continue;
    const Value& v = fields[name];
    if (v.is_string()) {
      StatusOr<Value> parsed = ParseJsonParam(v.get<std::string>(), name, limits);
      params[name] = parsed.ok() ? std::move(*parsed) : v;
    } else {
      params[name] = v;
    }
  }
}

StatusOr<V4Call> CallFromList(const std::string& name, const Value& entry) {
  const std::string where = "calls[" + name + "]";
  if (!entry.is_array() || entry.size() < 2 || entry.size() > 4 || !entry[0].is_string() ||
      !entry[1].is_string()) {
    return InvalidArgument(where + " must be [entity, action, params?, index?]",
                           {{"error_field", "calls"}});
  }
  V4Call call;
  call.entity = entry[0].get<std::string>();
  call.action = entry[1].get<std::string>();
  if (entry.size() > 2 && !entry[2].is_null()) {
    if (entry[2].is_array() && entry[2].empty()) {
      call.params = Value::object();
    } else if (!entry[2].is_object()) {
      return InvalidArgument(where + " params must be an object", {{"error_field", "calls"}});
    } else {
      call.params = entry[2];
    }
  }
  if (entry.size() > 3) {
    KITH_ASSIGN_OR_RETURN(call.index, IndexField(Value{{"index", entry[3]}}));
  }
  return call;
}

StatusOr<Value> RequestFields(const V4RawRequest& raw, const RequestLimits& limits) {
  std::string type = AsciiLower(TrimAscii(raw.content_type));
  if (type.rfind("application/json", 0) != 0) {
    return ParseRequestParams(raw.query, raw.content_type, raw.body, limits);
  }
  KITH_ASSIGN_OR_RETURN(Value fields, ParseRequestParams(raw.query, "", "", limits));
  if (TrimAscii(raw.body).empty()) return fields;
  KITH_ASSIGN_OR_RETURN(Value body, ParseJsonParam(raw.body, "the JSON request body", limits));
  if (!body.is_object()) return InvalidArgument("the JSON request body must be an object");
  bool wrapped = body.contains("params") || body.contains("calls") || body.contains("index");
  if (!wrapped) body = Value{{"params", std::move(body)}};
  MergeMembers(fields, body);
  return fields;
}

}  // namespace

StatusOr<Value> ParseJsonParam(std::string_view text, std::string_view what,
                               const RequestLimits& limits) {
  return ParseJson(text, what, limits.max_nesting_depth, limits.max_parameters);
}

V4Credential ParseCredential(std::string_view value, std::string flow) {
  V4Credential c;
  c.flow = std::move(flow);
  if (value.empty()) return c;
  c.kind = V4Credential::Kind::kMalformed;
  size_t space = value.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= value.size()) return c;
  std::string_view scheme = value.substr(0, space);
  std::string_view rest = value.substr(space + 1);
  if (rest.find(' ') != std::string_view::npos) return c;
  if (scheme == "Bearer") {
    c.kind = V4Credential::Kind::kBearer;
    c.token = std::string(rest);
  } else if (scheme == "Basic") {
    auto decoded = DecodeBase64(rest);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return c;
    c.kind = V4Credential::Kind::kBasic;
    c.token = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  return c;
}

StatusOr<V4Request> ParseV4Request(const V4RawRequest& raw, const RequestLimits& limits) {
  V4Request req;
  KITH_ASSIGN_OR_RETURN(Value fields, RequestFields(raw, limits));

  // The path's parts, empty ones skipped; at most three are told apart
  // (a third means a path of more than two).
  std::string_view parts[3];
  size_t part_count = 0;
  for (std::string_view rest = raw.path_tail; !rest.empty() && part_count < 3;) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (!part.empty()) parts[part_count++] = part;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (part_count == 0) {
    req.multi = true;
    const Value* calls_given = FindMember(fields, "calls");
    if (calls_given == nullptr) {
      return InvalidArgument("calls is required: {\"name\": [entity, action, params]}",
                             {{"error_field", "calls"}});
    }
    // calls: {"name": [entity, action, params, index]} or a list of those
    // (then the answer is a list, in the same order).
    Value calls;
    const Value& given = *calls_given;
    if (given.is_string()) {
      KITH_ASSIGN_OR_RETURN(calls, ParseJsonParam(given.get<std::string>(), "calls", limits));
    } else {
      calls = given;
    }
    if (calls.is_array() && !calls.empty()) {
      req.calls_list = true;
      Value named = Value::object();
      for (size_t i = 0; i < calls.size(); ++i) named[std::to_string(i)] = std::move(calls[i]);
      calls = std::move(named);
    } else if (calls.is_array()) {
      calls = Value::object();
    } else if (!calls.is_object()) {
      return InvalidArgument("calls must be a JSON object", {{"error_field", "calls"}});
    }
    if (static_cast<int64_t>(calls.size()) > limits.max_multi_calls) {
      return TooLarge("calls may hold at most " + std::to_string(limits.max_multi_calls) + " calls");
    }
    for (const auto& [name, entry] : calls.items()) {
      KITH_ASSIGN_OR_RETURN(V4Call call, CallFromList(name, entry));
      req.calls.emplace_back(name, std::move(call));
    }
  } else if (part_count == 1 && parts[0] == kOpenApiName) {
    req.openapi = true;  // no call: the API's description
  } else if (part_count == 2) {
    V4Call call;
    call.entity = std::string(parts[0]);
    call.action = std::string(parts[1]);
    KITH_ASSIGN_OR_RETURN(call.params, JsonField(fields, "params", /*allow_list=*/true, limits));
    MergeLooseParams(fields, call.params, limits);
    KITH_ASSIGN_OR_RETURN(call.index, IndexField(fields));
    req.calls.emplace_back("", std::move(call));
  } else {
    return InvalidArgument("the path must be /civicrm/ajax/api4/<Entity>/<action>");
  }

  // Credentials, in authx's order.
  std::string authx;
  if (!raw.x_civi_auth.empty()) {
    req.credential = ParseCredential(TrimAscii(raw.x_civi_auth), "xheader");
  } else if (!raw.authorization.empty()) {
    req.credential = ParseCredential(TrimAscii(raw.authorization), "header");
  } else if (authx = FieldText(fields, "_authx"); !authx.empty()) {
    req.credential = ParseCredential(TrimAscii(authx), "param");
  } else if (!FieldText(fields, "api_key").empty()) {
    req.credential.kind = V4Credential::Kind::kBearer;
    req.credential.flow = "legacyrest";
    req.credential.token = FieldText(fields, "api_key");
  }
  req.site_key = std::string(TrimAscii(raw.x_civi_key));
  if (req.site_key.empty()) req.site_key = FieldText(fields, "_authxSiteKey");
  if (req.site_key.empty() && req.credential.flow == "legacyrest") {
    req.site_key = FieldText(fields, "key");
  }
  req.session_id = CookieValue(raw.cookie, "PHPSESSID");
  req.xhr = TrimAscii(raw.x_requested_with) == "XMLHttpRequest";
  return req;
}

}  // namespace kith::wire::v4
