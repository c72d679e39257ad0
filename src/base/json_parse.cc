#include "base/json_parse.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error_details.h"

namespace kith {
namespace {

// Builds the Value from nlohmann's SAX events (its SAX parser keeps its own
// stack, so no event recurses). Object members are appended to the ordered
// map's vector directly; a key already present is found through a hash index
// once an object has more than a few members.
class Builder {
 public:
  using Members = Value::object_t::Container;

  Builder(int64_t max_depth, int64_t max_members)
      : max_depth_(max_depth), max_members_(max_members) {}

  Value& root() { return root_; }
  const Status& failure() const { return failure_; }
  bool too_deep() const { return too_deep_; }

  bool null() { return Put(Value()) != nullptr; }
  bool boolean(bool v) { return Put(Value(v)) != nullptr; }
  bool number_integer(Value::number_integer_t v) { return Put(Value(v)) != nullptr; }
  bool number_unsigned(Value::number_unsigned_t v) { return Put(Value(v)) != nullptr; }
  bool number_float(Value::number_float_t v, const std::string&) { return Put(Value(v)) != nullptr; }
  bool string(std::string& v) { return Put(Value(std::move(v))) != nullptr; }
  bool binary(Value::binary_t&) { return false; }  // not produced by JSON text
  bool key(std::string& k) {
    key_ = std::move(k);
    return true;
  }
  bool start_object(std::size_t) { return Open(Value::object()); }
  bool start_array(std::size_t) { return Open(Value::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  struct Frame {
    Value* node;
    std::unordered_map<std::string, size_t> index;  // filled once past kScanned members
  };
  static constexpr size_t kScanned = 8;

  bool Open(Value container) {
    if (static_cast<int64_t>(stack_.size()) >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    Value* placed = Put(std::move(container));
    if (placed == nullptr) return false;
    stack_.push_back(Frame{placed, {}});
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  // Places `v` where the parser is (the root, the next array element, or
  // the member named by the last key); its address, or nullptr to stop.
  Value* Put(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& frame = stack_.back();
    if (frame.node->is_array()) {
      auto& items = frame.node->get_ref<Value::array_t&>();
      items.push_back(std::move(v));
      return &items.back();
    }
    auto& members = static_cast<Members&>(frame.node->get_ref<Value::object_t&>());
    if (std::optional<size_t> at = Find(frame, members)) {
      members[*at].second = std::move(v);
      return &members[*at].second;
    }
    if (static_cast<int64_t>(members.size()) >= max_members_) {
      failure_ = TooLarge("has an object of more than " + std::to_string(max_members_) + " members");
      return nullptr;
    }
    if (!frame.index.empty()) {
      frame.index.emplace(key_, members.size());
    } else if (members.size() == kScanned) {
      for (size_t i = 0; i < members.size(); ++i) frame.index.emplace(members[i].first, i);
      frame.index.emplace(key_, members.size());
    }
    members.emplace_back(std::move(key_), std::move(v));
    return &members.back().second;
  }

  std::optional<size_t> Find(const Frame& frame, const Members& members) const {
    if (!frame.index.empty()) {
      auto it = frame.index.find(key_);
      if (it == frame.index.end()) return std::nullopt;
      return it->second;
    }
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].first == key_) return i;
    }
    return std::nullopt;
  }

  const int64_t max_depth_;
  const int64_t max_members_;
  Value root_;
  std::vector<Frame> stack_;
  std::string key_;
  Status failure_;
  bool too_deep_ = false;
};

}  // namespace

StatusOr<Value> ParseJson(std::string_view text, std::string_view what, int64_t max_depth,
                          int64_t max_members) {
  Builder builder(max_depth, max_members);
  bool ok = Value::sax_parse(text.begin(), text.end(), &builder);
  if (ok) return std::move(builder.root());
  const std::string name(what);
  if (builder.too_deep()) {
    return InvalidArgument(name + " nests deeper than " + std::to_string(max_depth) + " levels",
                           {{"error_field", name}});
  }
  if (!builder.failure().ok()) return TooLarge(name + " " + std::string(builder.failure().message()));
  return InvalidArgument(name + " is not valid JSON", {{"error_field", name}});
}

void MergeMembers(Value& dest, const Value& src, std::initializer_list<std::string_view> skip) {
  if (dest.is_null()) dest = Value::object();
  auto& members = static_cast<Builder::Members&>(dest.get_ref<Value::object_t&>());
  // Reserved first: the index holds views of the keys, which must not move.
  members.reserve(members.size() + src.size());
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(members.size());
  for (size_t i = 0; i < members.size(); ++i) index.emplace(members[i].first, i);
  for (const auto& [key, value] : src.items()) {
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    auto it = index.find(key);
    if (it != index.end()) {
      members[it->second].second = value;
    } else {
      index.emplace(key, members.size());  // a view of src's key, alive as long as src
      members.emplace_back(key, value);
    }
  }
}

}  // namespace kith
