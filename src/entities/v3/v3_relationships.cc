// Relationship and RelationshipType in APIv3 (shared/PROTOCOL.md C.2.5):
// create words the relationship rules' refusals as CiviCRM's v3 does
// ("Invalid Relationship", "Duplicate Relationship" with duplicate_id) and
// answers dates as CiviCRM's DAO holds them; get with contact_id answers a
// contact's relationships in both directions, each seen from that contact;
// delete clears the employer a relationship made.
#include <algorithm>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/relationship_rules.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

// The refusal in v3's words, the rules' facts kept as CiviCRM keeps them.
Status V3Refusal(const Status& s) {
  std::string reason = RelationshipRefusalReason(s);
  if (reason.empty()) return s;
  Value details = ErrorDetails(s);
  if (reason == kReasonDuplicate) {
    Value dup = details.value("duplicate_id", Value());
    auto n = ParseInt64(api::ValueAsText(dup));
    return ErrorWithDetails(absl::StatusCode::kAlreadyExists, "Duplicate Relationship",
                            Value{{"duplicate_id", n ? Value(*n) : dup}, {"error_code", "duplicate"}});
  }
  if (reason == kReasonContactType || reason == kReasonContactSubType) {
    return InvalidArgument("Invalid Relationship");
  }
  Value kept = Value::object();
  for (const auto& [k, v] : details.items()) {
    if (k != "reason" && k != "contact_id" && k != "contact_type" && k != "contact_sub_type") kept[k] = v;
  }
  return ErrorWithDetails(s.code(), std::string(s.message()), kept);
}

std::string DigitsOf(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits;
}

// CiviCRM's DAO echoes a given date as YYYYMMDDhhmmss and a missing end
// date as the text NULL.
Value DaoDate(const Value& given, const Value& stored) {
  if (given.is_null()) return "NULL";
  std::string digits = DigitsOf(api::ValueAsText(stored));
  while (!digits.empty() && digits.size() < 14) digits += '0';
  return digits;
}

StatusOr<Value> RelationshipCreate(ActionContext& outer, const V3Hooks& hooks) {
  // relationship_type (a type's name) may stand for relationship_type_id.
  Value params = outer.params;
  if (params.contains("relationship_type") && !params.contains("relationship_type_id")) {
    std::string name = api::ValueAsText(params["relationship_type"]);
    KITH_ASSIGN_OR_RETURN(std::optional<int64_t> type, FindRelationshipTypeByName(outer.txn, name, false));
    if (!type) {
      return InvalidArgument("relationship_type is not valid: " + name,
                             Value{{"error_code", 2001}, {"error_field", "relationship_type"}});
    }
    params["relationship_type_id"] = *type;
  }
  params.erase("relationship_type");
  ActionContext ctx{outer.txn, outer.caller, outer.dispatcher, outer.catalog, outer.call, params};
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Relationship", ctx.params));
  auto result = GenericCreate(ctx, "Relationship", hooks);
  if (!result.ok()) return V3Refusal(result.status());
  Value& row = *(*result)["values"].begin();
  if (id) {
    // An update: CiviCRM's BAO fills in the contacts and the type, and loads
    // the stored record into its answer unless the call only disables it.
    const schema::Entity* e = ctx.catalog.Find("Relationship");
    KITH_ASSIGN_OR_RETURN(Value stored, api::LoadRecord(ctx.txn, *e, *id));
    bool disabling = ctx.params.contains("is_active") && !Truthy(ctx.params["is_active"]);
    for (auto it = row.begin(); it != row.end(); ++it) {
      const std::string& col = it.key();
      bool given = ctx.params.contains(col);
      if (col == "id") continue;
      if (col == "contact_id_a" || col == "contact_id_b" || col == "relationship_type_id" ||
          (!disabling && !given)) {
        // as MySQL hands the loaded values back: dates and times as digits
        const schema::Field* f = e->FindField(col);
        bool dated = f != nullptr && (f->type == schema::FieldType::kDate ||
                                      f->type == schema::FieldType::kDateTime);
        *it = dated ? Value(DigitsOf(api::ValueAsText(stored[col]))) : V3Text(stored[col]);
      } else if (!given) {
        *it = "";
      }
    }
  }
  for (const char* date : {"start_date", "end_date"}) {
    Value given = ctx.params.contains(date) && !api::ValueAsText(ctx.params[date]).empty()
                      ? ctx.params[date]
                      : Value();
    if (!id || !given.is_null()) row[date] = DaoDate(given, row[date]);
  }
  if (!id) {
    // Set by the rules, but not part of CiviCRM's answer.
    row["created_date"] = "";
    row["modified_date"] = "";
  }
  return result;
}

