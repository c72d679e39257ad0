// What APIv4 does differently for contacts and their location blocks
// (shared/PROTOCOL.md C.3.5): the contact type guessed on create, the
// primary email/phone/address written through email_primary.* etc., the
// trash (useTrash), whole rows without the fields of other contact types,
// the `groups` filter, and CiviCRM's column layout and answers.
#include "api/field_values.h"
#include "api/records.h"
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_rules.h"
#include "entities/contact_tags_notes.h"
#include "entities/group_membership.h"
#include "entities/v4/v4_common.h"
#include "store/txn_memo.h"
#include "base/value_members.h"

namespace kith::entities::v4 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

// APIv4 (6.x) guesses a missing contact type from the names given.
Status GuessContactType(ActionContext&, Value& values, bool creating) {
  if (!creating) return Status();
  if (values.contains("contact_type") && !values["contact_type"].is_null()) return Status();
  if (values.contains("organization_name")) {
    values["contact_type"] = "Organization";
  } else if (values.contains("household_name")) {
    values["contact_type"] = "Household";
  } else {
    values["contact_type"] = "Individual";
  }
  return Status();
}

const std::map<std::string, std::string>& PrimaryJoins() {
  static const std::map<std::string, std::string> joins = {
      {"email_primary", "Email"}, {"phone_primary", "Phone"}, {"address_primary", "Address"}};
  return joins;
}

// email_primary.* / phone_primary.* / address_primary.*: the contact's
// primary record of that kind is updated, or created (with the default
// location type, and primary as the contact's first one).
Status WritePrimaryBlocks(ActionContext& ctx, int64_t contact_id, const Value& joined) {
  for (const auto& [join, block] : Members(joined)) {
    auto it = PrimaryJoins().find(join);
    if (it == PrimaryJoins().end()) return InvalidField(join + "." + block.begin().key());
    const std::string& entity = it->second;
    // Copied only to add the primary block's location type (a new
    // contact, say an imported one, has no primary block yet).
    const Value* input = &block;
    Value typed;
    if (!block.contains("location_type_id")) {
      KITH_ASSIGN_OR_RETURN(auto primary, PrimaryBlocks(ctx, entity, contact_id, {"location_type_id"}));
      if (!primary.empty()) {
        typed = block;
        typed["location_type_id"] = primary[0]["location_type_id"];
        input = &typed;
      }
    }
    KITH_RETURN_IF_ERROR(SaveLocationBlock(ctx, entity, contact_id, *input).status());
  }
  return Status();
}

bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty() && v.get<std::string>() != "0" &&
                            AsciiLower(v.get<std::string>()) != "false";
  return !v.is_null();
}

// Trash by default (useTrash), for real with useTrash: false.
Status RemoveContact(ActionContext& ctx, int64_t id, const Value& params) {
  if (id == ctx.caller.contact_id && !ctx.caller.system) {
    return InvalidArgument(
        "This contact record is linked to the currently logged in user account - and cannot be "
        "deleted.");
  }
  if (Truthy(params.value("useTrash", Value(true)))) {
    return api::UpdateRecord(ctx, "Contact", id, Value{{"is_deleted", true}});
  }
  KITH_RETURN_IF_ERROR(DeleteContactTagsAndNotes(ctx.txn, id));
  return ctx.txn.Delete("Contact", id);
}

