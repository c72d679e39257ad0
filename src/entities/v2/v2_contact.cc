#include "entities/v2/v2_actions.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string_view>

#include "api/field_values.h"
#include "api/option_table.h"
#include "api/records.h"
#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_fields.h"
#include "entities/contact_filters.h"
#include "entities/contact_labels.h"
#include "entities/kept_id_search.h"
#include "entities/row_texts.h"
#include "entities/contact_rules.h"
#include "entities/custom_contact_values.h"
#include "entities/v2/v2_params.h"

namespace kith::entities::v2 {
namespace {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

// Request fields that are never filters or contact fields.
bool IsReservedParam(const std::string& key) {
  static const std::set<std::string> own = {"name",   "return",          "rowCount",
                                            "offset", "sort",            "smartGroupCache",
                                            "dupe_check", "contact_id", "id"};
  return IsV2EnvelopeParam(key) || own.count(key) > 0;
}


// Fields asked for with return.x / return_x / return[x], each once.
std::vector<std::string> ReturnKeys(const Value& params) {
  std::vector<std::string> keys;
  auto add = [&keys](std::string key) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  };
  for (const auto& [key, value] : params.items()) {
    if (key == "return" && value.is_object()) {
      for (const auto& [k, v] : value.items()) add(k);
    } else if (key.rfind("return.", 0) == 0 || key.rfind("return_", 0) == 0) {
      add(key.substr(7));
    }
  }
  return keys;
}

// A key a search answers with: where its value sits in the selected row,
// and the custom field it shows, if it is one (3.2 shows custom Money with
// two decimals, ...), or the option label it shows, when that is looked up
// in memory (the value is then its option field's).
struct ReturnedKey {
  std::string key;
  size_t column;
  const schema::CustomFieldInfo* custom;
  std::optional<ContactLabel> label;
};

// What a search selects and answers: the query's select list and the keys
// that show its columns (distinct, in the order asked).
struct ReturnPlan {
  std::vector<std::string> select;
  // The same, named, when the plan is kept across calls (DefaultReturnPlan).
  std::shared_ptr<const store::KeptSelect> kept_select;
  std::vector<ReturnedKey> returned;
  // The options the labels are looked up in (null: none are, the store
  // joins them).
  std::shared_ptr<const api::OptionTable> options;
  // The answer's keys: contact_id, then `returned`'s.
  std::shared_ptr<const RowKeys> answer_keys;
};

struct V2Search {
  Query query;
  std::shared_ptr<const ReturnPlan> plan;
};

// `plan`, shared, with its answer keys.
std::shared_ptr<const ReturnPlan> SharedPlan(ReturnPlan plan) {
  auto shared = std::make_shared<ReturnPlan>(std::move(plan));
  std::vector<std::string> keys;
  keys.reserve(shared->returned.size() + 1);
  keys.push_back("contact_id");
  for (const ReturnedKey& r : shared->returned) keys.push_back(r.key);
  shared->answer_keys = std::make_shared<const RowKeys>(std::move(keys));
  return shared;
}

// Whether one of `keys` shows an option's label.
bool AsksForLabel(const std::vector<std::string>& keys) {
  return std::any_of(keys.begin(), keys.end(), [](const std::string& k) {
    const char* path = ContactReturnPath(k);
    return path != nullptr && std::string_view(path).ends_with(":label");
  });
}

// The plan for `keys`; labels from `options` where it can answer them.
ReturnPlan MakeReturnPlan(const schema::Catalog& catalog, std::vector<std::string> keys,
                          std::shared_ptr<const api::OptionTable> options) {
  ReturnPlan plan;
  plan.options = std::move(options);
  plan.select.push_back("id");
  for (std::string& k : keys) {
    if (k == "contact_id") continue;
    // A contact field's path, or a custom field's through its group's join
    // (custom_N); unknown keys are left out.
    const char* path = ContactReturnPath(k);
    const schema::CustomFieldInfo* custom = path == nullptr ? ContactCustomField(catalog, k) : nullptr;
    if (custom != nullptr) path = custom->path.c_str();
    if (path == nullptr || *path == '\0') continue;
    std::optional<ContactLabel> label;
    if (plan.options != nullptr && custom == nullptr) label = ContactLabelOf(catalog, path, *plan.options);
    plan.returned.push_back({std::move(k), plan.select.size(), custom, label});
    plan.select.emplace_back(label ? label->source.c_str() : path);
  }
  return plan;
}

// The plan of a search that names no keys (3.2's default return, nearly
// every call): the same for every call on one catalog and kept options, so
// worked out once per catalog, options and thread.
StatusOr<std::shared_ptr<const ReturnPlan>> DefaultReturnPlan(ActionContext& ctx) {
  struct Kept {
    std::weak_ptr<const schema::Catalog> catalog;
    std::shared_ptr<const ReturnPlan> plan;
  };
  thread_local Kept kept;
  KITH_ASSIGN_OR_RETURN(std::shared_ptr<const api::OptionTable> options, api::OptionTableFor(ctx.txn));
  std::shared_ptr<const schema::Catalog> current = ctx.txn.catalog();
  if (current.get() != &ctx.catalog) {
    return SharedPlan(MakeReturnPlan(ctx.catalog, V2DefaultReturn(), std::move(options)));
  }
  if (kept.plan == nullptr || kept.catalog.lock() != current || kept.plan->options != options) {
    ReturnPlan plan = MakeReturnPlan(ctx.catalog, V2DefaultReturn(), std::move(options));
    plan.kept_select = std::make_shared<const store::KeptSelect>(plan.select);
    kept = {current, SharedPlan(std::move(plan))};
  }
  return kept.plan;
}

StatusOr<std::vector<store::OrderBy>> ParseSort(const std::string& sort) {
  std::vector<store::OrderBy> order;
  for (std::string_view item : Split(sort, ',', true)) {
    std::vector<std::string_view> words = Split(TrimAscii(item), ' ', true);
    if (words.empty()) continue;
    std::string key(words[0]);
    const char* path = ContactReturnPath(key);
    if (path == nullptr || words.size() > 2 ||
        (words.size() == 2 && !EqualsIgnoreCase(words[1], "asc") &&
         !EqualsIgnoreCase(words[1], "desc"))) {
      return InvalidArgument("Unknown field specified for sort. Cannot order by '" +
                             std::string(TrimAscii(item)) + "'");
    }
    order.push_back({path, words.size() == 2 && EqualsIgnoreCase(words[1], "desc")});
  }
  return order;
}

StatusOr<int64_t> NonNegative(const Value& params, const char* key, int64_t fallback) {
  if (!params.contains(key)) return fallback;
  auto n = ParseInt64(api::ValueAsText(params[key]));
  if (!n || *n < 0) {
    return InvalidArgument(std::string(key) + " is not a valid integer: " +
                           api::ValueAsText(params[key]));
  }
  return *n;
}

StatusOr<V2Search> V2SearchQuery(ActionContext& ctx, bool for_count) {
  Value criteria = Value::object();
  for (const auto& [key, value] : ctx.params.items()) {
    if (key.rfind("return", 0) == 0) continue;
    if (IsReservedParam(key) && key != "contact_id" && key != "id") continue;
    criteria[key] = value;
  }
  // 3.2 ignores criteria it does not know.
  ContactFilterOptions options;
  options.txn = &ctx.txn;  // `group` criteria read groups and smart searches
  KITH_ASSIGN_OR_RETURN(ContactFilter filter, BuildContactFilter(ctx.catalog, criteria, options));
  V2Search search;
  Query& q = search.query;
  q.entity = "Contact";
  q.where = std::move(filter.condition);
  if (!filter.mentions_trash) {
    q.where.children.push_back(Condition::Leaf("is_deleted", Op::kEq, 0));
  }
  if (for_count) return search;
  std::vector<std::string> keys = ReturnKeys(ctx.params);
  if (keys.empty()) {
    KITH_ASSIGN_OR_RETURN(search.plan, DefaultReturnPlan(ctx));
  } else {
    std::shared_ptr<const api::OptionTable> options;
    if (AsksForLabel(keys)) {
      KITH_ASSIGN_OR_RETURN(options, api::OptionTableFor(ctx.txn));
    }
    search.plan = SharedPlan(MakeReturnPlan(ctx.catalog, std::move(keys), std::move(options)));
  }
  if (search.plan->kept_select != nullptr) {
    q.kept_select = search.plan->kept_select;
  } else {
    q.select = search.plan->select;
  }
  KITH_ASSIGN_OR_RETURN(q.limit, NonNegative(ctx.params, "rowCount", 25));
  KITH_ASSIGN_OR_RETURN(q.offset, NonNegative(ctx.params, "offset", 0));
  if (ctx.params.contains("sort")) {
    KITH_ASSIGN_OR_RETURN(q.order_by, ParseSort(api::ValueAsText(ctx.params["sort"])));
  }
  if (q.order_by.empty()) q.order_by.push_back({"id", false});
  return search;
}

// A search's rows written to an AnswerRows as they are read: the members
// V2Get builds for each row, NULL columns left out.
class SearchCells final : public CellRows {
 public:
  SearchCells(store::Transaction& txn, const V2Search& search, AnswerRows& out)
      : txn_(txn), search_(search), out_(out), texts_(search.plan->returned.size() + 1) {
    out_.SharedKeys(search.plan->answer_keys);
    row_.reserve(search.plan->returned.size() + 1);
  }

