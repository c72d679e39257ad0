// Rows written as they are read, with no Value per row: the store hands a
// read's cells to a CellRows (store::Transaction::SelectEach), and an action
// that knows its answer's shape writes each row's members to an AnswerRows,
// which a wire adapter renders (wire::JsonRows). A get of a whole record thus
// goes from the statement to the answer's text without building, copying
// and destroying a value tree per row.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/value.h"

namespace kith {

// One cell of a row as the store read it. Text views (and `value`) are
// valid only during the CellRows::Row call that passes them.
struct Cell {
  enum class Kind : uint8_t { kNull, kInt, kDouble, kText, kValue };
  Kind kind = Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string_view text;
  const Value* value = nullptr;  // kValue: what a store read as a structure (a list column)

  // The cell as a Value (what Transaction::Select has in its rows).
  Value ToValue() const;
  // The cell of `v` (a view of it: `v` must outlive the cell).
  static Cell Of(const Value& v);
};

// Receives a read's rows, their cells in the query's select order.
class CellRows {
 public:
  virtual ~CellRows() = default;
  // An error stops the read and is its result.
  virtual Status Row(std::span<const Cell> cells) = 0;
};

// The member keys of an answer's rows, made once for a shape of row (a get
// kept across calls) and shared: a writer may keep what it derives from
// them (their rendered texts) for as long as it holds the list, and know
// the same list again by its address.
class RowKeys {
 public:
  explicit RowKeys(std::vector<std::string> names) : names_(std::move(names)) {
    views_.assign(names_.begin(), names_.end());
  }
  RowKeys(const RowKeys&) = delete;
  RowKeys& operator=(const RowKeys&) = delete;
  const std::vector<std::string_view>& views() const { return views_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::string_view> views_;  // of names_
};

// A member of a row written whole (AnswerRows::TextRow): the index of its
// key and its text.
struct KeyedText {
  size_t key;
  std::string_view text;
};

// Where an answer's rows go when they are written as they are read: each
// row's members in order, keyed by the index of their key in Keys().
class AnswerRows {
 public:
  virtual ~AnswerRows() = default;
  // The members' keys, before the first row.
  virtual void Keys(const std::vector<std::string_view>& keys) = 0;
  // The same, as a shared list (RowKeys): by default as its views.
  virtual void SharedKeys(const std::shared_ptr<const RowKeys>& keys) { Keys(keys->views()); }
  virtual void BeginRow() = 0;
  virtual void Null(size_t key) = 0;
  virtual void Bool(size_t key, bool b) = 0;
  virtual void Int(size_t key, int64_t n) = 0;
  virtual void Text(size_t key, std::string_view s) = 0;
  virtual void Any(size_t key, const Value& v) = 0;
  virtual void EndRow() = 0;
  // A row whose members are all texts, in order: by default BeginRow(),
  // Text() for each member, EndRow(); a writer may write it in one go,
  // with the same bytes (one call per row, not one per member).
  virtual void TextRow(std::span<const KeyedText> members) {
    BeginRow();
    for (const KeyedText& m : members) Text(m.key, m.text);
    EndRow();
  }
  // A row of a text for every key, `texts[i]` the member of key i (a whole
  // record's): by default TextRow of the same members; a writer may write
  // it from what it derived of the keys in their order. `may_escape` lists
  // the indexes of the texts that may hold a byte a writer escapes or
  // renders apart; every other text must be empty or a number's digits (a
  // writer may copy those as they are, unlooked at).
  virtual void KeyOrderTextRow(std::span<const std::string_view> texts,
                               [[maybe_unused]] std::span<const size_t> may_escape) {
    std::vector<KeyedText> members;
    members.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) members.push_back({i, texts[i]});
    TextRow(members);
  }
};

inline Value Cell::ToValue() const {
  switch (kind) {
    case Kind::kNull: return nullptr;
    case Kind::kInt: return integer;
    case Kind::kDouble: return real;
    case Kind::kText: return std::string(text);
    case Kind::kValue: return *value;
  }
  return nullptr;
}

inline Cell Cell::Of(const Value& v) {
  Cell c;
  if (v.is_null()) return c;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    c.kind = Kind::kInt;
    c.integer = v.get<int64_t>();
  } else if (v.is_number_float()) {
    c.kind = Kind::kDouble;
    c.real = v.get<double>();
  } else if (v.is_string()) {
    c.kind = Kind::kText;
    c.text = v.get_ref<const std::string&>();
  } else {
    c.kind = Kind::kValue;
    c.value = &v;
  }
  return c;
}

}  // namespace kith
