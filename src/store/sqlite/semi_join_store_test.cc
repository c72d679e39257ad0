// `id IN (subquery)` joined instead (sql_builder.h) on a real SQLite file:
// the same rows, in the same order, with the same counts as the IN it
// replaces, page by page; never a repeated row; the IN kept where a join
// could repeat rows; and the plan the rewrite is for (an index walked in id
// order, no list of every member, no sort) for dense and sparse groups.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "store/internal/sql_builder.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

constexpr int kContacts = 90;

class SemiJoinStoreTest : public FreshStoreTest {
 protected:
  void SetUp() override {
    FreshStoreTest::SetUp();
    if (HasFatalFailure()) return;
    auto txn = store_->Begin(true).value();
    for (int i = 0; i < kContacts; ++i) {
      auto id = txn->Insert("Contact", {{"contact_type", "Individual"},
                                        {"last_name", i % 3 == 0 ? "Three" : "Other"}});
      ASSERT_TRUE(id.ok()) << id.status();
      ids_.push_back(*id);
    }
    // Inserted out of id order, so that the table's own order is no help.
    dense_ = AddGroup(*txn, "dense");
    sparse_ = AddGroup(*txn, "sparse");
    mixed_ = AddGroup(*txn, "mixed");
    for (int i = kContacts - 1; i >= 0; --i) {
      if (i % 2 == 0) Member(*txn, dense_, ids_[i], "Added");
      if (i == 5 || i == 44 || i == 87) Member(*txn, sparse_, ids_[i], "Added");
      if (i % 5 == 0) Member(*txn, mixed_, ids_[i], i % 10 == 0 ? "Added" : "Removed");
      if (i % 7 == 0) Member(*txn, mixed_, ids_[i], "Pending", /*only_if_absent=*/true);
    }
    CreateCustomGroup(*txn, "Info", /*multiple=*/false, &info_column_);
    CreateCustomGroup(*txn, "Visits", /*multiple=*/true, &visits_column_);
    for (int i = kContacts - 1; i >= 0; --i) {
      ASSERT_TRUE(txn->Insert("Custom_Info", {{"entity_id", ids_[i]},
                                              {info_column_, i % 4 == 0 ? "Gold" : "Lead"}})
                      .ok());
      // Two matching rows for some contacts: a join would repeat them.
      for (int r = 0; r < (i % 3 == 0 ? 2 : i % 3 == 1 ? 1 : 0); ++r) {
        ASSERT_TRUE(txn->Insert("Custom_Visits", {{"entity_id", ids_[i]}, {visits_column_, "Gold"}})
                        .ok());
      }
    }
    ASSERT_TRUE(txn->Commit().ok());
  }

  int64_t AddGroup(Transaction& txn, const std::string& name) {
    auto id = txn.Insert("Group", {{"name", name}, {"title", name}});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }

  void Member(Transaction& txn, int64_t group, int64_t contact, const char* status,
              bool only_if_absent = false) {
    if (only_if_absent) {
      Query q;
      q.entity = "GroupContact";
      q.where = Condition::And({Condition::Leaf("group_id", Op::kEq, group),
                                Condition::Leaf("contact_id", Op::kEq, contact)});
      if (txn.Count(q).value() > 0) return;
    }
    auto id = txn.Insert("GroupContact",
                         {{"group_id", group}, {"contact_id", contact}, {"status", status}});
    EXPECT_TRUE(id.ok()) << id.status();
  }

  // A custom group on contacts with one searchable String field, created
  // as the API does it.
  void CreateCustomGroup(Transaction& txn, const std::string& name, bool multiple,
                         std::string* column) {
    auto group = txn.Insert("CustomGroup", {{"name", name}, {"title", name},
                                            {"extends", "Individual"},
                                            {"is_multiple", multiple ? 1 : 0}});
    ASSERT_TRUE(group.ok()) << group.status();
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string table = "civicrm_value_" + lower + "_" + std::to_string(*group);
    ASSERT_TRUE(txn.Update("CustomGroup", *group, {{"table_name", table}}).ok());
    ASSERT_TRUE(txn.ReloadCatalog().ok());
    ASSERT_TRUE(txn.CreateTable("Custom_" + name).ok());
    auto field = txn.Insert("CustomField", {{"custom_group_id", *group}, {"name", "tier"},
                                            {"label", "Tier"}, {"data_type", "String"},
                                            {"html_type", "Text"}, {"is_searchable", 1}});
    ASSERT_TRUE(field.ok()) << field.status();
    *column = "tier_" + std::to_string(*field);
    ASSERT_TRUE(txn.Update("CustomField", *field, {{"column_name", *column}}).ok());
    ASSERT_TRUE(txn.ReloadCatalog().ok());
    ASSERT_TRUE(txn.AddColumn("Custom_" + name, *column).ok());
  }

