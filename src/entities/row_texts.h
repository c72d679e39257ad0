// RowTexts: the texts a row writer makes for its members (a number's, a
// custom value's, a label's) while it writes a row, viewed by the
// AnswerRows::TextRow it hands them to. One list per thread is lent to one
// writer at a time and kept across calls: a get's writer made and freed some
// seventy strings per call (3.2's contact search and APIv3's Contact.get);
// a writer made while the list is lent (none is today) gets a list of its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kith::entities {

class RowTexts {
 public:
  // Room for `n` texts, each holding whatever it held before: a writer
  // assigns a text before it views it.
  explicit RowTexts(size_t n) {
    thread_local std::vector<std::string> kept;
    thread_local bool lent = false;
    if (!lent) {
      lent = true;
      lent_ = &lent;
      texts_ = &kept;
    } else {
      own_.emplace();
      texts_ = &*own_;
    }
    if (texts_->size() < n) texts_->resize(n);
  }
  ~RowTexts() {
    if (lent_ != nullptr) *lent_ = false;
  }
  RowTexts(const RowTexts&) = delete;
  RowTexts& operator=(const RowTexts&) = delete;

  std::string& operator[](size_t i) { return (*texts_)[i]; }

 private:
  bool* lent_ = nullptr;  // the thread's flag, when its list is lent here
  std::optional<std::vector<std::string>> own_;
  std::vector<std::string>* texts_ = nullptr;
};

}  // namespace kith::entities
