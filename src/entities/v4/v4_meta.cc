// APIv4 meta actions: getFields (with options), getActions and Entity.get,
// answered from the schema and the action registry, filtered in memory with
// the same where/select/orderBy/limit/offset a get takes.
#include <algorithm>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

// --- in-memory where --------------------------------------------------------

bool LikeMatch(std::string_view text, std::string_view pattern) {
  // '%' any run, '_' one character; case-insensitive, as MySQL's default.
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || eq(pattern[p], text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

std::string Text(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  return v.dump();
}

bool Loose(const Value& a, const Value& b) {
  if (a.is_boolean() || b.is_boolean()) return Text(a) == Text(b) || (a == b);
  return Text(a) == Text(b);
}

StatusOr<bool> Matches(const Value& row, const Value& clause);

StatusOr<bool> MatchesAll(const Value& row, const Value& clauses, bool any) {
  if (!clauses.is_array()) return WrongParamType("where", "array");
  for (const Value& c : clauses) {
    KITH_ASSIGN_OR_RETURN(bool m, Matches(row, c));
    if (any && m) return true;
    if (!any && !m) return false;
  }
  return !any || clauses.empty();
}

StatusOr<bool> Matches(const Value& row, const Value& c) {
  if (!c.is_array() || c.size() < 2 || !c[0].is_string()) {
    return InvalidArgument("Invalid where clause: " + c.dump());
  }
  std::string head = c[0].get<std::string>();
  if ((head == "AND" || head == "OR" || head == "NOT") && c[1].is_array()) {
    KITH_ASSIGN_OR_RETURN(bool m, MatchesAll(row, c[1], head == "OR"));
    return head == "NOT" ? !m : m;
  }
  if (!c[1].is_string()) return InvalidArgument("Invalid where clause: " + c.dump());
  std::string op = c[1].get<std::string>();
  const Value field = row.value(head, Value());
  const Value operand = c.size() > 2 ? c[2] : Value();
  auto in = [&](const Value& list) {
    if (!list.is_array()) return Loose(field, list);
    for (const Value& x : list) {
      if (Loose(field, x)) return true;
    }
    return false;
  };
  if (op == "=") return Loose(field, operand);
  if (op == "!=" || op == "<>") return !Loose(field, operand);
  if (op == "IN") return in(operand);
  if (op == "NOT IN") return !in(operand);
  if (op == "LIKE") return LikeMatch(Text(field), Text(operand));
  if (op == "NOT LIKE") return !LikeMatch(Text(field), Text(operand));
  if (op == "IS NULL") return field.is_null();
  if (op == "IS NOT NULL") return !field.is_null();
  if (op == "IS EMPTY") return field.is_null() || Text(field).empty() || field == false;
  if (op == "IS NOT EMPTY") return !(field.is_null() || Text(field).empty() || field == false);
  if (op == "CONTAINS" || op == "NOT CONTAINS") {
    bool has = field.is_array() ? std::any_of(field.begin(), field.end(),
                                              [&](const Value& x) { return Loose(x, operand); })
                                : Text(field).find(Text(operand)) != std::string::npos;
    return op == "CONTAINS" ? has : !has;
  }
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    bool numeric = field.is_number() && operand.is_number();
    double l = numeric ? field.get<double>() : 0, r = numeric ? operand.get<double>() : 0;
    int cmp = numeric ? (l < r ? -1 : l > r ? 1 : 0) : Text(field).compare(Text(operand));
    if (op == "<") return cmp < 0;
    if (op == ">") return cmp > 0;
    if (op == "<=") return cmp <= 0;
    return cmp >= 0;
  }
  return IllegalOperator(op);
}

// --- getFields --------------------------------------------------------------

// The order of the keys of a getFields row (CiviCRM's answers list
// default_value and required before name).
const std::vector<std::string>& FieldKeys() {
  static const std::vector<std::string> keys = {
      "default_value", "required", "name", "title", "description", "type", "data_type",
      "input_type", "options", "serialize", "fk_entity", "readonly", "nullable", "label",
      "entity", "custom_field_id", "custom_group_id"};
  return keys;
}

// CiviCRM's input_type: the type the field declares; else, on the fields
// of a write action, DisplayOnly for what may not be written; else its
// kind's, and none (null, "") for a computed field.
std::string InputType(const schema::Field& f, const std::string& action) {
  if (!f.input_type.empty()) return f.input_type;
  bool id = f.name == "id";
  if ((id || f.readonly) && action != "get") return "DisplayOnly";
  if (id) return "Number";
  if (f.readonly) return "";
  if (f.serialized || !f.option_group.empty() || !f.choices.empty()) return "Select";
  if (!f.fk_entity.empty()) return "EntityRef";
  switch (f.type) {
    case schema::FieldType::kBool: return "CheckBox";
    case schema::FieldType::kText: return "TextArea";
    case schema::FieldType::kDate:
    case schema::FieldType::kDateTime: return "Date";
    case schema::FieldType::kInt:
    case schema::FieldType::kFloat:
    case schema::FieldType::kMoney: return "Number";
    default: return "Text";
  }
}

// CiviCRM's metadata lists a column's default; the default of a field with
// an option list (greetings, communication style, language) is the list's
// default option, which its write rules apply, as kith's do: none listed.
bool HasColumnDefault(const schema::Field& f) {
  return !f.default_value.is_null() && f.option_group.empty();
}

// CiviCRM's nullable is its column's: ids and (core) flags are NOT NULL.
bool Nullable(const schema::Field& f) {
  if (f.name == "id") return false;
  if (f.type == schema::FieldType::kBool && !f.nullable) return false;
  return !f.required;
}

std::string Title(const std::string& camel);

bool HasOptions(const ActionContext& ctx, const schema::Field& f) {
  if (!f.option_group.empty() || !f.choices.empty()) return true;
  const schema::Entity* target = f.fk_entity.empty() ? nullptr : ctx.catalog.Find(f.fk_entity);
  // Reference rows with names (location types, countries, relationship
  // types) are pseudoconstants; links to records (contacts) are not.
  return target != nullptr && target->SuffixColumn("name") != nullptr && target->name != "Contact";
}

// The options of `f`: {value: label}, or a list of {id, label, name, ...}
// restricted to `props` when it is a list.
StatusOr<Value> LoadOptions(ActionContext& ctx, const schema::Field& f, const Value& props) {
  std::vector<Value> rows;  // {id, name, label, abbr?}
  if (!f.choices.empty()) {
    for (const auto& [value, label] : f.choices) {
      rows.push_back(Value{{"id", value}, {"label", label}, {"name", value}});
    }
  } else if (!f.option_group.empty() &&
      (f.fk_entity.empty() || ctx.catalog.Find(f.fk_entity) == nullptr)) {
    Query q;
    q.entity = "OptionValue";
    q.select = {"value", "name", "label", "weight"};
    q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, f.option_group),
                              Condition::Leaf("is_active", Op::kEq, 1)});
    q.order_by = {{"weight", false}, {"id", false}};
    KITH_ASSIGN_OR_RETURN(auto options, ctx.txn.Select(q));
    for (const Value& o : options) {
      Value id = o[f.option_key];
      if (f.type == schema::FieldType::kInt && id.is_string()) {
        if (auto n = ParseInt64(id.get<std::string>())) id = *n;
      }
      rows.push_back(Value{{"id", id}, {"label", o["label"]}, {"name", o["name"]}});
    }
  } else if (const schema::Entity* target = ctx.catalog.Find(f.fk_entity);
             target != nullptr && target->SuffixColumn("name") != nullptr) {
    const char* name = target->SuffixColumn("name");
    const char* label = target->SuffixColumn("label");
    const char* abbr = target->SuffixColumn("abbr");
    Query q;
    q.entity = target->name;
    q.select = {"id", name, label};
    if (abbr != nullptr) q.select.push_back(abbr);
    if (target->FindField("is_active") != nullptr) q.where = Condition::Leaf("is_active", Op::kEq, 1);
    q.order_by = {{label, false}};
    KITH_ASSIGN_OR_RETURN(auto options, ctx.txn.Select(q));
    for (const Value& o : options) {
      Value row{{"id", o["id"]}, {"label", o[label]}, {"name", o[name]}};
      if (abbr != nullptr) row["abbr"] = o[abbr];
      rows.push_back(std::move(row));
    }
  }
  if (!props.is_array()) {
    Value map = Value::object();
    for (const Value& r : rows) map[Text(r["id"])] = r["label"];
    return map;
  }
  Value list = Value::array();
  for (const Value& r : rows) {
    Value out = Value::object();
    for (const auto& [k, v] : r.items()) {
      for (const Value& p : props) {
        if (p == k) out[k] = v;
      }
    }
    list.push_back(std::move(out));
  }
  return list;
}

