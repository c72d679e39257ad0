// Field expressions of APIv4 (paths, suffixes, custom fields) and the typing
// of values on their way in and out.
#include <algorithm>
#include <cmath>
#include <iterator>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using store::Condition;
using store::Op;
using store::Query;

namespace {

// "Group.field" on `entity`: the custom field, when `group` is a
// single-record custom group extending it.
const schema::CustomFieldInfo* CustomFieldOn(const schema::Catalog& catalog,
                                             const schema::Entity& entity,
                                             const std::string& group, const std::string& field) {
  const schema::CustomGroupInfo* g = catalog.FindCustomGroup(group);
  if (g == nullptr || g->base_entity != entity.name || g->join.empty() || !g->is_active) {
    return nullptr;
  }
  return catalog.FindCustomField(group, field);
}

bool HasSuffixTarget(const schema::Field& f) {
  return !f.option_group.empty() || !f.fk_entity.empty() || !f.choices.empty();
}

}  // namespace

bool MayReach(const api::ActionContext& ctx, const FieldRef& ref) {
  for (const schema::Entity* e : ref.via) {
    for (const std::string& p : e->get_permissions) {
      if (!ctx.caller.Has(p)) return false;
    }
  }
  return true;
}

Status InvalidField(const std::string& key) {
  return InvalidArgument("Invalid field '" + key + "'", {{"error_field", key}});
}

Status IllegalOperator(const std::string& field) {
  return InvalidArgument("Illegal operator", {{"error_field", field}});
}

Status WrongParamType(const std::string& param, const std::string& expected) {
  return InvalidArgument("Parameter \"" + param + "\" is not of the correct type. Expecting " +
                             expected + ".",
                         {{"error_field", param}});
}

bool HoldsContactIds(const schema::Entity& entity, const schema::Field& field) {
  return field.fk_entity == "Contact" || (entity.name == "Contact" && field.name == "id");
}

std::optional<FieldRef> ResolveField(const schema::Catalog& catalog, const schema::Entity& root,
                                     const JoinAliases& joins, const std::string& key,
                                     bool for_write) {
  FieldRef ref;
  ref.key = key;
  if (std::none_of(key.begin(), key.end(), [](char c) { return c == ':' || c == '.'; })) {
    // A column of the entity itself, the usual key of every write: found
    // without splitting it into a path.
    const schema::Field* f = key.empty() ? nullptr : root.FindField(key);
    if (f == nullptr || (f->internal && !(for_write && f->write_only))) return std::nullopt;
    ref.field = f;
    ref.owner = &root;
    ref.path = key;
    ref.top_level = true;
    return ref;
  }
  std::string base = key;
  if (size_t colon = key.find(':'); colon != std::string::npos) {
    ref.suffix = key.substr(colon + 1);
    base = key.substr(0, colon);
    if (ref.suffix.empty()) return std::nullopt;
  }
  std::vector<std::string> parts;
  for (std::string_view p : Split(base, '.')) parts.emplace_back(p);
  if (parts.empty()) return std::nullopt;
  for (const std::string& p : parts) {
    if (p.empty()) return std::nullopt;
  }
  const schema::Entity* e = &root;
  std::string prefix;
  size_t i = 0;
  if (parts.size() >= 2) {
    auto alias = joins.find(parts[0]);
    if (alias != joins.end()) {
      e = catalog.Find(alias->second);
      if (e == nullptr) return std::nullopt;
      ref.via.push_back(e);
      prefix = parts[0] + ".";
      i = 1;
    }
  }
  ref.top_level = parts.size() == 1;
  for (; i < parts.size(); ++i) {
    const std::string& seg = parts[i];
    if (i + 1 == parts.size()) {
      const schema::Field* f = e->FindField(seg);
      if (f == nullptr || (f->internal && !(for_write && f->write_only))) return std::nullopt;
      ref.field = f;
      ref.owner = e;
      ref.path = prefix + seg;
      break;
    }
    if (i + 2 == parts.size()) {
      if (const schema::CustomFieldInfo* cf = CustomFieldOn(catalog, *e, seg, parts[i + 1])) {
        const schema::Entity* values = catalog.Find(cf->entity);
        const schema::Field* f = values ? values->FindField(cf->column) : nullptr;
        if (f == nullptr || cf->path.empty()) return std::nullopt;
        ref.field = f;
        ref.owner = values;
        ref.custom = cf;
        ref.path = prefix + cf->path;
        break;
      }
    }
    if (const schema::ReverseJoin* rj = e->FindJoin(seg)) {
      e = catalog.Find(rj->entity);
    } else if (const schema::Field* f = e->FindField(seg);
               f != nullptr && !f->fk_entity.empty() && !f->internal) {
      e = catalog.Find(f->fk_entity);
    } else {
      return std::nullopt;
    }
    // kith's own tables (users, sessions) are never reached through a path;
    // custom value tables only through their group's name.
    if (e == nullptr || (!e->api && e->name.rfind("Custom_", 0) != 0)) return std::nullopt;
    ref.via.push_back(e);
    prefix += seg + ".";
  }
  if (ref.field == nullptr) return std::nullopt;
  if (!ref.suffix.empty()) {
    if (!HasSuffixTarget(*ref.field)) return std::nullopt;
    // The store labels single values; lists are labelled by the caller.
    if (!ref.field->serialized) ref.path += ":" + ref.suffix;
  }
  return ref;
}

