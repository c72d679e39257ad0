// The schema-driven parts of APIv3: rows of a get, create/update, delete,
// and the helpers the entity files share.
#include <algorithm>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "entities/field_conditions.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

const schema::Field* FieldOrIdAlias(const schema::Entity& e, const std::string& key) {
  if (const schema::Field* f = e.FindField(key)) return f;
  if (key == SnakeCase(e.name) + "_id") return e.FindField("id");
  return nullptr;
}

// CiviCRM's answer to a value that is no integer where its field wants one
// (api/v3/utils.php checks every action's parameters this way).
Status NotAnInteger(const std::string& key) {
  return InvalidArgument(key + " is not a valid integer",
                         Value{{"error_field", key}, {"type", "integer"}, {"error_code", 2001}});
}

bool IsEmptyValue(const Value& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty());
}

StatusOr<Condition> GenericWhere(ActionContext& ctx, const schema::Entity& e, const Value& params,
                                 std::vector<std::string>* undefined) {
  std::vector<Condition> all;
  for (const auto& [key, value] : params.items()) {
    if (IsMetaParam(key, value)) continue;
    const schema::Field* f = FieldOrIdAlias(e, key);
    if (f == nullptr || f->internal) {
      if (undefined != nullptr) undefined->push_back(key);
      continue;
    }
    Value given = ResolveUserContact(ctx, f, value);
    if (f->serialized && !IsOperatorObject(given)) {
      // A multi-value field: records holding any of the values (or labels).
      std::vector<Condition> any;
      for (const Value& part : FilterList(given)) {
        schema::Field single = *f;
        single.serialized = false;
        KITH_ASSIGN_OR_RETURN(Value v, ResolvePseudoValue(ctx, single, part));
        any.push_back(Condition::Leaf(f->name, Op::kContains, api::ValueAsText(v)));
      }
      all.push_back(Condition::Or(std::move(any)));
      continue;
    }
    if (!given.is_object() && !given.is_array()) {
      KITH_ASSIGN_OR_RETURN(given, ResolvePseudoValue(ctx, *f, given));
    }
    KITH_ASSIGN_OR_RETURN(Condition c, BuildFieldCondition(f->name, key, given, FieldMatchOptions{}));
    all.push_back(std::move(c));
  }
  return Condition::And(std::move(all));
}

// The answer columns of a get: the fields asked for with `return` (unknown
// names ignored, as CiviCRM does), else every column in CiviCRM's order.
std::vector<std::string> AnswerColumns(const schema::Entity& e, const V3Hooks& hooks,
                                       const Value& params) {
  std::vector<std::string> cols;
  std::vector<std::string> asked = ReturnFields(params);
  auto known = [&](const std::string& c) {
    const schema::Field* f = e.FindField(c);
    return (f != nullptr && !f->internal) || hooks.virtual_columns.count(c) > 0;
  };
  if (!asked.empty()) {
    for (const std::string& c : asked) {
      if (c != "id" && known(c)) cols.push_back(c);
    }
    return cols;
  }
  if (!hooks.layout.empty()) {
    for (const std::string& c : hooks.layout) {
      if (c != "id" && known(c)) cols.push_back(c);
    }
    return cols;
  }
  for (const schema::Field& f : e.fields) {
    if (f.name != "id" && !f.internal) cols.push_back(f.name);
  }
  return cols;
}

