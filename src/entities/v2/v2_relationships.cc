#include "entities/v2/v2_actions.h"

#include <algorithm>
#include <tuple>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/relationship_rules.h"
#include "entities/v2/v2_params.h"

namespace kith::entities::v2 {
namespace {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

// What a 3.2 request carries besides the call's own fields.
bool IsTransportParam(const std::string& key) {
  return IsV2EnvelopeParam(key) || key == "name" || key == "return";
}

std::string Text(const Value& v) {
  if (v.is_object() || v.is_array()) return "Array";  // what PHP printed for one
  return api::ValueAsText(v);
}

// PHP's empty(): what CRM_Utils_Array::value() treats as absent.
bool PhpEmpty(const Value& v) {
  if (v.is_null()) return true;
  if (v.is_object() || v.is_array()) return v.empty();
  if (v.is_boolean()) return !v.get<bool>();
  std::string s = api::ValueAsText(v);
  return s.empty() || s == "0";
}

// CRM_Utils_System::isNull(): null, "" or an empty array.
bool PhpNull(const Value& v) {
  if (v.is_null()) return true;
  if (v.is_object() || v.is_array()) return v.empty();
  return v.is_string() && v.get<std::string>().empty();
}

bool Given(const Value& p, const char* key) { return p.contains(key) && !PhpEmpty(p[key]); }

std::optional<int64_t> IntParam(const Value& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return ParseInt64(TrimAscii(v.get<std::string>()));
  return std::nullopt;
}

// 3.2 called civicrm_<entity>_<action>(). PHP matches function names
// regardless of case but not of underscores: relationship_type/add existed,
// relationshipType/add did not, and the type list existed only as
// civicrm_relationshipType_get. The route renders this error as its own
// "Unknown function called" refusal.
Status RequireSpelling(const ActionContext& ctx, bool with_underscore) {
  if ((ctx.call.entity.find('_') != std::string::npos) == with_underscore) return Status();
  return NotFound("Unknown function called: civicrm_" + ctx.call.entity + "_" + ctx.call.action,
                  {{"error_code", "unknown-function"}});
}

// ---------------------------------------------------------------------------
// relationship/create | update

// 3.2's contact type check of _civicrm_relationship_format_params, run when
// the type is met in the parameters (so a contact id given after it is not
// yet checked for existence: a missing contact has no type).
StatusOr<std::string> ContactTypeOf(store::Transaction& txn, const Value& given) {
  auto id = IntParam(given);
  if (!id) return std::string();
  KITH_ASSIGN_OR_RETURN(ContactKind kind, LoadContactKind(txn, *id));
  return kind.type;
}

Status CheckContactTypes(ActionContext& ctx, const Value& type) {
  for (auto [side, type_field] : {std::pair<const char*, const char*>{"contact_id_a", "contact_type_a"},
                                  std::pair<const char*, const char*>{"contact_id_b", "contact_type_b"}}) {
    std::string want = type.contains(type_field) ? api::ValueAsText(type[type_field]) : "";
    if (want.empty()) continue;
    Value given = ctx.params.value(side, Value());
    KITH_ASSIGN_OR_RETURN(std::string have, ContactTypeOf(ctx.txn, given));
    if (have != want) {
      return InvalidArgument("Contact ID :" + Text(given) + " is not of contact type " + want);
    }
  }
  return Status();
}

// The checks of _civicrm_relationship_format_params, in the order the
// parameters came (3.2 walked them in that order). Returns the type id
// named by `relationship_type`, if any.
StatusOr<std::optional<int64_t>> CheckV2Format(ActionContext& ctx) {
  const Value& p = ctx.params;
  std::optional<int64_t> named_type;
  for (const auto& [key, value] : p.items()) {
    if (PhpNull(value)) continue;
    if (key == "contact_id_a" || key == "contact_id_b") {
      auto id = IntParam(value);
      if (!id) return InvalidArgument("contact_id not valid: " + Text(value));
      KITH_ASSIGN_OR_RETURN(ContactKind kind, LoadContactKind(ctx.txn, *id));
      if (!kind.exists) {
        return InvalidArgument("Invalid Contact ID: There is no contact record with contact_id = " +
                               Text(value) + ".");
      }
    } else if (key == "start_date" || key == "end_date") {
      if (value.is_object() || value.is_array() || !api::NormalizeDate(Text(value), false)) {
        return InvalidArgument(key + " not a valid date: " + Text(value));
      }
    } else if (key == "relationship_type" || key == "relationship_type_id") {
      std::optional<Value> type;
      if (key == "relationship_type") {
        // 3.2 compared ucfirst(value) with each type's names.
        std::string name = Text(value);
        if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 32);
        KITH_ASSIGN_OR_RETURN(auto found, FindRelationshipTypeByName(ctx.txn, name, false));
        if (!found) return InvalidArgument("Invalid Relationship Type");
        if (Given(p, "relationship_type_id") && IntParam(p["relationship_type_id"]) != *found) {
          return InvalidArgument("Mismatched Relationship Type and Relationship Type Id");
        }
        named_type = *found;
        KITH_ASSIGN_OR_RETURN(type, LoadRelationshipType(ctx.txn, *found));
      } else {
        auto id = IntParam(value);
        if (id) {
          KITH_ASSIGN_OR_RETURN(type, LoadRelationshipType(ctx.txn, *id));
        }
        if (!type || api::ValueAsText((*type)["is_active"]) != "1") {
          return InvalidArgument("relationship_type_id not a valid: " + Text(value));
        }
      }
      KITH_RETURN_IF_ERROR(CheckContactTypes(ctx, *type));
    }
  }
  return named_type;
}

// The shared rules' refusals in 3.2's words.
Status V2RelationshipError(const Status& s) {
  std::string reason = RelationshipRefusalReason(s);
  Value d = ErrorDetails(s);
  if (reason == kReasonContactMissing) {
    return InvalidArgument("Invalid Contact ID: There is no contact record with contact_id = " +
                           api::ValueAsText(d["contact_id"]) + ".");
  }
  if (reason == kReasonContactType) {
    return InvalidArgument("Contact ID :" + api::ValueAsText(d["contact_id"]) +
                           " is not of contact type " + api::ValueAsText(d["contact_type"]));
  }
  if (reason == kReasonContactSubType) return InvalidArgument("Relationship is not valid");
  if (reason == kReasonTypeMissing) {
    return InvalidArgument("relationship_type_id not a valid: " + api::ValueAsText(d["value"]));
  }
  if (reason == kReasonDuplicate) {
    return AlreadyExists("Relationship already exist", {{"error_code", "duplicate"}});
  }
  if (reason == kReasonRequired) {
    return InvalidArgument("Required fields not found  " + api::ValueAsText(d["error_field"]) + ".");
  }
  return s;
}

StatusOr<Value> V2RelationshipSave(ActionContext& ctx) {
  const Value& p = ctx.params;
  const schema::Entity& entity = *ctx.catalog.Find("Relationship");
  std::optional<int64_t> id;
  if (Given(p, "id")) {
    id = IntParam(p["id"]);
    if (!id || !api::LoadRecord(ctx.txn, entity, *id).ok()) {
      return InvalidArgument("Relationship id is not valid");
    }
  }
  // "Required fields not found" + " name" per missing field + "." (so two
  // spaces after "found", as 3.2 wrote it).
  std::string missing;
  for (const char* f : {"contact_id_a", "contact_id_b", "relationship_type_id"}) {
    bool by_name = std::string_view(f) == "relationship_type_id" && Given(p, "relationship_type");
    if (!Given(p, f) && !by_name) missing += std::string(" ") + f;
  }
  if (!missing.empty()) return InvalidArgument("Required fields not found " + missing + ".");
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> named_type, CheckV2Format(ctx));

