#include "wire/common/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <string_view>

#include "base/byte_words.h"

namespace kith::wire {
namespace {

std::string Dump(const Value& v, int indent) {
  try {
    return v.dump(indent, ' ', /*ensure_ascii=*/false, Value::error_handler_t::replace);
  } catch (...) {
    // Only allocation failure can get here; a JSON null is the least bad answer.
    return "null";
  }
}

// Bytes a JSON string writes as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// Whether every byte of `s` is kPlain, each looked at once: eight bytes at
// a time (a byte under 0x20 or over 0x7f, a quote or a backslash found by
// word arithmetic; each test is exact for the word as a whole), the last
// word overlapping the one before it; under eight bytes, four and four
// (overlapping); under four, through the table. (A tail looked up byte by
// byte cost more than the words before it in a short text.)
bool AllPlain(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t special = 0;
    for (size_t i = 0; i + 8 < n; i += 8) special |= HasJsonSpecialByte(WordAt(p + i));
    return (special | HasJsonSpecialByte(WordAt(p + n - 8))) == 0;
  }
  if (n >= 4) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return HasJsonSpecialByte(head | (static_cast<uint64_t>(tail) << 32)) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!kPlain[static_cast<unsigned char>(p[i])]) return false;
  }
  return true;
}

void AppendString(std::string& out, std::string_view s) {
  // The usual case, printable ASCII with nothing to escape, as it is (one
  // check a word, one append); the rest (escapes, UTF-8 checked and
  // repaired) by nlohmann's serializer.
  if (!AllPlain(s)) {
    out += Dump(Value(std::string(s)), -1);
    return;
  }
  const size_t at = out.size();
  out.resize(at + s.size() + 2);
  char* p = out.data() + at;
  *p++ = '"';
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '"';
}

template <typename Number>
void AppendNumber(std::string& out, Number n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// The compact form written straight into one string: nlohmann's dump spends
// most of its time on strings a character at a time (a sixth of an APIv4
// get's own work); the output is the same byte for byte.
void Append(std::string& out, const Value& v, StringValueWriter strings) {
  switch (v.type()) {
    case Value::value_t::null:
      out += "null";
      return;
    case Value::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Value::value_t::number_integer:
      AppendNumber(out, v.get<int64_t>());
      return;
    case Value::value_t::number_unsigned:
      AppendNumber(out, v.get<uint64_t>());
      return;
    case Value::value_t::string:
      if (strings == nullptr || !strings(out, v.get_ref<const std::string&>())) {
        AppendString(out, v.get_ref<const std::string&>());
      }
      return;
    case Value::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.items()) {
        if (!first) out += ',';
        first = false;
        AppendString(out, key);
        out += ':';
        Append(out, member, strings);
      }
      out += '}';
      return;
    }
    case Value::value_t::array: {
      out += '[';
      bool first = true;
      for (const Value& element : v) {
        if (!first) out += ',';
        first = false;
        Append(out, element, strings);
      }
      out += ']';
      return;
    }
    default:  // doubles (their shortest form), binary
      out += Dump(v, -1);
      return;
  }
}

}  // namespace

std::string ToJson(const Value& v) {
  try {
    std::string out;
    out.reserve(4096);  // a whole record's answer fits without growing
    Append(out, v, nullptr);
    return out;
  } catch (...) {
    return "null";  // allocation failure, as in Dump
  }
}

void AppendJson(std::string& out, const Value& v) { AppendJson(out, v, nullptr); }

void AppendJson(std::string& out, const Value& v, StringValueWriter strings) {
  size_t size = out.size();
  try {
    Append(out, v, strings);
  } catch (...) {
    out.resize(size);
    out += "null";  // allocation failure, as in Dump
  }
}

void AppendJsonString(std::string& out, std::string_view s) { AppendString(out, s); }

bool IsPlainJsonText(std::string_view s) { return AllPlain(s); }

std::string ToJsonPretty(const Value& v) { return Dump(v, 4); }

namespace {

constexpr size_t kFirstRowBytes = 4096;

// Copies `n` bytes in whole 16-byte blocks: reads and writes up to 15
// bytes past them (JsonRows::kSlack), the blocks' copies inlined where a
// call to memcpy would cost more than a short member's copy.
inline void CopyBlocks(char* to, const char* from, size_t n) {
  static_assert(JsonRows::kSlack >= 16);
  size_t i = 0;
  do {
    std::memcpy(to + i, from + i, 16);
    i += 16;
  } while (i < n);
}

// Copies `s` to `to` (exactly its bytes) and answers whether every byte is
// kPlain, looking at each once: words, the last overlapping the one
// before; four bytes and four (overlapping) under eight; a byte at a time
// under four.
inline bool CopyIfPlain(char* to, std::string_view s) {
  const char* from = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t special = 0;
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
      const uint64_t w = WordAt(from + i);
      special |= HasJsonSpecialByte(w);
      std::memcpy(to + i, &w, 8);
    }
    const uint64_t last = WordAt(from + n - 8);
    special |= HasJsonSpecialByte(last);
    std::memcpy(to + n - 8, &last, 8);
    return special == 0;
  }
  if (n >= 4) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + n - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + n - 4, &tail, 4);
    return HasJsonSpecialByte(head | (static_cast<uint64_t>(tail) << 32)) == 0;
  }
  bool plain = true;
  for (size_t i = 0; i < n; ++i) {
    plain = plain && kPlain[static_cast<unsigned char>(from[i])];
    to[i] = from[i];
  }
  return plain;
}

}  // namespace