StatusOr<int64_t> DefaultLocationType(store::Transaction& txn) {
  Query q;
  q.entity = "LocationType";
  q.select = {"id"};
  q.where = Condition::Leaf("is_default", Op::kEq, 1);
  q.order_by = {{"id", false}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return int64_t{1};
  return rows[0]["id"].get<int64_t>();
}

// The row of `entity` whose columns equal the values of `match` in `input`
// (options.match): its id, std::nullopt when none.
StatusOr<std::optional<int64_t>> MatchExisting(ActionContext& ctx, const schema::Entity& e,
                                               const Value& input, const V3Options& options) {
  std::vector<Condition> eq;
  for (const std::string& name : options.match) {
    const schema::Field* f = e.FindField(name);
    if (f == nullptr || f->internal) {
      return InvalidArgument("Unknown field in options.match: " + name,
                             Value{{"error_code", 2001}, {"error_field", name}});
    }
    if (!input.contains(name) || IsEmptyValue(input[name])) return MandatoryMissing({name});
    KITH_ASSIGN_OR_RETURN(Value v, api::CoerceFieldValue(*f, input[name]));
    eq.push_back(Condition::Leaf(name, Op::kEq, v));
  }
  Query q;
  q.entity = e.name;
  q.select = {"id"};
  q.where = Condition::And(std::move(eq));
  q.limit = 2;
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.size() > 1) {
    return InvalidArgument("Found more than one " + e.name + " matching " +
                           Join(options.match, ", "));
  }
  if (rows.empty()) {
    if (options.match_mandatory) {
      return InvalidArgument("Failed to match existing record", Value{{"error_code", "not-found"}});
    }
    return std::optional<int64_t>();
  }
  return std::optional<int64_t>(rows[0]["id"].get<int64_t>());
}

// A location block losing its primary record gets another one (CiviCRM
// keeps one primary email, phone and address per contact).
Status PromotePrimary(ActionContext& ctx, const std::string& entity, const Value& contact_id) {
  if (!contact_id.is_number_integer()) return Status();
  Query q;
  q.entity = entity;
  q.select = {"id"};
  q.where = Condition::Leaf("contact_id", Op::kEq, contact_id);
  q.order_by = {{"id", false}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) return Status();
  return api::UpdateRecord(ctx, entity, rows[0]["id"].get<int64_t>(), Value{{"is_primary", 1}});
}

}  // namespace

Value V3Success(Value values, bool sequential) {
  Value env{{"is_error", 0}, {"version", 3}};
  env.get_ref<Value::object_t&>().reserve(6);  // growing would copy the values
  env["count"] = static_cast<int64_t>(values.size());
  if (values.size() == 1) {
    std::string key = values.is_object() ? values.begin().key() : "0";
    auto n = ParseInt64(key);
    env["id"] = n ? Value(*n) : Value(key);
  }
  if (values.empty()) {
    env["values"] = Value::array();
  } else if (sequential && values.is_object()) {
    Value list = Value::array();
    for (const auto& [k, v] : values.items()) list.push_back(v);
    env["values"] = std::move(list);
  } else {
    env["values"] = std::move(values);
  }
  return env;
}

Value V3SuccessWritten(int64_t rows, const std::string& first_key, bool sequential) {
  // Members appended in order (distinct keys): no initializer-list
  // guessing of pairs, no search per key.
  Value env = Value::object();
  auto& members = env.get_ref<Value::object_t&>();
  members.reserve(5);
  members.Container::emplace_back("is_error", 0);
  members.Container::emplace_back("version", 3);
  members.Container::emplace_back("count", rows);
  if (rows == 1) {
    auto n = ParseInt64(first_key);
    members.Container::emplace_back("id", n ? Value(*n) : Value(first_key));
  }
  members.Container::emplace_back("values", rows == 0 || sequential ? Value::array() : Value::object());
  return env;
}

Value V3Text(const Value& stored) { return api::ValueAsText(stored); }

Status MandatoryMissing(const std::vector<std::string>& fields) {
  Value list = Value::array();
  for (const std::string& f : fields) list.push_back(f);
  return InvalidArgument("Mandatory key(s) missing from params array: " + Join(fields, ", "),
                         Value{{"fields", list}, {"error_code", "mandatory_missing"}});
}

Status CheckPermissions(const ActionContext& ctx, const std::string& entity,
                        const std::string& action, const std::vector<std::string>& permissions) {
  for (const std::string& p : permissions) {
    if (!ctx.caller.Has(p)) {
      return PermissionDenied("API permission check failed for " + entity + "/" + action +
                                  " call; insufficient permission: require " +
                                  Join(permissions, " and "),
                              Value{{"error_code", "unauthorized"}});
    }
  }
  return Status();
}