  Status Row(std::span<const Cell> cells) override {
    // Each member's text, the row written in one call: a view of a cell,
    // of a kept label, or of its own text (a number's, a custom value's).
    row_.clear();
    row_.push_back({0, cells[0].kind == Cell::Kind::kInt ? texts_.Number(0, cells[0].integer)
                                                          : api::CellAsText(cells[0], texts_[0])});
    const std::vector<ReturnedKey>& returned = search_.plan->returned;
    for (size_t i = 0; i < returned.size(); ++i) {
      const ReturnedKey& r = returned[i];
      const Cell& c = cells[r.column];
      if (c.kind == Cell::Kind::kNull) continue;  // 3.2 leaves out NULL columns
      std::string& own = texts_[i + 1];
      if (r.custom != nullptr) {
        own = api::CustomValueText(*r.custom, c.ToValue());
        row_.push_back({i + 1, own});
      } else if (r.label) {
        const std::string* label = nullptr;
        KITH_ASSIGN_OR_RETURN(label, ContactLabelText(txn_, *r.label, api::CellAsText(c, scratch_),
                                                      lower_, fetched_));
        if (label == nullptr) continue;  // none: NULL, left out
        if (label == &fetched_) {
          own = fetched_;  // fetched_ is the next label's too
          label = &own;
        }
        row_.push_back({i + 1, *label});
      } else if (c.kind == Cell::Kind::kInt) {
        row_.push_back({i + 1, texts_.Number(i + 1, c.integer)});  // (no string assigned)
      } else {
        row_.push_back({i + 1, api::CellAsText(c, own)});
      }
    }
    out_.TextRow(row_);
    ++rows_;
    return Status();
  }

