// APIv4 get by id alone written as it is read, whose query is kept per
// thread and used again with the next id (ByIdQuery in v4_get.cc): the same
// rows as the get answered whole, for every id in turn, a trashed record,
// an id that names nothing, and after the catalog changes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/row_sink.h"
#include "entities/testing/builtins_store_test.h"
#include "entities/testing/collected_rows.h"

namespace kith::entities {
namespace {

class V4GetByIdTest : public BuiltinsStoreTest {
 protected:
  StatusOr<Value> Call(const std::string& entity, const std::string& action, Value params,
                       AnswerRows* rows_out = nullptr) {
    return dispatcher_->Run(api::ApiCall{entity, action, std::move(params), 4, rows_out}, caller_);
  }

  int64_t CreateContact(Value values) {
    auto created = Call("Contact", "create", Value{{"values", std::move(values)}});
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? (*created)["values"][0]["id"].get<int64_t>() : 0;
  }

  // The rows of a get by `id` written as read, and as answered whole.
  void ExpectSameRows(const Value& id, size_t expected_rows) {
    const Value params{{"where", Value::array({Value::array({"id", "=", id})})}};
    CollectedRows written;
    auto streamed = Call("Contact", "get", params, &written);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    auto whole = Call("Contact", "get", params);
    ASSERT_TRUE(whole.ok()) << whole.status();
    EXPECT_EQ(written.rows(), (*whole)["values"]) << id.dump();
    EXPECT_EQ(written.rows().size(), expected_rows) << id.dump();
    if (expected_rows == 1 && id.is_number_integer()) {
      EXPECT_EQ(written.rows()[0]["id"], id);
    }
  }
};

TEST_F(V4GetByIdTest, EachIdInTurnGetsItsOwnRow) {
  const int64_t ann = CreateContact(
      Value{{"contact_type", "Individual"}, {"first_name", "Ann"}, {"last_name", "Kept"}});
  const int64_t bob = CreateContact(
      Value{{"contact_type", "Individual"}, {"first_name", "Bob"}, {"last_name", "Kept"}});
  const int64_t org = CreateContact(Value{{"contact_type", "Organization"}, {"organization_name", "Kept Ltd"}});
  // In the trash: a get naming its id still finds it.
  auto trashed = Call("Contact", "update",
                      Value{{"values", {{"is_deleted", true}}},
                            {"where", Value::array({Value::array({"id", "=", bob})})}});
  ASSERT_TRUE(trashed.ok()) << trashed.status();
  for (int round = 0; round < 2; ++round) {
    ExpectSameRows(ann, 1);
    ExpectSameRows(bob, 1);
    ExpectSameRows(org, 1);
    ExpectSameRows(org + 1000, 0);
    ExpectSameRows(std::to_string(ann), 1);  // not an integer: the general path
    ExpectSameRows(ann, 1);
  }
  // A new catalog (a custom field): a new plan, and a query built for it.
  AddContactIntField("Extra", "shoe_size");
  ASSERT_FALSE(HasFatalFailure());
  auto renamed = Call("Contact", "update",
                      Value{{"values", {{"first_name", "Anne"}}},
                            {"where", Value::array({Value::array({"id", "=", ann})})}});
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  for (int round = 0; round < 2; ++round) {
    ExpectSameRows(bob, 1);
    ExpectSameRows(ann, 1);
  }
  CollectedRows written;
  auto got = Call("Contact", "get", Value{{"where", Value::array({Value::array({"id", "=", ann})})}},
                  &written);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(written.rows().size(), 1u);
  EXPECT_EQ(written.rows()[0]["first_name"], "Anne");
}

// Rows of each kind read together: each leaves out the columns of the
// other kinds (told by the row's kind, as an index into the plan's kinds)
// as the rows answered whole do, whatever kind came before it.
TEST_F(V4GetByIdTest, RowsOfEveryKindLeaveOutTheOtherKindsColumns) {
  std::vector<int64_t> ids;
  for (int round = 0; round < 2; ++round) {
    ids.push_back(CreateContact(Value{{"contact_type", "Organization"}, {"organization_name", "Ltd"}}));
    ids.push_back(CreateContact(Value{{"contact_type", "Individual"}, {"first_name", "Ann"}}));
    ids.push_back(CreateContact(Value{{"contact_type", "Household"}, {"household_name", "Home"}}));
  }
  for (const Value& params :
       {Value::object(), Value{{"where", Value::array({Value::array({"id", "IN", ids})})}}}) {
    CollectedRows written;
    auto streamed = Call("Contact", "get", params, &written);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    auto whole = Call("Contact", "get", params);
    ASSERT_TRUE(whole.ok()) << whole.status();
    EXPECT_EQ(written.rows(), (*whole)["values"]) << params.dump();
    ASSERT_GE(written.rows().size(), ids.size());
    size_t with_first_name = 0;
    size_t with_organization_name = 0;
    for (const Value& row : written.rows()) {
      with_first_name += row.contains("first_name") ? 1 : 0;
      with_organization_name += row.contains("organization_name") ? 1 : 0;
      EXPECT_FALSE(row.contains("first_name") && row.contains("organization_name")) << row.dump();
    }
    EXPECT_GE(with_first_name, 2u);
    EXPECT_GE(with_organization_name, 2u);
  }
}

}  // namespace
}  // namespace kith::entities