  Value input = Value::object();
  for (const auto& [k, v] : p.items()) {
    if (IsTransportParam(k) || k == "id" || k == "relationship_type") continue;
    input[k] = v;
  }
  if (named_type) input["relationship_type_id"] = *named_type;
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(entity, input, /*ignore_unknown=*/false));
  int64_t saved;
  if (id) {
    Status s = api::UpdateRecord(ctx, "Relationship", *id, values);
    if (!s.ok()) return V2RelationshipError(s);
    saved = *id;
  } else {
    auto created = api::CreateRecord(ctx, "Relationship", values);
    if (!created.ok()) return V2RelationshipError(created.status());
    saved = *created;
  }
  return Value{{"is_error", 0}, {"result", {{"id", std::to_string(saved)}}}};
}

// ---------------------------------------------------------------------------
// relationship/get

struct Direction {
  const char* self;      // the asked contact's column
  const char* other;     // the other contact's column
  const char* relation;  // the label seen from the asked contact
  const char* rtype;
};

struct RelationshipRow {
  int64_t type_id;
  std::string sort_key;
  int64_t id;
  Value row;
};

Value TextOrNull(const Value& v) { return v.is_null() ? Value() : Value(api::ValueAsText(v)); }

StatusOr<Value> V2RelationshipGet(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (!p.contains("contact_id")) {
    return InvalidArgument("Could not find contact_id in input parameters.");
  }
  if (PhpEmpty(p["contact_id"])) return InvalidArgument("Invalid Data");
  auto contact_id = IntParam(p["contact_id"]);
  if (!contact_id || *contact_id <= 0) {
    return InvalidArgument("contact_id is not valid: " + Text(p["contact_id"]));
  }
  std::vector<RelationshipRow> found;
  for (const Direction& d : {Direction{"contact_id_a", "contact_id_b", "label_a_b", "a_b"},
                             Direction{"contact_id_b", "contact_id_a", "label_b_a", "b_a"}}) {
    std::string o = std::string(d.other) + ".";
    Query q;
    q.entity = "Relationship";
    q.select = {"id",
                d.other,
                "relationship_type_id",
                "relationship_type_id." + std::string(d.relation),
                o + "sort_name",
                o + "display_name",
                o + "contact_type",
                o + "job_title",
                o + "email_primary.email",
                o + "phone_primary.phone",
                o + "employer_id",
                o + "employer_id.organization_name",
                o + "organization_name",
                o + "address_primary.country_id.name",
                o + "address_primary.city",
                o + "address_primary.state_province_id.abbreviation",
                "start_date",
                "end_date",
                "description",
                "is_active",
                "is_permission_a_b",
                "is_permission_b_a"};
    // 3.2 leaves out relationships with a contact in the trash (CRM-6181).
    q.where = Condition::And({Condition::Leaf(d.self, Op::kEq, *contact_id),
                              Condition::Leaf(o + "is_deleted", Op::kEq, 0)});
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    for (Value& r : rows) {
      // CiviCRM keeps an individual's employer name in its organization_name;
      // kith reads it through employer_id instead of keeping a copy.
      Value organization = r[o + "organization_name"];
      if (r[o + "contact_type"] == "Individual" && !r[o + "employer_id"].is_null()) {
        organization = r[o + "employer_id.organization_name"];
      }
      Value row = {
          {"id", TextOrNull(r["id"])},
          {"cid", TextOrNull(r[d.other])},
          {"relation", TextOrNull(r["relationship_type_id." + std::string(d.relation)])},
          {"name", TextOrNull(r[o + "sort_name"])},
          {"display_name", TextOrNull(r[o + "display_name"])},
          {"job_title", TextOrNull(r[o + "job_title"])},
          {"email", TextOrNull(r[o + "email_primary.email"])},
          {"phone", TextOrNull(r[o + "phone_primary.phone"])},
          {"employer_id", TextOrNull(r[o + "employer_id"])},
          {"organization_name", TextOrNull(organization)},
          {"country", TextOrNull(r[o + "address_primary.country_id.name"])},
          {"city", TextOrNull(r[o + "address_primary.city"])},
          {"state", TextOrNull(r[o + "address_primary.state_province_id.abbreviation"])},
          {"start_date", TextOrNull(r["start_date"])},
          {"end_date", TextOrNull(r["end_date"])},
          {"description", TextOrNull(r["description"])},
          {"is_active", TextOrNull(r["is_active"])},
          {"is_permission_a_b", TextOrNull(r["is_permission_a_b"])},
          {"is_permission_b_a", TextOrNull(r["is_permission_b_a"])},
          {"civicrm_relationship_type_id", TextOrNull(r["relationship_type_id"])},
          {"rtype", d.rtype}};
      found.push_back({r["relationship_type_id"].get<int64_t>(),
                       AsciiLower(api::ValueAsText(r[o + "sort_name"])), r["id"].get<int64_t>(),
                       std::move(row)});
    }
  }
  // 3.2: ORDER BY civicrm_relationship_type_id, sort_name (MySQL compares
  // names without regard to case); the id keeps ties stable.
  std::sort(found.begin(), found.end(), [](const RelationshipRow& x, const RelationshipRow& y) {
    return std::tie(x.type_id, x.sort_key, x.id) < std::tie(y.type_id, y.sort_key, y.id);
  });
  Value result = Value::object();
  for (RelationshipRow& f : found) {
    std::string key = std::to_string(f.id);
    if (!result.contains(key)) result[key] = std::move(f.row);
  }
  if (result.empty()) return InvalidArgument("Invalid Data");
  return Value{{"is_error", 0}, {"result", std::move(result)}};
}

