#include "wire/common/form_params.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/byte_words.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::wire {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A parameter name as it may appear in an error message: printable ASCII kept,
// everything else %-escaped, long names cut.
std::string NameForMessage(std::string_view name) {
  constexpr size_t kMaxShown = 128;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (name.size() > kMaxShown) out += "...";
  return out;
}

constexpr int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// php_url_decode into `out`, except that a malformed escape is an error
// (false). `ascii` says whether every byte decoded is below 0x80 (then the
// text is valid UTF-8 without a check).
bool UrlDecodeInto(std::string_view in, std::string& out, bool& ascii) {
  out.clear();
  out.reserve(in.size());
  unsigned char high = 0;  // the decoded bytes or'ed together
  uint64_t high_words = 0;  // the same, of the words looked at whole
  size_t i = 0;
  while (i < in.size()) {
    // The bytes that stand for themselves, copied a run at a time, found
    // eight at a time while no '+' or '%' is among them.
    size_t run = i;
    while (run + 8 <= in.size()) {
      const uint64_t w = WordAt(in.data() + run);
      if ((HasByte(w, '+') | HasByte(w, '%')) != 0) break;
      high_words |= w;
      run += 8;
    }
    while (run < in.size() && in[run] != '+' && in[run] != '%') high |= static_cast<unsigned char>(in[run++]);
    out.append(in.data() + i, run - i);
    i = run;
    if (i == in.size()) break;
    if (in[i] == '+') {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (in.size() - i < 3) return false;
    int hi = HexDigit(in[i + 1]);
    int lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    high |= static_cast<unsigned char>((hi << 4) | lo);
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 3;
  }
  ascii = high < 0x80 && (high_words & kEachHighBit) == 0;
  return true;
}

// The value of each byte that is a hex digit; kNotHex for any other.
constexpr uint8_t kNotHex = 0xFF;
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> value{};
  for (int c = 0; c < 256; ++c) {
    const int digit = HexDigit(static_cast<char>(c));
    value[c] = digit < 0 ? kNotHex : static_cast<uint8_t>(digit);
  }
  return value;
}();

// Decodes `text` in place as UrlDecodeInto does (a '+' is a space, %XX its
// byte; the text only shrinks), or'ing each byte decoded into `high`; false
// on a malformed escape. A byte at a time through a table: a JSON value is
// mostly escapes (a look at a word, a search and an append per escape cost
// more than its bytes one by one).
bool DecodeInPlace(std::string& text, uint64_t& high) {
  char* const bytes = text.data();
  const size_t n = text.size();
  size_t from = 0;
  size_t to = 0;
  unsigned char decoded = 0;  // every byte decoded, or'ed together
  while (from < n) {
    unsigned char c = static_cast<unsigned char>(bytes[from]);
    if (c == '%') {
      // (A stop is no hex digit: an escape cut by one is malformed either way.)
      if (n - from < 3) return false;
      const uint8_t hi = kHexValue[static_cast<unsigned char>(bytes[from + 1])];
      const uint8_t lo = kHexValue[static_cast<unsigned char>(bytes[from + 2])];
      if ((hi | lo) > 0xF) return false;
      c = static_cast<unsigned char>((hi << 4) | lo);
      from += 3;
    } else {
      if (c == '+') c = ' ';
      ++from;
    }
    decoded |= c;
    bytes[to++] = static_cast<char>(c);
  }
  text.resize(to);
  high |= decoded;
  return true;
}

