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

// Whether every byte of `s` is kPlain: eight bytes at a time (a byte under
// 0x20 or over 0x7f, a quote or a backslash found by word arithmetic; each
// test is exact for the word as a whole), the tail through the table.
bool AllPlain(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (HasJsonSpecialByte(WordAt(s.data() + i)) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (!kPlain[static_cast<unsigned char>(s[i])]) return false;
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
}  // namespace

struct JsonRows::RenderedKeys {
  std::vector<std::string> keys;  // as given
  std::shared_ptr<const RowKeys> shared;  // held: its address stays its own
  std::shared_ptr<const std::vector<KeyTexts>> texts;
  size_t id_key = 0;
};

void JsonRows::Use(const RenderedKeys& rendered) {
  used_ = true;
  keys_ = rendered.texts;
  id_key_ = rendered.id_key;
}

void JsonRows::Put(const std::string& text) {
  const size_t skip = first_member_ ? 1 : 0;
  first_member_ = false;
  out_.append(text.data() + skip, text.size() - skip);
}

std::shared_ptr<JsonRows::RenderedKeys> JsonRows::Render(const std::vector<std::string_view>& keys) {
  auto rendered = std::make_shared<RenderedKeys>();
  auto texts = std::make_shared<std::vector<KeyTexts>>();
  texts->reserve(keys.size());
  rendered->id_key = keys.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyTexts t;
    t.member = ",";
    AppendString(t.member, keys[i]);
    t.member += ':';
    t.null_member = t.member + "null";
    t.true_member = t.member + "true";
    t.false_member = t.member + "false";
    texts->push_back(std::move(t));
    if (keys[i] == "id") rendered->id_key = i;
  }
  rendered->texts = std::move(texts);
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
      if (r != nullptr && r->shared == *shared) return Use(*r);
    }
  }
  for (const auto& r : recent) {
    if (r != nullptr && std::equal(r->keys.begin(), r->keys.end(), keys.begin(), keys.end())) {
      if (shared != nullptr) r->shared = *shared;
      return Use(*r);
    }
  }
  auto rendered = Render(keys);
  rendered->keys.assign(keys.begin(), keys.end());
  if (shared != nullptr) rendered->shared = *shared;
  Use(*rendered);
  recent[next++ % recent.size()] = std::move(rendered);
}

void JsonRows::BeginRow() {
  // A whole record's row fits without growing the text step by step.
  if (out_.capacity() < kFirstRowBytes) out_.reserve(kFirstRowBytes);
  if (rows_++ > 0) out_ += ',';
  out_ += '{';
  first_member_ = true;
  last_id_.reset();
}

void JsonRows::Null(size_t key) { Put((*keys_)[key].null_member); }

void JsonRows::Bool(size_t key, bool b) {
  const KeyTexts& t = (*keys_)[key];
  Put(b ? t.true_member : t.false_member);
}

void JsonRows::Int(size_t key, int64_t n) {
  Member(key);
  AppendNumber(out_, n);
  if (key == id_key_) last_id_ = n;
}

void JsonRows::Text(size_t key, std::string_view s) {
  Member(key);
  AppendString(out_, s);
}

void JsonRows::Any(size_t key, const Value& v) {
  Member(key);
  AppendJson(out_, v);
  if (key == id_key_ && v.is_number_integer()) last_id_ = v.get<int64_t>();
}

void JsonRows::EndRow() { out_ += '}'; }

}  // namespace kith::wire
