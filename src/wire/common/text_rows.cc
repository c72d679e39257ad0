#include "wire/common/text_rows.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/strings.h"
#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire {
namespace {

constexpr char kSeparator = '\x01';

// Bytes kept free in the rows' text beyond its first row written whole:
// room for the answer's frame around the rows (wire/v3 FrameRows puts it
// in place), so that neither the row nor the frame makes it grow.
constexpr size_t kRoomAround = 256;

// Bytes XmlEscape keeps as they are: printable ASCII (and DEL) but the
// five it writes as entities.
constexpr std::array<bool, 256> kPlainXml = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) {
    plain[c] = c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
  }
  return plain;
}();

bool IsPlainXmlText(std::string_view s) {
  for (char c : s) {
    if (!kPlainXml[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

std::string_view TrimSeparators(std::string_view s) {
  while (!s.empty() && s.front() == kSeparator) s.remove_prefix(1);
  while (!s.empty() && s.back() == kSeparator) s.remove_suffix(1);
  return s;
}

// The KeyTexts of `keys` with `id_name` as the id member's name. A get
// writes the same keys call after call: the last few lists a thread saw
// are kept, known by their RowKeys' address when shared (`shared`), else
// compared by their text.
std::shared_ptr<const TextRows::KeyTexts> KeyTextsOf(std::span<const std::string_view> keys,
                                                     const std::shared_ptr<const RowKeys>* shared,
                                                     std::string_view id_name) {
  struct Seen {
    std::shared_ptr<const RowKeys> shared;  // held: its address stays its own
    std::vector<std::string> keys;
    std::shared_ptr<const TextRows::KeyTexts> texts;
  };
  thread_local std::array<Seen, 4> seen;
  thread_local size_t next = 0;
  if (shared != nullptr) {
    for (const Seen& s : seen) {
      if (s.shared == *shared && s.texts->id_name == id_name) return s.texts;
    }
  }
  for (Seen& s : seen) {
    if (s.texts != nullptr && s.texts->id_name == id_name &&
        std::equal(s.keys.begin(), s.keys.end(), keys.begin(), keys.end())) {
      if (shared != nullptr) s.shared = *shared;
      return s.texts;
    }
  }
  auto texts = std::make_shared<TextRows::KeyTexts>();
  texts->starts.reserve(keys.size());
  texts->empties.reserve(keys.size());
  texts->xml_names.reserve(keys.size());
  texts->text_at.reserve(keys.size());
  texts->id_name = id_name;
  texts->id_index = keys.size();
  texts->xml_text_at.reserve(keys.size());
  texts->xml_empty_row = "<Result>\n";
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string start = ",";
    AppendJsonString(start, keys[i]);
    start += ':';
    texts->empties.push_back(start + "\"\"");
    texts->empty_row += texts->empties.back();
    texts->text_at.push_back(texts->empty_row.size() - 1);
    texts->starts.push_back(std::move(start));
    texts->xml_names.push_back(IsXmlName(keys[i]));
    if (keys[i] == id_name) texts->id_index = i;
    // (the element as TextRows::Open and Close write it)
    std::string& xml = texts->xml_empty_row;
    if (texts->xml_names.back()) {
      xml.append("    <").append(keys[i]).append(">");
      texts->xml_text_at.push_back(xml.size());
      xml.append("</").append(keys[i]).append(">\n");
    } else {
      xml.append("    <item key=\"").append(XmlEscape(keys[i])).append("\">");
      texts->xml_text_at.push_back(xml.size());
      xml.append("</item>\n");
    }
  }
  texts->xml_empty_row += "</Result>\n";
  Seen& s = seen[next];
  next = (next + 1) % seen.size();
  s.shared = shared != nullptr ? *shared : nullptr;
  s.keys.assign(keys.begin(), keys.end());
  s.texts = texts;
  return texts;
}

}  // namespace

void TextRows::Reset() {
  out_.clear();
  rows_ = 0;
  first_id_.clear();
  last_id_.clear();
  used_ = false;
}

void TextRows::Keys(const std::vector<std::string_view>& keys) {
  own_keys_ = keys;
  shared_keys_ = nullptr;
  UseKeys(own_keys_, nullptr);
}

void TextRows::SharedKeys(const std::shared_ptr<const RowKeys>& keys) {
  own_keys_.clear();
  shared_keys_ = keys;
  UseKeys(keys->views(), &keys);
}

void TextRows::UseKeys(std::span<const std::string_view> keys,
                       const std::shared_ptr<const RowKeys>* shared) {
  used_ = true;
  keys_ = keys;
  key_texts_ = KeyTextsOf(keys, shared, options_.id_key);
  id_key_ = key_texts_->id_index;
}

void TextRows::BeginRow() {
  first_member_ = true;
  row_id_.clear();
  if (options_.format == Format::kXml) {
    out_ += "<Result>\n";
    return;
  }
  if (options_.keyed_by_id) {
    row_.clear();
    // A whole record's row fits without growing step by step.
    if (row_.capacity() < 2048) row_.reserve(2048);
    return;
  }
  if (rows_ > 0) out_ += options_.separator;
  out_ += '{';
}

void TextRows::Open(size_t key) {
  std::string& out = Target();
  if (options_.format == Format::kJson) {
    const std::string& start = key_texts_->starts[key];
    const size_t skip = first_member_ ? 1 : 0;  // the comma
    out.append(start.data() + skip, start.size() - skip);
  } else if (key_texts_->xml_names[key]) {
    out += "    <";
    out += keys_[key];
    out += '>';
  } else {
    out += "    <item key=\"";
    out += XmlEscape(keys_[key]);
    out += "\">";
  }
  first_member_ = false;
}

void TextRows::Close(size_t key) {
  if (options_.format == Format::kJson) return;
  if (key_texts_->xml_names[key]) {
    out_ += "</";
    out_ += keys_[key];
    out_ += ">\n";
  } else {
    out_ += "</item>\n";
  }
}

void TextRows::NoteId(size_t key, std::string_view text) {
  if (key == id_key_) row_id_.assign(text);
}

void TextRows::Null(size_t key) {
  Open(key);
  if (options_.format == Format::kJson) Target() += "null";
  Close(key);
}

void TextRows::Bool(size_t key, bool b) {
  Open(key);
  if (options_.format == Format::kJson) {
    Target() += b ? "true" : "false";
  } else if (b) {
    out_ += '1';
  }
  Close(key);
}

void TextRows::Int(size_t key, int64_t n) {
  Open(key);
  std::string text = std::to_string(n);
  Target() += text;
  Close(key);
  NoteId(key, text);
}

void TextRows::Text(size_t key, std::string_view s) {
  NoteId(key, s);
  if (options_.format == Format::kJson && IsPlainJsonText(s)) {
    // The commonest member, a text with nothing to escape (nor a
    // multi-value: its separator is a control character): written whole.
    std::string& out = Target();
    const size_t skip = first_member_ ? 1 : 0;  // the comma
    first_member_ = false;
    if (s.empty()) {
      const std::string& member = key_texts_->empties[key];
      out.append(member.data() + skip, member.size() - skip);
      return;
    }
    const std::string& start = key_texts_->starts[key];
    out.append(start.data() + skip, start.size() - skip);
    out += '"';
    out.append(s);
    out += '"';
    return;
  }
  Open(key);
  std::string& out = Target();
  const bool multi = options_.multi_values != MultiValues::kAsText &&
                     s.find(kSeparator) != std::string_view::npos;
  if (options_.format == Format::kXml) {
    out += XmlEscape(multi ? TrimSeparators(s) : s);
  } else if (multi && options_.multi_values == MultiValues::kList) {
    out += '[';
    bool first = true;
    for (std::string_view part : Split(TrimSeparators(s), kSeparator)) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, part);
    }
    out += ']';
  } else {
    AppendJsonString(out, s);
  }
  Close(key);
}