// Decodes `in` from `at` up to its first `kStop` or `kOtherStop` byte (or
// its end) into `out` as UrlDecodeInto does, or'ing each byte decoded into
// `high`; where it stopped, or npos on a malformed escape. The piece's end,
// and whether a '+' or '%' is in it, are found a word at a time; a piece
// with neither is copied whole, one with them copied and decoded in place
// (DecodeInPlace). (The stops are constants: the same one twice is one test.)
template <char kStop, char kOtherStop>
size_t UrlDecodeUntil(std::string_view in, size_t at, std::string& out, uint64_t& high) {
  const char* const data = in.data();
  size_t end = at;
  uint64_t coded = 0;  // nonzero when a '+' or '%' is before `end`
  uint64_t bytes = 0;  // the bytes before `end`, or'ed together a word at a time
  bool ended = false;
  while (end + 8 <= in.size()) {
    const uint64_t w = WordAt(data + end);
    const uint64_t stops = HasByte(w, static_cast<unsigned char>(kStop)) |
                           HasByte(w, static_cast<unsigned char>(kOtherStop));
    const uint64_t codes = HasByte(w, '+') | HasByte(w, '%');
    if (stops == 0) {
      coded |= codes;
      bytes |= w;
      end += 8;
      continue;
    }
    if constexpr (std::endian::native == std::endian::little) {
      // The lowest flagged stop is the first stop (a flag is exact below
      // the first match; only bytes above it may be flagged wrongly), the
      // word's lowest byte in memory; a '+' or '%' flagged below it is
      // there for the same reason.
      const size_t before = static_cast<size_t>(std::countr_zero(stops)) / 8;
      const uint64_t below = before == 0 ? 0 : ~uint64_t{0} >> (64 - 8 * before);
      coded |= codes & below;
      bytes |= w & below;
      end += before;
      ended = true;
    }
    break;
  }
  while (!ended && end < in.size() && data[end] != kStop && data[end] != kOtherStop) {
    const char c = data[end++];
    coded |= static_cast<uint64_t>(c == '+' || c == '%');
    bytes |= static_cast<unsigned char>(c);
  }
  out.assign(data + at, end - at);
  if (coded == 0) {
    high |= bytes;
    return end;
  }
  return DecodeInPlace(out, high) ? end : std::string_view::npos;
}

// ---------------------------------------------------------------------------
// A PHP-array-like tree: ordered children with a hash index and PHP's
// nNextFreeElement, so that building a request stays linear in its size.

struct Node {
  bool container = false;
  Value leaf;  // when !container
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> children;
  std::unordered_map<std::string, size_t> index;
  int64_t next_free = 0;
  bool next_free_exhausted = false;  // an element with key INT64_MAX exists

  static std::unique_ptr<Node> Leaf(Value v) {
    auto n = std::make_unique<Node>();
    n->leaf = std::move(v);
    return n;
  }
  static std::unique_ptr<Node> Container() {
    auto n = std::make_unique<Node>();
    n->container = true;
    return n;
  }

  Node* Find(const std::string& key) {
    auto it = index.find(key);
    return it == index.end() ? nullptr : children[it->second].second.get();
  }

  // The integer a PHP symtable would make of `key` ("12", "-3"; not "012",
  // "-0", "+1" or anything out of range).
  static std::optional<int64_t> IntegerKey(const std::string& key) {
    if (key.empty() || key.size() > 20) return std::nullopt;
    std::optional<int64_t> v = ParseInt64(key);
    if (!v || std::to_string(*v) != key) return std::nullopt;
    return v;
  }

  void NoteKey(const std::string& key) {
    std::optional<int64_t> h = IntegerKey(key);
    if (!h || *h < next_free) return;
    if (*h == std::numeric_limits<int64_t>::max()) {
      next_free_exhausted = true;
      next_free = *h;
    } else {
      next_free = *h + 1;
    }
  }

  // zend_hash_update: replaces in place (keeping the position) or appends.
  Node* Set(const std::string& key, std::unique_ptr<Node> child) {
    auto it = index.find(key);
    if (it != index.end()) {
      children[it->second].second = std::move(child);
      return children[it->second].second.get();
    }
    index.emplace(key, children.size());
    children.emplace_back(key, std::move(child));
    NoteKey(key);
    return children.back().second.get();
  }

