#include "wire/common/text_rows.h"

#include <algorithm>

#include "base/strings.h"
#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire {
namespace {

constexpr char kSeparator = '\x01';

std::string_view TrimSeparators(std::string_view s) {
  while (!s.empty() && s.front() == kSeparator) s.remove_prefix(1);
  while (!s.empty() && s.back() == kSeparator) s.remove_suffix(1);
  return s;
}

// `,"key":` and `,"key":""` for each of `keys`: a JSON member's start after
// another member (the first member's is without its comma), and the whole
// member of an empty text. A get writes the same keys call after call: the
// last list a thread rendered is kept (compared by its text).
std::shared_ptr<const TextRows::JsonKeyTexts> JsonKeyTextsOf(const std::vector<std::string_view>& keys) {
  struct Last {
    std::vector<std::string> keys;
    std::shared_ptr<const TextRows::JsonKeyTexts> texts;
  };
  thread_local Last last;
  if (last.texts != nullptr &&
      std::equal(last.keys.begin(), last.keys.end(), keys.begin(), keys.end())) {
    return last.texts;
  }
  auto texts = std::make_shared<TextRows::JsonKeyTexts>();
  texts->starts.reserve(keys.size());
  texts->empties.reserve(keys.size());
  for (std::string_view key : keys) {
    std::string start = ",";
    AppendJsonString(start, key);
    start += ':';
    texts->empties.push_back(start + "\"\"");
    texts->starts.push_back(std::move(start));
  }
  last.keys.assign(keys.begin(), keys.end());
  last.texts = texts;
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
  used_ = true;
  keys_ = keys;
  xml_names_.clear();
  if (options_.format == Format::kJson) json_keys_ = JsonKeyTextsOf(keys);
  id_key_ = keys.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (options_.format == Format::kXml) xml_names_.push_back(IsXmlName(keys[i]));
    if (keys[i] == options_.id_key) id_key_ = i;
  }
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
    const std::string& start = json_keys_->starts[key];
    const size_t skip = first_member_ ? 1 : 0;  // the comma
    out.append(start.data() + skip, start.size() - skip);
  } else if (xml_names_[key]) {
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
  if (xml_names_[key]) {
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
      const std::string& member = json_keys_->empties[key];
      out.append(member.data() + skip, member.size() - skip);
      return;
    }
    const std::string& start = json_keys_->starts[key];
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
  if (rows_ == 0) first_id_ = row_id_;
  last_id_ = row_id_;
  ++rows_;
}

}  // namespace kith::wire
