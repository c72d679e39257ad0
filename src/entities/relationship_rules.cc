#include "entities/relationship_rules.h"

#include <algorithm>

#include "api/field_values.h"
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_rules.h"

namespace kith::entities {
namespace {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

Status Refuse(absl::StatusCode code, const std::string& message, const char* reason,
              Value details) {
  details["reason"] = reason;
  return ErrorWithDetails(code, message, details);
}

// Stored rows read booleans back as 0/1; rows being written hold true/false.
bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty() && v.get<std::string>() != "0";
  return false;
}

// A key of a row that may lack it (operator[] on a const Value must not miss).
const Value& At(const Value& row, const char* key) {
  static const Value kNull;
  return row.is_object() && row.contains(key) ? row[key] : kNull;
}

std::optional<int64_t> IdOf(const Value& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return ParseInt64(v.get<std::string>());
  return std::nullopt;
}

std::string TextOf(const Value& record, const char* key) {
  if (!record.contains(key)) return "";
  return std::string(TrimAscii(api::ValueAsText(record[key])));
}

std::string Today() { return FormatDateTime(Clock::Real().NowSeconds()).substr(0, 10); }

// Active and not ended: what CiviCRM calls a current relationship (a start
// date in the future does not matter to it).
bool IsCurrent(const Value& row) {
  std::string end = TextOf(row, "end_date");
  return Truthy(At(row, "is_active")) && (end.empty() || end >= Today());
}

StatusOr<std::optional<int64_t>> EmployeeTypeId(store::Transaction& txn) {
  Query q;
  q.entity = "RelationshipType";
  q.select = {"id"};
  q.where = Condition::Leaf("name_a_b", Op::kEq, kEmployeeOf);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0]["id"].get<int64_t>());
}

StatusOr<Value> LoadEmployer(store::Transaction& txn, int64_t contact_id) {
  Query q;
  q.entity = "Contact";
  q.select = {"employer_id"};
  q.where = Condition::Leaf("id", Op::kEq, contact_id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return Value();
  return rows[0]["employer_id"];
}

// Clears `employee`'s employer when it is `employer` and no current "Employee
// of" relationship between them is left besides `except`.
Status ClearEmployerUnlessEmployed(ActionContext& ctx, int64_t type_id, int64_t employee,
                                   int64_t employer, int64_t except) {
  KITH_ASSIGN_OR_RETURN(Value current, LoadEmployer(ctx.txn, employee));
  if (IdOf(current) != employer) return Status();
  Query q;
  q.entity = "Relationship";
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf("relationship_type_id", Op::kEq, type_id),
                            Condition::Leaf("contact_id_a", Op::kEq, employee),
                            Condition::Leaf("contact_id_b", Op::kEq, employer),
                            Condition::Leaf("is_active", Op::kEq, 1),
                            Condition::Or({Condition::Leaf("end_date", Op::kIsNull),
                                           Condition::Leaf("end_date", Op::kGe, Today())}),
                            Condition::Leaf("id", Op::kNe, except)});
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto others, ctx.txn.Select(q));
  if (!others.empty()) return Status();
  return api::UpdateRecord(ctx, "Contact", employee, {{"employer_id", nullptr}});
}

Status SetEmployer(ActionContext& ctx, int64_t employee, int64_t employer) {
  KITH_ASSIGN_OR_RETURN(Value current, LoadEmployer(ctx.txn, employee));
  if (IdOf(current) == employer) return Status();
  return api::UpdateRecord(ctx, "Contact", employee, {{"employer_id", employer}});
}

// Keeps Contact.employer_id in step with a relationship going from `before`
// (std::nullopt when created) to `after` (std::nullopt when deleted):
// disabling, ending or deleting an "Employee of" relationship clears the
// employer it names. Making one sets it only in CiviCRM 3.2's dialect: the
// APIv3 and APIv4 of CiviCRM 6 leave the current employer alone then (only
// a write of the contact's employer_id sets it).
Status SyncEmployer(ActionContext& ctx, const std::optional<Value>& before,
                    const std::optional<Value>& after, int64_t relationship_id) {
  KITH_ASSIGN_OR_RETURN(auto employee_type, EmployeeTypeId(ctx.txn));
  if (!employee_type) return Status();
  auto employment = [&](const std::optional<Value>& row) {
    return row && IdOf(At(*row, "relationship_type_id")) == *employee_type && IsCurrent(*row);
  };
  bool was = employment(before);
  bool is = employment(after);
  if (was) {
    int64_t a = *IdOf(At(*before, "contact_id_a"));
    int64_t b = *IdOf(At(*before, "contact_id_b"));
    if (!is || IdOf(At(*after, "contact_id_a")) != a || IdOf(At(*after, "contact_id_b")) != b) {
      KITH_RETURN_IF_ERROR(ClearEmployerUnlessEmployed(ctx, *employee_type, a, b, relationship_id));
    }
  }
  if (is && ctx.call.version == 2) {
    return SetEmployer(ctx, *IdOf(At(*after, "contact_id_a")), *IdOf(At(*after, "contact_id_b")));
  }
  return Status();
}