  // zend_hash_next_index_insert; nullptr when the next key would overflow.
  Node* Append(std::unique_ptr<Node> child) {
    if (next_free_exhausted) return nullptr;
    return Set(std::to_string(next_free), std::move(child));
  }
};

std::unique_ptr<Node> FromValue(const Value& v) {
  if (v.is_object()) {
    auto n = Node::Container();
    for (auto it = v.begin(); it != v.end(); ++it) n->Set(it.key(), FromValue(it.value()));
    return n;
  }
  if (v.is_array()) {
    auto n = Node::Container();
    for (size_t i = 0; i < v.size(); ++i) n->Set(std::to_string(i), FromValue(v[i]));
    return n;
  }
  return Node::Leaf(v);
}

Value ToValue(Node& n) {
  if (!n.container) return std::move(n.leaf);
  Value out = Value::object();
  // Keys are unique here, so append to the underlying vector directly:
  // ordered_json's own emplace searches linearly for the key.
  auto& items = static_cast<Value::object_t::Container&>(out.get_ref<Value::object_t&>());
  items.reserve(n.children.size());
  for (auto& [key, child] : n.children) items.emplace_back(key, ToValue(*child));
  return out;
}

// A parsed parameter name: the top-level name, then one entry per bracket
// segment (nullopt for "[]", which appends).
struct ParsedName {
  std::string base;
  std::vector<std::optional<std::string>> path;
};

bool IsPhpSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// php_register_variable_ex's name handling. Returns nullopt when PHP would
// drop the variable; an error when the name nests too deeply.
StatusOr<std::optional<ParsedName>> ParsePhpName(std::string_view raw, int64_t max_nesting) {
  // PHP handles names as C strings.
  if (size_t nul = raw.find('\0'); nul != std::string_view::npos) raw = raw.substr(0, nul);
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);

  ParsedName out;
  size_t p = 0;
  bool is_array = false;
  for (; p < raw.size(); ++p) {
    char c = raw[p];
    if (c == ' ' || c == '.') {
      out.base.push_back('_');
    } else if (c == '[') {
      is_array = true;
      break;
    } else {
      out.base.push_back(c);
    }
  }
  // Discard names that mangling turned into cookie-prefix lookalikes.
  if (StartsWith(out.base, "__Host-") && !StartsWith(raw, "__Host-")) return std::nullopt;
  if (StartsWith(out.base, "__Secure-") && !StartsWith(raw, "__Secure-")) return std::nullopt;
  if (out.base.empty()) return std::nullopt;
  if (!is_array) return out;

  // `p` is at a '['.
  int64_t nest_level = 0;
  while (true) {
    if (++nest_level > max_nesting) {
      return InvalidArgument("Parameter " + NameForMessage(raw) + " nests deeper than " +
                             std::to_string(max_nesting) + " levels");
    }
    size_t ip = p + 1;
    size_t index_s = ip;
    if (ip < raw.size() && IsPhpSpace(raw[ip])) ++ip;
    if (ip < raw.size() && raw[ip] == ']') {
      out.path.emplace_back(std::nullopt);
    } else {
      size_t close = raw.find(']', ip);
      if (close == std::string_view::npos) {
        // Not an index. At the top level the '[' becomes '_' and the rest
        // is mangled like a name; deeper, the rest is ignored.
        if (nest_level == 1) {
          out.base.push_back('_');
          for (size_t k = index_s; k < raw.size(); ++k) {
            char c = raw[k];
            out.base.push_back((c == ' ' || c == '.' || c == '[') ? '_' : c);
          }
        }
        return out;
      }
      out.path.emplace_back(std::string(raw.substr(index_s, close - index_s)));
      ip = close;
    }
    // `ip` is at the closing ']'.
    p = ip + 1;
    if (p < raw.size() && raw[p] == '[') continue;
    return out;  // anything after the ']' is ignored
  }
}

