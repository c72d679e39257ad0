#include "entities/contact_filters.h"

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/custom_contact_values.h"
#include "entities/field_conditions.h"
#include "entities/contact_tags_notes.h"
#include "entities/group_membership.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

// One criterion on one path, with the matching options of the dialect.
StatusOr<Condition> Match(const std::string& path, const std::string& key, const Value& value,
                          bool substring, const ContactFilterOptions& options) {
  return BuildFieldCondition(path, key, value,
                             FieldMatchOptions{substring, options.percent_means_like});
}

Condition AnyRecord(const std::string& entity, std::vector<Condition> match) {
  Query sub;
  sub.entity = entity;
  sub.select = {"contact_id"};
  sub.where = match.size() == 1 ? std::move(match[0]) : Condition::Or(std::move(match));
  return Condition::InQuery("id", std::move(sub));
}

bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  std::string text = api::ValueAsText(v);
  return !text.empty() && text != "0";
}

// The groups a `group` criterion names, as given: ids, names or titles.
void GroupTokens(const Value& v, bool bracket_keys, std::vector<std::string>& out) {
  if (v.is_array()) {
    for (const Value& x : v) GroupTokens(x, false, out);
  } else if (v.is_object()) {
    // group[ID]=1 (3.2's form: the keys are the groups); a JSON object of
    // an operator's operand lists its values.
    for (const auto& [k, x] : v.items()) {
      if (!bracket_keys) {
        GroupTokens(x, false, out);
      } else if (Truthy(x)) {
        out.push_back(k);
      }
    }
  } else if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();  // Split's views point into it
    for (std::string_view part : Split(text, ',', true)) {
      std::string token(TrimAscii(part));
      if (!token.empty()) out.push_back(token);
    }
  } else if (!v.is_null()) {
    out.push_back(api::ValueAsText(v));
  }
}

// The groups or tags a `group` / `tag` criterion names, and whether it asks
// for the contacts outside them (NOT IN, !=).
Status MembershipTokens(const Value& value, const std::string& what, bool& negate,
                        std::vector<std::string>& tokens) {
  std::optional<Op> op;
  if (value.is_object() && value.size() == 1) op = ParseFilterOperator(value.begin().key());
  if (!op) {
    GroupTokens(value, true, tokens);
    return Status();
  }
  if (*op != Op::kIn && *op != Op::kNotIn && *op != Op::kEq && *op != Op::kNe) {
    return InvalidArgument("invalid operator " + value.begin().key() + " for " + what);
  }
  negate = *op == Op::kNotIn || *op == Op::kNe;
  GroupTokens(value.begin().value(), false, tokens);
  return Status();
}

// The ids of the `entity` rows that `tokens` name: ids, or names or
// `label_column` values (unknown ones are left out).
StatusOr<std::vector<int64_t>> NamedIds(store::Transaction& txn, const char* entity,
                                        const char* label_column,
                                        const std::vector<std::string>& tokens) {
  std::vector<int64_t> ids;
  Value names = Value::array();
  for (const std::string& t : tokens) {
    if (auto id = ParseInt64(t)) {
      ids.push_back(*id);
    } else {
      names.push_back(t);
    }
  }
  if (names.empty()) return ids;
  Query q;
  q.entity = entity;
  q.select = {"id"};
  q.where = Condition::Or({Condition::Leaf("name", Op::kIn, names),
                           Condition::Leaf(label_column, Op::kIn, names)});
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  for (const Value& r : rows) ids.push_back(r["id"].get<int64_t>());
  return ids;
}

// Members of the groups named by a `group` criterion (see the header).
StatusOr<Condition> GroupCriterion(const schema::Catalog& catalog, const Value& value,
                                   const ContactFilterOptions& options) {
  bool negate = false;
  std::vector<std::string> tokens;
  KITH_RETURN_IF_ERROR(MembershipTokens(value, "group", negate, tokens));
  if (options.txn == nullptr) return Internal("a group criterion needs a transaction");
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, NamedIds(*options.txn, "Group", "title", tokens));
  KITH_ASSIGN_OR_RETURN(Condition members,
                        GroupMembersCondition(*options.txn, catalog, ids, options.smart_chain));
  return negate ? Condition::Not(std::move(members)) : std::move(members);
}