// ---------------------------------------------------------------------------
// relationship/delete

StatusOr<Value> V2RelationshipDelete(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (!Given(p, "id")) return InvalidArgument("Missing required parameter");
  auto id = IntParam(p["id"]);
  if (!id) return InvalidArgument("Invalid value for relationship ID");
  Status s = DeleteRelationship(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) return InvalidArgument("Relationship id is not valid");
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"result", "Deleted relationship successfully"}};
}

// ---------------------------------------------------------------------------
// relationship_type/add | update | delete, relationshipType/get

Value TypeRow(const Value& stored) {
  Value row = Value::object();
  for (const auto& [k, v] : stored.items()) row[k] = TextOrNull(v);
  return row;
}

constexpr char kTypeMissingParams[] =
    "Missing some required parameters (contact_types_a contact_types_b name_a_b name b_a)";

StatusOr<Value> V2TypeSave(ActionContext& ctx) {
  KITH_RETURN_IF_ERROR(RequireSpelling(ctx, true));
  const Value& p = ctx.params;
  Value input = Value::object();
  for (const auto& [k, v] : p.items()) {
    if (!IsTransportParam(k)) input[k] = v;
  }
  if (input.empty()) return InvalidArgument("No input parameters present");
  auto present = [&](const char* k) { return input.contains(k) && !input[k].is_null(); };
  if (!present("contact_types_a") && !present("contact_types_b") && !present("name_a_b") &&
      !present("name_b_a")) {
    return InvalidArgument(kTypeMissingParams);
  }
  std::optional<int64_t> id;
  if (present("id")) {
    id = IntParam(input["id"]);
    if (!id) return InvalidArgument("Invalid value for relationship type ID");
  }
  input.erase("id");
  // CiviCRM's admin form sends "Individual" or "Individual__Student".
  for (auto [alias, type_field, sub_field] :
       {std::tuple<const char*, const char*, const char*>{"contact_types_a", "contact_type_a",
                                                          "contact_sub_type_a"},
        std::tuple<const char*, const char*, const char*>{"contact_types_b", "contact_type_b",
                                                          "contact_sub_type_b"}}) {
    if (!input.contains(alias)) continue;
    std::string given = Text(input[alias]);
    input.erase(alias);
    size_t sep = given.find("__");
    if (!input.contains(type_field)) input[type_field] = given.substr(0, sep);
    if (sep != std::string::npos && !input.contains(sub_field)) {
      input[sub_field] = given.substr(sep + 2);
    }
  }
  const schema::Entity& entity = *ctx.catalog.Find("RelationshipType");
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(entity, input, /*ignore_unknown=*/false));
  int64_t saved;
  Status s;
  if (id) {
    if (!LoadRelationshipType(ctx.txn, *id).value_or(std::nullopt)) {
      return InvalidArgument("Invalid value for relationship type ID");
    }
    s = api::UpdateRecord(ctx, "RelationshipType", *id, values);
    saved = *id;
  } else {
    auto created = api::CreateRecord(ctx, "RelationshipType", values);
    s = created.status();
    saved = created.ok() ? *created : 0;
  }
  if (!s.ok()) {
    if (RelationshipRefusalReason(s) == kReasonRequired) return InvalidArgument(kTypeMissingParams);
    return s;
  }
  KITH_ASSIGN_OR_RETURN(Value stored, api::LoadRecord(ctx.txn, entity, saved));
  return TypeRow(stored);
}

