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
  // The rows written so far (appended to by every row).
  std::string& text() { return out_; }
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

 private:
  // A key's member texts, each after the comma that parts it from the one
  // before: ",\"id\":", and whole members of the key with a constant value.
  struct KeyTexts {
    std::string member;  // ,"key":
    std::string null_member;
    std::string true_member;
    std::string false_member;
  };
  struct RenderedKeys;
  static std::shared_ptr<RenderedKeys> Render(const std::vector<std::string_view>& keys);
  // The rendered texts of `keys` (`shared`: their shared list, or null).
  void UseKeys(const std::vector<std::string_view>& keys,
               const std::shared_ptr<const RowKeys>* shared);
  void Use(const RenderedKeys& rendered);
  // Appends `text`, the comma it starts with left out at a row's first member.
  void Put(const std::string& text);
  void Member(size_t key) { Put((*keys_)[key].member); }

  std::string out_;
  // Each key's texts, shared by the gets that answer the same keys (a
  // thread's recent key lists are kept rendered).
  std::shared_ptr<const std::vector<KeyTexts>> keys_;
  size_t id_key_ = 0;
  int64_t rows_ = 0;
  std::optional<int64_t> last_id_;
  bool first_member_ = true;
  bool used_ = false;
};

}  // namespace kith::wire