// where ["groups", "IN", [ids]]: members of those groups (nesting and smart
// groups included, as group_membership.h defines them).
// where ["tags", "IN", [ids]]: contacts having one of those tags.
StatusOr<std::optional<Condition>> MembershipFilter(ActionContext& ctx, const std::string& field,
                                                    const std::string& op, const Value& value) {
  bool groups = field == "groups" && ctx.catalog.Find("GroupContact") != nullptr;
  bool tags = field == "tags" && ctx.catalog.Find("EntityTag") != nullptr;
  if (!groups && !tags) return std::optional<Condition>();
  std::string upper = AsciiLower(op);
  bool negate = upper == "not in" || upper == "!=" || upper == "<>";
  if (!negate && upper != "in" && upper != "=") {
    return InvalidArgument(field + " takes IN, NOT IN, = or !=, not " + op, {{"error_field", field}});
  }
  std::vector<int64_t> ids;
  Value list = value.is_array() ? value : Value::array({value});
  for (const Value& v : list) {
    std::optional<int64_t> id;
    if (v.is_number_integer()) id = v.get<int64_t>();
    if (v.is_string()) id = ParseInt64(v.get<std::string>());
    if (!id) {
      return InvalidArgument(field + " takes " + (groups ? "group" : "tag") + " ids: " + v.dump(),
                             {{"error_field", field}});
    }
    ids.push_back(*id);
  }
  if (tags) return std::optional<Condition>(TaggedWith(ids, negate));
  KITH_ASSIGN_OR_RETURN(Condition members, GroupMembersCondition(ctx.txn, ctx.catalog, ids));
  if (negate) return std::optional<Condition>(Condition::Not(std::move(members)));
  return std::optional<Condition>(std::move(members));
}

StatusOr<int64_t> DefaultLocationType(store::Transaction& txn) {
  static const std::string kKey = "location-type-default";
  if (const Value* known = store::Recall(txn, kKey)) return known->get<int64_t>();
  Query q;
  q.entity = "LocationType";
  q.select = {"id"};
  q.where = Condition::Leaf("is_default", Op::kEq, 1);
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return InvalidArgument("no default location type");
  int64_t id = rows[0]["id"].get<int64_t>();
  store::Remember(txn, {"LocationType"}, kKey, id);
  return id;
}

// An email, phone or address without a location type gets the default one.
Status DefaultLocation(ActionContext& ctx, Value& values, bool creating) {
  if (!creating) return Status();
  for (const auto& [key, v] : values.items()) {
    if (key.rfind("location_type_id", 0) == 0 && !v.is_null()) return Status();
  }
  KITH_ASSIGN_OR_RETURN(values["location_type_id"], DefaultLocationType(ctx.txn));
  return Status();
}

// Deleting a contact's primary email, phone or address makes its oldest
// other one primary, as CiviCRM's blocks do; the contact's names follow its
// primary email.
std::function<Status(ActionContext&, int64_t, const Value&)> RemoveBlock(const std::string& entity) {
  return [entity](ActionContext& ctx, int64_t id, const Value&) -> Status {
    const schema::Entity* e = ctx.catalog.Find(entity);
    KITH_ASSIGN_OR_RETURN(Value row, api::LoadRecord(ctx.txn, *e, id));
    KITH_RETURN_IF_ERROR(ctx.txn.Delete(entity, id));
    if (!row["contact_id"].is_number_integer()) return Status();
    int64_t contact = row["contact_id"].get<int64_t>();
    if (row["is_primary"] == 1 || row["is_primary"] == true) {
      Query q;
      q.entity = entity;
      q.select = {"id"};
      q.where = Condition::Leaf("contact_id", Op::kEq, contact);
      q.order_by = {{"id", false}};
      q.limit = 1;
      KITH_ASSIGN_OR_RETURN(auto rest, ctx.txn.Select(q));
      if (!rest.empty()) {
        KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, entity, rest[0]["id"].get<int64_t>(),
                                               Value{{"is_primary", true}}));
      }
    }
    if (entity == "Email") return RefreshContactNames(ctx, contact);
    return Status();
  };
}

}  // namespace

