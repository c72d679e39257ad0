#include "entities/contact_rules.h"

#include <optional>
#include <string_view>

#include "api/field_values.h"
#include "auth/secrets.h"
#include "base/clock.h"
#include "base/column_find.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_greetings.h"
#include "store/txn_memo.h"
#include "base/value_members.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

std::string Text(const Value& record, std::string_view key) {
  // A contact row has some fifty columns: found where this key was last.
  const Value* v = FindColumn(record, key);
  return v == nullptr ? std::string() : api::ValueAsText(*v);
}

// The time as written to created_date and modified_date, formatted once per
// second rather than for every contact of a bulk write.
// The thread's text: valid until its next call.
const std::string& NowText() {
  thread_local int64_t formatted_at = -1;
  thread_local std::string text;
  int64_t now = Clock::Real().NowSeconds();
  if (now != formatted_at) {
    text = FormatDateTime(now);
    formatted_at = now;
  }
  return text;
}

// CiviCRM's token templates drop an empty token together with its separator.
void AppendToken(std::string& out, std::string_view separator, const std::string& token) {
  if (token.empty()) return;
  if (!out.empty()) out += separator;
  out += token;
}

// `group` a C string: made a std::string only when there is a value to label
// (most contacts have no prefix or suffix).
StatusOr<std::string> OptionLabel(store::Transaction& txn, const char* group, const Value& value) {
  if (value.is_null()) return std::string();
  std::string key = std::string("option-label\x1f") + group + "\x1f" + api::ValueAsText(value);
  if (const Value* known = store::Recall(txn, key)) return known->get<std::string>();
  Query q;
  q.entity = "OptionValue";
  q.select = {"label"};
  q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, group),
                            Condition::Leaf("value", Op::kEq, api::ValueAsText(value))});
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  std::string label = rows.empty() ? std::string() : api::ValueAsText(rows[0]["label"]);
  store::Remember(txn, {"OptionValue", "OptionGroup"}, key, label);
  return label;
}

StatusOr<std::string> PrimaryEmail(store::Transaction& txn, const Value& contact_id) {
  if (!contact_id.is_number_integer()) return std::string();
  Query q;
  q.entity = "Email";
  q.select = {"email"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact_id),
                            Condition::Leaf("is_primary", Op::kEq, 1)});
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  return rows.empty() ? std::string() : api::ValueAsText(rows[0]["email"]);
}

Status ContactBeforeWrite(api::ActionContext& ctx, const Value& record, Value& changes,
                          bool creating) {
  std::string type = Text(record, "contact_type");
  if (creating || changes.contains("contact_type")) {
    if (!IsContactType(type)) {
      return InvalidArgument("Invalid Contact Type: " + type,
                             {{"error_code", 2001}, {"error_field", "contact_type"}});
    }
  }
  KITH_ASSIGN_OR_RETURN(std::string prefix, OptionLabel(ctx.txn, "individual_prefix", ColumnOr(record, "prefix_id")));
  KITH_ASSIGN_OR_RETURN(std::string suffix, OptionLabel(ctx.txn, "individual_suffix", ColumnOr(record, "suffix_id")));
  // The primary email names only an Individual without names of its own
  // (BuildContactNames): asked for only then.
  std::string email;
  if (NamesNeedPrimaryEmail(record)) {
    KITH_ASSIGN_OR_RETURN(email, PrimaryEmail(ctx.txn, ColumnOr(record, "id")));
  }
  auto [display, sort] = BuildContactNames(record, prefix, suffix, email);
  SetColumn(changes, "display_name", std::move(display));
  SetColumn(changes, "sort_name", std::move(sort));
  KITH_RETURN_IF_ERROR(ApplyContactGreetings(ctx, record, changes, creating, prefix, suffix));
  const std::string& now = NowText();
  if (creating) {
    SetColumn(changes, "hash", AsciiLower(auth::GenerateToken(32)));
    SetColumn(changes, "created_date", now);
  }
  SetColumn(changes, "modified_date", now);
  return Status();
}

// The memo key of the contact this transaction created last, when its names
// do not come from its email: {id, the modified_date it was written with}.
// Forgotten when the transaction writes to any contact (so it is the only
// one) or to the options its names and greetings are made from.
constexpr const char* kSettledKey = "contact-settled";

