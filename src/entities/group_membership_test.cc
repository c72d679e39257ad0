// Group membership conditions and group writes against a real SQLite store:
// nesting at any depth, smart groups live as contacts change, manual
// add/remove on top of a search, cycle refusals, and the history rows that
// every membership change leaves.
#include "entities/group_membership.h"

#include <gtest/gtest.h>

#include <set>

#include "api/action_registry.h"
#include "api/records.h"
#include "base/error_details.h"
#include "entities/contact_filters.h"
#include "entities/group_ops.h"
#include "entities/register_builtins.h"
#include "entities/testing/builtins_store_test.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

class GroupMembershipTest : public BuiltinsStoreTest {
 protected:
  void SetUp() override {
    BuiltinsStoreTest::SetUp();
    if (HasFatalFailure()) return;
    txn_ = std::move(store_->Begin(true).value());
    ctx_ = std::make_unique<api::ActionContext>(api::ActionContext{
        *txn_, caller_, *dispatcher_, *store_->catalog(), call_, call_.params});
  }
  void TearDown() override {
    ctx_.reset();
    txn_.reset();
    BuiltinsStoreTest::TearDown();
  }

  int64_t Contact(const std::string& last, const std::string& city = "") {
    auto id = txn_->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", last}});
    EXPECT_TRUE(id.ok()) << id.status();
    if (!city.empty()) {
      EXPECT_TRUE(txn_->Insert("Address", {{"contact_id", *id}, {"city", city}, {"is_primary", 1}}).ok());
    }
    return id.value_or(0);
  }

  int64_t Group(const std::string& title) {
    auto id = txn_->Insert("Group", {{"title", title}, {"name", title}});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }

  void Add(int64_t group, std::vector<int64_t> contacts) {
    auto c = AddContactsToGroup(*ctx_, group, contacts, "Added", "API", nullptr,
                                NotAddedRule::kAlreadyAdded);
    ASSERT_TRUE(c.ok()) << c.status();
  }

  void Remove(int64_t group, std::vector<int64_t> contacts) {
    auto c = RemoveContactsFromGroup(*ctx_, group, contacts, "Removed", "API", nullptr);
    ASSERT_TRUE(c.ok()) << c.status();
  }

  // The ids of the contacts matching `where`, sorted.
  std::set<int64_t> Matching(const Condition& where) {
    Query q;
    q.entity = "Contact";
    q.select = {"id"};
    q.where = where;
    auto rows = txn_->Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::set<int64_t> ids;
    for (const Value& r : rows.value_or(std::vector<Value>{})) ids.insert(r["id"].get<int64_t>());
    return ids;
  }

  std::set<int64_t> Members(int64_t group) {
    auto c = GroupMembersCondition(*txn_, *store_->catalog(), {group});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return {};
    return Matching(*c);
  }

  std::set<int64_t> Search(const Value& criteria) {
    ContactFilterOptions options;
    options.txn = txn_.get();
    auto f = BuildContactFilter(*store_->catalog(), criteria, options);
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok()) return {};
    return Matching(f->condition);
  }

  int64_t HistoryRows(int64_t group, int64_t contact, const std::string& status) {
    Query q;
    q.entity = "SubscriptionHistory";
    q.where = Condition::And({Condition::Leaf("group_id", Op::kEq, group),
                              Condition::Leaf("contact_id", Op::kEq, contact),
                              Condition::Leaf("status", Op::kEq, status),
                              Condition::Leaf("method", Op::kEq, "API")});
    return txn_->Count(q).value_or(-1);
  }

  api::ApiCall call_;
  std::unique_ptr<store::Transaction> txn_;
  std::unique_ptr<api::ActionContext> ctx_;
};