Status CheckContactFits(const ContactKind& kind, int64_t contact_id, const Value& type,
                        const char* side_field, const char* type_field,
                        const char* sub_type_field) {
  std::string want = TextOf(type, type_field);
  if (!want.empty() && kind.type != want) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  std::string(side_field) + " " + std::to_string(contact_id) +
                      " is not of contact type " + want,
                  kReasonContactType,
                  {{"error_field", side_field}, {"contact_id", contact_id}, {"contact_type", want}});
  }
  std::string sub = TextOf(type, sub_type_field);
  if (!sub.empty() &&
      std::find(kind.sub_types.begin(), kind.sub_types.end(), sub) == kind.sub_types.end()) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  std::string(side_field) + " " + std::to_string(contact_id) +
                      " is not of contact sub type " + sub,
                  kReasonContactSubType,
                  {{"error_field", side_field}, {"contact_id", contact_id}, {"contact_sub_type", sub}});
  }
  return Status();
}

// Another active relationship of the same type between the same two contacts
// (in either direction) whose dates overlap `record`'s; 0 when none. Open
// dates reach to the beginning or end of time.
StatusOr<int64_t> FindOverlapping(store::Transaction& txn, const Value& record, int64_t a,
                                  int64_t b, int64_t type_id) {
  std::vector<Condition> where = {
      Condition::Leaf("relationship_type_id", Op::kEq, type_id),
      Condition::Leaf("is_active", Op::kEq, 1),
      Condition::Or({Condition::And({Condition::Leaf("contact_id_a", Op::kEq, a),
                                     Condition::Leaf("contact_id_b", Op::kEq, b)}),
                     Condition::And({Condition::Leaf("contact_id_a", Op::kEq, b),
                                     Condition::Leaf("contact_id_b", Op::kEq, a)})})};
  if (auto self = IdOf(At(record, "id"))) where.push_back(Condition::Leaf("id", Op::kNe, *self));
  std::string start = TextOf(record, "start_date");
  std::string end = TextOf(record, "end_date");
  if (!end.empty()) {
    where.push_back(Condition::Or({Condition::Leaf("start_date", Op::kIsNull),
                                   Condition::Leaf("start_date", Op::kLe, end)}));
  }
  if (!start.empty()) {
    where.push_back(Condition::Or({Condition::Leaf("end_date", Op::kIsNull),
                                   Condition::Leaf("end_date", Op::kGe, start)}));
  }
  // CiviCRM: relationships of different cases are not duplicates.
  if (auto case_id = IdOf(At(record, "case_id"))) {
    where.push_back(Condition::Leaf("case_id", Op::kEq, *case_id));
  }
  Query q;
  q.entity = "Relationship";
  q.select = {"id"};
  q.where = Condition::And(std::move(where));
  q.order_by = {{"id", false}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  return rows.empty() ? int64_t{0} : rows[0]["id"].get<int64_t>();
}

Status RelationshipBeforeWrite(ActionContext& ctx, const Value& record, Value& changes,
                               bool creating) {
  std::optional<Value> before;
  std::optional<int64_t> self = IdOf(At(record, "id"));
  if (!creating && self) {
    KITH_ASSIGN_OR_RETURN(Value old,
                          api::LoadRecord(ctx.txn, *ctx.catalog.Find("Relationship"), *self));
    before = std::move(old);
  }
  auto changed = [&](const char* f) { return creating || changes.contains(f); };

  for (const char* f : {"contact_id_a", "contact_id_b", "relationship_type_id"}) {
    if (!IdOf(At(record, f))) {
      return Refuse(absl::StatusCode::kInvalidArgument, std::string(f) + " is required",
                    kReasonRequired, {{"error_field", f}});
    }
  }
  int64_t a = *IdOf(At(record, "contact_id_a"));
  int64_t b = *IdOf(At(record, "contact_id_b"));
  int64_t type_id = *IdOf(At(record, "relationship_type_id"));

  KITH_ASSIGN_OR_RETURN(std::optional<Value> type, LoadRelationshipType(ctx.txn, type_id));
  if (changed("relationship_type_id") && (!type || !Truthy(At(*type, "is_active")))) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  "relationship_type_id is not valid: " + std::to_string(type_id),
                  kReasonTypeMissing,
                  {{"error_field", "relationship_type_id"}, {"value", type_id}});
  }
  if (changed("contact_id_a") || changed("contact_id_b") || changed("relationship_type_id")) {
    for (auto [field, id] : {std::pair<const char*, int64_t>{"contact_id_a", a},
                             std::pair<const char*, int64_t>{"contact_id_b", b}}) {
      KITH_ASSIGN_OR_RETURN(ContactKind kind, LoadContactKind(ctx.txn, id));
      if (!kind.exists) {
        return Refuse(absl::StatusCode::kInvalidArgument,
                      "Invalid Contact ID: There is no contact record with contact_id = " +
                          std::to_string(id) + ".",
                      kReasonContactMissing, {{"error_field", field}, {"contact_id", id}});
      }
      bool side_a = std::string_view(field) == "contact_id_a";
      KITH_RETURN_IF_ERROR(CheckContactFits(kind, id, type.value_or(Value::object()), field,
                                            side_a ? "contact_type_a" : "contact_type_b",
                                            side_a ? "contact_sub_type_a" : "contact_sub_type_b"));
    }
  }

  std::string start = TextOf(record, "start_date");
  std::string end = TextOf(record, "end_date");
  if (!start.empty() && !end.empty() && end < start) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  "end_date " + end + " is before start_date " + start, kReasonDatesReversed,
                  {{"error_field", "end_date"}});
  }

  bool overlap_inputs_changed = false;
  for (const char* f : {"contact_id_a", "contact_id_b", "relationship_type_id", "start_date",
                        "end_date", "is_active", "case_id"}) {
    overlap_inputs_changed = overlap_inputs_changed || changed(f);
  }
  if (Truthy(At(record, "is_active")) && overlap_inputs_changed) {
    KITH_ASSIGN_OR_RETURN(int64_t dup, FindOverlapping(ctx.txn, record, a, b, type_id));
    if (dup != 0) {
      return Refuse(absl::StatusCode::kAlreadyExists, "Duplicate Relationship", kReasonDuplicate,
                    {{"error_code", "duplicate"}, {"duplicate_id", dup}});
    }
  }

  std::string now = FormatDateTime(Clock::Real().NowSeconds());
  if (creating) changes["created_date"] = now;
  changes["modified_date"] = now;
  return SyncEmployer(ctx, before, record, self.value_or(0));
}