Status AddToTree(const Pairs& pairs, Node& root, int64_t max_nesting) {
  for (const auto& [name, value] : pairs) {
    KITH_ASSIGN_OR_RETURN(std::optional<ParsedName> parsed, ParsePhpName(name, max_nesting));
    if (!parsed) continue;
    Node* table = &root;
    std::optional<std::string> index = std::move(parsed->base);
    bool dropped = false;
    for (auto& segment : parsed->path) {
      Node* element;
      if (!index) {
        element = table->Append(Node::Container());
      } else {
        element = table->Find(*index);
        if (element == nullptr) {
          element = table->Set(*index, Node::Container());
        } else if (!element->container) {
          element = table->Set(*index, Node::Container());
        }
      }
      if (element == nullptr) {
        dropped = true;  // PHP drops the value when the next index overflows
        break;
      }
      table = element;
      index = std::move(segment);
    }
    if (dropped) continue;
    if (!index) {
      table->Append(Node::Leaf(Value(value)));
    } else {
      table->Set(*index, Node::Leaf(Value(value)));
    }
  }
  return absl::OkStatus();
}

// php_autoglobal_merge: arrays merge recursively, anything else overwrites.
void MergeTree(Node& dest, Node& src) {
  for (auto& [key, child] : src.children) {
    Node* existing = dest.Find(key);
    if (child->container && existing != nullptr && existing->container) {
      MergeTree(*existing, *child);
    } else {
      dest.Set(key, std::move(child));
    }
  }
}

// ---------------------------------------------------------------------------
// Content types and multipart/form-data.

struct MediaType {
  std::string type;  // lower-cased "type/subtype"
  bool params_ok = true;  // false when a quoted parameter is unterminated
  std::vector<std::pair<std::string, std::string>> params;  // lower-cased names

  std::optional<std::string> Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};