  int64_t rows() const { return rows_; }

 private:
  store::Transaction& txn_;
  const V2Search& search_;
  AnswerRows& out_;
  RowTexts texts_;  // a member's own text, by member
  std::vector<KeyedText> row_;
  std::string scratch_;
  std::string lower_;    // ContactLabelText's
  std::string fetched_;  // ContactLabelText's
  int64_t rows_ = 0;
};

// The id of a search whose only criterion is contact_id, a number or
// digits (with envelope parameters alone, which change neither query nor
// rows); nullptr otherwise.
const Value* ContactIdAlone(const Value& params) {
  const Value* id = nullptr;
  for (const auto& [key, value] : params.items()) {
    if (key == "contact_id") {
      id = &value;
    } else if (!IsV2EnvelopeParam(key)) {
      return nullptr;
    }
  }
  return KeptSearchId(id);
}

// The search of a get by contact_id alone, the commonest call (a client
// reading one contact): kept per thread and reused with the next id, so
// that it is built once per catalog and kept options, not per request.
struct ByIdSearch {
  std::shared_ptr<const schema::Catalog> catalog;
  Value::value_t id_type = Value::value_t::null;
  V2Search search;
  Condition* id_leaf = nullptr;  // in search.query.where: the one leaf comparing the id
  bool in_use = false;
};

StatusOr<Value> V2Get(ActionContext& ctx) {
  thread_local ByIdSearch by_id;
  std::optional<V2Search> built;
  const V2Search* kept = nullptr;
  struct Release {
    ByIdSearch* held = nullptr;
    ~Release() {
      if (held != nullptr) held->in_use = false;
    }
  } release;
  if (const Value* id = by_id.in_use ? nullptr : ContactIdAlone(ctx.params)) {
    std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
    KITH_ASSIGN_OR_RETURN(std::shared_ptr<const api::OptionTable> options,
                          api::OptionTableFor(ctx.txn));
    if (by_id.id_leaf != nullptr && by_id.catalog == catalog && &*catalog == &ctx.catalog &&
        by_id.search.plan->options == options && by_id.id_type == id->type()) {
      by_id.id_leaf->value = *id;
    } else {
      by_id.id_leaf = nullptr;
      KITH_ASSIGN_OR_RETURN(by_id.search, V2SearchQuery(ctx, false));
      int found = 0;
      Condition* leaf = IdLeaf(by_id.search.query.where, *id, found);
      if (found == 1 && by_id.search.plan->options == options && &*catalog == &ctx.catalog &&
          by_id.search.query.kept_select != nullptr) {
        by_id.id_leaf = leaf;
        by_id.catalog = std::move(catalog);
        by_id.id_type = id->type();
      }
    }
    if (by_id.id_leaf != nullptr) {
      kept = &by_id.search;
      by_id.in_use = true;
      release.held = &by_id;
    } else {
      built.emplace(std::move(by_id.search));
    }
  } else {
    KITH_ASSIGN_OR_RETURN(built, V2SearchQuery(ctx, false));
  }
  const V2Search& search = kept != nullptr ? *kept : *built;
  const Query& q = search.query;
  if (ctx.call.rows_out != nullptr) {
    // Written as they are read (the route asked for it): the result is
    // empty, the rows are in ApiCall::rows_out.
    SearchCells written(ctx.txn, search, *ctx.call.rows_out);
    KITH_RETURN_IF_ERROR(ctx.txn.SelectEach(q, written));
    if (api::RequestBudget* budget = api::RequestBudget::Current()) {
      KITH_RETURN_IF_ERROR(budget->AddRowCount(written.rows()));
    }
    return Value::object();
  }
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  Value result = Value::object();
  std::string lower, fetched;  // ContactLabelText's
  for (const Value& row : rows) {
    Value out = Value::object();
    // The returned keys are distinct and never contact_id: appended
    // without the ordered object's search for an existing key.
    auto& fields = out.get_ref<Value::object_t&>();
    fields.reserve(search.plan->returned.size() + 1);
    std::string id = api::ValueAsText(store::SelectedColumn(row, q, 0));
    fields.Container::emplace_back("contact_id", id);
    for (const ReturnedKey& r : search.plan->returned) {
      const Value& v = store::SelectedColumn(row, q, r.column);
      if (v.is_null()) continue;  // 3.2 leaves out NULL columns
      if (r.label) {
        const std::string* label = nullptr;
        KITH_ASSIGN_OR_RETURN(label,
                              ContactLabelText(ctx.txn, *r.label, api::ValueAsText(v), lower, fetched));
        if (label != nullptr) fields.Container::emplace_back(r.key, *label);
        continue;
      }
      fields.Container::emplace_back(
          r.key, r.custom != nullptr ? api::CustomValueText(*r.custom, v) : api::ValueAsText(v));
    }
    result[id] = std::move(out);
  }
  return result;
}

StatusOr<Value> V2Count(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(V2Search search, V2SearchQuery(ctx, true));
  const Query& q = search.query;
  KITH_ASSIGN_OR_RETURN(int64_t n, ctx.txn.Count(q));
  return Value(n);
}

// 3.2's old names for a few fields, and labels accepted for option ids.
Status ApplyV2Renames(store::Transaction& txn, Value& values) {
  static const std::vector<std::pair<const char*, const char*>> kRenames = {
      {"individual_prefix", "prefix_id"}, {"prefix", "prefix_id"},
      {"individual_suffix", "suffix_id"}, {"suffix", "suffix_id"},
      {"gender", "gender_id"}, {"contact_source", "source"}};
  for (auto [from, to] : kRenames) {
    if (values.contains(from) && !values.contains(to)) values[to] = values[from];
    values.erase(from);
  }
  static const std::vector<std::pair<const char*, const char*>> kOptions = {
      {"prefix_id", "individual_prefix"}, {"suffix_id", "individual_suffix"},
      {"gender_id", "gender"}};
  for (auto [field, group] : kOptions) {
    if (!values.contains(field)) continue;
    std::string given = api::ValueAsText(values[field]);
    if (given.empty() || ParseInt64(given)) continue;
    KITH_ASSIGN_OR_RETURN(auto value, api::ResolveOption(txn, group, given));
    if (!value) {
      return InvalidArgument(std::string(field) + " is not valid: " + given,
                             {{"error_code", 2001}, {"error_field", field}});
    }
    values[field] = *value;
  }
  return Status();
}

// The blocks of one location entity in a 3.2 add call: a plain value
// (`email=`), or numbered blocks (`email[1][email]=`).
std::vector<Value> LocationBlocks(const Value& params, const char* key) {
  std::vector<Value> blocks;
  if (!params.contains(key)) return blocks;
  const Value& v = params[key];
  if (v.is_object()) {
    for (const auto& [n, block] : v.items()) {
      if (block.is_object()) blocks.push_back(block);
    }
    // A flat object ({"email": "...", "location_type_id": ...}) is one block.
    if (blocks.empty()) blocks.push_back(v);
  } else if (!v.is_array()) {
    blocks.push_back(Value{{key, v}, {"is_primary", 1}});
  }
  return blocks;
}

Value PlainAddressBlock(const Value& params) {
  static const std::vector<const char*> kFields = {
      "street_address", "supplemental_address_1", "supplemental_address_2",
      "supplemental_address_3", "city", "postal_code", "postal_code_suffix", "state_province",
      "state_province_id", "country", "country_id", "geo_code_1", "geo_code_2",
      "location_type_id"};
  Value block = Value::object();
  for (const char* f : kFields) {
    if (params.contains(f) && !params[f].is_object()) block[f] = params[f];
  }
  return block;
}

Status SaveV2Locations(ActionContext& ctx, int64_t contact_id) {
  for (auto [key, entity] : std::vector<std::pair<const char*, const char*>>{
           {"email", "Email"}, {"phone", "Phone"}, {"address", "Address"}}) {
    for (const Value& block : LocationBlocks(ctx.params, key)) {
      KITH_RETURN_IF_ERROR(SaveLocationBlock(ctx, entity, contact_id, block).status());
    }
  }
  Value address = PlainAddressBlock(ctx.params);
  if (!address.empty()) {
    KITH_RETURN_IF_ERROR(SaveLocationBlock(ctx, "Address", contact_id, address).status());
  }
  return Status();
}

bool HasText(const Value& params, const char* key) {
  return params.contains(key) && !api::ValueAsText(params[key]).empty() &&
         !params[key].is_object();
}

bool HasAnyEmail(const Value& params) {
  for (const Value& b : LocationBlocks(params, "email")) {
    if (HasText(b, "email")) return true;
  }
  return false;
}

// 3.2's checks, in its order (civicrm_contact_check_params).
Status CheckV2ContactParams(const Value& params, bool creating) {
  bool empty = true;
  for (const auto& [k, v] : params.items()) empty = empty && IsReservedParam(k);
  if (empty && !params.contains("contact_id")) return InvalidArgument("Input Parameters empty");
  if (!params.contains("contact_type")) return InvalidArgument("Contact Type not specified");
  std::string type = api::ValueAsText(params["contact_type"]);
  if (!IsContactType(type)) return InvalidArgument("Invalid Contact Type: " + type);
  if (!creating) return Status();
  if (type == "Individual") {
    if ((!HasText(params, "first_name") || !HasText(params, "last_name")) && !HasAnyEmail(params)) {
      std::string missing = HasText(params, "first_name") ? "last_name" : "first_name";
      return InvalidArgument("Required fields not found for Individual : " + missing);
    }
  } else if (type == "Household" && !HasText(params, "household_name")) {
    return InvalidArgument("Required fields not found for Household : ");
  } else if (type == "Organization" && !HasText(params, "organization_name")) {
    return InvalidArgument("Required fields not found for Organization : ");
  }
  return Status();
}

StatusOr<std::vector<int64_t>> FindDuplicates(ActionContext& ctx) {
  const Value& p = ctx.params;
  std::string type = api::ValueAsText(p["contact_type"]);
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  std::vector<Condition> match = {Condition::Leaf("contact_type", Op::kEq, type),
                                  Condition::Leaf("is_deleted", Op::kEq, 0)};
  std::string email;
  for (const Value& b : LocationBlocks(p, "email")) {
    if (HasText(b, "email")) email = AsciiLower(api::ValueAsText(b["email"]));
  }
  if (type == "Individual" && !email.empty()) {
    KITH_ASSIGN_OR_RETURN(ContactFilter by_email,
                          BuildContactFilter(ctx.catalog, Value{{"email", {{"=", email}}}},
                                             ContactFilterOptions{}));
    match.push_back(std::move(by_email.condition));
  } else if (type == "Individual") {
    match.push_back(Condition::Leaf("first_name", Op::kEq, api::ValueAsText(p.value("first_name", Value()))));
    match.push_back(Condition::Leaf("last_name", Op::kEq, api::ValueAsText(p.value("last_name", Value()))));
  } else {
    const char* key = type == "Household" ? "household_name" : "organization_name";
    match.push_back(Condition::Leaf(key, Op::kEq, api::ValueAsText(p.value(key, Value()))));
  }
  q.where = Condition::And(std::move(match));
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  std::vector<int64_t> ids;
  for (const Value& r : rows) ids.push_back(r["id"].get<int64_t>());
  return ids;
}

// No silent drops on writes (shared/PROTOCOL.md A.6): a parameter that is
// neither a contact field nor part of an address block is an error naming it.
Status RejectUnknownFields(const schema::Entity& contact, Value& input) {
  const Value address = PlainAddressBlock(input);
  for (auto it = input.begin(); it != input.end();) {
    const std::string key = it.key();
    if (address.contains(key)) {
      it = input.erase(it);
      continue;
    }
    const schema::Field* f = contact.FindField(key);
    if (f == nullptr || f->internal) {
      return InvalidArgument("Unknown field: " + key, {{"error_field", key}});
    }
    ++it;
  }
  return Status();
}

StatusOr<Value> V2Save(ActionContext& ctx, bool allow_create, bool allow_update) {
  const Value& p = ctx.params;
  std::optional<int64_t> id;
  if (p.contains("contact_id") && !api::ValueAsText(p["contact_id"]).empty()) {
    id = ParseInt64(api::ValueAsText(p["contact_id"]));
    if (!id) return InvalidArgument("contact_id is not valid: " + api::ValueAsText(p["contact_id"]));
  }
  if (id && !allow_update) {
    return InvalidArgument("Cannot create new contact when contact_id is present");
  }
  if (!id && !allow_create) return InvalidArgument("Could not find contact_id in input parameters");
  KITH_RETURN_IF_ERROR(CheckV2ContactParams(p, !id.has_value()));
  if (!id && api::ValueAsText(p.value("dupe_check", Value())) == "1") {
    KITH_ASSIGN_OR_RETURN(auto dupes, FindDuplicates(ctx));
    if (!dupes.empty()) {
      std::vector<std::string> ids;
      for (int64_t d : dupes) ids.push_back(std::to_string(d));
      return AlreadyExists("Found matching contacts: " + Join(ids, ","),
                           {{"error_data", Join(ids, ",")}});
    }
  }
  const schema::Entity* contact = ctx.catalog.Find("Contact");
  Value input = Value::object();
  for (const auto& [k, v] : p.items()) {
    if (!IsReservedParam(k) && k != "email" && k != "phone" && k != "address") input[k] = v;
  }
  KITH_RETURN_IF_ERROR(ApplyV2Renames(ctx.txn, input));
  input.erase("is_deleted");
  // custom_N values (C.1.6): checked now, written once the contact exists.
  KITH_ASSIGN_OR_RETURN(std::vector<api::CustomValueWrite> custom,
                        TakeContactCustomValues(ctx, input));
  KITH_RETURN_IF_ERROR(RejectUnknownFields(*ctx.catalog.Find("Contact"), input));
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*contact, input, /*ignore_unknown=*/true));
  int64_t contact_id;
  if (id) {
    contact_id = *id;
    KITH_ASSIGN_OR_RETURN(Value existing, api::LoadRecord(ctx.txn, *contact, contact_id));
    (void)existing;
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Contact", contact_id, values));
  } else {
    KITH_ASSIGN_OR_RETURN(contact_id, api::CreateRecord(ctx, "Contact", values));
  }
  KITH_RETURN_IF_ERROR(SaveV2Locations(ctx, contact_id));
  KITH_RETURN_IF_ERROR(SaveContactCustomValues(ctx, contact_id, custom));
  return Value{{"contact_id", contact_id}, {"is_error", 0}};
}

