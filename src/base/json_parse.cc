#include "base/json_parse.h"

#include <algorithm>
#include <cstdint>
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

// The usual request parameter, small and plain ({"where":[["id","=",2]]}),
// parsed without nlohmann's lexer and SAX machinery (a third of an APIv4
// request's parsing): strings of printable ASCII without escapes, integers
// of up to 18 digits, true, false, null, objects of a few distinct keys.
// Anything else, errors included, answers nullopt and is left to the full
// parser, which makes the same Value of whatever this parses.
class PlainParser {
 public:
  PlainParser(std::string_view text, int64_t max_depth, int64_t max_members)
      : p_(text.data()), end_(text.data() + text.size()),
        max_depth_(std::min<int64_t>(max_depth, kMaxDepth)),
        max_members_(std::min<int64_t>(max_members, kMaxMembers)) {}

  std::optional<Value> Parse() {
    Value v;
    if (!ParseValue(v, 0)) return std::nullopt;
    SkipSpace();
    if (p_ != end_) return std::nullopt;
    return v;
  }

 private:
  static constexpr int64_t kMaxDepth = 16;
  static constexpr int64_t kMaxMembers = 8;

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool String(std::string& out) {
    ++p_;  // the opening quote
    const char* start = p_;
    while (p_ != end_) {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.assign(start, p_);
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    return false;
  }

  // nlohmann's types: a negative integer is signed, any other unsigned.
  bool Number(Value& v) {
    bool negative = *p_ == '-';
    if (negative) ++p_;
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const size_t digits = static_cast<size_t>(p_ - start);
    if (digits == 0 || digits > 18 || (*start == '0' && (digits > 1 || negative))) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    uint64_t n = 0;
    for (const char* d = start; d != p_; ++d) n = n * 10 + static_cast<uint64_t>(*d - '0');
    if (negative) {
      v = Value(-static_cast<int64_t>(n));
    } else {
      v = Value(n);
    }
    return true;
  }

  bool ParseValue(Value& v, int64_t depth) {
    SkipSpace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return Object(v, depth + 1);
      case '[': return Array(v, depth + 1);
      case '"': {
        std::string text;
        if (!String(text)) return false;
        v = Value(std::move(text));
        return true;
      }
      case 't': v = Value(true); return Literal("true");
      case 'f': v = Value(false); return Literal("false");
      case 'n': v = Value(); return Literal("null");
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return Number(v);
        return false;
    }
  }

  // What follows a container's opening bracket, or one of its members.
  enum class Next { kMember, kEnd, kBad };
  Next Opened(char close) {
    ++p_;
    SkipSpace();
    if (p_ == end_ || *p_ != close) return Next::kMember;
    ++p_;
    return Next::kEnd;
  }
  Next AfterMember(char close) {
    SkipSpace();
    if (p_ == end_) return Next::kBad;
    if (*p_ == close) {
      ++p_;
      return Next::kEnd;
    }
    if (*p_ != ',') return Next::kBad;
    ++p_;
    return Next::kMember;
  }

  bool Array(Value& v, int64_t depth) {
    if (depth > max_depth_) return false;
    v = Value::array();
    auto& items = v.get_ref<Value::array_t&>();
    for (Next next = Opened(']'); next != Next::kEnd; next = AfterMember(']')) {
      if (next == Next::kBad || static_cast<int64_t>(items.size()) >= max_members_) return false;
      items.emplace_back();
      if (!ParseValue(items.back(), depth)) return false;
    }
    return true;
  }

  bool Object(Value& v, int64_t depth) {
    if (depth > max_depth_) return false;
    v = Value::object();
    auto& members = static_cast<Value::object_t::Container&>(v.get_ref<Value::object_t&>());
    for (Next next = Opened('}'); next != Next::kEnd; next = AfterMember('}')) {
      if (next == Next::kBad || static_cast<int64_t>(members.size()) >= max_members_) return false;
      SkipSpace();
      if (p_ == end_ || *p_ != '"') return false;
      std::string key;
      if (!String(key)) return false;
      for (const auto& m : members) {
        if (m.first == key) return false;  // a repeated key: the full parser's rule
      }
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      members.emplace_back(std::move(key), Value());
      if (!ParseValue(members.back().second, depth)) return false;
    }
    return true;
  }

  const char* p_;
  const char* const end_;
  const int64_t max_depth_;
  const int64_t max_members_;
};

}  // namespace

StatusOr<Value> ParseJson(std::string_view text, std::string_view what, int64_t max_depth,
                          int64_t max_members) {
  if (text.size() <= 4096) {
    if (std::optional<Value> plain = PlainParser(text, max_depth, max_members).Parse()) {
      return std::move(*plain);
    }
  }
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
  if (members.size() + src.size() <= 16) {
    // A few members (a request's json= params and form fields): looked for one by one.
    for (const auto& item : src.items()) {
      const std::string& key = item.key();
      const Value& value = item.value();
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      auto it = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.first == key; });
      if (it != members.end()) {
        it->second = value;
      } else {
        members.emplace_back(key, value);
      }
    }
    return;
  }
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