Value ResolveUserContact(const ActionContext& ctx, const schema::Field* field, const Value& value) {
  if (field == nullptr || value != "user_contact_id") return value;
  bool contact_ref = field->fk_entity == "Contact" ||
                     (field->name == "id" && ctx.call.entity == "Contact");
  return contact_ref ? Value(ctx.caller.contact_id) : value;
}

StatusOr<std::optional<int64_t>> RequestedId(const ActionContext& ctx, const std::string& entity,
                                             const Value& params) {
  const Value* given = nullptr;
  std::string key = "id";
  if (params.contains("id") && !IsEmptyValue(params["id"])) {
    given = &params["id"];
  } else {
    key = SnakeCase(entity) + "_id";
    const schema::Entity* e = ctx.catalog.Find(entity);
    bool is_field = e != nullptr && e->FindField(key) != nullptr;
    if (!is_field && params.contains(key) && !IsEmptyValue(params[key])) given = &params[key];
  }
  if (given == nullptr) return std::optional<int64_t>();
  if (*given == "user_contact_id" && entity == "Contact") {
    return std::optional<int64_t>(ctx.caller.contact_id);
  }
  if (given->is_number_integer()) return std::optional<int64_t>(given->get<int64_t>());
  auto n = ParseInt64(std::string(TrimAscii(api::ValueAsText(*given))));
  if (!n) return NotAnInteger(key);
  return std::optional<int64_t>(*n);
}

StatusOr<Value> ResolvePseudoValue(ActionContext& ctx, const schema::Field& field,
                                   const Value& value) {
  if (field.serialized && (value.is_string() || value.is_array())) {
    // A multi-value field: each part by name or label.
    if (value.is_string() && value.get_ref<const std::string&>().find('\x01') != std::string::npos) {
      return value;
    }
    Value parts = value.is_array() ? value : FilterList(value);
    Value out = Value::array();
    bool changed = false;
    for (const Value& p : parts) {
      schema::Field single = field;
      single.serialized = false;
      KITH_ASSIGN_OR_RETURN(Value r, ResolvePseudoValue(ctx, single, p));
      changed = changed || r != p;
      out.push_back(r);
    }
    return changed || value.is_array() ? out : value;
  }
  if (!value.is_string()) return value;
  std::string text(TrimAscii(value.get<std::string>()));
  if (text.empty() || ParseInt64(text)) return value;
  const schema::Entity* target =
      field.fk_entity.empty() ? nullptr : ctx.catalog.Find(field.fk_entity);
  if (target != nullptr && field.fk_entity != "Contact") {
    std::vector<Condition> any;
    for (const char* col : {"name", "label", "title", "display_name", "iso_code", "abbreviation"}) {
      if (target->FindField(col) != nullptr) any.push_back(Condition::Leaf(col, Op::kEq, text));
    }
    if (any.empty()) return value;
    Query q;
    q.entity = target->name;
    q.select = {"id"};
    q.where = Condition::Or(std::move(any));
    q.order_by = {{"id", false}};
    q.limit = 1;
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    if (!rows.empty()) return rows[0]["id"];
  } else if (!field.choices.empty() && field.fk_entity.empty() && field.option_group.empty()) {
    // A table pseudoconstant (contact_type, GroupContact.status): its key,
    // or a key or label in any case.
    for (const auto& [key, label] : field.choices) {
      if (key == text) return value;
    }
    for (const auto& [key, label] : field.choices) {
      if (EqualsIgnoreCase(key, text) || EqualsIgnoreCase(label, text)) return Value(key);
    }
  } else if (!field.option_group.empty()) {
    KITH_ASSIGN_OR_RETURN(auto resolved, api::ResolveOption(ctx.txn, field.option_group, text, field.option_key));
    if (resolved) {
      if (field.type == schema::FieldType::kInt) {
        if (auto n = ParseInt64(*resolved)) return Value(*n);
      }
      return Value(*resolved);
    }
  } else {
    return value;
  }
  return InvalidArgument("'" + text + "' is not a valid option for field " + field.name,
                         Value{{"error_code", 2001}, {"error_field", field.name}});
}

