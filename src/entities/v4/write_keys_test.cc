// CreateWithoutAnswer with its keys' plans kept from one call to the next
// (WriteKeys, as kith import keeps them for its header's columns): the same
// records and errors as without, and the keys resolved again when the
// catalog changes between two calls.
#include <gtest/gtest.h>

#include "entities/testing/builtins_store_test.h"
#include "entities/v4/v4_actions.h"

namespace kith::entities {
namespace {

class WriteKeysTest : public BuiltinsStoreTest {
 protected:
  // One contact created without an answer in a transaction of its own.
  StatusOr<int64_t> CreateContact(Value values, v4::WriteKeys* keys) {
    KITH_ASSIGN_OR_RETURN(auto txn, store_->Begin(true));
    std::shared_ptr<const schema::Catalog> catalog = txn->catalog();
    api::ApiCall call{"Contact", "create", Value{{"values", Value::object()}}, 4};
    api::ActionContext ctx{*txn, caller_, *dispatcher_, *catalog, call, call.params};
    KITH_ASSIGN_OR_RETURN(int64_t id, v4::CreateWithoutAnswer(ctx, "Contact", std::move(values), keys));
    KITH_RETURN_IF_ERROR(txn->Commit());
    return id;
  }

  StatusOr<Value> Call(const std::string& entity, const std::string& action, Value params) {
    return dispatcher_->Run(api::ApiCall{entity, action, std::move(params), 4}, caller_);
  }

  // What a get shows of contact `id` (ids, hash and dates aside).
  Value Stored(int64_t id) {
    auto got = Call("Contact", "get",
                    Value{{"select", {"contact_type", "first_name", "last_name", "display_name", "sort_name",
                                      "nick_name", "gender_id:label", "prefix_id:name", "email_greeting_display",
                                      "email_primary.email", "email_primary.is_primary", "phone_primary.phone",
                                      "employer_id", "Extra.shoe_size"}},
                          {"where", Value::array({Value::array({"id", "=", id})})}});
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && (*got)["values"].size() == 1 ? (*got)["values"][0] : Value();
  }

  void MakeShoeSize() { AddContactIntField("Extra", "shoe_size"); }
};

TEST_F(WriteKeysTest, SameRecordsAndErrorsAsKeysResolvedEachTime) {
  MakeShoeSize();
  auto employer = Call("Contact", "create",
                       Value{{"values", {{"contact_type", "Organization"},
                                         {"organization_name", "Keyed Ltd"},
                                         {"external_identifier", "EMP-1"}}}});
  ASSERT_TRUE(employer.ok()) << employer.status();
  // Each kind of key: columns, a computed one (ignored), a column kith does
  // not keep, suffixes, joined records, a custom field, a link by another
  // column; rows naming different keys, and keys that fail.
  const Value records = Value::array({
      Value{{"contact_type", "Individual"}, {"first_name", "Kay"}, {"last_name", "Plan"},
            {"sort_name", "ignored"}, {"preferred_mail_format", "HTML"}, {"gender_id:label", "Female"},
            {"prefix_id:name", "Ms."}, {"email_primary.email", " KAY@Example.org "},
            {"phone_primary.phone", "555-0101"}, {"Extra.shoe_size", "38"},
            {"employer_id.external_identifier", "EMP-1"}},
      Value{{"first_name", "Lou"}, {"last_name", "Plan"}, {"nick_name", "Lulu"}},
      Value{{"contact_type", "Individual"}, {"last_name", "Plan"}, {"Extra.shoe_size", "big"}},
      Value{{"contact_type", "Individual"}, {"last_name", "Plan"}, {"no_such_field", "x"}},
      Value{{"contact_type", "Individual"}, {"last_name", "Plan"}, {"gender_id:label", "Nope"}},
      Value{{"contact_type", "Individual"}, {"last_name", "Plan"}, {"employer_id.external_identifier", "EMP-9"}},
      Value{{"contact_type", "Individual"}, {"first_name", "May"}, {"last_name", "Plan"},
            {"email_primary.email", "may@example.org"}, {"Extra.shoe_size", 41}},
  });
  v4::WriteKeys keys;
  for (int round = 0; round < 2; ++round) {  // the second time with every key's plan kept
    for (const Value& record : records) {
      StatusOr<int64_t> kept = CreateContact(record, &keys);
      StatusOr<int64_t> each = CreateContact(record, nullptr);
      ASSERT_EQ(kept.ok(), each.ok()) << record.dump() << ": " << kept.status() << " / " << each.status();
      if (!kept.ok()) {
        EXPECT_EQ(kept.status(), each.status()) << record.dump();
        continue;
      }
      Value a = Stored(*kept);
      Value b = Stored(*each);
      ASSERT_FALSE(a.is_null());
      a.erase("id");
      b.erase("id");
      EXPECT_EQ(a, b) << record.dump();
    }
  }
  auto kay = Call("Contact", "get",
                  Value{{"select", {"sort_name", "Extra.shoe_size", "email_primary.email", "employer_id"}},
                        {"where", Value::array({Value::array({"first_name", "=", "Kay"})})},
                        {"limit", 1}});
  ASSERT_TRUE(kay.ok()) << kay.status();
  const Value& row = (*kay)["values"][0];
  EXPECT_EQ(row["sort_name"], "Plan, Kay");
  EXPECT_EQ(row["Extra.shoe_size"], 38);
  EXPECT_EQ(row["email_primary.email"], "kay@example.org");
  EXPECT_EQ(row["employer_id"], (*employer)["values"][0]["id"]);
}

TEST_F(WriteKeysTest, KeysResolveAgainWhenTheCatalogChanges) {
  v4::WriteKeys keys;
  const Value record{{"contact_type", "Individual"}, {"last_name", "Later"}, {"Extra.shoe_size", 44}};
  StatusOr<int64_t> before = CreateContact(record, &keys);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().message(), "Invalid field 'Extra.shoe_size'");
  MakeShoeSize();  // a new catalog: the key names a field now
  StatusOr<int64_t> after = CreateContact(record, &keys);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Stored(*after)["Extra.shoe_size"], 44);
}

}  // namespace
}  // namespace kith::entities
