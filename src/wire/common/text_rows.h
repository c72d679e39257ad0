// Rows of flat records written as they are read (AnswerRows), in the forms
// the APIv3 and 3.2 dialects answer them: JSON objects (joined by a
// separator, or each under its "id" member's text as a key) or XML
// <Result> elements in CiviCRM's ResultSet layout, with CiviCRM's
// multi-value strings ("\x01a\x01b\x01") as the dialect renders them. The
// bytes are those the dialect's renderer (wire/v3, wire/v2) writes for the
// same rows built as values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/row_sink.h"
#include "base/value.h"

namespace kith::wire {

class TextRows final : public AnswerRows {
 public:
  enum class Format : uint8_t { kJson, kXml };
  // A text holding CiviCRM's separator \x01: as it is, a JSON list of its
  // parts (APIv3 JSON), or with its leading and trailing separators
  // removed (APIv3 XML, whose escaping turns the inner ones into ',').
  enum class MultiValues : uint8_t { kAsText, kList, kTrimmed };

  struct Options {
    Format format = Format::kJson;
    MultiValues multi_values = MultiValues::kAsText;
    // JSON: each row written as "<its id member's text>":{...} (an object
    // keyed by id) instead of {...}.
    bool keyed_by_id = false;
    std::string separator = ",";  // JSON: between two rows
    std::string id_key = "id";    // the member whose text is a row's id
  };

  // What is derived from a list of keys, once per list (a thread keeps
  // the last few lists' own): JSON: each key's member start after another
  // member, `,"key":`, and its member holding an empty text, `,"key":""`;
  // XML: whether each key is an element's name; the index of the member
  // named `id_name` (the keys' count when none is).
  // JSON also: the row of every key in order, each holding an empty text
  // (the empties joined, the first with its comma), and where each key's
  // text goes in it (between its quotes): a row of every member in key
  // order is this row with its texts put in. XML likewise: the <Result>
  // of every key's element holding no text, and where each text goes.
  struct KeyTexts {
    std::vector<std::string> starts;
    std::vector<std::string> empties;
    std::string empty_row;
    std::vector<size_t> text_at;
    std::string xml_empty_row;
    std::vector<size_t> xml_text_at;
    std::vector<bool> xml_names;
    std::string id_name;
    size_t id_index = 0;
  };

  explicit TextRows(Options options) : options_(std::move(options)) {}

  // The rows written so far (appended to by every row).
  std::string& text() { return out_; }
  int64_t rows() const { return rows_; }
  // The text of the id member (Options::id_key) of the first and of the last row written.
  const std::string& first_id() const { return first_id_; }
  const std::string& last_id() const { return last_id_; }
  // Whether Keys() was called: the rows are written here, not returned.
  bool used() const { return used_; }
  // Forgets every row written (a call run again), and that Keys() was called.
  void Reset();

  // Keeps views of `keys`: what they view must outlive the rows written.
  void Keys(const std::vector<std::string_view>& keys) override;
  // Holds `keys` while rows are written; knows a list it saw lately by its
  // address, without comparing its keys.
  void SharedKeys(const std::shared_ptr<const RowKeys>& keys) override;
  void BeginRow() override;
  void Null(size_t key) override;
  void Bool(size_t key, bool b) override;
  void Int(size_t key, int64_t n) override;
  void Text(size_t key, std::string_view s) override;
  void Any(size_t key, const Value& v) override;
  void EndRow() override;
  // JSON: the row written whole when its texts need no escapes (nor are
  // multi-values), else member by member.
  void TextRow(std::span<const KeyedText> members) override;
  // The keys' empty row with the texts put in, when there is one for every
  // key: JSON when those of `may_escape` need no escapes (nor are
  // multi-values), else as TextRow; XML with those of `may_escape` that
  // need it escaped (or trimmed) first.
  void KeyOrderTextRow(std::span<const std::string_view> texts,
                       std::span<const size_t> may_escape) override;

 private:
  // Where a member goes: the row's own buffer when keyed (its key is known
  // at its end), else the rows' text.
  std::string& Target() { return options_.keyed_by_id ? row_ : out_; }
  void Open(size_t key);
  void Close(size_t key);
  void NoteId(size_t key, std::string_view text);
  void UseKeys(std::span<const std::string_view> keys, const std::shared_ptr<const RowKeys>* shared);
  // Ends a row whose id member's text is in row_id_.
  void CountRow();
  // Opens a JSON row (its separator, its id's key when keyed) whose id
  // member's text is `id` (nullptr: none).
  void OpenJsonRow(const std::string_view* id);
  // Writes the keys' empty row with the text of key i, text(i), put in
  // for each key (every text plain; `text_size` their sizes' sum).
  template <typename TextOfKey>
  void PutKeyOrderRow(TextOfKey text, size_t text_size);
  // The same into `row` (an empty row, `text_at` where its texts go), its
  // first `skip` bytes left out.
  template <typename TextOfKey>
  void PutRow(const std::string& row, const std::vector<size_t>& text_at, size_t skip,
              TextOfKey text, size_t text_size);
  void XmlKeyOrderTextRow(std::span<const std::string_view> texts, std::span<const size_t> may_escape);

  const Options options_;
  std::string out_;
  std::string row_;
  std::span<const std::string_view> keys_;  // own_keys_, or shared_keys_'s views
  std::vector<std::string_view> own_keys_;
  std::shared_ptr<const RowKeys> shared_keys_;
  std::shared_ptr<const KeyTexts> key_texts_;
  size_t id_key_ = 0;
  std::vector<std::string_view> xml_texts_;  // an XML row's texts, some of them escaped ones
  std::vector<std::string> xml_escaped_;     // those escaped, by key
  std::string row_id_;
  std::string first_id_;
  std::string last_id_;
  int64_t rows_ = 0;
  bool first_member_ = true;
  bool used_ = false;
};

}  // namespace kith::wire
