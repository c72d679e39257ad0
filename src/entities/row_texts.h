// RowTexts: the texts a row writer makes for its members (a number's, a
// custom value's, a label's) while it writes a row, viewed by the
// AnswerRows::TextRow it hands them to. One list per thread is lent to one
// writer at a time and kept across calls: a get's writer made and freed some
// seventy strings per call (3.2's contact search and APIv3's Contact.get);
// a writer made while the list is lent (none is today) gets a list of its own.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::entities {

class RowTexts {
 public:
  // Room for `n` texts, each holding whatever it held before: a writer
  // assigns a text before it views it.
  explicit RowTexts(size_t n) {
    thread_local Texts kept;
    thread_local bool lent = false;
    if (!lent) {
      lent = true;
      lent_ = &lent;
      texts_ = &kept;
    } else {
      own_.emplace();
      texts_ = &*own_;
    }
    if (texts_->strings.size() < n) texts_->strings.resize(n);
    if (texts_->digits.size() < n) texts_->digits.resize(n);
  }
  ~RowTexts() {
    if (lent_ != nullptr) *lent_ = false;
  }
  RowTexts(const RowTexts&) = delete;
  RowTexts& operator=(const RowTexts&) = delete;

  std::string& operator[](size_t i) { return texts_->strings[i]; }

  // Room for `n` views, a row as it is handed on (a view for each member,
  // of a text here, of a cell, of a kept label), and for `n` indexes the
  // writer marks (AnswerRows::KeyOrderTextRow's texts that may need
  // escapes), kept as the texts are: no list made per call. Each holds
  // whatever it held before; valid while this list is.
  std::string_view* Views(size_t n) {
    if (texts_->views.size() < n) texts_->views.resize(n);
    return texts_->views.data();
  }
  size_t* Marks(size_t n) {
    if (texts_->marked.size() < n) texts_->marked.resize(n);
    return texts_->marked.data();
  }

  // The decimal text of `n` as text `i`, in room of its own beside the
  // string (a whole number's text, written with no string assigned).
  std::string_view Number(size_t i, int64_t n) {
    std::array<char, 20>& room = texts_->digits[i];  // "-9223372036854775808" fits
    const auto written = std::to_chars(room.data(), room.data() + room.size(), n);
    return std::string_view(room.data(), static_cast<size_t>(written.ptr - room.data()));
  }

 private:
  struct Texts {
    std::vector<std::string> strings;
    std::vector<std::array<char, 20>> digits;
    std::vector<std::string_view> views;
    std::vector<size_t> marked;
  };
  bool* lent_ = nullptr;  // the thread's flag, when its list is lent here
  std::optional<Texts> own_;
  Texts* texts_ = nullptr;
};

}  // namespace kith::entities