void TextRows::Any(size_t key, const Value& v) {
  if (v.is_string()) return Text(key, v.get_ref<const std::string&>());
  if (v.is_number_integer() && !v.is_number_unsigned()) return Int(key, v.get<int64_t>());
  if (v.is_boolean()) return Bool(key, v.get<bool>());
  if (v.is_null()) return Null(key);
  if (options_.format == Format::kJson) {
    Open(key);
    AppendJson(Target(), v);
    return;
  }
  // XML: the member as AppendXmlChildren writes it at depth 1.
  Value member = Value::object();
  member[std::string(keys_[key])] = v;
  AppendXmlChildren(member, 1, out_);
}

void TextRows::EndRow() {
  if (options_.format == Format::kXml) {
    out_ += "</Result>\n";
  } else if (options_.keyed_by_id) {
    if (rows_ > 0) out_ += options_.separator;
    AppendJsonString(out_, row_id_);
    out_ += ":{";
    out_ += row_;
    out_ += '}';
  } else {
    out_ += '}';
  }
  CountRow();
}

void TextRows::CountRow() {
  if (rows_ == 0) first_id_ = row_id_;
  last_id_ = row_id_;
  ++rows_;
}

void TextRows::OpenJsonRow(const std::string_view* id) {
  if (id != nullptr) {
    row_id_.assign(*id);
  } else {
    row_id_.clear();
  }
  if (rows_ > 0) out_ += options_.separator;
  if (options_.keyed_by_id) {
    AppendJsonString(out_, row_id_);
    out_ += ':';
  }
  out_ += '{';
}