Status ContactAfterWrite(api::ActionContext& ctx, int64_t id, const Value& written, bool creating) {
  // On create, `written` holds every name column given (none has a default).
  if (!creating) return Status();
  auto modified = written.find(std::string_view("modified_date"));
  if (modified != written.end() && !NamesNeedPrimaryEmail(written)) {
    // [id, modified_date], built in place: an initializer list copies every
    // value twice, and an object searches its keys.
    Value settled = Value::array();
    auto& pair = settled.get_ref<Value::array_t&>();
    pair.reserve(2);
    pair.emplace_back(id);
    pair.emplace_back(*modified);
    store::Remember(ctx.txn, {"Contact", "OptionValue", "OptionGroup"}, kSettledKey,
                    std::move(settled));
  }
  return Status();
}

Status LocationBeforeWrite(const std::string& entity, api::ActionContext& ctx,
                           const Value& record, Value& changes, bool creating) {
  if (entity == "Email" && changes.contains("email") && changes["email"].is_string()) {
    std::string email = AsciiLower(TrimAscii(changes["email"].get<std::string>()));
    size_t at = email.find('@');
    if (email.empty() || at == std::string::npos || at == 0 || at + 1 == email.size() ||
        email.find(' ') != std::string::npos) {
      return InvalidArgument("email is not a valid email address: " + email,
                             {{"error_code", 2001}, {"error_field", "email"}});
    }
    changes["email"] = email;
  }
  if (entity == "Phone" && changes.contains("phone")) {
    std::string digits;
    for (char c : api::ValueAsText(changes["phone"])) {
      if (c >= '0' && c <= '9') digits += c;
    }
    changes["phone_numeric"] = digits;
  }
  // One primary record per contact: the first one, or the one flagged.
  const Value& contact_id = ColumnOr(record, "contact_id");
  if (!contact_id.is_number_integer()) return Status();
  KITH_ASSIGN_OR_RETURN(std::vector<Value> primaries,
                        PrimaryBlocks(ctx, entity, contact_id.get<int64_t>(), {"id"}));
  const Value& is_primary = ColumnOr(record, "is_primary");
  bool wants_primary = is_primary == true || is_primary == 1;
  if (primaries.empty() && creating) {
    SetColumn(changes, "is_primary", true);
  } else if (wants_primary) {
    for (const Value& p : primaries) {
      if (p["id"] != ColumnOr(record, "id")) {
        KITH_RETURN_IF_ERROR(ctx.txn.Update(entity, p["id"].get<int64_t>(), {{"is_primary", 0}}));
      }
    }
  }
  return Status();
}

Status ResolvePlaceNames(store::Transaction& txn, Value& address);

StatusOr<int64_t> ResolveLocationType(store::Transaction& txn, const Value& given) {
  // Once per transaction: every email, phone and address of a call asks.
  std::string key = "location-type\x1f" + std::string(given.is_string() ? "s" : "v") +
                    api::ValueAsText(given);
  if (const Value* known = store::Recall(txn, key)) return known->get<int64_t>();
  Query q;
  q.entity = "LocationType";
  q.select = {"id"};
  if (given.is_null() || (given.is_string() && given.get<std::string>().empty())) {
    q.where = Condition::Leaf("is_default", Op::kEq, 1);
  } else if (auto n = given.is_number_integer() ? std::optional<int64_t>(given.get<int64_t>())
                                                : ParseInt64(api::ValueAsText(given))) {
    q.where = Condition::Leaf("id", Op::kEq, *n);
  } else {
    q.where = Condition::Leaf("name", Op::kEq, api::ValueAsText(given));
  }
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) {
    return InvalidArgument("location_type_id is not valid: " + api::ValueAsText(given),
                           {{"error_code", 2001}, {"error_field", "location_type_id"}});
  }
  int64_t id = rows[0]["id"].get<int64_t>();
  store::Remember(txn, {"LocationType"}, key, id);
  return id;
}

