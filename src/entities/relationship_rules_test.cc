#include "entities/relationship_rules.h"

#include <gtest/gtest.h>

#include "api/api.h"
#include "base/error_details.h"
#include "entities/contact_rules.h"
#include "store/testing/fresh_store_test.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

class RelationshipRulesTest : public store::FreshStoreTest {
 protected:
  void SetUp() override {
    FreshStoreTest::SetUp();
    if (HasFatalFailure()) return;
    dispatcher_ = std::make_unique<api::Dispatcher>(*store_, registry_);
    RegisterContactRules(api::GlobalRules());
    RegisterRelationshipRules(api::GlobalRules());
    auto txn = store_->Begin(true);
    ASSERT_TRUE(txn.ok()) << txn.status();
    txn_ = std::move(*txn);
    ctx_ = std::make_unique<api::ActionContext>(api::ActionContext{
        *txn_, caller_, *dispatcher_, *store_->catalog(), call_, call_.params});
  }
  void TearDown() override {
    ctx_.reset();
    txn_.reset();
    dispatcher_.reset();
    FreshStoreTest::TearDown();
  }

  int64_t Contact(const std::string& type, const std::string& name, Value extra = Value::object()) {
    Value v = {{"contact_type", type}};
    if (type == "Individual") {
      v["first_name"] = name;
      v["last_name"] = "Test";
    } else if (type == "Organization") {
      v["organization_name"] = name;
    } else {
      v["household_name"] = name;
    }
    for (const auto& [k, x] : extra.items()) v[k] = x;
    auto id = api::CreateRecord(*ctx_, "Contact", v);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }

  StatusOr<int64_t> Relate(int64_t a, int64_t b, int64_t type, Value extra = Value::object()) {
    Value v = {{"contact_id_a", a}, {"contact_id_b", b}, {"relationship_type_id", type}};
    for (const auto& [k, x] : extra.items()) v[k] = x;
    return api::CreateRecord(*ctx_, "Relationship", v);
  }

  Value EmployerOf(int64_t contact) {
    auto row = api::LoadRecord(*txn_, *store_->catalog()->Find("Contact"), contact);
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() ? (*row)["employer_id"] : Value("missing");
  }

  int64_t CountRelationships() {
    Query q;
    q.entity = "Relationship";
    return txn_->Count(q).value_or(-1);
  }

  static std::string Reason(const Status& s) { return RelationshipRefusalReason(s); }

  static constexpr int64_t kChildOf = 1;
  static constexpr int64_t kSpouseOf = 2;
  static constexpr int64_t kEmployeeOf = 5;

  api::ActionRegistry registry_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  auth::Caller caller_ = auth::Caller::System();
  api::ApiCall call_{"Relationship", "create", Value::object(), 2};
  std::unique_ptr<store::Transaction> txn_;
  std::unique_ptr<api::ActionContext> ctx_;
};

TEST_F(RelationshipRulesTest, SeedsCiviCrmDefaultTypesWithTheirIds) {
  auto employee = LoadRelationshipType(*txn_, kEmployeeOf);
  ASSERT_TRUE(employee.ok() && employee->has_value());
  EXPECT_EQ((**employee)["name_a_b"], "Employee of");
  EXPECT_EQ((**employee)["label_b_a"], "Employer of");
  EXPECT_EQ((**employee)["contact_type_a"], "Individual");
  EXPECT_EQ((**employee)["contact_type_b"], "Organization");
  EXPECT_EQ((**employee)["is_active"], 1);
  Query q;
  q.entity = "RelationshipType";
  EXPECT_EQ(txn_->Count(q).value_or(0), 10);
  auto coordinator = LoadRelationshipType(*txn_, 9);
  ASSERT_TRUE(coordinator.ok() && coordinator->has_value());
  EXPECT_TRUE((**coordinator)["contact_type_a"].is_null());
  EXPECT_EQ(FindRelationshipTypeByName(*txn_, "Parent of", false).value(), kChildOf);
  EXPECT_EQ(FindRelationshipTypeByName(*txn_, "Spouse of", false).value(), kSpouseOf);
  EXPECT_FALSE(FindRelationshipTypeByName(*txn_, "Nemesis of", false).value().has_value());
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "RelationshipType", kSpouseOf, {{"is_active", false}}).ok());
  EXPECT_FALSE(FindRelationshipTypeByName(*txn_, "Spouse of", false).value().has_value());
  EXPECT_EQ(FindRelationshipTypeByName(*txn_, "Spouse of", true).value(), kSpouseOf);
}

