#include "api/custom_data.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "schema/custom_schema.h"
#include "schema/schema.h"

namespace kith::api {
namespace {

using schema::CustomFieldInfo;
using store::Condition;
using store::Op;
using store::Query;

struct Option {
  std::string value, name, label;
};

Status Invalid(const std::string& key, const std::string& what, const Value& input) {
  std::string shown = input.is_string() ? input.get<std::string>() : input.dump();
  return InvalidArgument(key + " is not a valid " + what + ": " + shown,
                         {{"error_code", 2001}, {"error_field", key}});
}

// CiviCRM's words for a value outside a field's options (a country, a
// state and an option list alike).
Status NotAnOption(const std::string& key, const Value& input) {
  std::string shown = input.is_string() ? input.get<std::string>() : input.dump();
  return InvalidArgument("'" + shown + "' is not a valid option for field " + key,
                         {{"error_code", 2001}, {"error_field", key}});
}

StatusOr<std::vector<Option>> LoadOptions(store::Transaction& txn, const std::string& group) {
  std::vector<Option> options;
  if (group.empty()) return options;
  Query q;
  q.entity = "OptionValue";
  q.select = {"value", "name", "label"};
  q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, group),
                            Condition::Leaf("is_active", Op::kEq, 1)});
  q.order_by = {{"weight", false}, {"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  for (const Value& r : rows) {
    options.push_back({ValueAsText(r["value"]), ValueAsText(r["name"]), ValueAsText(r["label"])});
  }
  return options;
}

// The schema field a single value of `info` is coerced through, named by
// its API key so that errors name it.
schema::Field ElementField(const CustomFieldInfo& info, const std::string& key) {
  schema::Field f;
  f.name = key;
  const std::string& dt = info.data_type;
  if (dt == "Int" || !schema::CustomDataTypeEntity(dt).empty()) {
    f.type = schema::FieldType::kInt;
  } else if (dt == "Float") {
    f.type = schema::FieldType::kFloat;
  } else if (dt == "Money") {
    f.type = schema::FieldType::kMoney;
  } else if (dt == "Memo") {
    f.type = schema::FieldType::kText;
  } else if (dt == "Date") {
    f.type = schema::FieldType::kDateTime;
  } else if (dt == "Boolean") {
    f.type = schema::FieldType::kBool;
  } else {
    f.type = schema::FieldType::kString;
    f.max_length = 255;
  }
  return f;
}

// An id of `entity` given as an id or, for countries and states, a name or
// code (the lowest id wins when names repeat across countries).
StatusOr<std::optional<int64_t>> FindLinked(store::Transaction& txn, const std::string& entity,
                                            const std::string& text) {
  Query q;
  q.entity = entity;
  q.select = {"id"};
  q.limit = 1;
  q.order_by = {{"id", false}};
  if (auto id = ParseInt64(text)) {
    q.where = Condition::Leaf("id", Op::kEq, *id);
  } else if (entity == "Country") {
    q.where = Condition::Or({Condition::Leaf("name", Op::kEq, text),
                             Condition::Leaf("iso_code", Op::kEq, text)});
  } else if (entity == "StateProvince") {
    q.where = Condition::Or({Condition::Leaf("name", Op::kEq, text),
                             Condition::Leaf("abbreviation", Op::kEq, text)});
  } else {
    return std::optional<int64_t>();
  }
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0]["id"].get<int64_t>());
}

bool HasSpaceOrControl(const std::string& s) {
  for (unsigned char c : s) {
    if (c <= ' ' || c == 0x7f) return true;
  }
  return false;
}

// One value of `info` in its stored form (null when cleared).
StatusOr<Value> CoerceOne(store::Transaction& txn, const CustomFieldInfo& info,
                          const std::string& key, const std::vector<Option>& options,
                          const Value& input) {
  if (input.is_object() || input.is_array()) return Invalid(key, "single value", input);
  std::string text = ValueAsText(input);
  if (input.is_null() || TrimAscii(text).empty()) return Value(nullptr);
  Value given = input;
  if (!options.empty()) {
    const Option* match = nullptr;
    for (const Option& o : options) {
      if (o.value == text) match = match ? match : &o;
    }
    for (const Option& o : options) {
      if (match == nullptr && (EqualsIgnoreCase(o.name, text) || EqualsIgnoreCase(o.label, text))) {
        match = &o;
      }
    }
    if (match == nullptr) return NotAnOption(key, input);
    given = match->value;
    text = match->value;
  }
  if (std::string target = schema::CustomDataTypeEntity(info.data_type); !target.empty()) {
    KITH_ASSIGN_OR_RETURN(auto id, FindLinked(txn, target, std::string(TrimAscii(text))));
    if (!id) return target == "Contact" ? Invalid(key, "contact id", input) : NotAnOption(key, input);
    return Value(*id);
  }
  if (info.data_type == "Link" && HasSpaceOrControl(std::string(TrimAscii(text)))) {
    return Invalid(key, "link", input);
  }
  return CoerceFieldValue(ElementField(info, key), given);
}