StatusOr<Value> FieldRow(ActionContext& ctx, const schema::Entity& entity, const schema::Field& f,
                         const std::string& name, const std::string& type_override,
                         const std::string& action, bool custom) {
  Value row = Value::object();
  row["default_value"] = HasColumnDefault(f) ? TypedColumn(f, f.default_value, type_override) : Value();
  row["required"] = action == "create" && f.required && f.default_value.is_null() && !f.readonly &&
                    f.fallback.empty();
  row["name"] = name;
  row["title"] = f.title;  // ids too: the schema titles them after their entity ("Group ID")
  row["description"] = nullptr;
  row["type"] = custom ? "Custom" : "Field";
  row["data_type"] = type_override.empty() ? std::string(schema::FieldTypeName(f.type)) : type_override;
  std::string input_type = InputType(f, action);
  row["input_type"] = input_type.empty() ? Value() : Value(input_type);
  row["options"] = HasOptions(ctx, f);  // the list itself: GetFieldsAction, after the where
  row["serialize"] = f.serialized ? 1 : 0;
  row["fk_entity"] = f.fk_entity.empty() ? Value() : Value(f.fk_entity);
  row["readonly"] = f.readonly;
  row["nullable"] = Nullable(f);
  row["label"] = f.title;
  row["entity"] = entity.name;
  return row;
}