template <typename TextOfKey>
void TextRows::PutRow(const std::string& row, const std::vector<size_t>& text_at, size_t skip,
                      TextOfKey text, size_t text_size) {
  // Two copies per text, none per empty member (most of a whole record's).
  const size_t at = out_.size();
  out_.resize(at + row.size() - skip + text_size);
  char* p = out_.data() + at;
  size_t from = skip;
  for (size_t i = 0; i < text_at.size(); ++i) {
    const std::string_view t = text(i);
    if (t.empty()) continue;
    const size_t to = text_at[i];
    std::memcpy(p, row.data() + from, to - from);
    p += to - from;
    std::memcpy(p, t.data(), t.size());
    p += t.size();
    from = to;
  }
  std::memcpy(p, row.data() + from, row.size() - from);
}

template <typename TextOfKey>
void TextRows::PutKeyOrderRow(TextOfKey text, size_t text_size) {
  // (the first member's comma left out)
  PutRow(key_texts_->empty_row, key_texts_->text_at, 1, text, text_size);
}

void TextRows::XmlKeyOrderTextRow(std::span<const std::string_view> texts,
                                  std::span<const size_t> may_escape) {
  // The texts as Text writes them: those that XmlEscape would change (or
  // that are multi-values to trim) escaped first, here, the rest as they
  // are (printable ASCII but & < > " ').
  std::span<const std::string_view> put = texts;
  for (size_t i : may_escape) {
    const std::string_view t = texts[i];
    if (IsPlainXmlText(t)) continue;
    if (put.data() == texts.data()) {
      xml_texts_.assign(texts.begin(), texts.end());
      if (xml_escaped_.size() < texts.size()) xml_escaped_.resize(texts.size());
      put = xml_texts_;
    }
    const bool multi = options_.multi_values != MultiValues::kAsText &&
                       t.find(kSeparator) != std::string_view::npos;
    xml_escaped_[i] = XmlEscape(multi ? TrimSeparators(t) : t);
    xml_texts_[i] = xml_escaped_[i];
  }
  size_t text_size = 0;
  for (std::string_view t : put) text_size += t.size();
  if (rows_ == 0) out_.reserve(out_.size() + key_texts_->xml_empty_row.size() + text_size + kRoomAround);
  if (id_key_ < texts.size()) {
    row_id_.assign(texts[id_key_]);
  } else {
    row_id_.clear();
  }
  PutRow(key_texts_->xml_empty_row, key_texts_->xml_text_at, 0, [put](size_t i) { return put[i]; },
         text_size);
  CountRow();
}