Status RelationshipTypeBeforeWrite(ActionContext& ctx, const Value& record, Value& changes,
                                   bool creating) {
  // The row as it will be, with CiviCRM's defaults: a missing name comes from
  // its label (on create), name_b_a from name_a_b, a missing label from its
  // name.
  auto text = [&](const char* f) { return TextOf(record, f); };
  std::string name_a_b = text("name_a_b"), name_b_a = text("name_b_a");
  std::string label_a_b = text("label_a_b"), label_b_a = text("label_b_a");
  auto set = [&](const char* f, std::string& local, const std::string& v) {
    local = v;
    changes[f] = v;
  };
  if (creating) {
    if (name_a_b.empty() && !label_a_b.empty()) set("name_a_b", name_a_b, label_a_b);
    if (name_b_a.empty()) set("name_b_a", name_b_a, label_b_a.empty() ? name_a_b : label_b_a);
  }
  if (label_a_b.empty() && !name_a_b.empty()) set("label_a_b", label_a_b, name_a_b);
  if (label_b_a.empty() && !name_b_a.empty()) set("label_b_a", label_b_a, name_b_a);
  if (name_a_b.empty()) {
    return Refuse(absl::StatusCode::kInvalidArgument, "name_a_b is required", kReasonRequired,
                  {{"error_field", "name_a_b"}});
  }
  for (const char* f : {"contact_type_a", "contact_type_b", "contact_sub_type_a",
                        "contact_sub_type_b"}) {
    if (changes.contains(f) && text(f).empty()) changes[f] = nullptr;
  }
  for (const char* f : {"contact_type_a", "contact_type_b"}) {
    std::string v = text(f);
    if (!v.empty() && !IsContactType(v)) {
      return Refuse(absl::StatusCode::kInvalidArgument, std::string(f) + " is not a contact type: " + v,
                    kReasonBadContactType, {{"error_field", f}, {"value", v}});
    }
  }
  for (auto [f, v] : {std::pair<const char*, std::string>{"name_a_b", name_a_b},
                      std::pair<const char*, std::string>{"name_b_a", name_b_a}}) {
    if (!changes.contains(f) || v.empty()) continue;
    Query q;
    q.entity = "RelationshipType";
    q.select = {"id"};
    std::vector<Condition> where = {Condition::Leaf(f, Op::kEq, v)};
    if (auto self = IdOf(At(record, "id"))) where.push_back(Condition::Leaf("id", Op::kNe, *self));
    q.where = Condition::And(std::move(where));
    KITH_ASSIGN_OR_RETURN(int64_t n, ctx.txn.Count(q));
    if (n > 0) {
      return Refuse(absl::StatusCode::kAlreadyExists,
                    std::string("A relationship type with ") + f + " '" + v + "' already exists",
                    kReasonNameTaken, {{"error_field", f}, {"value", v}});
    }
  }
  return Status();
}

}  // namespace