Status CheckIntegerFilters(const schema::Entity& entity, const Value& params) {
  // The entity's id alias ("contact_id"), made only for a key that may be it.
  auto is_alias = [&entity](const std::string& key) {
    return key.size() > 3 && key.ends_with("_id") && key == SnakeCase(entity.name) + "_id";
  };
  auto whole = [](const Value& v) {
    if (v.is_number_integer()) return true;
    return ParseInt64(std::string(TrimAscii(api::ValueAsText(v)))).has_value();
  };
  // (an object's members as stored: params.items() made two strings per member)
  for (const auto& [key, value] : Members(params)) {
    if (IsMetaParam(key, value) || IsEmptyValue(value) ||
        (value.is_string() && value.get_ref<const std::string&>() == "user_contact_id")) {
      continue;
    }
    const schema::Field* f = entity.FindField(is_alias(key) ? "id" : key);
    // (option fields and links to entities other than contacts take names too)
    if (f == nullptr || f->internal || f->type != schema::FieldType::kInt || !f->option_group.empty() ||
        !f->choices.empty() || (!f->fk_entity.empty() && f->fk_entity != "Contact")) {
      continue;
    }
    bool valid = true;
    if (value.is_object()) {
      for (const auto& [op, operand] : value.items()) {
        std::string lower = AsciiLower(op);
        if (lower.find("null") != std::string::npos || lower.find("like") != std::string::npos) continue;
        if (operand.is_array()) {
          for (const Value& one : operand) valid = valid && whole(one);
        } else if ((lower == "in" || lower == "not in") && operand.is_string()) {
          for (std::string_view one : Split(operand.get_ref<const std::string&>(), ',')) {
            valid = valid && ParseInt64(std::string(TrimAscii(one))).has_value();
          }
        } else {
          valid = valid && whole(operand);
        }
      }
    } else if (!value.is_array()) {
      valid = whole(value);
    }
    if (!valid) return NotAnInteger(key);
  }
  return Status();
}

namespace {

// The field of filter `key` whose values CheckedFilters checks (an option
// or a date), or nullptr; `options`: whether it is an option.
const schema::Field* CheckedField(const schema::Entity& entity, const std::string& key,
                                  const Value& value, bool& options) {
  if (IsMetaParam(key, value) || IsEmptyValue(value)) return nullptr;
  const schema::Field* f = FieldOrIdAlias(entity, key);
  if (f == nullptr || f->internal || f->serialized) return nullptr;
  options = !f->option_group.empty() || !f->choices.empty() ||
            (!f->fk_entity.empty() && f->fk_entity != "Contact");
  bool date = f->type == schema::FieldType::kDate || f->type == schema::FieldType::kDateTime;
  return options || date ? f : nullptr;
}

}  // namespace

StatusOr<std::optional<Value>> CheckedFilters(ActionContext& ctx, const schema::Entity& entity,
                                              const Value& params) {
  KITH_RETURN_IF_ERROR(CheckIntegerFilters(entity, params));
  bool checks = false;
  for (const auto& [key, value] : Members(params)) {
    bool options = false;
    if (CheckedField(entity, key, value, options) != nullptr) {
      checks = true;
      break;
    }
  }
  if (!checks) return std::optional<Value>();
  Value out = params;
  for (auto& [key, value] : out.items()) {
    bool options = false;
    const schema::Field* f = CheckedField(entity, key, value, options);
    if (f == nullptr) continue;
    auto check = [&](Value& one) -> Status {
      if (one.is_object() || one.is_array() || IsEmptyValue(one)) return Status();
      if (options) {
        KITH_ASSIGN_OR_RETURN(one, ResolvePseudoValue(ctx, *f, one));
        return Status();
      }
      return api::CoerceFieldValue(*f, one).status();
    };
    auto check_all = [&](Value& operand) -> Status {
      if (!operand.is_array()) return check(operand);
      for (Value& one : operand) KITH_RETURN_IF_ERROR(check(one));
      return Status();
    };
    if (IsOperatorObject(value)) {
      for (auto& [op, operand] : value.items()) {
        std::string lower = AsciiLower(op);
        if (lower.find("null") != std::string::npos || lower.find("empty") != std::string::npos ||
            lower.find("like") != std::string::npos) {
          continue;
        }
        KITH_RETURN_IF_ERROR(check_all(operand));
      }
    } else {
      KITH_RETURN_IF_ERROR(check_all(value));
    }
  }
  return std::optional<Value>(std::move(out));
}

