// CollectedRows: an AnswerRows that keeps the rows it is given as Values,
// for tests that compare rows written as read with a get's whole answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/row_sink.h"
#include "base/value.h"

namespace kith::entities {

class CollectedRows : public AnswerRows {
 public:
  void Keys(const std::vector<std::string_view>& keys) override {
    keys_.assign(keys.begin(), keys.end());
  }
  void BeginRow() override { row_ = Value::object(); }
  void Null(size_t key) override { row_[keys_[key]] = nullptr; }
  void Bool(size_t key, bool b) override { row_[keys_[key]] = b; }
  void Int(size_t key, int64_t n) override { row_[keys_[key]] = n; }
  void Text(size_t key, std::string_view s) override { row_[keys_[key]] = std::string(s); }
  void Any(size_t key, const Value& v) override { row_[keys_[key]] = v; }
  void EndRow() override { rows_.push_back(std::move(row_)); }

  const Value& rows() const { return rows_; }
  const std::string& key(size_t i) const { return keys_.at(i); }

 private:
  std::vector<std::string> keys_;
  Value row_;
  Value rows_ = Value::array();
};

}  // namespace kith::entities