TEST_F(RelationshipRulesTest, BothContactsMustExistOutsideTheTrash) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  auto missing = Relate(ann, 999999, kSpouseOf);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(Reason(missing.status()), kReasonContactMissing);
  EXPECT_EQ(ErrorDetails(missing.status())["error_field"], "contact_id_b");
  EXPECT_EQ(ErrorDetails(missing.status())["contact_id"], 999999);

  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Contact", bob, {{"is_deleted", true}}).ok());
  auto trashed = Relate(bob, ann, kSpouseOf);
  ASSERT_FALSE(trashed.ok());
  EXPECT_EQ(Reason(trashed.status()), kReasonContactMissing);
  EXPECT_EQ(ErrorDetails(trashed.status())["error_field"], "contact_id_a");
  EXPECT_EQ(CountRelationships(), 0);

  auto no_a = api::CreateRecord(*ctx_, "Relationship",
                                {{"contact_id_b", ann}, {"relationship_type_id", kSpouseOf}});
  ASSERT_FALSE(no_a.ok());
  EXPECT_EQ(Reason(no_a.status()), kReasonRequired);
}

TEST_F(RelationshipRulesTest, ContactTypesAndSubTypesMustFitTheType) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t acme = Contact("Organization", "Acme");
  int64_t home = Contact("Household", "Home");
  auto reversed = Relate(acme, ann, kEmployeeOf);
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(Reason(reversed.status()), kReasonContactType);
  Value d = ErrorDetails(reversed.status());
  EXPECT_EQ(d["error_field"], "contact_id_a");
  EXPECT_EQ(d["contact_id"], acme);
  EXPECT_EQ(d["contact_type"], "Individual");
  auto household = Relate(ann, home, kEmployeeOf);
  ASSERT_FALSE(household.ok());
  EXPECT_EQ(ErrorDetails(household.status())["contact_type"], "Organization");
  // Case Coordinator is: any contact type on side A.
  EXPECT_TRUE(Relate(acme, ann, 9).ok());

  auto mentor = api::CreateRecord(*ctx_, "RelationshipType",
                                  {{"name_a_b", "Mentee of"},
                                   {"name_b_a", "Mentor of"},
                                   {"contact_type_a", "Individual"},
                                   {"contact_sub_type_a", "Student"}});
  ASSERT_TRUE(mentor.ok()) << mentor.status();
  int64_t bob = Contact("Individual", "Bob");
  auto not_student = Relate(ann, bob, *mentor);
  ASSERT_FALSE(not_student.ok());
  EXPECT_EQ(Reason(not_student.status()), kReasonContactSubType);
  EXPECT_EQ(ErrorDetails(not_student.status())["contact_sub_type"], "Student");
  int64_t cy = Contact("Individual", "Cy", {{"contact_sub_type", "\x01Parent\x01Student\x01"}});
  auto student = Relate(cy, bob, *mentor);
  EXPECT_TRUE(student.ok()) << student.status();
}

TEST_F(RelationshipRulesTest, TypeMustExistAndBeEnabled) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  auto unknown = Relate(ann, bob, 4242);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(Reason(unknown.status()), kReasonTypeMissing);
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "RelationshipType", 4, {{"is_active", false}}).ok());
  auto disabled = Relate(ann, bob, 4);
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(Reason(disabled.status()), kReasonTypeMissing);
  EXPECT_EQ(ErrorDetails(disabled.status())["value"], 4);
}