StatusOr<V3Rows> GenericRows(ActionContext& ctx, const std::string& entity, const V3Hooks& hooks,
                             const Value& params, const V3Options& options) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return Internal("no schema for " + entity);
  V3Rows out;
  Query q;
  q.entity = entity;
  KITH_ASSIGN_OR_RETURN(q.where, GenericWhere(ctx, *e, params, &out.undefined));
  std::vector<std::string> cols = AnswerColumns(*e, hooks, params);
  q.select = {"id"};
  for (const std::string& c : cols) {
    if (!hooks.virtual_columns.count(c)) q.select.push_back(c);
  }
  KITH_ASSIGN_OR_RETURN(q.order_by,
                        ParseSort(options.sort, [&](const std::string& key) -> std::optional<std::string> {
                          const schema::Field* f = FieldOrIdAlias(*e, key);
                          if (f == nullptr || f->internal) return std::nullopt;
                          return f->name;
                        }));
  if (q.order_by.empty()) q.order_by.push_back({"id", false});
  q.limit = options.limit;
  q.offset = options.offset;
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  for (const Value& row : rows) {
    std::string id = api::ValueAsText(row["id"]);
    Value r{{"id", id}};
    for (const std::string& c : cols) {
      auto virt = hooks.virtual_columns.find(c);
      const Value& v = virt != hooks.virtual_columns.end() ? virt->second : row[c];
      if (v.is_null()) continue;  // CiviCRM leaves NULL columns out of a get
      const schema::Field* f = e->FindField(c);
      if (f != nullptr && f->json && v.is_string()) {  // answered as the structure it holds
        r[c] = Value::parse(v.get<std::string>(), nullptr, /*allow_exceptions=*/false);
        continue;
      }
      r[c] = V3Text(v);
    }
    out.rows[id] = std::move(r);
  }
  return out;
}

StatusOr<int64_t> GenericCount(ActionContext& ctx, const std::string& entity, const Value& params) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return Internal("no schema for " + entity);
  Query q;
  q.entity = entity;
  q.select = {"id"};
  KITH_ASSIGN_OR_RETURN(q.where, GenericWhere(ctx, *e, params, nullptr));
  return ctx.txn.Count(q);
}

StatusOr<Value> CreateAnswerRow(ActionContext& ctx, const schema::Entity& e, const V3Hooks& hooks,
                                int64_t id, const Value& written, bool creating) {
  KITH_ASSIGN_OR_RETURN(Value record, api::LoadRecord(ctx.txn, e, id));
  std::vector<std::string> cols;
  if (!hooks.layout.empty()) {
    cols = hooks.layout;
  } else {
    for (const schema::Field& f : e.fields) cols.push_back(f.name);
  }
  Value row = Value::object();
  for (const std::string& c : cols) {
    if (c == "id") {
      row["id"] = std::to_string(id);
      continue;
    }
    if (hooks.virtual_columns.count(c)) {
      row[c] = "";
      continue;
    }
    const schema::Field* f = e.FindField(c);
    if (f == nullptr || f->internal) continue;
    bool shown = written.contains(c) ||
                 (creating ? hooks.create_echo : hooks.update_echo).count(c) > 0 ||
                 (!creating && hooks.update_whole_row);
    if ((creating ? hooks.create_hidden : hooks.update_hidden).count(c)) shown = false;
    row[c] = shown ? V3Text(record[c]) : Value("");
    if (shown && creating && hooks.create_digits.count(c) && record[c].is_string()) {
      row[c] = api::MysqlDateDigits(record[c].get<std::string>());
    }
  }
  return row;
}

