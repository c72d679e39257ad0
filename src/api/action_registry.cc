#include "api/action_registry.h"

#include <cassert>
#include <charconv>

#include "base/strings.h"

namespace kith::api {
namespace {

// "4/contact/get": the entity as CanonicalEntityName spells it, both names
// lower-cased, built in one pass (Find runs several times per request).
// (Written into a buffer and made a string once, in its inner bytes for
// the usual names: an append a byte, each with its capacity check, was
// most of it.)
std::string Key(int version, std::string_view entity, std::string_view action) {
  char small[64];
  std::string large;
  const size_t most = 16 + entity.size() + action.size();  // digits, two slashes
  if (most > sizeof small) large.resize(most);
  char* const start = most > sizeof small ? large.data() : small;
  char* p = std::to_chars(start, start + 12, version).ptr;
  *p++ = '/';
  for (char c : entity) {
    if (c == '_' || c == '-' || c == ' ') continue;
    *p++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  *p++ = '/';
  for (char c : action) *p++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return std::string(start, p);
}

}  // namespace

std::string CanonicalEntityName(std::string_view name) {
  std::string out;
  bool upper_next = true;
  for (char c : name) {
    if (c == '_' || c == '-' || c == ' ') {
      upper_next = true;
      continue;
    }
    if (upper_next && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    upper_next = false;
    out += c;
  }
  return out;
}

void ActionRegistry::Register(ActionSpec spec) {
  std::string key = Key(spec.version, spec.entity, spec.action);
  assert(specs_.count(key) == 0 && "action registered twice");
  specs_.emplace(std::move(key), std::move(spec));
}

const ActionSpec* ActionRegistry::Find(int version, std::string_view entity,
                                       std::string_view action) const {
  auto it = specs_.find(Key(version, entity, action));
  return it == specs_.end() ? nullptr : &it->second;
}

std::vector<const ActionSpec*> ActionRegistry::ActionsOf(int version,
                                                         std::string_view entity) const {
  std::vector<const ActionSpec*> out;
  std::string prefix = std::to_string(version) + "/" + AsciiLower(CanonicalEntityName(entity)) + "/";
  for (auto it = specs_.lower_bound(prefix); it != specs_.end() && it->first.rfind(prefix, 0) == 0;
       ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::vector<std::string> ActionRegistry::Entities(int version) const {
  std::vector<std::string> out;
  for (const auto& [key, spec] : specs_) {
    if (spec.version != version) continue;
    if (out.empty() || out.back() != spec.entity) out.push_back(spec.entity);
  }
  return out;
}

}  // namespace kith::api