// Parses `;`-separated parameters (name=value or name="quoted\"value").
// Returns false on an unterminated quoted string.
bool ParseHeaderParams(std::string_view s,
                       std::vector<std::pair<std::string, std::string>>& out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ';' || s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') ++i;
    std::string name = AsciiLower(TrimAscii(s.substr(start, i - start)));
    std::string value;
    if (i < s.size() && s[i] == '=') {
      ++i;
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      if (i < s.size() && s[i] == '"') {
        ++i;
        bool closed = false;
        while (i < s.size()) {
          char c = s[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < s.size()) c = s[i++];
          value.push_back(c);
        }
        if (!closed) return false;
        while (i < s.size() && s[i] != ';') ++i;  // ignore junk after the quote
      } else {
        size_t vstart = i;
        while (i < s.size() && s[i] != ';') ++i;
        value = std::string(TrimAscii(s.substr(vstart, i - vstart)));
      }
    }
    if (!name.empty()) out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

MediaType ParseMediaType(std::string_view header) {
  MediaType mt;
  size_t semi = header.find(';');
  mt.type = AsciiLower(TrimAscii(header.substr(0, semi)));
  if (semi != std::string_view::npos) {
    mt.params_ok = ParseHeaderParams(header.substr(semi + 1), mt.params);
  }
  return mt;
}

Status MalformedMultipart(std::string_view why) {
  return InvalidArgument("Malformed multipart/form-data body: " + std::string(why));
}

// Reads one line starting at `pos` (ending in "\n" or "\r\n"); nullopt when
// there is no line end.
std::optional<std::string_view> ReadLine(std::string_view body, size_t& pos) {
  size_t nl = body.find('\n', pos);
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view line = body.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl + 1;
  return line;
}

// The text fields of a multipart/form-data body, in order. File parts (with
// a filename) are skipped, as PHP moves them to $_FILES.
StatusOr<Pairs> ParseMultipart(const MediaType& mt, std::string_view body) {
  std::optional<std::string> boundary = mt.Param("boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return MalformedMultipart("missing or invalid boundary");
  }
  const std::string delimiter = "--" + *boundary;
  const std::string next_delimiter = "\n" + delimiter;

  size_t pos;
  if (StartsWith(body, delimiter)) {
    pos = delimiter.size();
  } else {
    size_t found = body.find(next_delimiter);
    if (found == std::string_view::npos) return MalformedMultipart("no boundary found");
    pos = found + next_delimiter.size();
  }

  Pairs out;
  while (true) {
    // `pos` is just after a delimiter.
    if (body.substr(pos, 2) == "--") return out;  // close delimiter; epilogue ignored
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) == "\r\n") {
      pos += 2;
    } else if (body.substr(pos, 1) == "\n") {
      pos += 1;
    } else {
      return MalformedMultipart(pos >= body.size() ? "missing close delimiter"
                                                   : "garbage after boundary");
    }

    // Headers.
    std::vector<std::pair<std::string, std::string>> headers;
    while (true) {
      std::optional<std::string_view> line = ReadLine(body, pos);
      if (!line) return MalformedMultipart("unterminated part headers");
      if (line->empty()) break;
      if ((line->front() == ' ' || line->front() == '\t') && !headers.empty()) {
        headers.back().second += " ";
        headers.back().second += std::string(TrimAscii(*line));
        continue;
      }
      size_t colon = line->find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return MalformedMultipart("bad part header line");
      }
      headers.emplace_back(AsciiLower(TrimAscii(line->substr(0, colon))),
                           std::string(TrimAscii(line->substr(colon + 1))));
    }

    // Content, up to the next delimiter.
    size_t end = body.find(next_delimiter, pos);
    if (end == std::string_view::npos) return MalformedMultipart("unterminated part");
    std::string_view content = body.substr(pos, end - pos);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    pos = end + next_delimiter.size();

    const std::string* disposition = nullptr;
    for (const auto& [k, v] : headers) {
      if (k == "content-disposition") {
        disposition = &v;
        break;
      }
    }
    if (disposition == nullptr) return MalformedMultipart("part without Content-Disposition");
    MediaType cd = ParseMediaType(*disposition);
    if (!cd.params_ok || cd.type != "form-data") {
      return MalformedMultipart("part Content-Disposition is not form-data");
    }
    std::optional<std::string> name = cd.Param("name");
    if (!name || name->empty()) return MalformedMultipart("part without a name");
    if (cd.Param("filename") || cd.Param("filename*")) continue;  // a file upload

    if (!IsValidUtf8(*name)) {
      return InvalidArgument("Invalid UTF-8 in parameter " + NameForMessage(*name));
    }
    if (!IsValidUtf8(content)) {
      return InvalidArgument("Invalid UTF-8 in parameter " + *name);
    }
    out.emplace_back(std::move(*name), std::string(content));
  }
}

// Whether PHP keeps `name` as it is, a plain top-level name: not empty, no
// leading space, nothing mangled ('.', ' ') and no bracket or NUL.
bool IsPlainName(std::string_view name) {
  // A loop: find_first_of searches its set with a call per byte of the name.
  for (char c : name) {
    if (c == ' ' || c == '.' || c == '[' || c == '\0') return false;
  }
  return !name.empty();
}

// How many '&'-separated non-empty pieces `s` holds.
size_t CountPieces(std::string_view s) {
  size_t n = 0;
  size_t start = 0;
  while (start < s.size()) {
    size_t amp = s.find('&', start);
    if (amp == std::string_view::npos) amp = s.size();
    if (amp > start) ++n;
    start = amp + 1;
  }
  return n;
}

// The most pairs of plain names put into an object by a search of the
// object per pair (PlainObject, PlainQueryObject); more take the tree.
constexpr size_t kMaxPlain = 16;