TEST_F(GroupMembershipTest, AddedRowsAreMembersAndRemovedRowsAreNot) {
  int64_t a = Contact("A"), b = Contact("B"), c = Contact("C");
  int64_t g = Group("Plain");
  Add(g, {a, b});
  EXPECT_EQ(Members(g), (std::set<int64_t>{a, b}));
  Remove(g, {b, c});
  EXPECT_EQ(Members(g), (std::set<int64_t>{a}));
  Add(g, {b});  // the Removed row flips back
  EXPECT_EQ(Members(g), (std::set<int64_t>{a, b}));
  EXPECT_EQ(HistoryRows(g, b, "Added"), 2);
  EXPECT_EQ(HistoryRows(g, b, "Removed"), 1);
  EXPECT_EQ(HistoryRows(g, c, "Removed"), 1);  // a non-member's opt-out is recorded too
}

TEST_F(GroupMembershipTest, CountsFollowCiviCrm32) {
  int64_t a = Contact("A"), b = Contact("B");
  int64_t g = Group("Counts");
  auto first = AddContactsToGroup(*ctx_, g, {a}, "Pending", "API", nullptr, NotAddedRule::kAlreadyAdded);
  ASSERT_TRUE(first.ok());
  // a is Pending: adding it counts as added; b is new; the repeat of b is not added.
  auto second = AddContactsToGroup(*ctx_, g, {a, b, b}, "Added", "API", nullptr,
                                   NotAddedRule::kAlreadyAdded);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->total, 3);
  EXPECT_EQ(second->changed, 2);
  EXPECT_EQ(second->unchanged, 1);
  // v3's rule: only a row with the same status is "not added".
  auto pending = AddContactsToGroup(*ctx_, g, {a}, "Pending", "API", nullptr, NotAddedRule::kSameStatus);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->changed, 1);
  auto removed = RemoveContactsFromGroup(*ctx_, g, {a, Contact("C")}, "Removed", "API", nullptr);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->total, 2);
  EXPECT_EQ(removed->changed, 1);
  EXPECT_EQ(removed->unchanged, 1);
}

TEST_F(GroupMembershipTest, NestedGroupsCountMembersOfEveryDescendant) {
  int64_t a = Contact("A"), b = Contact("B"), c = Contact("C");
  int64_t top = Group("Top"), mid = Group("Mid"), leaf = Group("Leaf");
  ASSERT_TRUE(AddGroupParent(*ctx_, mid, top).ok());
  ASSERT_TRUE(AddGroupParent(*ctx_, leaf, mid).ok());
  Add(top, {a});
  Add(mid, {b});
  Add(leaf, {c});
  EXPECT_EQ(Members(top), (std::set<int64_t>{a, b, c}));
  EXPECT_EQ(Members(mid), (std::set<int64_t>{b, c}));
  EXPECT_EQ(Members(leaf), (std::set<int64_t>{c}));
  EXPECT_EQ(GroupsWithDescendants(*txn_, {top}).value(), (std::vector<int64_t>{top, mid, leaf}));
  // CiviCRM's parents/children columns follow the nesting.
  auto mid_row = api::LoadRecord(*txn_, *store_->catalog()->Find("Group"), mid).value();
  EXPECT_EQ(mid_row["parents"], std::to_string(top));
  EXPECT_EQ(mid_row["children"], std::to_string(leaf));
}

TEST_F(GroupMembershipTest, CircularNestingIsRefused) {
  int64_t top = Group("Top"), mid = Group("Mid"), leaf = Group("Leaf");
  ASSERT_TRUE(AddGroupParent(*ctx_, mid, top).ok());
  ASSERT_TRUE(AddGroupParent(*ctx_, leaf, mid).ok());
  Status loop = AddGroupParent(*ctx_, top, leaf);
  EXPECT_EQ(loop.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(loop.message()).find("Circular group nesting"), std::string::npos) << loop;
  EXPECT_EQ(ErrorDetails(loop)["error_code"], "circular-group");
  EXPECT_FALSE(AddGroupParent(*ctx_, top, top).ok());
  EXPECT_EQ(AddGroupParent(*ctx_, top, 999999).code(), absl::StatusCode::kInvalidArgument);
  // Adding an existing link again is a no-op.
  EXPECT_TRUE(AddGroupParent(*ctx_, mid, top).ok());
}