StatusOr<Value> V2TypeDelete(ActionContext& ctx) {
  KITH_RETURN_IF_ERROR(RequireSpelling(ctx, true));
  const Value& p = ctx.params;
  if (!Given(p, "id")) return InvalidArgument("Missing required parameter");
  auto id = IntParam(p["id"]);
  if (!id) return InvalidArgument("Invalid value for relationship type ID");
  Status s = DeleteRelationshipType(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete relationship type");
  }
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"result", "Deleted relationship type successfully"}};
}

// civicrm_relationship_types_get: every type whose columns equal the given
// ones (other parameters are ignored), as a list.
StatusOr<Value> V2TypeList(ActionContext& ctx) {
  KITH_RETURN_IF_ERROR(RequireSpelling(ctx, false));
  const schema::Entity& entity = *ctx.catalog.Find("RelationshipType");
  Query q;
  q.entity = entity.name;
  std::vector<Condition> where;
  for (const schema::Field& f : entity.fields) {
    q.select.push_back(f.name);
    if (!ctx.params.contains(f.name)) continue;
    auto value = api::CoerceFieldValue(f, ctx.params[f.name]);
    if (!value.ok()) return Value::array();  // nothing can equal it
    where.push_back(value->is_null() ? Condition::Leaf(f.name, Op::kIsNull)
                                     : Condition::Leaf(f.name, Op::kEq, *value));
  }
  q.where = Condition::And(std::move(where));
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  Value list = Value::array();
  for (const Value& r : rows) list.push_back(TypeRow(r));
  return list;
}

}  // namespace