// The member of `items` named `name`, added (null) at the end when there is
// none: a later pair with the same name replaces the earlier one in its
// place, as the tree below would do it.
Value& PlainMember(Value::object_t::Container& items, std::string&& name) {
  auto same = std::find_if(items.begin(), items.end(), [&](const auto& item) { return item.first == name; });
  if (same != items.end()) return same->second;
  return items.emplace_back(std::move(name), Value()).second;
}

// The pairs of `lists`, in order, as an object when every name is plain
// (the common request: a few name=value pairs), as PlainMember places
// them. nullopt when a name needs PHP's bracket or mangling rules, or when
// there are too many pairs for a search of the object per pair. The texts
// are moved into the object (left alone when nullopt).
std::optional<Value> PlainObject(std::initializer_list<Pairs*> lists) {
  size_t n = 0;
  for (const Pairs* pairs : lists) {
    if (pairs == nullptr) continue;
    n += pairs->size();
    if (n > kMaxPlain) return std::nullopt;
    for (const auto& [name, value] : *pairs) {
      if (!IsPlainName(name)) return std::nullopt;
    }
  }
  Value out = Value::object();
  auto& items = static_cast<Value::object_t::Container&>(out.get_ref<Value::object_t&>());
  items.reserve(n);
  for (Pairs* pairs : lists) {
    if (pairs == nullptr) continue;
    for (auto& [name, text] : *pairs) PlainMember(items, std::move(name)) = std::move(text);
  }
  return out;
}

// The parameters of a query string alone, decoded straight into their
// object in one pass, when every name is plain and there are at most
// kMaxPlain pieces (and no more than `max_parameters`): the common request,
// without the pairs, the count and the searches for '&' and '=' of the
// general path. nullopt for anything else, a malformed escape or text that
// is not UTF-8 included: the general path then parses the query again and
// answers as it always has.
std::optional<Value> PlainQueryObject(std::string_view query, int64_t max_parameters) {
  const size_t most = std::min<size_t>(kMaxPlain, static_cast<size_t>(std::max<int64_t>(max_parameters, 0)));
  Value out = Value::object();
  auto& items = static_cast<Value::object_t::Container&>(out.get_ref<Value::object_t&>());
  items.reserve(8);
  std::string name;
  size_t pieces = 0;
  size_t at = 0;
  while (at < query.size()) {
    if (query[at] == '&') {  // an empty piece
      ++at;
      continue;
    }
    if (++pieces > most) return std::nullopt;
    uint64_t high = 0;
    at = UrlDecodeUntil<'=', '&'>(query, at, name, high);
    if (at == std::string_view::npos || !IsPlainName(name)) return std::nullopt;
    if ((high & kEachHighBit) != 0 && !IsValidUtf8(name)) return std::nullopt;
    Value& slot = PlainMember(items, std::move(name));  // (name is decoded into again next)
    slot = Value::value_t::string;
    std::string& text = slot.get_ref<std::string&>();
    if (at < query.size() && query[at] == '=') {
      high = 0;
      at = UrlDecodeUntil<'&', '&'>(query, at + 1, text, high);
      if (at == std::string_view::npos) return std::nullopt;
      if ((high & kEachHighBit) != 0 && !IsValidUtf8(text)) return std::nullopt;
    }
  }
  return out;
}

}  // namespace

StatusOr<std::vector<std::pair<std::string, std::string>>> DecodeUrlEncoded(
    std::string_view encoded) {
  Pairs out;
  size_t start = 0;
  while (start <= encoded.size()) {
    size_t amp = encoded.find('&', start);
    if (amp == std::string_view::npos) amp = encoded.size();
    std::string_view piece = encoded.substr(start, amp - start);
    start = amp + 1;
    if (piece.empty()) continue;

    size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);

    // Decoded in place (no text made and moved per name and value).
    auto& [name, value] = out.emplace_back();
    bool ascii = true;
    if (!UrlDecodeInto(raw_name, name, ascii)) {
      return InvalidArgument("Malformed %-escape in parameter name " + NameForMessage(raw_name));
    }
    if (!ascii && !IsValidUtf8(name)) {
      return InvalidArgument("Invalid UTF-8 in parameter " + NameForMessage(raw_name));
    }
    if (!UrlDecodeInto(raw_value, value, ascii)) {
      return InvalidArgument("Malformed %-escape in parameter " + name);
    }
    if (!ascii && !IsValidUtf8(value)) return InvalidArgument("Invalid UTF-8 in parameter " + name);
  }
  return out;
}

