#include "wire/v3/v3_request.h"
#include "wire/common/munge.h"

#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"

namespace kith::wire::v3 {
namespace {

std::string Text(const Value& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end()) return "";
  const Value& v = *it;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() || v.is_array() || v.is_null()) return "";
  return v.dump();
}

// Whether the text Text() reads of `key` is neither empty nor "0".
bool Set(const Value& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end()) return false;
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    return !text.empty() && text != "0";
  }
  std::string text = Text(params, key);
  return !text.empty() && text != "0";
}

// json= is a payload only when it starts with `open` (CiviCRM looks at the
// first character).
bool LooksLike(const std::string& text, char open) { return !text.empty() && text[0] == open; }

// Text that is not JSON gets CiviCRM's message; JSON over a limit, kith's.
StatusOr<Value> DecodeJson(const std::string& text, const RequestLimits& limits) {
  StatusOr<Value> decoded = ParseJson(text, "json", limits.max_nesting_depth, limits.max_parameters);
  if (decoded.ok() || IsTooLarge(decoded.status()) ||
      decoded.status().message().find("nests deeper") != std::string_view::npos) {
    return decoded;
  }
  return InvalidArgument("Unable to decode supplied JSON.");
}

StatusOr<std::vector<V3SubCall>> ParseCalls(const Value& calls, int64_t max_calls) {
  if (static_cast<int64_t>(calls.size()) > max_calls) {
    return TooLarge("An api3 request may hold at most " + std::to_string(max_calls) + " calls");
  }
  std::vector<V3SubCall> out;
  auto add = [&](const std::string& name, const Value& call) -> Status {
    if (!call.is_array() || call.size() < 2 || !call[0].is_string() || !call[1].is_string() ||
        (call.size() > 2 && !call[2].is_object() && !(call[2].is_array() && call[2].empty()))) {
      return InvalidArgument("Invalid api3 call: " + name);
    }
    V3SubCall c;
    c.name = name;
    c.entity = V3EntityName(call[0].get<std::string>());
    c.action = V3ActionName(call[1].get<std::string>());
    if (call.size() > 2 && call[2].is_object()) c.params = call[2];
    out.push_back(std::move(c));
    return Status();
  };
  if (calls.is_object()) {
    for (const auto& [name, call] : calls.items()) KITH_RETURN_IF_ERROR(add(name, call));
  } else if (calls.is_array()) {
    for (size_t i = 0; i < calls.size(); ++i) KITH_RETURN_IF_ERROR(add(std::to_string(i), calls[i]));
  } else {
    return InvalidArgument("Unable to decode supplied JSON.");
  }
  return out;
}

}  // namespace

std::string V3EntityName(std::string_view raw) {
  std::string munged = Munge(raw);
  std::string out;
  bool upper_next = true;
  for (char c : munged) {
    if (c == '_') {
      upper_next = true;
      continue;
    }
    if (upper_next && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    upper_next = false;
    out += c;
  }
  return out;
}

std::string V3ActionName(std::string_view raw) { return AsciiLower(Munge(raw)); }

bool WantsJson(const Value& form) {
  auto it = form.find("json");
  if (it == form.end()) return false;
  if (it->is_object() || it->is_array()) return !it->empty();
  return Set(form, "json");
}

StatusOr<V3Request> ParseV3Request(const Value& form, std::string_view q_function,
                                   const RequestLimits& limits) {
  V3Request req;
  req.json = WantsJson(form);
  req.pretty = Set(form, "prettyprint");
  req.site_key = Text(form, "key");
  req.api_key = Text(form, "api_key");
  std::string entity = Text(form, "entity");
  std::string action = Text(form, "action");
  if (entity.empty() && !q_function.empty()) {
    std::vector<std::string_view> parts = Split(q_function, '/');
    if (parts.size() == 3) {
      entity = std::string(parts[1]);
      action = std::string(parts[2]);
    }
  }
  req.entity = entity.empty() ? "" : V3EntityName(entity);
  req.action = action.empty() ? "" : V3ActionName(action);

  std::string json = Text(form, "json");
  if (entity == "api3") {
    req.multi = true;
    if (!LooksLike(json, '{') && !LooksLike(json, '[')) {
      return InvalidArgument("Unable to decode supplied JSON.");
    }
    KITH_ASSIGN_OR_RETURN(Value calls, DecodeJson(json, limits));
    KITH_ASSIGN_OR_RETURN(req.calls, ParseCalls(calls, limits.max_multi_calls));
    return req;
  }
  if (LooksLike(json, '{')) {
    KITH_ASSIGN_OR_RETURN(Value decoded, DecodeJson(json, limits));
    if (!decoded.is_object()) return InvalidArgument("Unable to decode supplied JSON.");
    req.params = std::move(decoded);
  }
  MergeMembers(req.params, form, {"q", "json", "key", "api_key", "entity", "action"});
  return req;
}

std::optional<bool> WantsSequential(const Value& params) {
  auto it = params.find("sequential");
  if (it == params.end() || *it == 0 || *it == "0" || *it == false || *it == "") return false;
  if (*it == 1 || *it == "1" || *it == true) return true;
  return std::nullopt;
}

}  // namespace kith::wire::v3
