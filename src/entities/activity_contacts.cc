#include "entities/activity_contacts.h"

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::entities {

using store::Condition;
using store::Op;
using store::Query;

std::optional<ActivityRole> RoleOfField(std::string_view field) {
  if (field == "source_contact_id") return ActivityRole::kSource;
  if (field == "target_contact_id") return ActivityRole::kTarget;
  if (field == "assignee_contact_id") return ActivityRole::kAssignee;
  return std::nullopt;
}

const std::vector<std::string>& ActivityRoleFields() {
  static const std::vector<std::string> fields = {"source_contact_id", "target_contact_id",
                                                  "assignee_contact_id"};
  return fields;
}

StatusOr<std::vector<int64_t>> ContactIds(const api::ActionContext& ctx, const std::string& field,
                                          const Value& value) {
  std::vector<int64_t> ids;
  auto bad = [&](const Value& v) {
    return InvalidArgument(field + " is not valid: " + api::ValueAsText(v),
                           {{"error_code", 2001}, {"error_field", field}});
  };
  auto add = [&](const Value& v) -> Status {
    if (v.is_number_integer()) {
      ids.push_back(v.get<int64_t>());
      return Status();
    }
    if (!v.is_string()) return bad(v);
    for (std::string_view part : Split(v.get_ref<const std::string&>(), ',', true)) {
      std::string token(TrimAscii(part));
      if (token == "user_contact_id") {
        ids.push_back(ctx.caller.contact_id);
      } else if (auto id = ParseInt64(token)) {
        ids.push_back(*id);
      } else if (!token.empty()) {
        return bad(v);
      }
    }
    return Status();
  };
  if (value.is_array()) {
    for (const Value& v : value) KITH_RETURN_IF_ERROR(add(v));
  } else if (value.is_object()) {  // v3's list as an object keyed by position
    for (const auto& [k, v] : value.items()) KITH_RETURN_IF_ERROR(add(v));
  } else if (!value.is_null()) {
    KITH_RETURN_IF_ERROR(add(value));
  }
  return ids;
}

Status SetActivityContacts(api::ActionContext& ctx, int64_t activity_id, ActivityRole role,
                           const std::vector<int64_t>& contacts) {
  Query q;
  q.entity = "ActivityContact";
  q.select = {"id", "contact_id"};
  q.where = Condition::And({Condition::Leaf("activity_id", Op::kEq, activity_id),
                            Condition::Leaf("record_type_id", Op::kEq, static_cast<int>(role))});
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  std::vector<int64_t> kept;
  for (const Value& r : rows) {
    int64_t contact = r["contact_id"].get<int64_t>();
    if (std::find(contacts.begin(), contacts.end(), contact) == contacts.end()) {
      KITH_RETURN_IF_ERROR(ctx.txn.Delete("ActivityContact", r["id"].get<int64_t>()));
    } else {
      kept.push_back(contact);
    }
  }
  for (int64_t contact : contacts) {
    if (std::find(kept.begin(), kept.end(), contact) != kept.end()) continue;
    kept.push_back(contact);
    Value row{{"activity_id", activity_id}, {"contact_id", contact},
              {"record_type_id", static_cast<int>(role)}};
    KITH_RETURN_IF_ERROR(api::CreateRecord(ctx, "ActivityContact", std::move(row)).status());
  }
  return Status();
}

StatusOr<std::map<int64_t, std::vector<int64_t>>> ActivityContactsOf(
    store::Transaction& txn, const std::vector<int64_t>& activity_ids, ActivityRole role) {
  std::map<int64_t, std::vector<int64_t>> out;
  if (activity_ids.empty()) return out;
  Value ids = Value::array();
  for (int64_t id : activity_ids) ids.push_back(id);
  Query q;
  q.entity = "ActivityContact";
  q.select = {"activity_id", "contact_id"};
  q.where = Condition::And({Condition::Leaf("activity_id", Op::kIn, std::move(ids)),
                            Condition::Leaf("record_type_id", Op::kEq, static_cast<int>(role))});
  q.order_by = {{"activity_id"}, {"id"}};
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  for (const Value& r : rows) {
    out[r["activity_id"].get<int64_t>()].push_back(r["contact_id"].get<int64_t>());
  }
  return out;
}

Condition ActivitiesOf(const std::vector<int64_t>& contacts, std::optional<ActivityRole> role,
                       bool negate) {
  Value ids = Value::array();
  for (int64_t id : contacts) ids.push_back(id);
  Query q;
  q.entity = "ActivityContact";
  q.select = {"activity_id"};
  std::vector<Condition> where = {Condition::Leaf("contact_id", Op::kIn, std::move(ids))};
  if (role) where.push_back(Condition::Leaf("record_type_id", Op::kEq, static_cast<int>(*role)));
  q.where = Condition::And(std::move(where));
  return Condition::InQuery("id", std::move(q), negate);
}

}  // namespace kith::entities