TEST_F(RelationshipRulesTest, EndDateMayNotPrecedeStartDate) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  auto bad = Relate(ann, bob, kSpouseOf, {{"start_date", "2020-05-01"}, {"end_date", "2020-04-30"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(Reason(bad.status()), kReasonDatesReversed);
  EXPECT_TRUE(Relate(ann, bob, kSpouseOf, {{"start_date", "2020-05-01"}, {"end_date", "2020-05-01"}}).ok());
}

TEST_F(RelationshipRulesTest, OverlappingActiveDuplicatesAreRefusedInEitherDirection) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  auto first = Relate(ann, bob, kSpouseOf);
  ASSERT_TRUE(first.ok()) << first.status();
  for (auto [a, b] : {std::pair{ann, bob}, std::pair{bob, ann}}) {
    auto again = Relate(a, b, kSpouseOf);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(Reason(again.status()), kReasonDuplicate);
    EXPECT_EQ(ErrorDetails(again.status())["error_code"], "duplicate");
    EXPECT_EQ(ErrorDetails(again.status())["duplicate_id"], *first);
  }
  // Another type, or an inactive one, is no duplicate.
  EXPECT_TRUE(Relate(ann, bob, 4).ok());
  EXPECT_TRUE(Relate(ann, bob, kSpouseOf, {{"is_active", false}}).ok());
  // Updating the relationship itself is no duplicate of itself.
  EXPECT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *first, {{"description", "married"}}).ok());

  // Dated periods: only overlapping ones clash.
  int64_t cy = Contact("Individual", "Cy");
  int64_t acme = Contact("Organization", "Acme");
  ASSERT_TRUE(Relate(cy, acme, kEmployeeOf, {{"start_date", "2001-01-01"}, {"end_date", "2003-12-31"}}).ok());
  EXPECT_TRUE(Relate(cy, acme, kEmployeeOf, {{"start_date", "2004-01-01"}, {"end_date", "2005-01-01"}}).ok());
  auto overlap = Relate(cy, acme, kEmployeeOf, {{"start_date", "2003-06-01"}, {"end_date", "2003-07-01"}});
  EXPECT_EQ(Reason(overlap.status()), kReasonDuplicate);
  auto open_end = Relate(cy, acme, kEmployeeOf, {{"start_date", "2002-01-01"}});
  EXPECT_EQ(Reason(open_end.status()), kReasonDuplicate);
  EXPECT_TRUE(Relate(cy, acme, kEmployeeOf, {{"start_date", "2006-01-01"}}).ok());
  auto undated = Relate(cy, acme, kEmployeeOf);
  EXPECT_EQ(Reason(undated.status()), kReasonDuplicate);
}

TEST_F(RelationshipRulesTest, EmployeeOfSetsAndClearsTheCurrentEmployer) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t acme = Contact("Organization", "Acme");
  int64_t globex = Contact("Organization", "Globex");
  EXPECT_TRUE(EmployerOf(ann).is_null());

  auto job = Relate(ann, acme, kEmployeeOf);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(EmployerOf(ann), acme);

  // Ending it (a past end date) clears the employer.
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *job, {{"end_date", "2001-02-03"}}).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
  // Reopening it (an end date in the future) sets it again; disabling clears.
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *job, {{"end_date", "2999-01-01"}}).ok());
  EXPECT_EQ(EmployerOf(ann), acme);
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *job, {{"is_active", false}}).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *job, {{"is_active", true}}).ok());
  EXPECT_EQ(EmployerOf(ann), acme);

  // Moving it to another organization moves the employer.
  ASSERT_TRUE(api::UpdateRecord(*ctx_, "Relationship", *job, {{"contact_id_b", globex}}).ok());
  EXPECT_EQ(EmployerOf(ann), globex);

  // Deleting it clears the employer.
  ASSERT_TRUE(DeleteRelationship(*ctx_, *job).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
  EXPECT_EQ(DeleteRelationship(*ctx_, *job).code(), absl::StatusCode::kNotFound);

  // A relationship that is already over does not make an employer.
  ASSERT_TRUE(Relate(ann, acme, kEmployeeOf, {{"start_date", "1990-01-01"}, {"end_date", "1999-01-01"}}).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
  // Other types never do.
  ASSERT_TRUE(Relate(ann, acme, 6).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
}

TEST_F(RelationshipRulesTest, EmployerStaysWhileAnotherCurrentEmploymentRemains) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t acme = Contact("Organization", "Acme");
  auto old_job = Relate(ann, acme, kEmployeeOf, {{"start_date", "2000-01-01"}, {"end_date", "2999-01-01"}});
  ASSERT_TRUE(old_job.ok()) << old_job.status();
  // A second spell starting after the first ends: both current today.
  auto next_job = Relate(ann, acme, kEmployeeOf, {{"start_date", "2999-01-02"}});
  ASSERT_TRUE(next_job.ok()) << next_job.status();
  EXPECT_EQ(EmployerOf(ann), acme);
  ASSERT_TRUE(DeleteRelationship(*ctx_, *old_job).ok());
  EXPECT_EQ(EmployerOf(ann), acme);
  ASSERT_TRUE(DeleteRelationship(*ctx_, *next_job).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
}

TEST_F(RelationshipRulesTest, DeletingATypeDeletesItsRelationshipsAndTheirEmployers) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  int64_t acme = Contact("Organization", "Acme");
  ASSERT_TRUE(Relate(ann, acme, kEmployeeOf).ok());
  ASSERT_TRUE(Relate(ann, bob, kSpouseOf).ok());
  EXPECT_EQ(EmployerOf(ann), acme);
  ASSERT_TRUE(DeleteRelationshipType(*ctx_, kEmployeeOf).ok());
  EXPECT_TRUE(EmployerOf(ann).is_null());
  EXPECT_EQ(CountRelationships(), 1);
  EXPECT_FALSE(LoadRelationshipType(*txn_, kEmployeeOf).value().has_value());
  EXPECT_EQ(DeleteRelationshipType(*ctx_, kEmployeeOf).code(), absl::StatusCode::kNotFound);
}

TEST_F(RelationshipRulesTest, ContactDeletedForRealTakesItsRelationships) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  ASSERT_TRUE(Relate(ann, bob, kSpouseOf).ok());
  ASSERT_TRUE(txn_->Delete("Contact", bob).ok());
  EXPECT_EQ(CountRelationships(), 0);
}