void AddContactHooks(V4HooksTable& table) {
  V4Hooks h;
  const schema::Entity* contact = schema::BuiltinCatalog()->Find("Contact");
  for (const schema::Field& f : contact->fields) {
    if (f.internal) continue;
    h.layout.push_back(f.name);
    if (f.name == "hash") h.layout.push_back("api_key");
  }
  h.layout.push_back("preferred_mail_format");
  // kith keeps api keys hashed with its users, never on the contact.
  h.virtual_columns = {{"api_key", Value()}, {"preferred_mail_format", "Both"}};
  h.column_permissions = {{"api_key", {"administer CiviCRM", "edit api keys"}}};
  // Columns that belong to one contact type (CiviCRM's schema marks them).
  h.row_kind_column = "contact_type";
  h.kind_columns = {{"organization_name", "Organization"}, {"legal_name", "Organization"},
                    {"sic_code", "Organization"},          {"household_name", "Household"},
                    {"primary_contact_id", "Household"},   {"first_name", "Individual"},
                    {"middle_name", "Individual"},         {"last_name", "Individual"},
                    {"prefix_id", "Individual"},           {"suffix_id", "Individual"},
                    {"formal_title", "Individual"},        {"job_title", "Individual"},
                    {"gender_id", "Individual"},           {"birth_date", "Individual"},
                    {"is_deceased", "Individual"},         {"deceased_date", "Individual"},
                    {"employer_id", "Individual"}};
  h.prepare = GuessContactType;
  h.write_joined = WritePrimaryBlocks;
  h.remove = RemoveContact;
  h.delete_params = {"useTrash"};
  h.delete_ids_as_numbers = true;
  h.virtual_filter = MembershipFilter;
  h.create_echo = {"do_not_email", "do_not_phone", "do_not_mail", "do_not_sms", "do_not_trade",
                   "is_opt_out", "preferred_language", "communication_style_id",
                   "email_greeting_id", "postal_greeting_id", "addressee_id", "is_deceased",
                   "is_deleted", "preferred_mail_format"};
  // CiviCRM fills the greetings in after saving: its answers show them as
  // they were before.
  h.echo_hidden = {"email_greeting_display", "postal_greeting_display", "addressee_display"};
  h.update_whole_row = true;
  h.update_tail = Value{{"contact_id", nullptr}};
  table["Contact"] = std::move(h);
}

void AddLocationHooks(V4HooksTable& table) {
  V4Hooks email;
  email.column_types = {{"on_hold", "Integer"}};  // 0, 1 (bounce) or 2 (opt-out) in CiviCRM
  email.create_echo = {"on_hold"};
  email.prepare = [](ActionContext& ctx, Value& values, bool creating) -> Status {
    KITH_RETURN_IF_ERROR(DefaultLocation(ctx, values, creating));
    // CiviCRM dates a hold when one is set, and its reset when it is lifted.
    bool held_given = values.contains("on_hold") && api::ValueAsText(values["on_hold"]) != "0" &&
                      values["on_hold"] != false;
    if (values.contains("on_hold") && !values.contains("hold_date") && (held_given || !creating)) {
      std::string now = FormatDateTime(Clock::Real().NowSeconds());
      bool held = api::ValueAsText(values["on_hold"]) != "0" && api::ValueAsText(values["on_hold"]) != "" &&
                  values["on_hold"] != false;
      values["hold_date"] = held ? Value(now) : Value();
      if (!values.contains("reset_date")) values["reset_date"] = held ? Value() : Value(now);
    }
    return Status();
  };
  email.echo_nulls = {"hold_date", "reset_date"};
  email.remove = RemoveBlock("Email");
  // CiviCRM's answer shows the dates as its BAO wrote them to MySQL.
  email.echo_format = [](Value& row) {
    for (const char* col : {"hold_date", "reset_date"}) {
      if (!row.contains(col)) continue;
      Value& v = row[col];
      if (v.is_null()) {
        v = "null";
      } else if (v.is_string()) {
        std::string digits;
        for (char c : v.get<std::string>()) {
          if (c >= '0' && c <= '9') digits += c;
        }
        v = digits;
      }
    }
  };
  table["Email"] = std::move(email);
  V4Hooks phone;
  phone.prepare = DefaultLocation;
  phone.database_filled = {"phone_numeric"};  // a trigger in CiviCRM
  phone.remove = RemoveBlock("Phone");
  table["Phone"] = std::move(phone);
  V4Hooks address;
  address.prepare = DefaultLocation;
  address.remove = RemoveBlock("Address");
  table["Address"] = std::move(address);
}

}  // namespace kith::entities::v4
