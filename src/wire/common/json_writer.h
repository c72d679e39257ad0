// JSON rendering of API results as PHP's json_encode does with
// JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE: '/' and non-ASCII text are
// written as-is, control characters as \uXXXX (or \n, \t, ...). Invalid UTF-8
// in strings is replaced by U+FFFD instead of failing. Object keys keep their
// insertion order. Never throws. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/row_sink.h"
#include "base/value.h"

namespace kith::wire {

// Compact form: {"is_error":0,"values":[]}.
std::string ToJson(const Value& v);

// The compact form appended to `out` (a streamed answer's rows).
void AppendJson(std::string& out, const Value& v);

// A JSON string of `s` appended to `out`: the bytes AppendJson writes for
// a string Value holding `s`.
void AppendJsonString(std::string& out, std::string_view s);

// Whether AppendJsonString writes `s` as it is between two quotes (printable
// ASCII without '"' or '\\'; CiviCRM's multi-value separator is not).
bool IsPlainJsonText(std::string_view s);

// A writer of some string values of its own: writes `s` to `out` and
// answers true, or answers false to have it written as any string.
using StringValueWriter = bool (*)(std::string& out, const std::string& s);

// The compact form appended to `out`, string values (not keys) offered to
// `strings` first: a dialect's answer written without a rewritten copy.
void AppendJson(std::string& out, const Value& v, StringValueWriter strings);

// JSON_PRETTY_PRINT form: 4-space indentation, "key": value.
std::string ToJsonPretty(const Value& v);

// Rows written as they are read (AnswerRows), in the compact form: the
// bytes AppendJson writes for the same rows as objects, joined by commas.
class JsonRows final : public AnswerRows {
 public:
  JsonRows();
  ~JsonRows() override;
  JsonRows(const JsonRows&) = delete;
  JsonRows& operator=(const JsonRows&) = delete;

  // The rows written so far (and not cleared).
  std::string_view text() const { return {buf_.get(), size_}; }
  // Forgets the text written so far (taken away), not the rows' count.
  void ClearText() { size_ = 0; }
  int64_t rows() const { return rows_; }
  // The integer written under the key "id" in the last row, if one was.
  std::optional<int64_t> last_id() const { return last_id_; }
  // Whether Keys() was called: the rows are written here, not returned.
  bool used() const { return used_; }

  void Keys(const std::vector<std::string_view>& keys) override;
  // Known by the list's address when seen before, not by its fifty texts.
  void SharedKeys(const std::shared_ptr<const RowKeys>& keys) override;
  void BeginRow() override;
  void Null(size_t key) override;
  void Bool(size_t key, bool b) override;
  void Int(size_t key, int64_t n) override;
  void Text(size_t key, std::string_view s) override;
  void Any(size_t key, const Value& v) override;
  void EndRow() override;

  // How many bytes past what it copies a padded copy may read and write:
  // the rendered keys' texts are followed by as many, and the text always
  // has that room after what is written.
  static constexpr size_t kSlack = 16;

 private:
  // A text in the rendered keys' arena: where it starts and its size.
  struct Piece {
    uint32_t at = 0;
    uint32_t size = 0;
  };
  // A key's member texts, each with the comma that parts it from the member
  // before it: ",\"id\":", and whole members of the key with a constant value.
  struct KeyTexts {
    Piece member;  // ,"key":
    Piece null_member;
    Piece true_member;
    Piece false_member;
  };
  struct RenderedKeys;
  static std::shared_ptr<RenderedKeys> Render(const std::vector<std::string_view>& keys);
  // The rendered texts of `keys` (`shared`: their shared list, or null).
  void UseKeys(const std::vector<std::string_view>& keys,
               const std::shared_ptr<const RowKeys>* shared);
  void Use(const std::shared_ptr<RenderedKeys>& rendered);
  // Room for `n` more bytes, and kSlack after them: where they go.
  char* Room(size_t n) {
    if (cap_ - size_ < n + kSlack) Grow(n);
    return buf_.get() + size_;
  }
  // (Kept out of line: inlined, it made every member's write save and
  // restore six registers.)
  [[gnu::noinline]] void Grow(size_t n);
  // Appends a piece of the arena (a copy of whole 16-byte blocks).
  void Put(Piece piece);
  void Append(std::string_view s);

  // The text: size_ bytes written of cap_. Every member starts with its
  // comma; a row's first member's comma is overwritten by the row's '{'.
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
  size_t row_start_ = 0;  // where the row being written starts
  // Each key's texts, shared by the gets that answer the same keys (a
  // thread's recent key lists are kept rendered), and their arena.
  std::shared_ptr<const RenderedKeys> rendered_;
  const KeyTexts* keys_ = nullptr;
  const char* arena_ = nullptr;
  size_t id_key_ = 0;
  int64_t rows_ = 0;
  std::optional<int64_t> last_id_;
  bool used_ = false;
};

}  // namespace kith::wire