TEST_F(GroupMembershipTest, SmartGroupMembershipIsLive) {
  int64_t s1 = Contact("Smartson"), s2 = Contact("Smartson"), other = Contact("Other");
  int64_t smart = Group("Smart");
  ASSERT_TRUE(SetSmartCriteria(*ctx_, smart, {{"last_name", "Smartson"}}).ok());
  EXPECT_EQ(Members(smart), (std::set<int64_t>{s1, s2}));
  // A new contact that matches, and one updated to match: members at once.
  int64_t s3 = Contact("Smartson");
  ASSERT_TRUE(txn_->Update("Contact", other, {{"last_name", "Smartson"}}).ok());
  EXPECT_EQ(Members(smart), (std::set<int64_t>{s1, s2, s3, other}));
  // Removed by hand wins over the search; added by hand joins it.
  int64_t outsider = Contact("Outsider");
  Remove(smart, {s2});
  Add(smart, {outsider});
  EXPECT_EQ(Members(smart), (std::set<int64_t>{s1, s3, other, outsider}));
}

TEST_F(GroupMembershipTest, SmartGroupsNestAndReferToOtherGroups) {
  int64_t a = Contact("A", "Springfield"), b = Contact("B", "Springfield"), c = Contact("C", "Shelbyville");
  int64_t plain = Group("Plain");
  Add(plain, {a, c});
  // Smart: Springfield residents who are also in Plain.
  int64_t smart = Group("Smart");
  ASSERT_TRUE(SetSmartCriteria(*ctx_, smart, {{"city", "Springfield"}, {"group", plain}}).ok());
  EXPECT_EQ(Members(smart), (std::set<int64_t>{a}));
  // A regular parent of the smart group has the smart group's members.
  int64_t parent = Group("Parent");
  ASSERT_TRUE(AddGroupParent(*ctx_, smart, parent).ok());
  Add(parent, {b});
  EXPECT_EQ(Members(parent), (std::set<int64_t>{a, b}));
}

// Each case uses groups of its own: a refused write is rolled back by the
// API's transaction, which this test does not roll back.
TEST_F(GroupMembershipTest, SmartGroupCyclesAreRefused) {
  auto pair = [&](const std::string& tag) {
    int64_t s1 = Group(tag + "1"), s2 = Group(tag + "2");
    EXPECT_TRUE(SetSmartCriteria(*ctx_, s1, {{"last_name", "X"}}).ok());
    EXPECT_TRUE(SetSmartCriteria(*ctx_, s2, {{"group", s1}}).ok());
    return std::make_pair(s1, s2);
  };
  auto [a1, a2] = pair("A");
  Status loop = SetSmartCriteria(*ctx_, a1, {{"group", a2}});
  EXPECT_EQ(loop.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(loop.message()).find("refers to itself"), std::string::npos) << loop;

  int64_t self = Group("Self");
  EXPECT_FALSE(SetSmartCriteria(*ctx_, self, {{"group", {{std::to_string(self), 1}}}}).ok());

  // Nesting b2 under b1 would loop: b1 would contain b2, whose criteria are
  // "members of b1". Nesting b1 under b2 is fine (b2 contains b1 twice over).
  auto [b1, b2] = pair("B");
  EXPECT_TRUE(AddGroupParent(*ctx_, b1, b2).ok());
  auto [c1, c2] = pair("C");
  Status nest = AddGroupParent(*ctx_, c2, c1);
  EXPECT_EQ(nest.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(nest.message()).find("Circular group nesting"), std::string::npos) << nest;
}

TEST_F(GroupMembershipTest, LongSmartChainsHitTheDepthLimit) {
  std::vector<int64_t> chain = {Group("Chain0")};
  ASSERT_TRUE(SetSmartCriteria(*ctx_, chain[0], {{"last_name", "X"}}).ok());
  Status last;
  for (int i = 1; i <= kMaxSmartGroupDepth; ++i) {
    chain.push_back(Group("Chain" + std::to_string(i)));
    last = SetSmartCriteria(*ctx_, chain.back(), {{"group", chain[chain.size() - 2]}});
    if (i < kMaxSmartGroupDepth) {
      ASSERT_TRUE(last.ok()) << i << ": " << last;
    }
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(last.message()).find("deep"), std::string::npos) << last;
}