  static Query Members(int64_t group, const std::string& status = "Added") {
    Query q;
    q.entity = "GroupContact";
    q.select = {"contact_id"};
    q.where = Condition::And({Condition::Leaf("group_id", Op::kEq, group),
                              Condition::Leaf("status", Op::kEq, status)});
    return q;
  }

  static Query WithValue(const std::string& entity, const std::string& column,
                      const std::string& value) {
    Query q;
    q.entity = entity;
    q.select = {"entity_id"};
    q.where = Condition::Leaf(column, Op::kEq, value);
    return q;
  }

  static Query Contacts(Condition where, bool descending = false) {
    Query q;
    q.entity = "Contact";
    q.select = {"id", "last_name", "email_primary.email"};  // a join bind before the WHERE's
    q.where = std::move(where);
    q.order_by = {{"id", descending}};
    return q;
  }

  // Ids of `q`'s rows, read in pages of `page` (offset paging), checked
  // against one read of the whole answer and the count.
  std::vector<int64_t> Paged(Query q, int page) {
    auto txn = store_->Begin(false).value();
    std::vector<int64_t> all = Ids(txn->Select(q).value());
    EXPECT_EQ(txn->Count(q).value(), static_cast<int64_t>(all.size()));
    std::vector<int64_t> paged;
    q.limit = page;
    for (q.offset = 0;; q.offset += page) {
      std::vector<int64_t> rows = Ids(txn->Select(q).value());
      paged.insert(paged.end(), rows.begin(), rows.end());
      if (static_cast<int>(rows.size()) < page) break;
    }
    EXPECT_EQ(paged, all);
    return all;
  }

  static std::vector<int64_t> Ids(const std::vector<Value>& rows) {
    std::vector<int64_t> ids;
    for (const Value& row : rows) ids.push_back(row["id"].get<int64_t>());
    return ids;
  }

  // The contacts i (by insertion index) for which `pick(i)`, in id order.
  std::vector<int64_t> Expected(const std::function<bool(int)>& pick, bool descending = false) {
    std::vector<int64_t> out;
    for (int i = 0; i < kContacts; ++i) {
      if (pick(i)) out.push_back(ids_[i]);
    }
    std::sort(out.begin(), out.end());
    if (descending) std::reverse(out.begin(), out.end());
    return out;
  }

  std::string Sql(const Query& q) {
    auto st = internal::BuildSelect(*store_->catalog(), q, internal::Dialect::kSqlite);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? st->sql : "";
  }

  std::string Plan(const Query& q) {
    auto st = internal::BuildSelect(*store_->catalog(), q, internal::Dialect::kSqlite);
    EXPECT_TRUE(st.ok()) << st.status();
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    std::vector<std::string> keys = {"id", "parent", "notused", "detail"};
    std::vector<Value> plan;
    EXPECT_TRUE(conn->Run("EXPLAIN QUERY PLAN " + st->sql, st->binds, &keys, nullptr, &plan).ok());
    std::string details;
    for (const Value& step : plan) details += step["detail"].get<std::string>() + "\n";
    return details;
  }

  std::vector<int64_t> ids_;
  int64_t dense_ = 0, sparse_ = 0, mixed_ = 0;
  std::string info_column_, visits_column_;
};

TEST_F(SemiJoinStoreTest, GroupMembersAreJoinedAndPageInIdOrder) {
  Query q = Contacts(Condition::InQuery("id", Members(dense_)));
  EXPECT_EQ(Sql(q).find(" IN (SELECT"), std::string::npos) << Sql(q);
  EXPECT_NE(Sql(q).find("INNER JOIN civicrm_group_contact"), std::string::npos) << Sql(q);
  EXPECT_EQ(Paged(q, 7), Expected([](int i) { return i % 2 == 0; }));
  EXPECT_EQ(Paged(Contacts(Condition::InQuery("id", Members(dense_)), /*descending=*/true), 4),
            Expected([](int i) { return i % 2 == 0; }, /*descending=*/true));
  EXPECT_EQ(Paged(Contacts(Condition::InQuery("id", Members(sparse_))), 2),
            Expected([](int i) { return i == 5 || i == 44 || i == 87; }));
  // With other conditions beside it, and two groups at once.
  EXPECT_EQ(Paged(Contacts(Condition::And({Condition::Leaf("last_name", Op::kEq, "Three"),
                                           Condition::InQuery("id", Members(dense_))})),
                  3),
            Expected([](int i) { return i % 6 == 0; }));
  EXPECT_EQ(Paged(Contacts(Condition::And({Condition::InQuery("id", Members(dense_)),
                                           Condition::InQuery("id", Members(mixed_))})),
                  3),
            Expected([](int i) { return i % 10 == 0; }));
}