StatusOr<Value> V2Delete(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (!p.contains("contact_id")) return InvalidArgument("Could not find contact_id in input parameters");
  auto id = ParseInt64(api::ValueAsText(p["contact_id"]));
  if (!id) return InvalidArgument("Could not delete contact");
  if (*id == ctx.caller.contact_id) {
    return InvalidArgument(
        "This contact record is linked to the currently logged in user account - and cannot be "
        "deleted.");
  }
  const schema::Entity* contact = ctx.catalog.Find("Contact");
  auto existing = api::LoadRecord(ctx.txn, *contact, *id);
  if (!existing.ok() || existing->value("is_deleted", 0) == 1) {
    return InvalidArgument("Could not delete contact");
  }
  KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Contact", *id, {{"is_deleted", true}}));
  return Value{{"is_error", 0}, {"result", 1}};
}

}  // namespace

void RegisterContactV2Actions(api::ActionRegistry& registry) {
  const std::vector<std::string> kView = {"access CiviCRM", "view all contacts"};
  auto add = [&](const char* action, std::vector<std::string> perms, bool writes,
                 const char* description, api::ActionHandler handler) {
    registry.Register({2, "Contact", action, std::move(perms), writes, description, std::move(handler)});
  };
  add("get", kView, false, "Contacts matching the filters, 25 at a time", V2Get);
  add("search", kView, false, "Deprecated alias of get", V2Get);
  add("search_count", kView, false, "The number of contacts matching the filters", V2Count);
  add("add", {"access CiviCRM", "add contacts", "edit all contacts"}, true,
      "Creates a contact, or updates it when contact_id is given",
      [](ActionContext& ctx) { return V2Save(ctx, true, true); });
  add("create", {"access CiviCRM", "add contacts"}, true, "Creates a contact",
      [](ActionContext& ctx) { return V2Save(ctx, true, false); });
  add("update", {"access CiviCRM", "edit all contacts"}, true, "Updates a contact",
      [](ActionContext& ctx) { return V2Save(ctx, false, true); });
  add("delete", {"access CiviCRM", "delete contacts"}, true, "Moves a contact to the trash",
      V2Delete);
}

}  // namespace kith::entities::v2