void RegisterRelationshipV2Actions(api::ActionRegistry& registry) {
  auto catalog = schema::BuiltinCatalog();
  const schema::Entity& rel = *catalog->Find("Relationship");
  const schema::Entity& type = *catalog->Find("RelationshipType");
  auto add = [&](const char* entity, const char* action, std::vector<std::string> perms,
                 bool writes, const char* description, api::ActionHandler handler) {
    registry.Register({2, entity, action, std::move(perms), writes, description, std::move(handler)});
  };
  add("Relationship", "create", rel.create_permissions, true,
      "Creates a relationship (updates it when id is given)", V2RelationshipSave);
  add("Relationship", "update", rel.update_permissions, true,
      "Updates a relationship (creates one without id, as 3.2 did)", V2RelationshipSave);
  add("Relationship", "get", rel.get_permissions, false,
      "A contact's relationships in both directions", V2RelationshipGet);
  add("Relationship", "delete", rel.delete_permissions, true, "Deletes a relationship",
      V2RelationshipDelete);
  add("RelationshipType", "add", type.create_permissions, true,
      "Creates a relationship type (updates it when id is given)", V2TypeSave);
  add("RelationshipType", "update", type.update_permissions, true,
      "Updates a relationship type", V2TypeSave);
  add("RelationshipType", "delete", type.delete_permissions, true,
      "Deletes a relationship type and its relationships", V2TypeDelete);
  add("RelationshipType", "get", type.get_permissions, false,
      "The relationship types (only as relationshipType/get, as in 3.2)", V2TypeList);
}

}  // namespace kith::entities::v2
