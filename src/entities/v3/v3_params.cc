#include "entities/v3/v3_params.h"

#include <initializer_list>
#include <set>
#include <string_view>
#include <unordered_set>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "base/value_members.h"

namespace kith::entities::v3 {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

StatusOr<int64_t> NonNegative(const Value& v, const char* name) {
  auto n = v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>())
                                 : ParseInt64(std::string(TrimAscii(api::ValueAsText(v))));
  if (!n || *n < 0) {
    return InvalidArgument(std::string(name) + " is not a valid integer: " + api::ValueAsText(v),
                           Value{{"error_code", 2001}, {"error_field", name}});
  }
  return *n;
}

std::string SortText(const Value& v) {
  if (v.is_array() || v.is_object()) {
    std::vector<std::string> parts;
    for (const auto& item : v.items()) parts.push_back(api::ValueAsText(item.value()));
    return Join(parts, ",");
  }
  return api::ValueAsText(v);
}

}  // namespace

bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_null()) return false;
  if (v.is_object() || v.is_array()) return !v.empty();
  std::string text = api::ValueAsText(v);
  return !text.empty() && text != "0" && !EqualsIgnoreCase(text, "false");
}

bool IsMetaParam(const std::string& key, const Value& value) {
  // Hashed: asked for every filter of every read, more than once.
  static const std::unordered_set<std::string_view> kMeta = {
      "version", "sequential", "options", "return", "debug", "check_permissions", "prettyprint",
      "json", "key", "api_key", "entity", "action", "q", "fnName", "rowCount", "offset", "sort",
      "showAll", "callback", "_", "reload", "dupe_check", "skip_undelete", "restore", "values",
      "api_action", "field", "context", "PHPSESSID", "IDS_request_uri", "IDS_user_agent",
      "api.has_parent", "skip_greeting_processing", "match", "match-mandatory", "option_limit",
      "option_offset", "option_sort"};
  if (kMeta.count(key)) return true;
  // (option_* and return_* are PHP's mangling of option.* and return.*;
  // option_group_id and the like are fields.)
  if (StartsWith(key, "return.") || StartsWith(key, "return_") || StartsWith(key, "option.") ||
      StartsWith(key, "format.") || StartsWith(key, "format_")) {
    return true;
  }
  return ParseChainKey(key, value).has_value();
}

std::optional<ChainKey> ParseChainKey(const std::string& key, const Value& value) {
  if (key.size() < 5 || !StartsWith(key, "api") || key == "api.has_parent") return std::nullopt;
  bool call = value.is_object() || value.is_array() ||
              (value.is_number_integer() && value.get<int64_t>() == 1);
  if (!call) return std::nullopt;
  char separator = key[3];
  if (separator != '.' && separator != '_') return std::nullopt;
  std::vector<std::string_view> parts = Split(key, separator);
  if (parts.size() < 2 || parts[1].empty()) return std::nullopt;
  ChainKey chain;
  chain.entity = std::string(parts[1]);
  if (parts.size() > 2) chain.action = std::string(parts[2]);
  return chain;
}

std::vector<std::string> ReturnFields(const Value& params) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string name) {
    name = std::string(TrimAscii(name));
    if (!name.empty() && seen.insert(name).second) out.push_back(std::move(name));
  };
  auto add_list = [&](const std::string& text) {
    for (std::string_view part : Split(text, ',', true)) add(std::string(part));
  };
  if (params.contains("return")) {
    const Value& r = params["return"];
    if (r.is_string()) {
      add_list(r.get<std::string>());
    } else if (r.is_array()) {
      for (const Value& x : r) add_list(api::ValueAsText(x));
    } else if (r.is_object()) {
      bool indexed = !r.empty();
      for (const auto& [k, v] : r.items()) indexed = indexed && ParseInt64(k).has_value();
      for (const auto& [k, v] : r.items()) {
        if (indexed) {
          add_list(api::ValueAsText(v));
        } else if (Truthy(v)) {
          add(k);
        }
      }
    }
  }
  for (const auto& [k, v] : params.items()) {
    if (StartsWith(k, "return.") && Truthy(v)) add(k.substr(7));
  }
  return out;
}

StatusOr<V3Options> ParseOptions(const Value& params) {
  V3Options o;
  // Read where they are: no copy of options, no list of aliases made per
  // name (every get passes here).
  auto member = [](const Value* object, std::string_view key) -> const Value* {
    return object == nullptr ? nullptr : FindMember(*object, key);
  };
  const Value* options = member(&params, "options");
  if (options != nullptr && !options->is_object()) options = nullptr;
  auto pick = [&](const char* name, std::initializer_list<const char*> aliases) -> const Value* {
    if (const Value* v = member(options, name)) return v;
    for (const char* a : aliases) {
      if (const Value* v = member(&params, a)) return v;
    }
    return nullptr;
  };
  if (const Value* v = pick("limit", {"option.limit", "option_limit", "rowCount"})) {
    KITH_ASSIGN_OR_RETURN(o.limit, NonNegative(*v, "options.limit"));
  }
  if (const Value* v = pick("offset", {"option.offset", "option_offset", "offset"})) {
    KITH_ASSIGN_OR_RETURN(o.offset, NonNegative(*v, "options.offset"));
  }
  if (const Value* v = pick("sort", {"option.sort", "option_sort", "sort"})) o.sort = SortText(*v);
  for (const char* key : {"match", "match-mandatory"}) {
    const Value* given = member(options, key);
    if (given == nullptr) continue;
    const Value& m = *given;
    if (m.is_array() || m.is_object()) {
      for (const auto& item : m.items()) o.match.push_back(api::ValueAsText(item.value()));
    } else {
      std::string text = api::ValueAsText(m);
      for (std::string_view part : Split(text, ',', true)) {
        o.match.push_back(std::string(TrimAscii(part)));
      }
    }
    if (std::string(key) == "match-mandatory") o.match_mandatory = true;
  }
  return o;
}

StatusOr<std::vector<store::OrderBy>> ParseSort(const std::string& sort,
                                                const SortResolver& resolve) {
  std::vector<store::OrderBy> order;
  if (AsciiLower(sort).find("select") != std::string::npos) {
    return InvalidArgument("invalid string in sort options");
  }
  for (std::string_view item : Split(sort, ',', true)) {
    std::string_view trimmed = TrimAscii(item);
    if (trimmed.empty()) continue;
    std::vector<std::string_view> words = Split(trimmed, ' ', true);
    auto unknown = [&] {
      return InvalidArgument("Unknown field specified for sort. Cannot order by '" +
                             std::string(trimmed) + "'");
    };
    if (words.size() > 2) return unknown();
    bool desc = false;
    if (words.size() == 2) {
      if (EqualsIgnoreCase(words[1], "desc")) {
        desc = true;
      } else if (!EqualsIgnoreCase(words[1], "asc")) {
        return unknown();
      }
    }
    std::optional<std::string> path = resolve(std::string(words[0]));
    if (!path) return unknown();
    order.push_back({*path, desc});
  }
  return order;
}

std::string SnakeCase(const std::string& entity) {
  std::string out;
  for (size_t i = 0; i < entity.size(); ++i) {
    char c = entity[i];
    if (c >= 'A' && c <= 'Z') {
      if (i > 0) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace kith::entities::v3