StatusOr<Value> RelationshipDelete(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Relationship", ctx.params));
  if (!id) return MandatoryMissing({"id"});
  Status s = DeleteRelationship(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete entity id " + std::to_string(*id));
  }
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}};
}

// Relationship.get with contact_id: both directions, each row seen from the
// contact (cid the other one, relation the label from its side, rtype).
StatusOr<V3Rows> ContactRelationshipRows(ActionContext& ctx, const Value& params,
                                         const V3Options& options) {
  auto contact = ParseInt64(api::ValueAsText(params["contact_id"]));
  if (params["contact_id"] == "user_contact_id") contact = ctx.caller.contact_id;
  if (!contact) {
    return InvalidArgument("contact_id is not a valid integer: " + api::ValueAsText(params["contact_id"]),
                           Value{{"error_code", 2001}, {"error_field", "contact_id"}});
  }
  Value rest = params;
  rest.erase("contact_id");
  rest["return"] = "id";
  V3Options all;
  all.limit = 0;
  // The other filters, as a plain get of each side.
  std::vector<Value> found;
  for (const char* side : {"contact_id_a", "contact_id_b"}) {
    Value filter = rest;
    filter[side] = *contact;
    KITH_ASSIGN_OR_RETURN(V3Rows r, GenericRows(ctx, "Relationship", V3Hooks{}, filter, all));
    for (const auto& [id, row] : r.rows.items()) found.push_back(Value(std::stoll(id)));
  }
  V3Rows out;
  if (found.empty()) return out;
  Query q;
  q.entity = "Relationship";
  q.select = {"id", "contact_id_a", "contact_id_b", "relationship_type_id", "start_date", "end_date",
              "created_date", "modified_date", "description", "is_active", "is_permission_a_b",
              "is_permission_b_a", "case_id", "relationship_type_id.label_a_b",
              "relationship_type_id.label_b_a"};
  Value ids = Value::array();
  for (const Value& v : found) ids.push_back(v);
  q.where = Condition::Leaf("id", Op::kIn, ids);
  KITH_ASSIGN_OR_RETURN(auto rels, ctx.txn.Select(q));
  struct Entry {
    Value row;
    int64_t type;
    std::string sort;
  };
  std::vector<Entry> entries;
  for (const Value& rel : rels) {
    bool is_a = rel["contact_id_a"] == *contact;
    Value other = is_a ? rel["contact_id_b"] : rel["contact_id_a"];
    Query c;
    c.entity = "Contact";
    c.select = {"contact_type", "contact_sub_type", "sort_name", "display_name", "job_title",
                "email_primary.email", "phone_primary.phone", "employer_id", "organization_name",
                "address_primary.country_id.name", "address_primary.city",
                "address_primary.state_province_id.name"};
    c.where = Condition::Leaf("id", Op::kEq, other);
    KITH_ASSIGN_OR_RETURN(auto people, ctx.txn.Select(c));
    Value p = people.empty() ? Value::object() : people[0];
    auto text = [&](const char* k) { return V3Text(p.value(k, Value())); };
    std::string id = api::ValueAsText(rel["id"]);
    Value row{{"id", id},
              {"cid", V3Text(other)},
              {"contact_id_a", V3Text(rel["contact_id_a"])},
              {"contact_id_b", V3Text(rel["contact_id_b"])},
              {"contact_type", text("contact_type")},
              {"contact_sub_type", text("contact_sub_type")},
              {"relationship_type_id", V3Text(rel["relationship_type_id"])},
              {"relation", V3Text(rel[is_a ? "relationship_type_id.label_a_b" : "relationship_type_id.label_b_a"])},
              {"name", text("sort_name")},
              {"display_name", text("display_name")},
              {"job_title", text("job_title")},
              {"email", text("email_primary.email")},
              {"phone", text("phone_primary.phone")},
              {"employer_id", text("employer_id")},
              {"organization_name", text("organization_name")},
              {"country", text("address_primary.country_id.name")},
              {"city", text("address_primary.city")},
              {"state", text("address_primary.state_province_id.name")},
              {"start_date", V3Text(rel["start_date"])},
              {"end_date", V3Text(rel["end_date"])},
              {"created_date", V3Text(rel["created_date"])},
              {"modified_date", V3Text(rel["modified_date"])},
              {"description", V3Text(rel["description"])},
              {"is_active", V3Text(rel["is_active"])},
              {"is_permission_a_b", V3Text(rel["is_permission_a_b"])},
              {"is_permission_b_a", V3Text(rel["is_permission_b_a"])},
              {"case_id", V3Text(rel["case_id"])},
              {"civicrm_relationship_type_id", V3Text(rel["relationship_type_id"])},
              {"rtype", is_a ? "a_b" : "b_a"}};
    entries.push_back({std::move(row), rel["relationship_type_id"].get<int64_t>(),
                       api::ValueAsText(p.value("sort_name", Value()))});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return x.type != y.type ? x.type < y.type : x.sort < y.sort;
  });
  size_t start = static_cast<size_t>(std::min<int64_t>(options.offset, static_cast<int64_t>(entries.size())));
  for (size_t i = start; i < entries.size(); ++i) {
    if (options.limit > 0 && static_cast<int64_t>(i - start) >= options.limit) break;
    out.rows[api::ValueAsText(entries[i].row["id"])] = entries[i].row;
  }
  return out;
}

