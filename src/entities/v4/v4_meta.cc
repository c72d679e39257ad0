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

// CiviCRM's readonly; on create, a field kith's create writes is not
// (contact_type: set once, on create).
bool Readonly(const schema::Field& f, const std::string& action) {
  if (action == "create" && f.civi.readonly == true) return f.readonly;
  return f.civi.readonly.value_or(f.readonly);
}

// On create, what kith's create requires of the caller; on the other
// actions, CiviCRM's schema requirement (a NOT NULL column with nothing to
// fill it in).
bool Required(const schema::Field& f, const std::string& action) {
  if (action == "create") {
    return f.required && f.default_value.is_null() && !f.readonly && f.fallback.empty();
  }
  if (f.civi.required) return *f.civi.required;
  return schema::CiviNotNull(f) && f.name != "id" && f.default_value.is_null() && f.fallback.empty() && !f.readonly;
}

// CiviCRM's input_type: DisplayOnly for what a create may not write; else
// the widget the field declares; else its kind's, and none (null) for a
// field kith computes.
std::string InputType(const schema::Field& f, const std::string& action, bool options) {
  bool id = f.name == "id";
  if ((id || Readonly(f, action)) && action == "create") return "DisplayOnly";
  if (f.civi.input_type) return *f.civi.input_type;
  if (id) return "Number";
  if (f.readonly) return "";
  if (f.serialized || options) return "Select";
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

// CiviCRM's input_type of a custom field: its html_type, in APIv4's words.
std::string CustomInputType(const std::string& html_type) {
  static const std::map<std::string, std::string, std::less<>> kWords = {
      {"Select Date", "Date"},          {"Autocomplete-Select", "EntityRef"},
      {"Multi-Select", "Select"},       {"Link", "Url"},
      {"Select Country", "Select"},     {"Select State/Province", "Select"},
      {"Multi-Select Country", "Select"}, {"Multi-Select State/Province", "Select"}};
  auto it = kWords.find(html_type);
  return it == kWords.end() ? html_type : it->second;
}

// CiviCRM's metadata lists a column's default; the default of a field with
// an option list (greetings, communication style, language) is the list's
// default option, which its write rules apply, as kith's do: none listed.
bool HasColumnDefault(const schema::Field& f) {
  return !f.default_value.is_null() && f.option_group.empty();
}

std::string Title(const std::string& camel);

bool HasOptions(const ActionContext& ctx, const schema::Field& f) {
  if (f.civi.has_options) return *f.civi.has_options;
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
      Value id = value;
      if (f.type == schema::FieldType::kInt || f.type == schema::FieldType::kBool) id = ParseInt64(value).value_or(0);
      rows.push_back(Value{{"id", id}, {"label", label}, {"name", value}});
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
    // {id: label}, as PHP's JSON shows an array: a list when the ids are
    // 0, 1, 2, ... in order (Email.on_hold), [] when empty.
    bool sequential = true;
    for (size_t i = 0; i < rows.size(); ++i) sequential = sequential && Text(rows[i]["id"]) == std::to_string(i);
    Value map = sequential ? Value::array() : Value::object();
    for (const Value& r : rows) {
      if (sequential) {
        map.push_back(r["label"]);
      } else {
        map[Text(r["id"])] = r["label"];
      }
    }
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

// The description of a column kith answers without keeping it
// (Entity::meta_fields), or nullptr.
const schema::Field* MetaField(const schema::Entity& entity, const std::string& name) {
  for (const schema::Field& f : entity.meta_fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// "email_primary" -> "Primary Email", as CiviCRM titles its location links.
std::string JoinTitle(const std::string& join) {
  size_t cut = join.rfind('_');
  auto word = [](std::string w) {
    if (!w.empty()) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    return w;
  };
  if (cut == std::string::npos) return word(join);
  return word(join.substr(cut + 1)) + " " + word(join.substr(0, cut));
}

// One getFields row, its keys in CiviCRM's order (its FieldSpec's
// properties: the spec's own, then name/title/description, data type and
// link, options, the form widget, the column).
StatusOr<Value> FieldRow(ActionContext& ctx, const schema::Entity& entity, const schema::Field& f,
                         const std::string& name, const std::string& type_override,
                         const std::string& action, bool custom) {
  bool options = HasOptions(ctx, f);
  Value row = Value::object();
  row["default_value"] = HasColumnDefault(f) ? TypedColumn(f, f.default_value, type_override) : Value();
  row["type"] = custom ? "Custom" : f.civi.kind;
  row["entity"] = entity.name;
  row["required"] = Required(f, action);
  row["nullable"] = !schema::CiviNotNull(f);
  row["required_if"] = nullptr;
  row["permission"] = nullptr;
  row["readonly"] = Readonly(f, action);
  row["deprecated"] = false;
  row["name"] = name;
  row["title"] = f.title;  // ids too: the schema titles them after their entity ("Group ID")
  row["description"] = nullptr;
  row["data_type"] = !type_override.empty()     ? type_override
                     : !f.civi.data_type.empty() ? f.civi.data_type
                                                 : std::string(schema::FieldTypeName(f.type));
  row["serialize"] = f.serialized ? Value(1) : Value();
  const std::string& fk = schema::CiviFkEntity(f);
  row["fk_entity"] = fk.empty() ? Value() : Value(fk);
  row["options"] = options;  // the list itself: GetFieldsAction, after the where
  row["label"] = f.title;
  std::string input_type = InputType(f, action, options);
  row["input_type"] = input_type.empty() ? Value() : Value(input_type);
  row["help_pre"] = nullptr;
  row["help_post"] = nullptr;
  row["column_name"] = f.civi.kind == "Field" ? Value(f.name) : Value();
  row["operators"] = nullptr;
  return row;
}

// Keeps the asked keys of `row`, in the row's order (every key when
// `select` is empty).
Value SelectKeys(const Value& row, const Value& select) {
  if (!select.is_array() || select.empty()) return row;
  Value out = Value::object();
  for (const auto& [k, v] : row.items()) {
    for (const Value& s : select) {
      if (s == k) out[k] = v;
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
  auto add = [&](const schema::Field& f, const std::string& field_name,
                 const std::string& type_override, bool custom) -> StatusOr<Value*> {
    KITH_ASSIGN_OR_RETURN(Value row, FieldRow(ctx, entity, f, field_name, type_override, action, custom));
    keep_field(row, f);
    rows.push_back(std::move(row));
    return &rows.back();
  };
  for (const std::string& col : RowColumns(entity, hooks)) {
    const schema::Field* f = entity.FindField(col);
    if (f == nullptr) f = MetaField(entity, col);  // a column kith answers without keeping it
    if (f == nullptr || !f->civi.listed) continue;
    auto t = hooks.column_types.find(col);
    KITH_RETURN_IF_ERROR(add(*f, col, t == hooks.column_types.end() ? "" : t->second, false).status());
  }
  if (ctx.params.value("includeCustom", Value(true)) != false) {
    for (const schema::CustomFieldInfo* cf : ctx.catalog.CustomFieldsOf(name)) {
      const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(cf->group_id);
      const schema::Entity* values = ctx.catalog.Find(cf->entity);
      const schema::Field* f = values ? values->FindField(cf->column) : nullptr;
      if (g == nullptr || g->is_multiple || f == nullptr) continue;
      schema::Field shown = *f;
      shown.title = cf->label;
      shown.civi.input_type = CustomInputType(cf->html_type);
      shown.civi.not_null = false;
      shown.civi.required = cf->is_required;
      KITH_ASSIGN_OR_RETURN(Value * row, add(shown, g->name + "." + cf->name, "", true));
      (*row)["custom_field_id"] = cf->id;
      (*row)["custom_group_id"] = g->id;
    }
  }
  // CiviCRM's "Extra" fields: the one-to-one links (Contact.email_primary),
  // then the filters and computed fields of a get.
  for (const schema::ReverseJoin& j : entity.joins) {
    if (j.entity.rfind("Custom_", 0) == 0) continue;  // a custom group's: its fields are listed
    schema::Field link;
    link.name = j.name;
    link.type = schema::FieldType::kInt;
    link.title = JoinTitle(j.name);
    link.fk_entity = j.entity;
    link.civi.kind = "Extra";
    link.civi.input_type = "";
    link.civi.has_options = false;
    KITH_RETURN_IF_ERROR(add(link, j.name, "", false).status());
  }
  for (const schema::Field& f : entity.meta_fields) {
    if (f.civi.kind == "Field" || (f.civi.kind == "Filter" && action != "get")) continue;
    KITH_RETURN_IF_ERROR(add(f, f.name, "", false).status());
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
  for (const Value& row : kept) out.push_back(SelectKeys(row, select));
  return Value{{"values", out}};
}

StatusOr<Value> GetActionsAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"select", "where", "orderBy", "limit", "offset"}));
  Value select = ctx.params.value("select", Value::array());
  bool with_params = !select.is_array() || select.empty() ||
                     std::find(select.begin(), select.end(), Value("params")) != select.end();
  Value rows = Value::array();
  for (const api::ActionSpec* spec : ctx.dispatcher.registry().ActionsOf(4, name)) {
    Value perms = Value::array();
    for (const std::string& p : spec->permissions) perms.push_back(p);
    Value row{{"name", spec->action}, {"entity", spec->entity}, {"description", spec->description}};
    if (with_params) {
      KITH_ASSIGN_OR_RETURN(row["params"], ActionParams(ctx, name, spec->action, Plural(Title(name))));
    }
    row["permissions"] = std::move(perms);
    rows.push_back(std::move(row));
  }
  KITH_ASSIGN_OR_RETURN(Value kept, FilterRows(rows, ctx.params));
  Value out = Value::array();
  for (const Value& row : kept) out.push_back(SelectKeys(row, select));
  return Value{{"values", out}};
}

StatusOr<Value> CheckAccessAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"action", "values"}));
  Value action = ctx.params.value("action", Value());
  if (!action.is_string() || action.get<std::string>().empty()) {
    return InvalidArgument("Parameter \"action\" is required.", {{"error_field", "action"}});
  }
  if (ctx.params.contains("values") && !ctx.params["values"].is_object() &&
      !(ctx.params["values"].is_array() && ctx.params["values"].empty())) {
    return WrongParamType("values", "array");
  }
  const api::ActionSpec* spec = ctx.dispatcher.registry().Find(4, name, action.get<std::string>());
  if (spec == nullptr) {
    return NotFound("Api " + name + " " + action.get<std::string>() + " version 4 does not exist.");
  }
  // kith grants by permission alone (no record ACLs): the action's permissions decide.
  bool access = std::all_of(spec->permissions.begin(), spec->permissions.end(),
                            [&](const std::string& p) { return ctx.caller.Has(p); });
  return Value{{"values", Value::array({Value{{"access", access}}})}};
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
  Value out = Value::array();
  for (const Value& row : kept) out.push_back(SelectKeys(row, select));
  return Value{{"values", out}};
}

}  // namespace kith::entities::v4