StatusOr<Value> GenericCreate(ActionContext& ctx, const std::string& entity, const V3Hooks& hooks) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return Internal("no schema for " + entity);
  const Value& params = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, entity, params));
  Value input = Value::object();
  std::string alias = SnakeCase(entity) + "_id";
  for (const auto& [key, value] : params.items()) {
    if (IsMetaParam(key, value) || key == "id") continue;
    const schema::Field* f = e->FindField(key);
    if (f == nullptr && key == alias) continue;
    if (f == nullptr || f->internal) {
      return InvalidArgument("Unknown field: " + key,
                             Value{{"error_code", 2001}, {"error_field", key}});
    }
    if (f->readonly) continue;
    Value given = ResolveUserContact(ctx, f, value);
    KITH_ASSIGN_OR_RETURN(input[key], ResolvePseudoValue(ctx, *f, given));
  }
  KITH_ASSIGN_OR_RETURN(V3Options options, ParseOptions(params));
  if (!id && !options.match.empty()) {
    KITH_ASSIGN_OR_RETURN(id, MatchExisting(ctx, *e, input, options));
    if (id) KITH_RETURN_IF_ERROR(CheckPermissions(ctx, entity, "create", e->update_permissions));
  }
  if (!id) {
    for (const auto& [k, v] : hooks.create_defaults.items()) {
      if (!input.contains(k) || IsEmptyValue(input[k])) input[k] = v;
    }
    for (const schema::Field& f : e->fields) {
      if (f.fk_entity == "LocationType" && (!input.contains(f.name) || IsEmptyValue(input[f.name]))) {
        KITH_ASSIGN_OR_RETURN(input[f.name], DefaultLocationType(ctx.txn));
      }
    }
    std::vector<std::string> missing;
    for (const schema::Field& f : e->fields) {
      bool required = f.required || hooks.create_required.count(f.name) > 0;
      if (!required || f.readonly || f.internal || f.name == "id" || !f.default_value.is_null()) {
        continue;
      }
      if (!input.contains(f.name) || IsEmptyValue(input[f.name])) missing.push_back(f.name);
    }
    if (!missing.empty()) return MandatoryMissing(missing);
  }
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*e, input, /*ignore_unknown=*/false));
  Value written = Value::object();
  int64_t record_id;
  if (id) {
    record_id = *id;
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, entity, record_id, values, &written));
  } else {
    KITH_ASSIGN_OR_RETURN(record_id, api::CreateRecord(ctx, entity, values, &written));
  }
  KITH_ASSIGN_OR_RETURN(Value row, CreateAnswerRow(ctx, *e, hooks, record_id, written, !id));
  return V3Success(Value{{std::to_string(record_id), row}}, Truthy(params.value("sequential", Value())));
}

StatusOr<Value> GenericDelete(ActionContext& ctx, const std::string& entity, const V3Hooks& hooks) {
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return Internal("no schema for " + entity);
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, entity, ctx.params));
  if (!id) return MandatoryMissing({"id"});
  auto existing = api::LoadRecord(ctx.txn, *e, *id);
  if (!existing.ok()) {
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return InvalidArgument(hooks.delete_missing + std::to_string(*id));
  }
  KITH_RETURN_IF_ERROR(ctx.txn.Delete(entity, *id));
  bool location = e->FindField("is_primary") != nullptr && e->FindField("contact_id") != nullptr;
  const Value& primary = existing->value("is_primary", Value());
  if (location && (primary == 1 || primary == true)) {
    KITH_RETURN_IF_ERROR(PromotePrimary(ctx, entity, existing->value("contact_id", Value())));
  }
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", hooks.delete_result}};
}

StatusOr<Value> RunV3(ActionContext& ctx, const std::string& entity, const std::string& action,
                      Value params) {
  std::string canonical = api::CanonicalEntityName(entity);
  std::string act = AsciiLower(action);
  const api::ActionSpec* spec = ctx.dispatcher.registry().Find(3, canonical, act);
  if (spec == nullptr || spec->entity != canonical) {
    return NotFound("API (" + canonical + ", " + act +
                        ") does not exist (join the API team and implement it!)",
                    Value{{"error_code", "not-found"}});
  }
  api::ApiCall call{canonical, act, std::move(params), 3};
  return ctx.dispatcher.RunIn(ctx.txn, call, ctx.caller);
}

}  // namespace kith::entities::v3