StatusOr<V3Rows> RelationshipRows(ActionContext& ctx, const Value& params, const V3Options& options) {
  if (params.contains("contact_id") && !params["contact_id"].is_object() &&
      !api::ValueAsText(params["contact_id"]).empty()) {
    return ContactRelationshipRows(ctx, params, options);
  }
  return GenericRows(ctx, "Relationship", V3Hooks{}, params, options);
}

StatusOr<Value> RelationshipTypeDelete(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "RelationshipType", ctx.params));
  if (!id) return MandatoryMissing({"id"});
  Status s = DeleteRelationshipType(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete entity id " + std::to_string(*id));
  }
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}};
}

}  // namespace

void AddRelationshipHooks(V3HooksTable& table) {
  V3Hooks& rel = table["Relationship"];
  rel.create_echo = {"is_active", "is_permission_a_b", "is_permission_b_a"};
  rel.create_defaults = Value{{"is_active", 1}};
  rel.rows = RelationshipRows;
  rel.count = [](ActionContext& ctx, const Value& params) -> StatusOr<int64_t> {
    if (params.contains("contact_id") && !params["contact_id"].is_object()) {
      V3Options all;
      all.limit = 0;
      KITH_ASSIGN_OR_RETURN(V3Rows r, ContactRelationshipRows(ctx, params, all));
      return static_cast<int64_t>(r.rows.size());
    }
    return GenericCount(ctx, "Relationship", params);
  };
  V3Hooks copy = rel;
  rel.create = [copy](ActionContext& ctx) { return RelationshipCreate(ctx, copy); };
  rel.remove = RelationshipDelete;

  V3Hooks& type = table["RelationshipType"];
  type.create_defaults = Value{{"is_active", 1}};
  type.create_echo = {"label_a_b", "label_b_a", "name_b_a"};
  type.remove = RelationshipTypeDelete;
}

}  // namespace kith::entities::v3