TEST_F(RelationshipRulesTest, CreatedAndModifiedDatesAreKept) {
  int64_t ann = Contact("Individual", "Ann");
  int64_t bob = Contact("Individual", "Bob");
  auto id = Relate(ann, bob, kSpouseOf, {{"created_date", "1999-01-01 00:00:00"}});
  ASSERT_TRUE(id.ok());
  auto row = api::LoadRecord(*txn_, *store_->catalog()->Find("Relationship"), *id).value();
  EXPECT_EQ(row["created_date"].get<std::string>().size(), 19u);
  EXPECT_NE(row["created_date"], "1999-01-01 00:00:00");
  EXPECT_EQ(row["modified_date"], row["created_date"]);
  EXPECT_EQ(row["is_active"], 1);
  EXPECT_EQ(row["is_permission_a_b"], 0);
}

TEST_F(RelationshipRulesTest, TypeNamesAndLabelsDefaultAndMustBeUnique) {
  auto id = api::CreateRecord(*ctx_, "RelationshipType", {{"name_a_b", "Coach of"}});
  ASSERT_TRUE(id.ok()) << id.status();
  auto row = LoadRelationshipType(*txn_, *id).value().value();
  EXPECT_EQ(row["label_a_b"], "Coach of");
  EXPECT_EQ(row["name_b_a"], "Coach of");
  EXPECT_EQ(row["label_b_a"], "Coach of");
  EXPECT_EQ(row["is_active"], 1);

  auto from_labels = api::CreateRecord(*ctx_, "RelationshipType",
                                       {{"label_a_b", "Tutor of"}, {"label_b_a", "Tutored by"}});
  ASSERT_TRUE(from_labels.ok()) << from_labels.status();
  row = LoadRelationshipType(*txn_, *from_labels).value().value();
  EXPECT_EQ(row["name_a_b"], "Tutor of");
  EXPECT_EQ(row["name_b_a"], "Tutored by");

  auto nameless = api::CreateRecord(*ctx_, "RelationshipType", {{"description", "no name"}});
  EXPECT_EQ(Reason(nameless.status()), kReasonRequired);
  auto bad_type = api::CreateRecord(*ctx_, "RelationshipType",
                                    {{"name_a_b", "Pet of"}, {"contact_type_a", "Animal"}});
  EXPECT_EQ(Reason(bad_type.status()), kReasonBadContactType);
  EXPECT_EQ(ErrorDetails(bad_type.status())["error_field"], "contact_type_a");
  auto taken = api::CreateRecord(*ctx_, "RelationshipType",
                                 {{"name_a_b", "Employee of"}, {"name_b_a", "Boss of"}});
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(taken.status()), kReasonNameTaken);
  EXPECT_EQ(ErrorDetails(taken.status())["error_field"], "name_a_b");
  // Renaming a type to its own name is fine.
  EXPECT_TRUE(api::UpdateRecord(*ctx_, "RelationshipType", *id, {{"name_a_b", "Coach of"}}).ok());
}

}  // namespace
}  // namespace kith::entities