// Lets an address name its country by name or ISO code ("country", or a
// non-numeric country_id) and its state by name or abbreviation.
Status ResolvePlaceNames(store::Transaction& txn, Value& address) {
  auto resolve = [&](const char* id_key, const char* name_key, const char* entity,
                     std::vector<const char*> columns, std::optional<int64_t> country) -> Status {
    Value given = address.contains(name_key) ? address[name_key] : Value();
    if (address.contains(id_key) && !ParseInt64(api::ValueAsText(address[id_key]))) {
      given = address[id_key];
    }
    address.erase(name_key);
    if (given.is_null() || api::ValueAsText(given).empty()) return Status();
    std::string text = api::ValueAsText(given);
    if (auto n = ParseInt64(text)) {
      address[id_key] = *n;
      return Status();
    }
    std::vector<Condition> any;
    for (const char* c : columns) any.push_back(Condition::Leaf(c, Op::kEq, text));
    Query q;
    q.entity = entity;
    q.select = {"id"};
    q.where = Condition::Or(std::move(any));
    if (country) q.where = Condition::And({q.where, Condition::Leaf("country_id", Op::kEq, *country)});
    q.limit = 1;
    KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
    if (rows.empty()) {
      return InvalidArgument(std::string(id_key) + " is not valid: " + text,
                             {{"error_code", 2001}, {"error_field", id_key}});
    }
    address[id_key] = rows[0]["id"];
    return Status();
  };
  KITH_RETURN_IF_ERROR(resolve("country_id", "country", "Country", {"name", "iso_code"}, std::nullopt));
  std::optional<int64_t> country;
  if (address.contains("country_id") && address["country_id"].is_number_integer()) {
    country = address["country_id"].get<int64_t>();
  }
  return resolve("state_province_id", "state_province", "StateProvince", {"name", "abbreviation"},
                 country);
}

}  // namespace

bool IsContactType(const std::string& type) {
  return type == "Individual" || type == "Household" || type == "Organization";
}

namespace {
// Column `key` of `record` as text without its surrounding blanks, a string
// copied once.
std::string TrimmedText(const Value& record, std::string_view key) {
  const Value* v = FindColumn(record, key);
  if (v == nullptr || v->is_null()) return std::string();
  if (v->is_string()) return std::string(TrimAscii(v->get_ref<const std::string&>()));
  return std::string(TrimAscii(api::ValueAsText(*v)));
}

// Whether column `key` of `record` is missing or blank, read in place (every
// contact written asks three times for three names).
bool BlankColumn(const Value& record, std::string_view key) {
  const Value* v = FindColumn(record, key);
  if (v == nullptr || v->is_null()) return true;
  if (v->is_string()) return TrimAscii(v->get_ref<const std::string&>()).empty();
  return TrimAscii(api::ValueAsText(*v)).empty();
}
}  // namespace

bool NamesNeedPrimaryEmail(const Value& record) {
  // Compared as text: a Value compared with a C string is made a Value first.
  const Value* type = FindColumn(record, "contact_type");
  if (type != nullptr && type->is_string()) {
    std::string_view t = type->get_ref<const std::string&>();
    if (t == std::string_view("Household") || t == std::string_view("Organization")) return false;
  }
  return BlankColumn(record, "first_name") && BlankColumn(record, "middle_name") &&
         BlankColumn(record, "last_name");
}

std::pair<std::string, std::string> BuildContactNames(const Value& record,
                                                      const std::string& prefix_label,
                                                      const std::string& suffix_label,
                                                      const std::string& primary_email) {
  std::string type = Text(record, "contact_type");
  if (type == "Household") {
    std::string n = Text(record, "household_name");
    return {n, n};
  }
  if (type == "Organization") {
    std::string n = Text(record, "organization_name");
    return {n, n};
  }
  if (NamesNeedPrimaryEmail(record)) {
    std::string fallback = primary_email.empty() ? Text(record, "user_unique_id") : primary_email;
    if (fallback.empty()) fallback = Text(record, "display_name");
    return {fallback, fallback};
  }
  std::string first = TrimmedText(record, "first_name");
  std::string last = TrimmedText(record, "last_name");
  std::string display;
  display.reserve(prefix_label.size() + first.size() + last.size() + suffix_label.size() + 3);
  AppendToken(display, " ", prefix_label);
  AppendToken(display, " ", first);
  AppendToken(display, " ", last);
  AppendToken(display, " ", suffix_label);
  std::string sort;
  sort.reserve(last.size() + first.size() + suffix_label.size() + 3);
  AppendToken(sort, ", ", last);
  AppendToken(sort, ", ", first);
  AppendToken(sort, " ", suffix_label);
  return {std::move(display), std::move(sort)};
}