bool Truthy(const Value& v) {
  std::string t = ValueAsText(v);
  return !t.empty() && t != "0" && t != "false";
}

// The values a multi-valued field was given, in any of its forms.
std::vector<Value> MultiValues(const Value& input, const std::vector<Option>& options) {
  std::vector<Value> out;
  if (input.is_array()) {
    for (const Value& v : input) out.push_back(v);
  } else if (input.is_object()) {
    // {a: 1, b: 0}: the CheckBox form, keyed by option value. Keys that are
    // just the positions 0, 1, ... (custom_N[]=a) are a list, unless every
    // one of them is an option (CiviCRM's rule).
    bool all_options = !options.empty();
    size_t position = 0;
    bool positional = true;
    for (const auto& [k, v] : input.items()) {
      positional = positional && k == std::to_string(position++);
      bool is_option = false;
      for (const Option& o : options) is_option = is_option || o.value == k;
      all_options = all_options && is_option;
    }
    bool keyed = all_options || !positional;
    for (const auto& [k, v] : input.items()) {
      if (!keyed) {
        out.push_back(v);
      } else if (Truthy(v)) {
        out.push_back(k);
      }
    }
  } else if (input.is_string()) {
    const std::string& s = input.get<std::string>();
    std::string_view trimmed = TrimAscii(s);
    if (s.find('\x01') != std::string::npos) {
      for (const std::string& part : schema::SplitPaddedValues(s)) out.push_back(part);
    } else if (!trimmed.empty() && trimmed.front() == '[') {
      Value list = Value::parse(trimmed, nullptr, /*allow_exceptions=*/false);
      if (list.is_array()) {
        for (const Value& v : list) out.push_back(v);
      } else {
        out.push_back(input);
      }
    } else if (!trimmed.empty()) {
      out.push_back(input);
    }
  } else if (!input.is_null()) {
    out.push_back(input);
  }
  return out;
}

}  // namespace