void TextRows::KeyOrderTextRow(std::span<const std::string_view> texts,
                               std::span<const size_t> may_escape) {
  if (texts.size() != key_texts_->text_at.size() || texts.empty()) {
    return AnswerRows::KeyOrderTextRow(texts, may_escape);
  }
  if (options_.format == Format::kXml) return XmlKeyOrderTextRow(texts, may_escape);
  // Only the texts that may need it are looked at (most are empty or a
  // number's digits).
  for (size_t i : may_escape) {
    if (!IsPlainJsonText(texts[i])) return AnswerRows::KeyOrderTextRow(texts, may_escape);
  }
  size_t text_size = 0;
  for (std::string_view t : texts) text_size += t.size();
  if (rows_ == 0) {
    // The first row's room at once, and some for the envelope around the
    // rows (grown step by step it was two or three copies of the row).
    out_.reserve(out_.size() + key_texts_->empty_row.size() + text_size + kRoomAround);
  }
  OpenJsonRow(id_key_ < texts.size() ? &texts[id_key_] : nullptr);
  PutKeyOrderRow([texts](size_t i) { return texts[i]; }, text_size);
  out_ += '}';
  CountRow();
}

void TextRows::TextRow(std::span<const KeyedText> members) {
  // The bytes BeginRow, Text and EndRow write, in one piece: a row of
  // every key in order (a whole record's) as KeyOrderTextRow writes it;
  // any other, each member's start (its rendered key) and text between
  // quotes, or its whole empty member, the first without its comma.
  // The id member's text is the last one keyed so, as BeginRow/Text note it.
  if (options_.format != Format::kJson) return AnswerRows::TextRow(members);
  const KeyTexts& texts = *key_texts_;
  bool in_order = members.size() == texts.text_at.size() && !members.empty();  // every key, so far
  size_t size = 0;       // of a row written member by member
  size_t text_size = 0;  // of the texts alone
  const std::string_view* id_text = nullptr;
  for (size_t i = 0; i < members.size(); ++i) {
    const KeyedText& m = members[i];
    if (m.key == id_key_) id_text = &m.text;
    in_order = in_order && m.key == i;
    if (m.text.empty()) {
      size += texts.empties[m.key].size();
    } else if (!IsPlainJsonText(m.text)) {
      return AnswerRows::TextRow(members);
    } else {
      size += texts.starts[m.key].size() + m.text.size() + 2;
      text_size += m.text.size();
    }
  }
  OpenJsonRow(id_text);
  if (in_order) {
    PutKeyOrderRow([members](size_t i) { return members[i].text; }, text_size);
  } else if (!members.empty()) {
    size_t at = out_.size();
    out_.resize(at + size - 1);  // the first member's comma left out
    char* p = out_.data() + at;
    bool first = true;
    auto put = [&p, &first](const std::string& text) {
      const size_t skip = first ? 1 : 0;
      first = false;
      std::memcpy(p, text.data() + skip, text.size() - skip);
      p += text.size() - skip;
    };
    for (const KeyedText& m : members) {
      if (m.text.empty()) {
        put(texts.empties[m.key]);
        continue;
      }
      put(texts.starts[m.key]);
      *p++ = '"';
      std::memcpy(p, m.text.data(), m.text.size());
      p += m.text.size();
      *p++ = '"';
    }
  }
  out_ += '}';
  CountRow();
}

}  // namespace kith::wire