Status MergePhpParams(const std::vector<std::pair<std::string, std::string>>& pairs,
                      Value& params, int64_t max_nesting) {
  if (!params.is_null() && !params.is_object()) {
    return InvalidArgument("Request parameters must be an object");
  }
  std::unique_ptr<Node> root = params.is_null() ? Node::Container() : FromValue(params);
  KITH_RETURN_IF_ERROR(AddToTree(pairs, *root, max_nesting));
  params = ToValue(*root);
  return absl::OkStatus();
}

StatusOr<Value> ParseRequestParams(std::string_view query, std::string_view content_type,
                                   std::string_view body, const RequestLimits& limits) {
  // No body to parse (a GET): the query alone, in one pass when it is plain.
  if (content_type.empty()) {
    if (std::optional<Value> plain = PlainQueryObject(query, limits.max_parameters)) {
      return *std::move(plain);
    }
  }
  MediaType mt = ParseMediaType(content_type);
  bool form_body = mt.type == "application/x-www-form-urlencoded";
  bool multipart = mt.type == "multipart/form-data";
  // Counted before anything is decoded: each pair is a non-empty '&'-separated
  // piece, or one multipart part.
  size_t pairs = CountPieces(query);
  if (form_body) pairs += CountPieces(body);
  if (multipart) {
    for (size_t at = body.find("\n--"); at != std::string_view::npos; at = body.find("\n--", at + 3)) {
      ++pairs;
    }
  }
  if (static_cast<int64_t>(pairs) > limits.max_parameters) {
    return TooLarge("The request has more than " + std::to_string(limits.max_parameters) +
                    " parameters");
  }

  KITH_ASSIGN_OR_RETURN(Pairs query_pairs, DecodeUrlEncoded(query));
  std::optional<Pairs> body_pairs;
  if (form_body) {
    KITH_ASSIGN_OR_RETURN(body_pairs, DecodeUrlEncoded(body));
  } else if (multipart) {
    if (!mt.params_ok) return MalformedMultipart("bad Content-Type parameters");
    KITH_ASSIGN_OR_RETURN(body_pairs, ParseMultipart(mt, body));
  }
  if (std::optional<Value> plain = PlainObject({&query_pairs, body_pairs ? &*body_pairs : nullptr})) {
    return *std::move(plain);
  }

  std::unique_ptr<Node> request = Node::Container();
  KITH_RETURN_IF_ERROR(AddToTree(query_pairs, *request, limits.max_nesting_depth));
  if (body_pairs) {
    std::unique_ptr<Node> post = Node::Container();
    KITH_RETURN_IF_ERROR(AddToTree(*body_pairs, *post, limits.max_nesting_depth));
    MergeTree(*request, *post);
  }
  return ToValue(*request);
}

std::string CookieValue(std::string_view cookie_header, std::string_view name) {
  size_t start = 0;
  while (start <= cookie_header.size()) {
    size_t semi = cookie_header.find(';', start);
    if (semi == std::string_view::npos) semi = cookie_header.size();
    std::string_view piece = TrimAscii(cookie_header.substr(start, semi - start));
    start = semi + 1;
    size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    if (TrimAscii(piece.substr(0, eq)) == name && !name.empty()) {
      return std::string(TrimAscii(piece.substr(eq + 1)));
    }
  }
  return "";
}

}  // namespace kith::wire