Value TypedColumn(const schema::Field& field, const Value& stored, const std::string& type_override) {
  if (stored.is_null()) return nullptr;
  if (field.json && stored.is_string()) {  // answered as the structure it holds
    return Value::parse(stored.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  }
  if (field.serialized) {
    std::string text = stored.is_string() ? stored.get<std::string>() : api::ValueAsText(stored);
    if (text.empty()) return nullptr;
    Value list = Value::array();
    for (const std::string& part : schema::SplitStoredValues(field, text)) list.push_back(part);
    return list;
  }
  if (type_override == "Integer") {
    if (stored.is_boolean()) return stored.get<bool>() ? 1 : 0;
    return stored;
  }
  switch (field.type) {
    case schema::FieldType::kBool:
      if (stored.is_boolean()) return stored;
      if (stored.is_number()) return stored.get<double>() != 0;
      if (stored.is_string()) return stored.get<std::string>() == "1";
      return stored;
    case schema::FieldType::kInt:
      if (stored.is_string()) {
        if (auto n = ParseInt64(stored.get<std::string>())) return *n;
      }
      if (stored.is_number_float()) {
        double d = stored.get<double>();
        if (std::floor(d) == d) return static_cast<int64_t>(d);
      }
      return stored;
    default:
      return stored;
  }
}

Value TypedValue(const FieldRef& ref, const Value& stored, const std::string& type_override) {
  if (!ref.suffix.empty() && !ref.field->serialized) return stored;
  return TypedColumn(*ref.field, stored, type_override);
}

namespace {

// The stored value whose option name/label (or linked row's column) is
// `given`, for a suffixed write ("location_type_id:name": "Work").
StatusOr<Value> ResolveSuffixed(api::ActionContext& ctx, const FieldRef& ref, const Value& given) {
  const schema::Field& f = *ref.field;
  if (given.is_null()) return Value();
  std::string text = api::ValueAsText(given);
  if (!f.choices.empty()) {
    for (const auto& [value, label] : f.choices) {
      if (text == value || text == label) return Value(value);
    }
    return InvalidArgument(ref.key + " is not valid: " + text,
                           {{"error_code", 2001}, {"error_field", ref.key}});
  }
  if (!f.fk_entity.empty()) {
    const schema::Entity* target = ctx.catalog.Find(f.fk_entity);
    std::vector<Condition> any;
    std::vector<std::string> columns;
    if (ref.suffix == "abbr") {
      columns = {"iso_code", "abbreviation"};
    } else if (ref.suffix == "name") {
      columns = {"name", "name_a_b"};
    } else {
      columns = {"label", "display_name", "title", "label_a_b", "name"};
    }
    for (const std::string& c : columns) {
      if (target != nullptr && target->FindField(c) != nullptr) {
        any.push_back(Condition::Leaf(c, Op::kEq, text));
      }
    }
    if (target != nullptr && !any.empty()) {
      Query q;
      q.entity = target->name;
      q.select = {"id"};
      q.where = Condition::Or(std::move(any));
      q.limit = 1;
      KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
      if (!rows.empty()) return rows[0]["id"];
    }
    if (f.option_group.empty()) {
      return InvalidArgument(ref.key + " is not valid: " + text,
                             {{"error_code", 2001}, {"error_field", ref.key}});
    }
  }
  KITH_ASSIGN_OR_RETURN(auto value, api::ResolveOption(ctx.txn, f.option_group, text, f.option_key));
  if (!value) {
    return InvalidArgument(ref.key + " is not valid: " + text,
                           {{"error_code", 2001}, {"error_field", ref.key}});
  }
  return Value(*value);
}

}  // namespace

StatusOr<Value> WriteValue(api::ActionContext& ctx, const FieldRef& ref, const Value& input) {
  const schema::Field& f = *ref.field;
  Value given = input;
  if (given.is_string() && given.get<std::string>() == "user_contact_id" &&
      (f.fk_entity == "Contact" || (ref.custom && ref.custom->data_type == "ContactReference"))) {
    given = ctx.caller.contact_id;
  }
  if (ref.custom != nullptr) {
    // Custom values take an option's value, name or label themselves.
    return api::CoerceCustomValue(ctx.txn, *ref.custom, ref.key, given);
  }
  if (!ref.suffix.empty()) {
    if (f.serialized && given.is_array()) {
      Value list = Value::array();
      for (const Value& part : given) {
        KITH_ASSIGN_OR_RETURN(Value v, ResolveSuffixed(ctx, ref, part));
        list.push_back(v);
      }
      given = list;
    } else {
      KITH_ASSIGN_OR_RETURN(given, ResolveSuffixed(ctx, ref, given));
    }
  }
  return api::CoerceFieldValue(f, given);
}

namespace {

// CheckParams with `allowed(key)` telling the action's own parameters.
template <typename Allowed>
Status CheckParamsWith(const Value& params, const Allowed& allowed) {
  static constexpr std::string_view kCommon[] = {"version", "checkPermissions", "debug", "language",
                                                 "chain"};
  for (const auto& [key, value] : params.items()) {
    if (key == "version" && !(value == 4 || value == "4")) {
      return InvalidArgument("Cannot modify api version", {{"error_field", "version"}});
    }
    if (std::find(std::begin(kCommon), std::end(kCommon), key) != std::end(kCommon) || allowed(key)) {
      continue;
    }
    std::string setter = key;
    if (!setter.empty() && setter[0] >= 'a' && setter[0] <= 'z') setter[0] = static_cast<char>(setter[0] - 32);
    return InvalidArgument("Unknown api parameter: set" + setter, {{"error_field", key}});
  }
  return Status();
}

}  // namespace

Status CheckParams(const Value& params, const std::set<std::string>& allowed) {
  return CheckParamsWith(params, [&](const std::string& key) { return allowed.count(key) > 0; });
}

Status CheckParams(const Value& params, std::initializer_list<const char*> allowed) {
  return CheckParamsWith(params, [&](const std::string& key) {
    return std::find(allowed.begin(), allowed.end(), std::string_view(key)) != allowed.end();
  });
}

}  // namespace kith::entities::v4