// Keeps the asked keys of `row` in FieldKeys() order (every key when
// `select` is empty).
Value SelectKeys(const Value& row, const Value& select, const std::vector<std::string>& order) {
  if (!select.is_array() || select.empty()) return row;
  Value out = Value::object();
  for (const std::string& k : order) {
    if (!row.contains(k)) continue;
    for (const Value& s : select) {
      if (s == k) out[k] = row[k];
    }
  }
  for (const Value& s : select) {
    if (s.is_string() && row.contains(s.get<std::string>()) && !out.contains(s.get<std::string>())) {
      out[s.get<std::string>()] = row[s.get<std::string>()];
    }
  }
  return out;
}

std::string Title(const std::string& camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    if (i > 0 && camel[i] >= 'A' && camel[i] <= 'Z') out += ' ';
    out += camel[i];
  }
  return out;
}

std::string Plural(const std::string& title) {
  if (title.empty()) return title;
  if (title.back() == 's') return title + "es";
  if (title.back() == 'y') return title.substr(0, title.size() - 1) + "ies";
  return title + "s";
}

}  // namespace

StatusOr<Value> FilterRows(const Value& rows, const Value& params) {
  Value where = params.value("where", Value::array());
  std::vector<Value> kept;
  for (const Value& row : rows) {
    KITH_ASSIGN_OR_RETURN(bool m, MatchesAll(row, where, false));
    if (m) kept.push_back(row);
  }
  if (params.contains("orderBy") && params["orderBy"].is_object()) {
    std::vector<std::pair<std::string, bool>> order;
    for (const auto& [k, d] : params["orderBy"].items()) {
      order.emplace_back(k, d.is_string() && AsciiLower(d.get<std::string>()) == "desc");
    }
    std::stable_sort(kept.begin(), kept.end(), [&](const Value& a, const Value& b) {
      for (const auto& [k, desc] : order) {
        std::string x = Text(a.value(k, Value())), y = Text(b.value(k, Value()));
        if (x != y) return desc ? x > y : x < y;
      }
      return false;
    });
  }
  Value offset_given = params.value("offset", Value(0));
  Value limit_given = params.value("limit", Value(0));
  int64_t offset = offset_given.is_number_integer() ? offset_given.get<int64_t>() : 0;
  int64_t limit = limit_given.is_number_integer() ? limit_given.get<int64_t>() : 0;
  Value out = Value::array();
  for (size_t i = 0; i < kept.size(); ++i) {
    if (static_cast<int64_t>(i) < offset) continue;
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    out.push_back(kept[i]);
  }
  return out;
}

