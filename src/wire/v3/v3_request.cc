#include "wire/v3/v3_request.h"

#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"
#include "wire/common/munge.h"

namespace kith::wire::v3 {
namespace {

// The text of a form member (nullptr: none): a view of its string, or of
// `storage` holding a scalar's JSON text; none for an object, list or null.
std::string_view TextOf(const Value* v, std::string& storage) {
  if (v == nullptr || v->is_object() || v->is_array() || v->is_null()) return {};
  if (v->is_string()) return v->get_ref<const std::string&>();
  storage = v->dump();
  return storage;
}

// A flag's text set: neither empty nor "0".
bool IsSet(std::string_view text) { return !text.empty() && text != "0"; }

// Whether json= (nullptr: none) asks for JSON: a non-empty object or list,
// or a set text.
bool JsonWanted(const Value* json) {
  if (json != nullptr && (json->is_object() || json->is_array())) return !json->empty();
  std::string storage;
  return IsSet(TextOf(json, storage));
}

// json= is a payload only when it starts with `open` (CiviCRM looks at the
// first character).
bool LooksLike(std::string_view text, char open) { return !text.empty() && text[0] == open; }

// Text that is not JSON gets CiviCRM's message; JSON over a limit, kith's.
StatusOr<Value> DecodeJson(std::string_view text, const RequestLimits& limits) {
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
  // Munged, a run of other characters is one '_'; the '_'s go and the
  // letter after each (and the first) is upper-cased.
  std::string out;
  out.reserve(raw.size());
  bool upper_next = true;
  for (char c : raw) {
    if (c == '_' || !MungeKeeps(c)) {
      upper_next = true;
      continue;
    }
    if (upper_next && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    upper_next = false;
    out += c;
  }
  return out;
}

std::string V3ActionName(std::string_view raw) {
  std::string out = Munge(raw);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool WantsJson(const Value& form) {
  auto it = form.find("json");
  return JsonWanted(it == form.end() ? nullptr : &*it);
}

StatusOr<V3Request> ParseV3Request(const Value& form, std::string_view q_function,
                                   const RequestLimits& limits) {
  // The transport's members found in one pass over the form (each the
  // first of its key, as find() finds it), and whether any member is left
  // to become a parameter.
  const Value* json_member = nullptr;
  const Value* pretty_member = nullptr;
  const Value* key_member = nullptr;
  const Value* api_key_member = nullptr;
  const Value* entity_member = nullptr;
  const Value* action_member = nullptr;
  bool params_in_form = !form.is_object();  // (then merged as MergeMembers merges it)
  if (form.is_object()) {
    for (const auto& [key, value] : form.get_ref<const Value::object_t&>()) {
      const Value** slot = nullptr;
      if (key == "json") {
        slot = &json_member;
      } else if (key == "key") {
        slot = &key_member;
      } else if (key == "api_key") {
        slot = &api_key_member;
      } else if (key == "entity") {
        slot = &entity_member;
      } else if (key == "action") {
        slot = &action_member;
      } else {
        if (key == "prettyprint") slot = &pretty_member;
        if (key != "q") params_in_form = true;
      }
      if (slot != nullptr && *slot == nullptr) *slot = &value;
    }
  }
  std::string storage;
  V3Request req;
  req.json = JsonWanted(json_member);
  req.pretty = IsSet(TextOf(pretty_member, storage));
  req.site_key = TextOf(key_member, storage);
  req.api_key = TextOf(api_key_member, storage);
  std::string entity_storage, action_storage;
  std::string_view entity = TextOf(entity_member, entity_storage);
  std::string_view action = TextOf(action_member, action_storage);
  if (entity.empty() && !q_function.empty()) {
    std::vector<std::string_view> parts = Split(q_function, '/');
    if (parts.size() == 3) {
      entity = parts[1];
      action = parts[2];
    }
  }
  req.entity = entity.empty() ? "" : V3EntityName(entity);
  req.action = action.empty() ? "" : V3ActionName(action);

  std::string_view json = TextOf(json_member, storage);
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
  if (params_in_form) MergeMembers(req.params, form, {"q", "json", "key", "api_key", "entity", "action"});
  return req;
}

std::optional<bool> WantsSequential(const Value& params) {
  auto it = params.find("sequential");
  if (it == params.end() || *it == 0 || *it == "0" || *it == false || *it == "") return false;
  if (*it == 1 || *it == "1" || *it == true) return true;
  return std::nullopt;
}

}  // namespace kith::wire::v3