std::optional<CustomTarget> ResolveCustomKey(const schema::Catalog& catalog, std::string_view key) {
  if (auto parsed = schema::ParseCustomKey(key)) {
    return CustomTarget{catalog.FindCustomField(parsed->field_id), parsed->row};
  }
  constexpr std::string_view kPrefix = "custom_";
  if (key.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  // custom_N:R, custom_<group>:<field>, custom_<group>:<field>:R
  std::vector<std::string_view> parts = Split(key.substr(kPrefix.size()), ':');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  CustomTarget target;
  std::string_view row_text;
  if (auto id = ParseInt64(parts[0]); id && parts.size() == 2) {
    target.field = catalog.FindCustomField(*id);
    row_text = parts[1];
  } else {
    target.field = catalog.FindCustomField(parts[0], parts[1]);
    if (parts.size() == 3) row_text = parts[2];
  }
  if (!row_text.empty()) {
    auto row = ParseInt64(row_text);
    if (!row) return CustomTarget{};
    target.row = *row;
  }
  return target;
}

StatusOr<Value> CoerceCustomValue(store::Transaction& txn, const CustomFieldInfo& field,
                                  const std::string& key, const Value& input) {
  KITH_ASSIGN_OR_RETURN(std::vector<Option> options, LoadOptions(txn, field.option_group));
  if (!field.serialized) return CoerceOne(txn, field, key, options, input);
  if (input.is_null()) return Value(nullptr);
  std::vector<std::string> seen;
  for (const Value& v : MultiValues(input, options)) {
    KITH_ASSIGN_OR_RETURN(Value one, CoerceOne(txn, field, key, options, v));
    if (one.is_null()) continue;
    std::string text = ValueAsText(one);
    if (std::find(seen.begin(), seen.end(), text) == seen.end()) seen.push_back(text);
  }
  if (seen.empty()) return Value("");
  return Value("\x01" + Join(seen, "\x01") + "\x01");
}

StatusOr<std::vector<CustomValueWrite>> PrepareCustomValues(store::Transaction& txn,
                                                            const schema::Catalog& catalog,
                                                            std::string_view base_entity,
                                                            const Value& params) {
  std::vector<CustomValueWrite> writes;
  for (const auto& [key, value] : params.items()) {
    std::optional<CustomTarget> target = ResolveCustomKey(catalog, key);
    if (!target) continue;
    const schema::CustomGroupInfo* group =
        target->field ? catalog.FindCustomGroup(target->field->group_id) : nullptr;
    if (group == nullptr || group->base_entity != base_entity) {
      return InvalidArgument("Unknown field: " + key, {{"error_field", key}});
    }
    KITH_ASSIGN_OR_RETURN(Value stored, CoerceCustomValue(txn, *target->field, key, value));
    writes.push_back({target->field, target->row, key, std::move(stored)});
  }
  return writes;
}

bool CustomGroupFitsContact(const schema::CustomGroupInfo& group, std::string_view contact_type,
                            const std::vector<std::string>& sub_types) {
  if (group.extends != "Contact" && group.extends != contact_type) return false;
  if (group.sub_types.empty()) return true;
  for (const std::string& s : group.sub_types) {
    if (std::find(sub_types.begin(), sub_types.end(), s) != sub_types.end()) return true;
  }
  return false;
}

Status WriteCustomValues(store::Transaction& txn, int64_t entity_id,
                         const std::vector<CustomValueWrite>& writes) {
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  // Changes per (group, row): row 0 is "the" row of a single-record group;
  // negative rows and rows not given are new rows of a multi-record group.
  std::map<std::pair<int64_t, int64_t>, Value> rows;
  int64_t next_new = -1000000000;  // new rows asked without a number: one each
  for (const CustomValueWrite& w : writes) {
    const schema::CustomGroupInfo* g = catalog->FindCustomGroup(w.field->group_id);
    if (g == nullptr) return NotFound("custom group of " + w.key + " not found");
    int64_t row = 0;
    if (g->is_multiple) row = w.row.has_value() ? *w.row : next_new--;
    Value& changes = rows[{g->id, row}];
    if (changes.is_null()) changes = Value::object();
    changes[w.field->column] = w.stored;
  }
  for (auto& [where, changes] : rows) {
    const schema::CustomGroupInfo* g = catalog->FindCustomGroup(where.first);
    Query q;
    q.entity = g->entity;
    q.select = {"id"};
    if (where.second > 0) {
      q.where = Condition::And({Condition::Leaf("id", Op::kEq, where.second),
                                Condition::Leaf("entity_id", Op::kEq, entity_id)});
    } else {
      q.where = Condition::Leaf("entity_id", Op::kEq, entity_id);
    }
    std::vector<Value> found;
    if (where.second >= 0) {
      KITH_ASSIGN_OR_RETURN(found, txn.Select(q));
    }
    if (where.second > 0 && found.empty()) {
      return NotFound("custom record " + std::to_string(where.second) + " of " + g->title +
                          " does not belong to entity " + std::to_string(entity_id),
                      {{"error_code", "not-found"}});
    }
    if (!found.empty()) {
      KITH_RETURN_IF_ERROR(txn.Update(g->entity, found[0]["id"].get<int64_t>(), changes));
    } else {
      changes["entity_id"] = entity_id;
      KITH_RETURN_IF_ERROR(txn.Insert(g->entity, changes).status());
    }
  }
  return Status();
}

StatusOr<std::vector<Value>> ReadCustomRows(store::Transaction& txn,
                                            const schema::CustomGroupInfo& group,
                                            int64_t entity_id) {
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  const schema::Entity* e = catalog->Find(group.entity);
  if (e == nullptr) return NotFound("custom group " + group.name + " has no table");
  Query q;
  q.entity = group.entity;
  for (const schema::Field& f : e->fields) q.select.push_back(f.name);
  q.where = Condition::Leaf("entity_id", Op::kEq, entity_id);
  q.order_by = {{"id", false}};
  return txn.Select(q);
}

std::string CustomValueText(const CustomFieldInfo& field, const Value& stored) {
  if (stored.is_null()) return "";
  if (!field.serialized && field.data_type == "Money" && stored.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", stored.get<double>());
    return buf;
  }
  return ValueAsText(stored);
}

Condition CustomFieldCondition(const CustomFieldInfo& field, Condition on_column) {
  Query sub;
  sub.entity = field.entity;
  sub.select = {"entity_id"};
  sub.where = std::move(on_column);
  return Condition::InQuery("id", std::move(sub));
}

}  // namespace kith::api