StatusOr<Value> GetFieldsAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"select", "where", "orderBy", "limit", "offset",
                                                "action", "loadOptions", "values",
                                                "includeCustom"}));
  const schema::Entity& entity = *ctx.catalog.Find(name);
  const V4Hooks& hooks = HooksOf(name);
  std::string action = ctx.params.value("action", Value("get")).is_string()
                           ? ctx.params.value("action", Value("get")).get<std::string>()
                           : "get";
  Value load = ctx.params.value("loadOptions", Value(false));
  // Options are loaded after the where has picked the rows (a state list is
  // thousands of rows): the rows are built without them, and the fields
  // with options kept by name.
  std::map<std::string, schema::Field> with_options;
  auto keep_field = [&](const Value& row, const schema::Field& f) {
    if (row["options"] == true) with_options.emplace(row["name"].get<std::string>(), f);
  };
  Value rows = Value::array();
  for (const std::string& col : RowColumns(entity, hooks)) {
    const schema::Field* f = entity.FindField(col);
    if (f == nullptr) {
      auto virt = hooks.virtual_columns.find(col);
      if (virt == hooks.virtual_columns.end()) continue;
      schema::Field v;
      v.name = col;
      v.title = Title(col);
      v.readonly = true;
      KITH_ASSIGN_OR_RETURN(Value row, FieldRow(ctx, entity, v, col, "", action, false));
      rows.push_back(std::move(row));
      continue;
    }
    auto t = hooks.column_types.find(col);
    KITH_ASSIGN_OR_RETURN(Value row, FieldRow(ctx, entity, *f, col,
                                              t == hooks.column_types.end() ? "" : t->second,
                                              action, false));
    keep_field(row, *f);
    rows.push_back(std::move(row));
  }
  if (ctx.params.value("includeCustom", Value(true)) != false) {
    for (const schema::CustomFieldInfo* cf : ctx.catalog.CustomFieldsOf(name)) {
      const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(cf->group_id);
      const schema::Entity* values = ctx.catalog.Find(cf->entity);
      const schema::Field* f = values ? values->FindField(cf->column) : nullptr;
      if (g == nullptr || g->is_multiple || f == nullptr) continue;
      schema::Field shown = *f;
      shown.title = cf->label;
      KITH_ASSIGN_OR_RETURN(Value row, FieldRow(ctx, entity, shown, g->name + "." + cf->name, "",
                                                action, true));
      keep_field(row, shown);
      row["custom_field_id"] = cf->id;
      row["custom_group_id"] = g->id;
      rows.push_back(std::move(row));
    }
  }
  KITH_ASSIGN_OR_RETURN(Value kept, FilterRows(rows, ctx.params));
  if (load.is_array() || (load.is_boolean() && load.get<bool>())) {
    for (Value& row : kept) {
      auto f = row["options"] == true ? with_options.find(row["name"].get<std::string>()) : with_options.end();
      if (f == with_options.end()) continue;
      KITH_ASSIGN_OR_RETURN(row["options"], LoadOptions(ctx, f->second, load));
    }
  }
  Value select = ctx.params.value("select", Value::array());
  Value out = Value::array();
  for (const Value& row : kept) out.push_back(SelectKeys(row, select, FieldKeys()));
  return Value{{"values", out}};
}

StatusOr<Value> GetActionsAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"select", "where", "orderBy", "limit", "offset"}));
  Value rows = Value::array();
  for (const api::ActionSpec* spec : ctx.dispatcher.registry().ActionsOf(4, name)) {
    Value perms = Value::array();
    for (const std::string& p : spec->permissions) perms.push_back(p);
    rows.push_back(Value{{"name", spec->action}, {"entity", spec->entity},
                         {"description", spec->description}, {"permissions", perms}});
  }
  KITH_ASSIGN_OR_RETURN(Value kept, FilterRows(rows, ctx.params));
  Value select = ctx.params.value("select", Value::array());
  static const std::vector<std::string> kKeys = {"name", "entity", "description", "permissions"};
  Value out = Value::array();
  for (const Value& row : kept) out.push_back(SelectKeys(row, select, kKeys));
  return Value{{"values", out}};
}

StatusOr<Value> EntityGetAction(ActionContext& ctx) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"select", "where", "orderBy", "limit", "offset",
                                                "includeOthers"}));
  Value rows = Value::array();
  for (const std::string& name : ctx.dispatcher.registry().Entities(4)) {
    if (name == "Entity") continue;
    const schema::Entity* e = ctx.catalog.Find(name);
    std::string title = Title(name);
    rows.push_back(Value{{"name", name},
                         {"title", title},
                         {"title_plural", Plural(title)},
                         {"type", Value::array({"DAOEntity"})},
                         {"table_name", e ? Value(e->table) : Value()},
                         {"primary_key", Value::array({"id"})},
                         {"description", nullptr}});
  }
  KITH_ASSIGN_OR_RETURN(Value kept, FilterRows(rows, ctx.params));
  Value select = ctx.params.value("select", Value::array());
  static const std::vector<std::string> kKeys = {"name", "title", "title_plural", "type",
                                                 "table_name", "primary_key", "description"};
  Value out = Value::array();
  for (const Value& row : kept) out.push_back(SelectKeys(row, select, kKeys));
  return Value{{"values", out}};
}

}  // namespace kith::entities::v4