TEST_F(GroupMembershipTest, SmartCriteriaAreCheckedBeforeSaving) {
  int64_t g = Group("Bad");
  EXPECT_FALSE(SetSmartCriteria(*ctx_, g, Value::array()).ok());
  EXPECT_FALSE(SetSmartCriteria(*ctx_, g, Value::object()).ok());
  Status unknown = SetSmartCriteria(*ctx_, g, {{"favourite_colour", "red"}});
  EXPECT_NE(std::string(unknown.message()).find("favourite_colour"), std::string::npos);
  EXPECT_FALSE(SetSmartCriteria(*ctx_, g, {{"last_name", {{"LIKEISH", "x"}}}}).ok());
  EXPECT_EQ(ParseSmartCriteria(g, "not json").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(GroupMembershipTest, GroupCriterionTakesIdsNamesTitlesAndOperators) {
  int64_t a = Contact("A"), b = Contact("B"), c = Contact("C");
  int64_t g1 = Group("First"), g2 = Group("Second");
  Add(g1, {a});
  Add(g2, {b});
  EXPECT_EQ(Search({{"group", g1}}), (std::set<int64_t>{a}));
  EXPECT_EQ(Search({{"group", std::to_string(g1) + "," + std::to_string(g2)}}),
            (std::set<int64_t>{a, b}));
  EXPECT_EQ(Search({{"group", {{std::to_string(g2), "1"}}}}), (std::set<int64_t>{b}));
  EXPECT_EQ(Search({{"group", {{std::to_string(g1), "1"}, {std::to_string(g2), "0"}}}}),
            (std::set<int64_t>{a}));
  EXPECT_EQ(Search({{"group", "Second"}}), (std::set<int64_t>{b}));
  EXPECT_EQ(Search({{"group", {{"IN", {"First", g2}}}}}), (std::set<int64_t>{a, b}));
  EXPECT_EQ(Search({{"group", {{"NOT IN", {g1}}}}}), (std::set<int64_t>{b, c}));
  EXPECT_TRUE(Search({{"group", "No such group"}}).empty());
  EXPECT_TRUE(Search({{"group", 999999}}).empty());
  // Without a transaction a group criterion cannot be answered.
  auto no_txn = BuildContactFilter(*store_->catalog(), {{"group", g1}}, ContactFilterOptions{});
  EXPECT_FALSE(no_txn.ok());
}

TEST_F(GroupMembershipTest, DeletingAGroupTakesItsRowsAndFixesNeighbours) {
  int64_t a = Contact("A");
  int64_t top = Group("Top"), mid = Group("Mid"), leaf = Group("Leaf");
  ASSERT_TRUE(AddGroupParent(*ctx_, mid, top).ok());
  ASSERT_TRUE(AddGroupParent(*ctx_, leaf, mid).ok());
  ASSERT_TRUE(SetSmartCriteria(*ctx_, mid, {{"last_name", "A"}}).ok());
  Add(mid, {a});
  ASSERT_TRUE(DeleteGroup(*ctx_, mid).ok());
  const schema::Entity& group = *store_->catalog()->Find("Group");
  EXPECT_TRUE(api::LoadRecord(*txn_, group, top).value()["children"].is_null());
  EXPECT_TRUE(api::LoadRecord(*txn_, group, leaf).value()["parents"].is_null());
  for (const char* entity : {"GroupContact", "SubscriptionHistory", "GroupNesting", "SavedSearch"}) {
    Query q;
    q.entity = entity;
    EXPECT_EQ(txn_->Count(q).value(), 0) << entity;
  }
  EXPECT_EQ(DeleteGroup(*ctx_, mid).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kith::entities