struct JsonRows::RenderedKeys {
  std::vector<std::string> keys;  // as given
  std::shared_ptr<const RowKeys> shared;  // held: its address stays its own
  std::string arena;  // every key's texts, then kSlack bytes
  std::vector<KeyTexts> texts;
  size_t id_key = 0;
};

JsonRows::JsonRows() = default;
JsonRows::~JsonRows() = default;

void JsonRows::Use(const std::shared_ptr<RenderedKeys>& rendered) {
  used_ = true;
  rendered_ = rendered;
  keys_ = rendered->texts.data();
  arena_ = rendered->arena.data();
  id_key_ = rendered->id_key;
}

void JsonRows::Grow(size_t n) {
  const size_t cap = std::max({cap_ * 2, size_ + n + kSlack, kFirstRowBytes});
  std::unique_ptr<char[]> grown(new char[cap]);
  if (size_ > 0) std::memcpy(grown.get(), buf_.get(), size_);
  buf_ = std::move(grown);
  cap_ = cap;
}

void JsonRows::Put(Piece piece) {
  CopyBlocks(Room(piece.size), arena_ + piece.at, piece.size);
  size_ += piece.size;
}

void JsonRows::Append(std::string_view s) {
  char* to = Room(s.size());
  if (!s.empty()) std::memcpy(to, s.data(), s.size());
  size_ += s.size();
}

std::shared_ptr<JsonRows::RenderedKeys> JsonRows::Render(const std::vector<std::string_view>& keys) {
  auto rendered = std::make_shared<RenderedKeys>();
  rendered->texts.reserve(keys.size());
  rendered->id_key = keys.size();
  std::string& arena = rendered->arena;
  auto add = [&arena](std::string_view text) {
    Piece piece{static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(text.size())};
    arena += text;
    return piece;
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string member = ",";
    AppendString(member, keys[i]);
    member += ':';
    KeyTexts t;
    t.member = add(member);
    t.null_member = add(member + "null");
    t.true_member = add(member + "true");
    t.false_member = add(member + "false");
    rendered->texts.push_back(t);
    if (keys[i] == "id") rendered->id_key = i;
  }
  arena.append(kSlack, ' ');
  return rendered;
}

void JsonRows::Keys(const std::vector<std::string_view>& keys) { UseKeys(keys, nullptr); }

void JsonRows::SharedKeys(const std::shared_ptr<const RowKeys>& keys) {
  UseKeys(keys->views(), &keys);
}

void JsonRows::UseKeys(const std::vector<std::string_view>& keys,
                       const std::shared_ptr<const RowKeys>* shared) {
  // A get answers the same keys call after call: the last few key lists a
  // thread has seen are kept rendered, known by their RowKeys' address when
  // shared, else compared by their text.
  thread_local std::array<std::shared_ptr<RenderedKeys>, 4> recent;
  thread_local size_t next = 0;
  if (shared != nullptr) {
    for (const auto& r : recent) {
      if (r != nullptr && r->shared == *shared) return Use(r);
    }
  }
  for (const auto& r : recent) {
    if (r != nullptr && std::equal(r->keys.begin(), r->keys.end(), keys.begin(), keys.end())) {
      if (shared != nullptr) r->shared = *shared;
      return Use(r);
    }
  }
  auto rendered = Render(keys);
  rendered->keys.assign(keys.begin(), keys.end());
  if (shared != nullptr) rendered->shared = *shared;
  Use(rendered);
  recent[next++ % recent.size()] = std::move(rendered);
}

void JsonRows::BeginRow() {
  // Members are written each with its comma; the first one's becomes the
  // row's '{' at its end (a check a member less).
  if (rows_++ > 0) {
    *Room(1) = ',';
    ++size_;
  }
  row_start_ = size_;
  last_id_.reset();
}

void JsonRows::Null(size_t key) { Put(keys_[key].null_member); }

void JsonRows::Bool(size_t key, bool b) {
  const KeyTexts& t = keys_[key];
  Put(b ? t.true_member : t.false_member);
}

void JsonRows::Int(size_t key, int64_t n) {
  const Piece member = keys_[key].member;
  char* to = Room(member.size + 20);
  CopyBlocks(to, arena_ + member.at, member.size);
  to += member.size;
  char* end = std::to_chars(to, to + 20, n).ptr;
  size_ = static_cast<size_t>(end - buf_.get());
  if (key == id_key_) last_id_ = n;
}

void JsonRows::Text(size_t key, std::string_view s) {
  const Piece member = keys_[key].member;
  char* to = Room(member.size + s.size() + 2);
  CopyBlocks(to, arena_ + member.at, member.size);
  to += member.size;
  *to = '"';
  if (CopyIfPlain(to + 1, s)) {
    to[1 + s.size()] = '"';
    size_ += member.size + s.size() + 2;
    return;
  }
  // Escapes, or UTF-8 to check: as any string is written.
  size_ += member.size;
  std::string escaped;
  AppendString(escaped, s);
  Append(escaped);
}

void JsonRows::Any(size_t key, const Value& v) {
  std::string text;
  AppendJson(text, v);
  Put(keys_[key].member);
  Append(text);
  if (key == id_key_ && v.is_number_integer()) last_id_ = v.get<int64_t>();
}

void JsonRows::EndRow() {
  if (size_ == row_start_) {
    std::memcpy(Room(2), "{}", 2);
    size_ += 2;
    return;
  }
  buf_[row_start_] = '{';
  *Room(1) = '}';
  ++size_;
}

}  // namespace kith::wire