TEST_F(SemiJoinStoreTest, StatusesAndNegationsKeepTheirMeaning) {
  EXPECT_EQ(Paged(Contacts(Condition::InQuery("id", Members(mixed_, "Removed"))), 5),
            Expected([](int i) { return i % 5 == 0 && i % 10 != 0; }));
  EXPECT_EQ(Paged(Contacts(Condition::InQuery("id", Members(mixed_, "Pending"))), 5),
            Expected([](int i) { return i % 7 == 0 && i % 5 != 0; }));
  // NOT IN stays a NOT IN: every contact not Added to the group.
  Query negated = Contacts(Condition::InQuery("id", Members(mixed_), /*negate=*/true));
  EXPECT_NE(Sql(negated).find(" NOT IN (SELECT"), std::string::npos) << Sql(negated);
  EXPECT_EQ(Paged(negated, 9), Expected([](int i) { return i % 10 != 0; }));
  Query not_member = Contacts(Condition::Not(Condition::InQuery("id", Members(dense_))));
  EXPECT_EQ(Paged(not_member, 9), Expected([](int i) { return i % 2 != 0; }));
  // Inside an OR (smart groups' shape) the IN stays.
  Query either = Contacts(Condition::Or({Condition::InQuery("id", Members(sparse_)),
                                         Condition::Leaf("last_name", Op::kEq, "Three")}));
  EXPECT_NE(Sql(either).find(" IN (SELECT"), std::string::npos) << Sql(either);
  EXPECT_EQ(Paged(either, 6), Expected([](int i) { return i == 5 || i == 44 || i == 87 || i % 3 == 0; }));
}

// Where a contact may match several subquery rows, the IN stays: no row twice.
TEST_F(SemiJoinStoreTest, SubqueriesThatMayRepeatAValueStayIn) {
  Query several;
  several.entity = "GroupContact";
  several.select = {"contact_id"};
  several.where = Condition::And({Condition::Leaf("group_id", Op::kIn, Value::array({dense_, mixed_})),
                                  Condition::Leaf("status", Op::kEq, "Added")});
  Query q = Contacts(Condition::InQuery("id", several));
  EXPECT_NE(Sql(q).find(" IN (SELECT"), std::string::npos) << Sql(q);
  EXPECT_EQ(Paged(q, 7), Expected([](int i) { return i % 2 == 0 || i % 10 == 0; }));

  Query visits = Contacts(Condition::InQuery("id", WithValue("Custom_Visits", visits_column_, "Gold")));
  EXPECT_NE(Sql(visits).find(" IN (SELECT"), std::string::npos) << Sql(visits);
  EXPECT_EQ(Paged(visits, 4), Expected([](int i) { return i % 3 != 2; }));
}

TEST_F(SemiJoinStoreTest, ContactsWithACustomValueInBothShapes) {
  auto gold = [](int i) { return i % 4 == 0; };
  // APIv3's shape: id IN (SELECT entity_id ...) of a single-record group.
  Query in = Contacts(Condition::InQuery("id", WithValue("Custom_Info", info_column_, "Gold")));
  EXPECT_EQ(Sql(in).find(" IN (SELECT"), std::string::npos) << Sql(in);
  EXPECT_EQ(Paged(in, 5), Expected(gold));
  // APIv4's shape: a condition on the group's reverse join; ORDER BY id
  // names the joined entity_id. IS NULL keeps ordering by the contact's id.
  Query path = Contacts(Condition::Leaf("custom_Info." + info_column_, Op::kEq, "gold"));
  EXPECT_EQ(Sql(path).find("ORDER BY t0.id"), std::string::npos) << Sql(path);
  EXPECT_EQ(Paged(path, 5), Expected(gold));
  EXPECT_EQ(Paged(Contacts(Condition::Leaf("custom_Info." + info_column_, Op::kNe, "Gold"), true), 6),
            Expected([](int i) { return i % 4 != 0; }, true));
  Query none = Contacts(Condition::Leaf("custom_Info." + info_column_, Op::kIsNull));
  EXPECT_NE(Sql(none).find("ORDER BY t0.id"), std::string::npos) << Sql(none);
  EXPECT_EQ(Paged(none, 5), Expected([](int) { return false; }));
}

// The point of the rewrite: a page of members is read from the index in id
// order, with neither a list of every member nor a sort, for a dense group,
// a sparse one and a custom value.
TEST_F(SemiJoinStoreTest, PlansWalkTheIndexInIdOrder) {
  KITH_SQLITE_ONLY();
  for (int64_t group : {dense_, sparse_}) {
    Query q = Contacts(Condition::InQuery("id", Members(group)));
    q.limit = 25;
    std::string plan = Plan(q);
    EXPECT_NE(plan.find("idx_civicrm_group_contact_group_id_status_contact_id"), std::string::npos)
        << plan;
    EXPECT_EQ(plan.find("LIST SUBQUERY"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  }
  for (Condition where :
       {Condition::InQuery("id", WithValue("Custom_Info", info_column_, "Gold")),
        Condition::Leaf("custom_Info." + info_column_, Op::kEq, "Gold")}) {
    Query q = Contacts(std::move(where));
    q.limit = 25;
    std::string plan = Plan(q);
    EXPECT_NE(plan.find("_" + info_column_ + "_entity_id"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  }
}

}  // namespace
}  // namespace kith::store