StatusOr<std::vector<Value>> PrimaryBlocks(api::ActionContext& ctx, const std::string& entity,
                                           int64_t contact_id, std::vector<std::string> select) {
  // A contact created in this transaction without blocks of this kind yet
  // (an import, a save of many) has none to ask for.
  if (store::KnownWithoutLinks(ctx.txn, entity, "contact_id", contact_id)) return std::vector<Value>();
  Query q;
  q.entity = entity;
  q.select = std::move(select);
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact_id),
                            Condition::Leaf("is_primary", Op::kEq, 1)});
  return ctx.txn.Select(q);
}

Status RefreshContactNames(api::ActionContext& ctx, int64_t id) {
  // A contact this transaction created and has not written since, with names
  // of its own, would get the same names again: the refresh changes nothing
  // unless the clock has moved on to another modified_date.
  if (const Value* settled = store::Recall(ctx.txn, kSettledKey)) {
    if ((*settled)[0] == id && (*settled)[1] == NowText()) {
      return Status();
    }
  }
  return api::UpdateRecord(ctx, "Contact", id, Value::object());
}

StatusOr<int64_t> SaveLocationBlock(api::ActionContext& ctx, const std::string& entity,
                                    int64_t contact_id, const Value& block) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr || !block.is_object()) return int64_t{0};
  static const std::vector<std::string> kAddressData = {
      "street_address", "supplemental_address_1", "supplemental_address_2",
      "supplemental_address_3", "city", "postal_code", "state_province_id", "country_id",
      "state_province", "country"};
  bool has_data = false;
  if (entity == "Address") {
    for (const std::string& f : kAddressData) {
      has_data = has_data || (block.contains(f) && !api::ValueAsText(block[f]).empty());
    }
  } else {
    std::string key = entity == "Email" ? "email" : "phone";
    has_data = block.contains(key) && !api::ValueAsText(block[key]).empty();
  }
  if (!has_data) return int64_t{0};
  // The block without its id, with room for the two columns set below
  // (growing an ordered object moves every key).
  Value input = Value::object();
  auto& items = input.get_ref<Value::object_t&>();
  items.reserve(block.size() + 2);
  for (const auto& [key, v] : Members(block)) {
    if (key != "id") items.Container::emplace_back(key, v);
  }
  if (entity == "Address") KITH_RETURN_IF_ERROR(ResolvePlaceNames(ctx.txn, input));
  const Value* given_type = FindColumn(block, "location_type_id");
  KITH_ASSIGN_OR_RETURN(int64_t location_type,
                        ResolveLocationType(ctx.txn, given_type == nullptr ? Value() : *given_type));
  SetColumn(input, "location_type_id", location_type);
  SetColumn(input, "contact_id", contact_id);
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*e, input, /*ignore_unknown=*/true));
  // The contact's blocks of this kind, matched on the location type here:
  // asked for both, SQLite may pick the location type's index, which holds
  // nearly every row (most are Home), and scan the table for each write.
  std::vector<Value> blocks;
  if (!store::KnownWithoutLinks(ctx.txn, entity, "contact_id", contact_id)) {
    Query q;
    q.entity = entity;
    q.select = {"id", "location_type_id"};
    q.where = Condition::Leaf("contact_id", Op::kEq, contact_id);
    q.order_by = {{"id", false}};
    KITH_ASSIGN_OR_RETURN(blocks, ctx.txn.Select(q));
  }
  std::optional<int64_t> existing;
  for (const Value& b : blocks) {
    if (b["location_type_id"] == location_type) {
      existing = b["id"].get<int64_t>();
      break;
    }
  }
  int64_t id;
  if (existing) {
    id = *existing;
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, entity, id, std::move(values)));
  } else {
    KITH_ASSIGN_OR_RETURN(id, api::CreateRecord(ctx, entity, std::move(values)));
  }
  if (entity == "Email") KITH_RETURN_IF_ERROR(RefreshContactNames(ctx, contact_id));
  EmptyInPlace(input);
  return id;
}

void RegisterContactRules(api::RulesRegistry& rules) {
  rules.Set("Contact", {ContactBeforeWrite, ContactAfterWrite});
  for (const char* entity : {"Email", "Phone", "Address"}) {
    std::string name = entity;
    rules.Set(name, {[name](api::ActionContext& ctx, const Value& record, Value& changes,
                            bool creating) {
                return LocationBeforeWrite(name, ctx, record, changes, creating);
              }});
  }
}

}  // namespace kith::entities
