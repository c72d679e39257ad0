#include "api/action_registry.h"

#include <atomic>
#include <cassert>

#include "base/strings.h"

namespace kith::api {
namespace {

// Writes "4/contact/get" into `key`: the entity as CanonicalEntityName
// spells it, both names lower-cased, in one pass.
void KeyInto(std::string& key, int version, std::string_view entity, std::string_view action) {
  key.clear();
  if (version >= 0 && version <= 9) {
    key += static_cast<char>('0' + version);
  } else {
    key += std::to_string(version);
  }
  // The names written through a pointer into room made once (an append per
  // character cost most of a lookup).
  const size_t at = key.size();
  key.resize(at + entity.size() + action.size() + 2);
  char* p = key.data() + at;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  *p++ = '/';
  for (char c : entity) {
    if (c == '_' || c == '-' || c == ' ') continue;
    *p++ = lower(c);
  }
  *p++ = '/';
  for (char c : action) *p++ = lower(c);
  key.resize(static_cast<size_t>(p - key.data()));
}

// The states registries take on, each once: a registration's state names
// that registry with its specs as they are, whatever its address.
std::atomic<uint64_t> next_state{1};

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
  std::string key;
  KeyInto(key, spec.version, spec.entity, spec.action);
  assert(specs_.count(key) == 0 && "action registered twice");
  specs_.emplace(std::move(key), std::move(spec));
  state_ = next_state.fetch_add(1, std::memory_order_relaxed);
}

const ActionSpec* ActionRegistry::Find(int version, std::string_view entity,
                                       std::string_view action) const {
  // A thread asks for the same action request after request: its last
  // answer is kept, for the names as sent and this registry as it is (a
  // key made, lowered and searched for costs some four hundred
  // instructions, this comparison a tenth of that).
  struct LastFind {
    const ActionRegistry* registry = nullptr;
    uint64_t state = 0;
    int version = 0;
    std::string entity;
    std::string action;
    const ActionSpec* spec = nullptr;
  };
  thread_local LastFind last;
  if (last.registry == this && last.state == state_ && last.version == version &&
      last.entity == entity && last.action == action) {
    return last.spec;
  }
  // The key is written into this thread's buffer, where a key made anew
  // ("2/contact/search" is past std::string's inline size) cost an
  // allocation and a free each time.
  thread_local std::string key;
  KeyInto(key, version, entity, action);
  auto it = specs_.find(key);
  const ActionSpec* spec = it == specs_.end() ? nullptr : &it->second;
  last.registry = this;
  last.state = state_;
  last.version = version;
  last.entity.assign(entity);
  last.action.assign(action);
  last.spec = spec;
  return spec;
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
