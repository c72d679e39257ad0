// APIv3 Contact.get written as it is read (ContactCells in v3_contact.cc):
// the same rows as the get answered whole, by id alone (the kept plan) and
// with another filter (a plan built for the call), for texts that need
// escapes, labels, numbers and a custom field; and every text the writer
// is told needs no look (not marked in KeyOrderTextRow's `may_escape`) is
// empty or a number's digits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/row_sink.h"
#include "entities/testing/builtins_store_test.h"
#include "entities/testing/collected_rows.h"

namespace kith::entities {
namespace {

// Whether `s` is a whole number's text, as a writer may copy it unlooked at.
bool IsNumberText(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The rows an AnswerRows is given, as Values, and the texts it was handed
// unmarked that are neither empty nor a number's.
class MarkCheckedRows final : public CollectedRows {
 public:
  void KeyOrderTextRow(std::span<const std::string_view> texts,
                       std::span<const size_t> may_escape) override {
    std::vector<bool> marked(texts.size());
    for (size_t i : may_escape) marked.at(i) = true;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (!marked[i] && !texts[i].empty() && !IsNumberText(texts[i])) {
        unmarked_.push_back(key(i) + "=" + std::string(texts[i]));
      }
    }
    AnswerRows::KeyOrderTextRow(texts, may_escape);
  }

  const std::vector<std::string>& unmarked() const { return unmarked_; }

 private:
  std::vector<std::string> unmarked_;
};

class V3ContactGetTest : public BuiltinsStoreTest {
 protected:
  StatusOr<Value> Call(const std::string& entity, const std::string& action, Value params,
                       int version, AnswerRows* rows_out = nullptr) {
    return dispatcher_->Run(api::ApiCall{entity, action, std::move(params), version, rows_out},
                            caller_);
  }

  int64_t CreateContact(Value values) {
    auto created = Call("Contact", "create", Value{{"values", std::move(values)}}, 4);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? (*created)["values"][0]["id"].get<int64_t>() : 0;
  }

  // The rows of an APIv3 get with `params` written as read, and as answered
  // whole (an object keyed by id).
  void ExpectSameRows(const Value& params, size_t expected_rows) {
    MarkCheckedRows written;
    auto streamed = Call("Contact", "get", params, 3, &written);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    auto whole = Call("Contact", "get", params, 3);
    ASSERT_TRUE(whole.ok()) << whole.status();
    Value whole_rows = Value::array();
    for (const auto& [id, row] : (*whole)["values"].items()) whole_rows.push_back(row);
    EXPECT_EQ(written.rows(), whole_rows) << params.dump();
    EXPECT_EQ(written.rows().size(), expected_rows) << params.dump();
    EXPECT_TRUE(written.unmarked().empty()) << params.dump() << ": " << written.unmarked().front();
  }
};

TEST_F(V3ContactGetTest, WrittenRowsAreTheWholeGetsAndOnlyNumbersGoUnmarked) {
  const int64_t ann = CreateContact(Value{{"contact_type", "Individual"},
                                          {"first_name", "Ann \"Q\" \\ Tab\there"},
                                          {"last_name", "Zoë"},
                                          {"nick_name", "12"},
                                          {"job_title", "-4"},
                                          {"preferred_language", "en_US"},
                                          {"communication_style_id", 1},
                                          {"do_not_email", true}});
  const int64_t org = CreateContact(Value{{"contact_type", "Organization"}, {"organization_name", "Kept Ltd"}});
  for (int round = 0; round < 2; ++round) {
    ExpectSameRows(Value{{"id", ann}}, 1);
    ExpectSameRows(Value{{"id", org}}, 1);
    ExpectSameRows(Value{{"id", org + 1000}}, 0);
    ExpectSameRows(Value{{"id", ann}, {"contact_type", "Individual"}}, 1);
    ExpectSameRows(Value{{"last_name", "Zoë"}}, 1);
  }
  // With a custom field: its member is marked too.
  AddContactIntField("Extra", "shoe_size");
  ASSERT_FALSE(HasFatalFailure());
  ExpectSameRows(Value{{"id", ann}}, 1);
  ExpectSameRows(Value{{"id", ann}, {"return", "first_name,custom_1,preferred_language,languages"}}, 1);
}

}  // namespace
}  // namespace kith::entities