// Contacts having one of the tags a `tag` criterion names (the same forms
// as `group`: ids, names or labels, tag[ID]=1, {"IN": ...}).
StatusOr<Condition> TagCriterion(const Value& value, const ContactFilterOptions& options) {
  bool negate = false;
  std::vector<std::string> tokens;
  KITH_RETURN_IF_ERROR(MembershipTokens(value, "tag", negate, tokens));
  if (options.txn == nullptr) return Internal("a tag criterion needs a transaction");
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, NamedIds(*options.txn, "Tag", "label", tokens));
  return TaggedWith(ids, negate);
}

}  // namespace

StatusOr<ContactFilter> BuildContactFilter(const schema::Catalog& catalog, const Value& criteria,
                                           const ContactFilterOptions& options) {
  const schema::Entity* contact = catalog.Find("Contact");
  ContactFilter filter;
  std::vector<Condition> all;
  auto add = [&](StatusOr<Condition> c) -> Status {
    if (!c.ok()) return c.status();
    all.push_back(std::move(*c));
    return Status();
  };
  for (const auto& [key, value] : criteria.items()) {
    if (key == "contact_id" || key == "id") {
      KITH_RETURN_IF_ERROR(add(Match("id", key, value, false, options)));
    } else if (key == "is_deleted" || key == "contact_is_deleted") {
      filter.mentions_trash = true;
      KITH_RETURN_IF_ERROR(add(Match("is_deleted", key, value, false, options)));
    } else if (key == "contact_source") {
      KITH_RETURN_IF_ERROR(add(Match("source", key, value, false, options)));
    } else if (key == "sort_name" || key == "display_name") {
      KITH_RETURN_IF_ERROR(add(Match(key, key, value, true, options)));
    } else if (key == "email") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match("email", key, value, options.email_substring, options));
      all.push_back(AnyRecord("Email", {std::move(c)}));
    } else if (key == "phone") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match("phone", key, value, false, options));
      all.push_back(AnyRecord("Phone", {std::move(c)}));
    } else if (key == "street_address" || key == "city" || key == "postal_code" ||
               key == "postal_code_suffix" || key == "supplemental_address_1") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match(key, key, value, false, options));
      all.push_back(AnyRecord("Address", {std::move(c)}));
    } else if (key == "state_province" || key == "state_province_id" || key == "country" ||
               key == "country_id") {
      bool state = key.rfind("state", 0) == 0;
      std::string fk = state ? "state_province_id" : "country_id";
      std::string code = state ? "abbreviation" : "iso_code";
      std::vector<Condition> any;
      if (value.is_object()) {  // operators (IS NULL, ...) apply to the address's own link
        for (const std::string& path : {fk + ".name", fk + "." + code, fk}) {
          KITH_ASSIGN_OR_RETURN(Condition c, Match(path, key, value, false, options));
          any.push_back(std::move(c));
        }
        all.push_back(AnyRecord("Address", std::move(any)));
        continue;
      }
      // A plain value names places of the (small) reference table first, so
      // that the addresses are found through their link's index rather than
      // by an OR across a join, which reads every address.
      for (const std::string& path : {std::string("name"), code, std::string("id")}) {
        KITH_ASSIGN_OR_RETURN(Condition c, Match(path, key, value, false, options));
        any.push_back(std::move(c));
      }
      store::Query places;
      places.entity = state ? "StateProvince" : "Country";
      places.select = {"id"};
      places.where = Condition::Or(std::move(any));
      all.push_back(AnyRecord("Address", {Condition::InQuery(fk, std::move(places))}));
    } else if (key == "gender" || key == "individual_prefix" || key == "individual_suffix") {
      std::string path = key == "gender" ? "gender_id:label"
                         : key == "individual_prefix" ? "prefix_id:label"
                                                      : "suffix_id:label";
      KITH_RETURN_IF_ERROR(add(Match(path, key, value, false, options)));
    } else if (key == "group") {
      KITH_RETURN_IF_ERROR(add(GroupCriterion(catalog, value, options)));
    } else if (key == "tag" && catalog.Find("EntityTag") != nullptr) {
      KITH_RETURN_IF_ERROR(add(TagCriterion(value, options)));
    } else if (const schema::Field* f = contact->FindField(key); f != nullptr && !f->internal) {
      KITH_RETURN_IF_ERROR(add(Match(key, key, value, false, options)));
    } else if (const schema::CustomFieldInfo* cf = ContactCustomFilterField(catalog, key)) {
      KITH_RETURN_IF_ERROR(add(CustomFieldCriterion(*cf, key, value, options.percent_means_like)));
    } else {
      filter.unknown.push_back(key);
    }
  }
  filter.condition = Condition::And(std::move(all));
  return filter;
}

}  // namespace kith::entities