void RegisterRelationshipRules(api::RulesRegistry& rules) {
  api::EntityRules relationship;
  relationship.before_write = RelationshipBeforeWrite;
  rules.Set("Relationship", std::move(relationship));
  api::EntityRules type;
  type.before_write = RelationshipTypeBeforeWrite;
  rules.Set("RelationshipType", std::move(type));
}

std::string RelationshipRefusalReason(const Status& status) {
  Value details = ErrorDetails(status);
  return details.contains("reason") && details["reason"].is_string()
             ? details["reason"].get<std::string>()
             : std::string();
}

StatusOr<ContactKind> LoadContactKind(store::Transaction& txn, int64_t contact_id) {
  Query q;
  q.entity = "Contact";
  q.select = {"contact_type", "contact_sub_type", "is_deleted"};
  q.where = Condition::Leaf("id", Op::kEq, contact_id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  ContactKind kind;
  if (rows.empty() || Truthy(rows[0]["is_deleted"])) return kind;
  kind.exists = true;
  kind.type = api::ValueAsText(rows[0]["contact_type"]);
  std::string sub_types = api::ValueAsText(rows[0]["contact_sub_type"]);
  for (std::string_view s : Split(sub_types, '\x01', true)) {
    kind.sub_types.emplace_back(s);
  }
  return kind;
}

StatusOr<std::optional<Value>> LoadRelationshipType(store::Transaction& txn, int64_t id) {
  Query q;
  q.entity = "RelationshipType";
  q.select = {"id",           "name_a_b",       "label_a_b",          "name_b_a",
              "label_b_a",    "description",    "contact_type_a",     "contact_type_b",
              "contact_sub_type_a", "contact_sub_type_b", "is_reserved", "is_active"};
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return std::optional<Value>();
  return std::optional<Value>(std::move(rows[0]));
}

StatusOr<std::optional<int64_t>> FindRelationshipTypeByName(store::Transaction& txn,
                                                            const std::string& name,
                                                            bool include_disabled) {
  Query q;
  q.entity = "RelationshipType";
  q.select = {"id"};
  std::vector<Condition> where = {Condition::Or(
      {Condition::Leaf("name_a_b", Op::kEq, name), Condition::Leaf("name_b_a", Op::kEq, name)})};
  if (!include_disabled) where.push_back(Condition::Leaf("is_active", Op::kEq, 1));
  q.where = Condition::And(std::move(where));
  q.order_by = {{"id", false}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0]["id"].get<int64_t>());
}

Status DeleteRelationship(ActionContext& ctx, int64_t id) {
  KITH_ASSIGN_OR_RETURN(Value row,
                        api::LoadRecord(ctx.txn, *ctx.catalog.Find("Relationship"), id));
  KITH_RETURN_IF_ERROR(ctx.txn.Delete("Relationship", id));
  return SyncEmployer(ctx, row, std::nullopt, id);
}

Status DeleteRelationshipType(ActionContext& ctx, int64_t id) {
  KITH_ASSIGN_OR_RETURN(std::optional<Value> type, LoadRelationshipType(ctx.txn, id));
  if (!type) {
    return NotFound("RelationshipType id " + std::to_string(id) + " not found",
                    {{"error_code", "not-found"}});
  }
  Query q;
  q.entity = "Relationship";
  q.select = {"id"};
  q.where = Condition::Leaf("relationship_type_id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  for (const Value& r : rows) {
    KITH_RETURN_IF_ERROR(DeleteRelationship(ctx, r["id"].get<int64_t>()));
  }
  return ctx.txn.Delete("RelationshipType", id);
}

}  // namespace kith::entities
