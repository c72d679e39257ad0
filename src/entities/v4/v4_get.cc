// APIv4 get: select (with *, row_count, implicit and explicit joins, custom
// fields, suffixes and aggregates), where (every operator of C.3.4, nested
// AND/OR/NOT), orderBy, limit, offset, groupBy — turned into one store Query.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <deque>
#include <memory_resource>
#include <string_view>
#include <unordered_map>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/records.h"
#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"
#include "store/sql_expr.h"

namespace kith::entities::v4 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

struct SelectItem {
  std::string key;   // in the answer
  std::string path;  // in the query ("" for a virtual column)
  std::shared_ptr<const FieldRef> ref;  // shared: cached `select *` items are copied per call
  std::string type_override;
  bool integer_override = false;  // type_override is "Integer": answered as stored
  std::string only_for_kind;  // V4Hooks::kind_columns: "" for every kind of row
  Value virtual_value;
  bool is_virtual = false;
  bool aggregate = false;
  // False when V4Hooks::column_permissions cannot name the item (worked out
  // once for the cached `select *` items).
  bool guarded = true;
  // An expression's value: typed as this field; a GROUP_CONCAT without a
  // separator answers a list of such values.
  std::shared_ptr<const schema::Field> result_field;
  bool split_list = false;
};

// What a get answers with: items in answer order, each either made for this
// call (owned) or one of the `select *` items shared by every call on the
// catalog (kept alive by `shared`), so that a wildcard copies no items.
struct Selection {
  Selection() = default;
  Selection(Selection&&) = default;
  Selection& operator=(Selection&&) = default;
  Selection(const Selection&) = delete;  // `items` point into `owned`

  std::vector<const SelectItem*> items;
  std::deque<SelectItem> owned;  // a deque: its elements stay where they are
  std::shared_ptr<const std::vector<SelectItem>> shared;
  bool wildcard = false;
  bool row_count = false;
  bool rows = true;  // false when only row_count was asked
  std::vector<std::string> related;  // V4Hooks::related_columns asked for, in order
};

Status Unreachable(const std::string& key) {
  return PermissionDenied("Insufficient permission to use field '" + key + "'",
                          {{"error_code", "unauthorized"}, {"error_field", key}});
}

bool CallerMaySee(const ActionContext& ctx, const V4Hooks& hooks, const std::string& column) {
  auto it = hooks.column_permissions.find(column);
  if (it == hooks.column_permissions.end()) return true;
  for (const std::string& p : it->second) {
    if (ctx.caller.Has(p)) return true;
  }
  return false;
}

std::string TypeOverride(const V4Hooks& hooks, const FieldRef& ref) {
  if (!ref.top_level || !ref.suffix.empty()) return "";
  auto it = hooks.column_types.find(ref.field->name);
  return it == hooks.column_types.end() ? "" : it->second;
}

void AddItem(Selection& sel, SelectItem item) {
  for (const SelectItem* known : sel.items) {
    if (known->key == item.key) return;
  }
  sel.owned.push_back(std::move(item));
  sel.items.push_back(&sel.owned.back());
}

// The item selecting `column`, before the caller's permissions are applied;
// std::nullopt when it names nothing.
std::optional<SelectItem> ColumnItem(const schema::Catalog& catalog, const schema::Entity& entity,
                                     const V4Hooks& hooks, const JoinAliases& aliases,
                                     const std::string& column) {
  SelectItem item;
  item.key = column;
  if (auto kind = hooks.kind_columns.find(column); kind != hooks.kind_columns.end()) {
    item.only_for_kind = kind->second;
  }
  auto virt = hooks.virtual_columns.find(column);
  if (virt != hooks.virtual_columns.end()) {
    item.is_virtual = true;
    item.virtual_value = virt->second;
    return item;
  }
  std::optional<FieldRef> ref = ResolveField(catalog, entity, aliases, column);
  if (!ref) return std::nullopt;
  item.path = ref->path;
  item.type_override = TypeOverride(hooks, *ref);
  item.integer_override = item.type_override == "Integer";
  item.ref = std::make_shared<const FieldRef>(std::move(*ref));
  return item;
}

// CiviCRM leaves out, without an error, what the caller cannot select.
bool CallerMaySelect(ActionContext& ctx, const V4Hooks& hooks, const SelectItem& item) {
  return (!item.guarded || CallerMaySee(ctx, hooks, item.key)) && (!item.ref || MayReach(ctx, *item.ref));
}

void AddColumn(ActionContext& ctx, const schema::Entity& entity, const V4Hooks& hooks,
               const JoinAliases& aliases, Selection& sel, const std::string& column) {
  if (!CallerMaySee(ctx, hooks, column)) return;
  std::optional<SelectItem> item = ColumnItem(ctx.catalog, entity, hooks, aliases, column);
  if (item && CallerMaySelect(ctx, hooks, *item)) AddItem(sel, std::move(*item));
}

// The items of `select *` on `entity`: the same ~40 resolved columns on
// every get, so they are resolved once per catalog (a schema change brings a
// new catalog) and thread, and only the caller's permissions applied per call.
// Row columns are the entity's own, so explicit join aliases (which may not
// shadow them) do not change what they resolve to.
std::shared_ptr<const std::vector<SelectItem>> WildcardItems(ActionContext& ctx,
                                                             const schema::Entity& entity,
                                                             const V4Hooks& hooks) {
  struct Cache {
    std::weak_ptr<const schema::Catalog> catalog;
    std::map<std::string, std::shared_ptr<const std::vector<SelectItem>>, std::less<>> by_entity;
  };
  thread_local Cache cache;
  auto resolve = [&] {
    auto items = std::make_shared<std::vector<SelectItem>>();
    for (const std::string& c : RowColumns(entity, hooks)) {
      std::optional<SelectItem> item = ColumnItem(ctx.catalog, entity, hooks, JoinAliases(), c);
      if (!item) continue;
      item->guarded = hooks.column_permissions.count(item->key) > 0;
      items->push_back(std::move(*item));
    }
    return std::shared_ptr<const std::vector<SelectItem>>(std::move(items));
  };
  // The weak pointer tells a live catalog from a new one at a freed one's address.
  std::shared_ptr<const schema::Catalog> current = ctx.txn.catalog();
  if (current.get() != &ctx.catalog) {
    // The action runs on the catalog it started with and this transaction
    // has reloaded it since (a custom field created in a chain): no caching.
    return resolve();
  }
  if (cache.catalog.lock() != current) {
    cache.by_entity.clear();
    cache.catalog = current;
  }
  auto it = cache.by_entity.find(entity.name);
  if (it != cache.by_entity.end()) return it->second;
  return cache.by_entity.emplace(entity.name, resolve()).first->second;
}

// CiviCRM's munge of an alias: each run of spaces or other non-word
// characters becomes one "_".
std::string MungeAlias(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : TrimAscii(text)) {
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word) {
      if (!gap) out += '_';
      gap = true;
      continue;
    }
    out += c;
    gap = false;
  }
  return out;
}

// The field a value of `e` is typed as, after its field names are resolved
// to store paths in place (`names` collects them as written). `unknown`:
// a field that does not exist was named.
StatusOr<schema::Field> ResolveExpr(ActionContext& ctx, const schema::Entity& entity,
                                    const JoinAliases& aliases, store::SqlExpr& e,
                                    std::vector<std::string>& names, bool& unknown) {
  schema::Field typed;
  switch (e.kind) {
    case store::SqlExpr::Kind::kField: {
      std::optional<FieldRef> ref = ResolveField(ctx.catalog, entity, aliases, e.text);
      if (!ref) {
        unknown = true;
        return typed;
      }
      if (!MayReach(ctx, *ref)) return Unreachable(e.text);
      names.push_back(e.text);
      e.text = ref->path;
      typed = *ref->field;
      if (!ref->suffix.empty()) typed = schema::Field{};
      typed.serialized = false;
      typed.json = false;
      return typed;
    }
    case store::SqlExpr::Kind::kNumber:
      typed.type = e.text.find('.') == std::string::npos ? schema::FieldType::kInt
                                                         : schema::FieldType::kFloat;
      return typed;
    case store::SqlExpr::Kind::kFunction: break;
    default: return typed;
  }
  std::vector<schema::Field> arg_types;
  for (store::SqlExpr& a : e.args) {
    KITH_ASSIGN_OR_RETURN(schema::Field t, ResolveExpr(ctx, entity, aliases, a, names, unknown));
    arg_types.push_back(std::move(t));
  }
  for (store::SqlExpr& o : e.order_by) {
    KITH_RETURN_IF_ERROR(ResolveExpr(ctx, entity, aliases, o, names, unknown).status());
  }
  const store::SqlFunctionInfo* info = store::FindSqlFunction(e.text);
  switch (info->result) {
    case store::SqlResult::kFirstArg:
    case store::SqlResult::kList:
      return arg_types.empty() ? typed : arg_types[0];
    case store::SqlResult::kSecondArg:
      return arg_types.size() < 2 ? typed : arg_types[1];
    case store::SqlResult::kFixed:
      typed.type = info->type;
      return typed;
  }
  return typed;
}

// An APIv4 SQL expression ("COUNT(id)", "GROUP_CONCAT(DISTINCT x ORDER BY
// y SEPARATOR ', ')", "CONCAT(first_name, ' ', last_name)") or an aliased
// field ("first_name AS fn"), with an optional " AS alias": its field names
// resolved to store paths. std::nullopt for a plain field, or (`unknown`
// set) an expression naming a field that does not exist.
StatusOr<std::optional<SelectItem>> ParseExpression(ActionContext& ctx, const schema::Entity& entity,
                                                    const JoinAliases& aliases,
                                                    const std::string& expr, bool* unknown = nullptr) {
  std::string text(TrimAscii(expr));
  std::string alias;
  for (const char* as : {" AS ", " as "}) {
    size_t at = text.rfind(as);
    if (at != std::string::npos) {
      alias = MungeAlias(text.substr(at + 4));
      text = std::string(TrimAscii(text.substr(0, at)));
      break;
    }
  }
  if (text.find('(') == std::string::npos) {
    if (alias.empty()) return std::optional<SelectItem>();
    // A field under another name.
    std::optional<FieldRef> ref = ResolveField(ctx.catalog, entity, aliases, text);
    if (!ref) {
      if (unknown != nullptr) *unknown = true;
      return std::optional<SelectItem>();
    }
    if (!MayReach(ctx, *ref)) return Unreachable(text);
    SelectItem item;
    item.key = alias;
    item.path = ref->path;
    item.ref = std::make_shared<const FieldRef>(std::move(*ref));
    return std::optional<SelectItem>(std::move(item));
  }
  KITH_ASSIGN_OR_RETURN(store::SqlExpr e, store::ParseSqlExpr(text));
  if (!e.is_function()) return InvalidField(text);
  std::vector<std::string> names;
  bool missing = false;
  KITH_ASSIGN_OR_RETURN(schema::Field typed, ResolveExpr(ctx, entity, aliases, e, names, missing));
  if (missing) {
    if (unknown != nullptr) *unknown = true;
    return std::optional<SelectItem>();
  }
  if (!alias.empty() && alias != text && entity.FindField(alias) != nullptr) {
    return InvalidArgument("Cannot use existing field name as alias");
  }
  SelectItem item;
  item.aggregate = store::HasAggregate(e);
  // CiviCRM's GROUP_CONCAT answers a list unless a separator was given.
  if (e.text == "GROUP_CONCAT" && !e.separator) {
    e.separator = std::string(1, '\x01');
    item.split_list = true;
  }
  item.path = store::FormatSqlExpr(e);
  item.key = alias.empty() ? e.text + ":" + Join(names, "_") : alias;
  item.result_field = std::make_shared<const schema::Field>(std::move(typed));
  return std::optional<SelectItem>(std::move(item));
}

// The answer's value of an expression item: a list for a GROUP_CONCAT
// without separator (none for no rows), each value typed as its field.
Value ExpressionValue(const SelectItem& item, const Value& stored) {
  if (!item.split_list) return TypedColumn(*item.result_field, stored);
  Value list = Value::array();
  if (!stored.is_string()) return list;
  const std::string& text = stored.get_ref<const std::string&>();
  for (std::string_view part : Split(text, '\x01')) {
    list.push_back(TypedColumn(*item.result_field, Value(std::string(part))));
  }
  return list;
}

StatusOr<Selection> ParseSelect(ActionContext& ctx, const schema::Entity& entity,
                                const V4Hooks& hooks, const JoinAliases& aliases,
                                const Value& params, bool grouped) {
  Selection sel;
  Value select = params.value("select", Value::array());
  if (!select.is_array()) return InvalidArgument("select must be a list of fields");
  std::vector<std::string> asked;
  for (const Value& v : select) {
    if (!v.is_string()) return InvalidArgument("select must be a list of fields");
    asked.push_back(v.get<std::string>());
  }
  bool only_count = !asked.empty() && std::all_of(asked.begin(), asked.end(), [](const std::string& s) {
    return s == "row_count";
  });
  sel.row_count = std::find(asked.begin(), asked.end(), "row_count") != asked.end();
  if (only_count) {
    sel.rows = false;
    return sel;
  }
  bool explicit_fields = false;
  for (const std::string& a : asked) explicit_fields = explicit_fields || (a != "row_count");
  sel.wildcard = !explicit_fields || std::find(asked.begin(), asked.end(), "*") != asked.end();
  // CiviCRM selects the id unless the query aggregates.
  bool has_aggregate = false;
  for (const std::string& a : asked) {
    if (a.find('(') == std::string::npos) continue;
    std::string text = a.substr(0, a.rfind(" AS "));
    StatusOr<store::SqlExpr> e = store::ParseSqlExpr(TrimAscii(text));
    const store::SqlFunctionInfo* info = e.ok() && e->is_function() ? store::FindSqlFunction(e->text) : nullptr;
    has_aggregate = has_aggregate || (info != nullptr && info->aggregate);
  }
  if (!grouped && !has_aggregate && entity.FindField("id") != nullptr) {
    AddColumn(ctx, entity, hooks, aliases, sel, "id");
  }
  if (sel.wildcard) {
    // Only "id" can be there already: no search through the whole list.
    size_t before = sel.items.size();
    sel.shared = WildcardItems(ctx, entity, hooks);
    sel.items.reserve(before + sel.shared->size());
    for (const SelectItem& item : *sel.shared) {
      if (!CallerMaySelect(ctx, hooks, item)) continue;
      bool known = false;
      for (size_t i = 0; i < before && !known; ++i) known = sel.items[i]->key == item.key;
      if (!known) sel.items.push_back(&item);
    }
  }
  for (const std::string& a : asked) {
    if (a == "*" || a == "row_count") continue;
    // An expression naming a field that does not exist is left out, as
    // CiviCRM does.
    bool unknown = false;
    KITH_ASSIGN_OR_RETURN(std::optional<SelectItem> expr, ParseExpression(ctx, entity, aliases, a, &unknown));
    if (unknown) continue;
    if (expr) {
      AddItem(sel, std::move(*expr));
      continue;
    }
    if (a.size() > 2 && a.substr(a.size() - 2) == ".*") {
      std::string prefix = a.substr(0, a.size() - 2);
      if (prefix == "custom") {
        for (const schema::CustomFieldInfo* f : ctx.catalog.CustomFieldsOf(entity.name)) {
          const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(f->group_id);
          if (g != nullptr && !g->is_multiple) {
            AddColumn(ctx, entity, hooks, aliases, sel, g->name + "." + f->name);
          }
        }
        continue;
      }
      if (const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(prefix);
          g != nullptr && g->base_entity == entity.name && !g->is_multiple) {
        for (int64_t id : g->field_ids) {
          if (const schema::CustomFieldInfo* f = ctx.catalog.FindCustomField(id)) {
            AddColumn(ctx, entity, hooks, aliases, sel, g->name + "." + f->name);
          }
        }
        continue;
      }
      // "join.*": every column of a linked entity.
      std::optional<FieldRef> probe = ResolveField(ctx.catalog, entity, aliases, prefix + ".id");
      if (probe && probe->owner != nullptr && probe->custom == nullptr) {
        for (const schema::Field& f : probe->owner->fields) {
          if (!f.internal) AddColumn(ctx, entity, hooks, aliases, sel, prefix + "." + f.name);
        }
      }
      continue;
    }
    if (hooks.related_columns.count(a)) {
      if (CallerMaySee(ctx, hooks, a) &&
          std::find(sel.related.begin(), sel.related.end(), a) == sel.related.end()) {
        sel.related.push_back(a);
      }
      continue;
    }
    AddColumn(ctx, entity, hooks, aliases, sel, a);
  }
  return sel;
}

// Appends the related columns of `sel` to each row, read for all rows at once.
Status FillRelated(ActionContext& ctx, const V4Hooks& hooks, const Selection& sel,
                   std::vector<Value>& rows) {
  if (sel.related.empty() || rows.empty()) return Status();
  std::vector<int64_t> ids;
  for (const Value& row : rows) {
    if (row.contains("id") && row["id"].is_number_integer()) ids.push_back(row["id"].get<int64_t>());
  }
  for (const std::string& key : sel.related) {
    KITH_ASSIGN_OR_RETURN(auto values, hooks.related_columns.at(key).read(ctx, ids));
    for (Value& row : rows) {
      auto it = row.contains("id") && row["id"].is_number_integer()
                    ? values.find(row["id"].get<int64_t>())
                    : values.end();
      row[key] = it == values.end() ? Value() : std::move(it->second);
    }
  }
  return Status();
}

// --- where -----------------------------------------------------------------

// `any_of` tells CONTAINS ONE OF from CONTAINS (a list operand: any vs all).
std::optional<Op> ParseOp(const std::string& text, bool* any_of) {
  if (text == "=") {  // the usual one, without the upper-cased copy
    *any_of = false;
    return Op::kEq;
  }
  static const std::map<std::string, Op> kOps = {
      {"=", Op::kEq}, {"!=", Op::kNe}, {"<>", Op::kNe}, {"<", Op::kLt}, {">", Op::kGt},
      {"<=", Op::kLe}, {">=", Op::kGe}, {"LIKE", Op::kLike}, {"NOT LIKE", Op::kNotLike},
      {"IN", Op::kIn}, {"NOT IN", Op::kNotIn}, {"BETWEEN", Op::kBetween},
      {"NOT BETWEEN", Op::kNotBetween}, {"IS NULL", Op::kIsNull}, {"IS NOT NULL", Op::kIsNotNull},
      {"IS EMPTY", Op::kIsEmpty}, {"IS NOT EMPTY", Op::kIsNotEmpty}, {"CONTAINS", Op::kContains},
      {"NOT CONTAINS", Op::kNotContains}, {"CONTAINS ONE OF", Op::kContains},
      {"NOT CONTAINS ONE OF", Op::kNotContains}, {"REGEXP", Op::kRegexp},
      {"NOT REGEXP", Op::kNotRegexp}, {"REGEXP BINARY", Op::kRegexp},
      {"NOT REGEXP BINARY", Op::kNotRegexp}};
  std::string upper;
  for (char c : TrimAscii(text)) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto it = kOps.find(upper);
  if (it == kOps.end()) return std::nullopt;
  *any_of = upper.find("ONE OF") != std::string::npos;
  return it->second;
}

// A where operand in the stored form of its field where that is clear
// (integers, flags, "user_contact_id"); anything else is bound as given.
Value WhereValue(ActionContext& ctx, const schema::Entity& entity, const FieldRef& ref,
                 const Value& v) {
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v) out.push_back(WhereValue(ctx, entity, ref, x));
    return out;
  }
  if (!ref.suffix.empty() || v.is_null()) return v;
  const schema::Field& f = *ref.field;
  if (v.is_string() && v.get<std::string>() == "user_contact_id" &&
      (f.fk_entity == "Contact" || (ref.top_level && HoldsContactIds(entity, f)) ||
       (f.name == "id" && ref.path == "id" && entity.name == "Contact"))) {
    return ctx.caller.contact_id;
  }
  if (f.type == schema::FieldType::kInt || f.type == schema::FieldType::kBool) {
    if (f.serialized) return v;
    auto coerced = api::CoerceFieldValue(f, v);
    if (coerced.ok()) return *coerced;
  }
  return v;
}

// The clauses of a condition list, nested groups' included (the nesting is
// bounded by the request's JSON depth limit).
int64_t CountClauses(const Value& clauses) {
  int64_t n = 0;
  if (!clauses.is_array()) return n;
  for (const Value& c : clauses) {
    ++n;
    if (c.is_array() && c.size() == 2 && c[1].is_array()) n += CountClauses(c[1]);
  }
  return n;
}

// APIv4's condition lists ("where", "having"): every clause is a nested
// group ["AND"|"OR"|"NOT", [clauses]] or a comparison that `leaf` turns into
// a Condition (it only sees clauses whose first item is a string). More
// clauses than the request's max_where_conditions are refused, before the
// database refuses the expression (SQLite's depth limit is 1000).
template <typename LeafFn>
StatusOr<Condition> ParseConditions(const Value& clauses, const std::string& what,
                                    const LeafFn& leaf, bool top = true) {
  if (!clauses.is_array()) return WrongParamType(what, "array");
  if (top) {
    const api::RequestBudget* budget = api::RequestBudget::Current();
    int64_t limit = budget != nullptr ? budget->limits().max_where_conditions
                                      : RequestLimits().max_where_conditions;
    if (CountClauses(clauses) > limit) {
      return InvalidArgument(what + " may hold at most " + std::to_string(limit) + " conditions",
                             {{"error_field", what}});
    }
  }
  std::vector<Condition> all;
  for (const Value& c : clauses) {
    if (!c.is_array() || c.empty() || !c[0].is_string()) {
      return InvalidArgument("Invalid " + what + " clause: " + c.dump());
    }
    const std::string& head = c[0].get_ref<const std::string&>();
    if ((head == "AND" || head == "OR" || head == "NOT") && c.size() == 2 && c[1].is_array()) {
      KITH_ASSIGN_OR_RETURN(Condition inner, ParseConditions(c[1], what, leaf, /*top=*/false));
      if (head == "AND") {
        all.push_back(std::move(inner));
      } else if (head == "NOT") {
        all.push_back(Condition::Not(std::move(inner)));
      } else {
        all.push_back(Condition::Or(std::move(inner.children)));
      }
      continue;
    }
    KITH_ASSIGN_OR_RETURN(Condition one, leaf(c));
    all.push_back(std::move(one));
  }
  return Condition::And(std::move(all));
}

// Whether a top-level clause of `where` asks for exact ids (id =, IN a
// non-empty list, or LIKE without a wildcard): CiviCRM's get then drops
// its default filters (the trash).
bool NamesIds(const Value& where) {
  if (!where.is_array()) return false;
  for (const Value& c : where) {
    if (!c.is_array() || c.size() < 3 || c[0] != "id" || !c[1].is_string()) continue;
    const std::string& op = c[1].get_ref<const std::string&>();
    if (op == "=" || (op == "IN" && c[2].is_array() && !c[2].empty())) return true;
    if (op == "LIKE" && c[2].is_string() && c[2].get<std::string>().find('%') == std::string::npos) {
      return true;
    }
  }
  return false;
}

struct WhereBuilder {
  ActionContext& ctx;
  const schema::Entity& entity;
  const V4Hooks& hooks;
  const JoinAliases& aliases;
  bool mentions_deleted = false;

  StatusOr<Condition> List(const Value& clauses) {
    return ParseConditions(clauses, "where", [this](const Value& c) { return Leaf(c); });
  }

  // [field, op, value...]: one comparison.
  StatusOr<Condition> Leaf(const Value& c) {
    const std::string& head = c[0].get_ref<const std::string&>();
    if (c.size() < 2 || !c[1].is_string()) return IllegalOperator(head);
    if (c.size() > 4) return InvalidArgument("Invalid where clause: " + c.dump());
    const std::string& op_text = c[1].get_ref<const std::string&>();
    static const Value kNone;
    const Value& value = c.size() > 2 ? c[2] : kNone;
    if (std::string_view(head).substr(0, head.find(':')) == "is_deleted") mentions_deleted = true;
    bool any_of = false;
    std::optional<Op> op = ParseOp(op_text, &any_of);
    if (!op) return IllegalOperator(head);
    if (hooks.virtual_filter) {
      KITH_ASSIGN_OR_RETURN(std::optional<Condition> virt, hooks.virtual_filter(ctx, head, op_text, value));
      if (virt) return std::move(*virt);
    }
    std::optional<FieldRef> ref = ResolveField(ctx.catalog, entity, aliases, head);
    if (!ref) return InvalidField(head);
    if (!MayReach(ctx, *ref)) return Unreachable(head);
    Value operand = WhereValue(ctx, entity, *ref, value);
    return Leaf(*ref, *op, any_of, operand, op_text);
  }

  StatusOr<Condition> Leaf(const FieldRef& ref, Op op, bool any_of, Value operand,
                           const std::string& op_text) {
    const std::string& path = ref.path;
    switch (op) {
      case Op::kIn:
      case Op::kNotIn:
        if (!operand.is_array()) operand = Value::array({operand});
        return Condition::Leaf(path, op, operand);
      case Op::kBetween:
      case Op::kNotBetween:
        if (!operand.is_array() || operand.size() != 2) {
          return InvalidArgument(op_text + " needs a list of two values for " + ref.key,
                                 {{"error_field", ref.key}});
        }
        return Condition::Leaf(path, op, operand);
      case Op::kContains:
      case Op::kNotContains: {
        // A list operand: every value (CONTAINS) or any of them (ONE OF).
        if (!operand.is_array()) operand = Value::array({operand});
        std::vector<Condition> parts;
        for (const Value& v : operand) {
          parts.push_back(Condition::Leaf(path, Op::kContains, v.is_string() ? v : Value(v.dump())));
        }
        Condition joined = any_of ? Condition::Or(std::move(parts)) : Condition::And(std::move(parts));
        if (op == Op::kNotContains) return Condition::Not(std::move(joined));
        return joined;
      }
      case Op::kIsNull:
      case Op::kIsNotNull:
      case Op::kIsEmpty:
      case Op::kIsNotEmpty:
        return Condition::Leaf(path, op);
      default:
        if (operand.is_array() || operand.is_object()) {
          return InvalidArgument(op_text + " takes a single value for " + ref.key,
                                 {{"error_field", ref.key}});
        }
        if (ref.field->serialized && (op == Op::kEq || op == Op::kNe) && operand.is_string() &&
            !operand.get<std::string>().empty()) {
          // One value against a list column: the list of it, as stored.
          operand = schema::JoinStoredValues(*ref.field, {operand.get<std::string>()});
        }
        return Condition::Leaf(path, op, operand);
    }
  }
};

// having: conditions on grouped rows. A field is a select alias ("count"
// of "COUNT(id) AS count"), an aggregate ("COUNT(id)") or a grouped field.
struct HavingBuilder {
  ActionContext& ctx;
  const schema::Entity& entity;
  const JoinAliases& aliases;
  const Selection& sel;

  StatusOr<Condition> List(const Value& clauses) {
    return ParseConditions(clauses, "having", [this](const Value& c) { return Leaf(c); });
  }

  StatusOr<std::string> Path(const std::string& key) {
    for (const SelectItem* item : sel.items) {
      if (item->key == key && !item->path.empty()) return item->path;
    }
    bool unknown = false;
    KITH_ASSIGN_OR_RETURN(std::optional<SelectItem> expr, ParseExpression(ctx, entity, aliases, key, &unknown));
    if (unknown) return InvalidField(key);
    if (expr) return expr->path;
    std::optional<FieldRef> ref = ResolveField(ctx.catalog, entity, aliases, key);
    if (!ref) return InvalidField(key);
    if (!MayReach(ctx, *ref)) return Unreachable(key);
    return ref->path;
  }

  // [field, op, value...]: one comparison.
  StatusOr<Condition> Leaf(const Value& c) {
    std::string head = c[0].get<std::string>();
    if (c.size() < 2 || c.size() > 3 || !c[1].is_string()) {
      return InvalidArgument("Invalid having clause: " + c.dump());
    }
    std::string op_text = c[1].get<std::string>();
    bool any_of = false;
    std::optional<Op> op = ParseOp(op_text, &any_of);
    if (!op || *op == Op::kContains || *op == Op::kNotContains) return IllegalOperator(head);
    KITH_ASSIGN_OR_RETURN(std::string path, Path(head));
    Value value = c.size() > 2 ? c[2] : Value();
    switch (*op) {
      case Op::kIn:
      case Op::kNotIn:
        if (!value.is_array()) value = Value::array({value});
        break;
      case Op::kBetween:
      case Op::kNotBetween:
        if (!value.is_array() || value.size() != 2) {
          return InvalidArgument(op_text + " needs a list of two values for " + head,
                                 {{"error_field", head}});
        }
        break;
      case Op::kIsNull:
      case Op::kIsNotNull:
      case Op::kIsEmpty:
      case Op::kIsNotEmpty:
        value = Value();
        break;
      default:
        if (value.is_array() || value.is_object()) {
          return InvalidArgument(op_text + " takes a single value for " + head, {{"error_field", head}});
        }
    }
    return Condition::Leaf(path, *op, value);
  }
};

// Explicit joins: ["Entity AS alias", "LEFT"|"INNER"|bool, [cond]...].
Status ParseJoins(ActionContext& ctx, const schema::Entity& entity, const Value& params,
                  JoinAliases& aliases, Query& q) {
  if (!params.contains("join")) return Status();
  const Value& joins = params["join"];
  if (!joins.is_array()) return InvalidArgument("join must be a list");
  for (const Value& j : joins) {
    if (!j.is_array() || j.empty() || !j[0].is_string()) {
      return InvalidArgument("Invalid join: " + j.dump());
    }
    std::string spec(TrimAscii(j[0].get<std::string>()));
    std::string name = spec, alias = spec;
    for (const char* as : {" AS ", " as "}) {
      size_t at = spec.find(as);
      if (at != std::string::npos) {
        name = std::string(TrimAscii(spec.substr(0, at)));
        alias = std::string(TrimAscii(spec.substr(at + 4)));
        break;
      }
    }
    const schema::Entity* target = ctx.catalog.Find(api::CanonicalEntityName(name));
    if (target == nullptr || !target->api) return InvalidArgument("Invalid join entity: " + name);
    for (const std::string& p : target->get_permissions) {
      if (!ctx.caller.Has(p)) {
        return PermissionDenied("Cannot join " + target->name + ": insufficient permission: require " +
                                    Join(target->get_permissions, " and "),
                                {{"error_code", "unauthorized"}});
      }
    }
    if (alias.empty() || aliases.count(alias) || entity.FindField(alias) || entity.FindJoin(alias)) {
      return InvalidArgument("Invalid join alias: " + alias);
    }
    aliases[alias] = target->name;
    store::ExplicitJoin join;
    join.entity = target->name;
    join.alias = alias;
    size_t next = 1;
    if (j.size() > 1) {
      if (j[1].is_boolean()) {
        join.required = j[1].get<bool>();
      } else if (j[1].is_string() && (j[1] == "LEFT" || j[1] == "INNER")) {
        join.required = j[1] == "INNER";
      } else {
        return InvalidArgument("join type must be LEFT, INNER or a boolean: " + j[1].dump());
      }
      next = 2;
    }
    std::vector<Condition> on;
    for (size_t i = next; i < j.size(); ++i) {
      const Value& c = j[i];
      if (c.is_string()) return InvalidArgument("join bridges are not supported: " + c.get<std::string>());
      if (!c.is_array() || c.size() != 3 || !c[0].is_string() || !c[1].is_string()) {
        return InvalidArgument("Invalid join condition: " + c.dump());
      }
      // A join's own columns are named directly in its conditions ("e.contact_id"):
      // a path through it would need the join before it exists.
      auto through_alias = [&](const std::string& key) {
        if (key.rfind(alias + ".", 0) != 0) return false;
        std::string rest = key.substr(alias.size() + 1);
        return rest.find_first_of(".:") != std::string::npos;
      };
      std::string left = c[0].get<std::string>();
      std::optional<FieldRef> lref = ResolveField(ctx.catalog, entity, aliases, left);
      if (!lref) return InvalidField(left);
      if (through_alias(left)) {
        return InvalidArgument("join conditions name the joined entity's own fields: " + left);
      }
      bool any_of = false;
      std::optional<Op> op = ParseOp(c[1].get<std::string>(), &any_of);
      if (!op) return IllegalOperator(left);
      const Value& right = c[2];
      if (right.is_string()) {
        std::string text = right.get<std::string>();
        if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') && text.back() == text.front()) {
          on.push_back(Condition::Leaf(lref->path, *op, text.substr(1, text.size() - 2)));
          continue;
        }
        if (std::optional<FieldRef> rref = ResolveField(ctx.catalog, entity, aliases, text)) {
          if (through_alias(text)) {
            return InvalidArgument("join conditions name the joined entity's own fields: " + text);
          }
          on.push_back(Condition::Compare(lref->path, *op, rref->path));
          continue;
        }
        return InvalidField(text);
      }
      on.push_back(Condition::Leaf(lref->path, *op, right));
    }
    join.on = Condition::And(std::move(on));
    q.joins.push_back(std::move(join));
  }
  return Status();
}

StatusOr<int64_t> NonNegative(const Value& params, const char* key) {
  if (!params.contains(key) || params[key].is_null()) return 0;
  const Value& v = params[key];
  std::optional<int64_t> n;
  if (v.is_number_integer()) n = v.get<int64_t>();
  if (v.is_string()) n = ParseInt64(TrimAscii(v.get<std::string>()));
  if (!n) return WrongParamType(key, "int");
  if (*n < 0) {
    return InvalidArgument(std::string(key) + " must be a non-negative integer",
                           {{"error_field", key}});
  }
  return *n;
}

// Turns stored lists of option values into their labels/names.
Status LabelLists(ActionContext& ctx, const std::vector<const SelectItem*>& items,
                  std::vector<Value>& rows) {
  for (const SelectItem* listed : items) {
    const SelectItem& item = *listed;
    if (!item.ref || item.ref->suffix.empty() || !item.ref->field->serialized) continue;
    const std::string& group = item.ref->field->option_group;
    std::map<std::string, std::string> names;
    if (!group.empty()) {
      Query q;
      q.entity = "OptionValue";
      q.select = {item.ref->field->option_key, item.ref->suffix == "name" ? "name" : "label"};
      q.where = Condition::Leaf("option_group_id.name", Op::kEq, group);
      KITH_ASSIGN_OR_RETURN(auto options, ctx.txn.Select(q));
      for (const Value& o : options) names[api::ValueAsText(o[q.select[0]])] = api::ValueAsText(o[q.select[1]]);
    }
    for (Value& row : rows) {
      Value& v = row[item.key];
      if (!v.is_array()) continue;
      for (Value& part : v) {
        auto it = names.find(api::ValueAsText(part));
        if (it != names.end()) part = it->second;
      }
    }
  }
  return Status();
}

// Whether the rows of `sel` can be written as they are read: nothing of them
// is finished on whole rows afterwards (LabelLists, FillRelated).
bool WritableAsRead(const Selection& sel) {
  if (!sel.related.empty() || sel.row_count) return false;
  return std::none_of(sel.items.begin(), sel.items.end(), [](const SelectItem* item) {
    return item->ref && !item->ref->suffix.empty() && item->ref->field->serialized;
  });
}

// How ItemRows writes an item, worked out from the item alone (once per plan):
// the order of TypedValue's cases for the usual fields, without a Value.
enum class ItemWrite : uint8_t {
  kVirtual,     // its fixed value
  kExpression,  // ExpressionValue of the cell (null included)
  kStored,      // no field: the cell as stored
  kTyped,       // a serialized or JSON field: TypedValue
  kStoredRef,   // a field answered as stored (a suffix, an Integer override, most types)
  kBool,        // a boolean field
  kInt,         // an integer field (a text cell read as a number)
};

ItemWrite WriteOf(const SelectItem& item) {
  if (item.is_virtual) return ItemWrite::kVirtual;
  if (item.result_field) return ItemWrite::kExpression;
  if (!item.ref) return ItemWrite::kStored;
  const schema::Field& f = *item.ref->field;
  if (f.serialized || f.json) return ItemWrite::kTyped;
  if (!item.ref->suffix.empty() || item.integer_override) return ItemWrite::kStoredRef;
  if (f.type == schema::FieldType::kBool) return ItemWrite::kBool;
  if (f.type == schema::FieldType::kInt) return ItemWrite::kInt;
  return ItemWrite::kStoredRef;
}

// A get's stored rows written to an AnswerRows as they are read, each item
// typed as TypedValue types it (the common kinds of field without a Value;
// the rest through one), so that the bytes are those of the rows built whole.
// `keys` and `writes` are the plan's, one per item.
class ItemRows final : public CellRows {
 public:
  // `shared_keys`: the same keys as a list kept with the plan, or null.
  // `kinds` and `item_kinds`: the plan's (ReadPlan), when `kind_item` is set.
  ItemRows(const Selection& sel, const std::vector<size_t>& item_columns,
           std::optional<size_t> kind_item, const std::vector<std::string>& kinds,
           const std::vector<uint32_t>& item_kinds, const std::vector<std::string_view>& keys,
           const std::shared_ptr<const RowKeys>& shared_keys,
           const std::vector<ItemWrite>& writes, AnswerRows& out)
      : sel_(sel),
        item_columns_(item_columns),
        kind_item_(kind_item),
        kinds_(kinds),
        item_kinds_(item_kinds),
        writes_(writes),
        out_(out) {
    if (shared_keys != nullptr) {
      out_.SharedKeys(shared_keys);
    } else {
      out_.Keys(keys);
    }
  }

  Status Row(std::span<const Cell> cells) override {
    // The row's kind as the index ReadPlan::item_kinds names it (its text
    // compared once, not once per item only for a kind).
    bool kinded = false;
    uint32_t row_kind = kNoKind;
    if (kind_item_) {
      const Cell& k = cells[item_columns_[*kind_item_]];
      kinded = k.kind == Cell::Kind::kText;
      for (size_t j = 0; kinded && j < kinds_.size(); ++j) {
        if (kinds_[j] == k.text) {
          row_kind = static_cast<uint32_t>(j + 1);
          break;
        }
      }
    }
    out_.BeginRow();
    const size_t n = sel_.items.size();
    for (size_t i = 0; i < n; ++i) {
      if (kinded && item_kinds_[i] != 0 && item_kinds_[i] != row_kind) continue;
      Write(i, *sel_.items[i], writes_[i], cells[item_columns_[i]]);
    }
    out_.EndRow();
    ++rows_;
    return Status();
  }

  int64_t rows() const { return rows_; }

 private:
  void AsStored(size_t key, const Cell& c) {
    switch (c.kind) {
      case Cell::Kind::kNull: return out_.Null(key);
      case Cell::Kind::kInt: return out_.Int(key, c.integer);
      case Cell::Kind::kText: return out_.Text(key, c.text);
      default: return out_.Any(key, c.ToValue());
    }
  }

  void Typed(size_t key, const SelectItem& item, const Cell& c) {
    out_.Any(key, TypedValue(*item.ref, c.ToValue(), item.type_override));
  }

  void Write(size_t key, const SelectItem& item, ItemWrite how, const Cell& c) {
    switch (how) {
      case ItemWrite::kVirtual: return out_.Any(key, item.virtual_value);
      case ItemWrite::kExpression: return out_.Any(key, ExpressionValue(item, c.ToValue()));
      case ItemWrite::kStored: return AsStored(key, c);
      default: break;
    }
    if (c.kind == Cell::Kind::kNull) return out_.Null(key);
    if (how == ItemWrite::kTyped || c.kind == Cell::Kind::kValue) return Typed(key, item, c);
    switch (how) {
      case ItemWrite::kBool:
        if (c.kind == Cell::Kind::kInt) return out_.Bool(key, static_cast<double>(c.integer) != 0);
        if (c.kind == Cell::Kind::kDouble) return out_.Bool(key, c.real != 0);
        return out_.Bool(key, c.text == "1");
      case ItemWrite::kInt:
        if (c.kind == Cell::Kind::kText) {
          if (auto n = ParseInt64(c.text)) return out_.Int(key, *n);
        }
        if (c.kind == Cell::Kind::kDouble) return Typed(key, item, c);
        return AsStored(key, c);
      default:
        return AsStored(key, c);
    }
  }

  // A row of a kind no item is only for.
  static constexpr uint32_t kNoKind = UINT32_MAX;

  const Selection& sel_;
  const std::vector<size_t>& item_columns_;
  const std::optional<size_t> kind_item_;
  const std::vector<std::string>& kinds_;
  const std::vector<uint32_t>& item_kinds_;
  const std::vector<ItemWrite>& writes_;
  AnswerRows& out_;
  int64_t rows_ = 0;
};

// What a get selects, worked out from its select list: the items in answer
// order (late columns last), the stored columns to read (no repeats) and
// each item's place among them.
struct ReadPlan {
  Selection sel;
  std::vector<std::string> columns;  // the query's select list
  // The same, named, when the plan is kept across calls (MakePlan's `kept`).
  std::shared_ptr<const store::KeptSelect> kept_columns;
  std::vector<size_t> item_columns;  // each item's column (0 for a virtual one)
  // A whole row leaves out the columns of other kinds of row: the item that
  // says a row's kind, when the selection holds it.
  std::optional<size_t> kind_item;
  // With it, the kinds some items are only for (SelectItem::only_for_kind),
  // each once, and each item's: 0 when it is for every kind, else one more
  // than its kind's index in `kinds`.
  std::vector<std::string> kinds;
  std::vector<uint32_t> item_kinds;
  // Each item's key and how it is written (ItemRows).
  std::vector<std::string_view> keys;
  std::vector<ItemWrite> writes;
  // The same keys as one shared list, when the plan is kept: a writer knows
  // it again by its address (some fifty keys compared per call otherwise).
  std::shared_ptr<const RowKeys> shared_keys;
};

StatusOr<std::shared_ptr<const ReadPlan>> MakePlan(ActionContext& ctx, const schema::Entity& entity,
                                                   const V4Hooks& hooks, const JoinAliases& aliases,
                                                   const Value& params,
                                                   const std::vector<std::string>& group_by,
                                                   bool kept = false) {
  auto plan = std::make_shared<ReadPlan>();
  KITH_ASSIGN_OR_RETURN(plan->sel, ParseSelect(ctx, entity, hooks, aliases, params, !group_by.empty()));
  Selection& sel = plan->sel;
  if (!sel.wildcard && !hooks.late_columns.empty()) {
    std::stable_partition(sel.items.begin(), sel.items.end(), [&](const SelectItem* item) {
      return hooks.late_columns.count(item->key) == 0;
    });
  }
  // The map's nodes live on the stack: a whole contact is some fifty items.
  std::array<std::byte, 8192> column_map_space;
  std::pmr::monotonic_buffer_resource column_map_memory(column_map_space.data(),
                                                        column_map_space.size());
  std::pmr::unordered_map<std::string_view, size_t> column_of(&column_map_memory);
  column_of.reserve(sel.items.size());
  plan->item_columns.reserve(sel.items.size());
  plan->columns.reserve(sel.items.size());
  for (const SelectItem* item : sel.items) {
    if (item->is_virtual) {
      plan->item_columns.push_back(0);
      continue;
    }
    auto [it, added] = column_of.emplace(item->path, plan->columns.size());
    if (added) plan->columns.push_back(item->path);
    plan->item_columns.push_back(it->second);
  }
  if (plan->columns.empty()) plan->columns.push_back(group_by.empty() ? "id" : group_by[0]);
  if (sel.wildcard && !hooks.row_kind_column.empty()) {
    for (size_t i = 0; i < sel.items.size() && !plan->kind_item; ++i) {
      if (sel.items[i]->key == hooks.row_kind_column && !sel.items[i]->is_virtual) plan->kind_item = i;
    }
  }
  if (plan->kind_item) {
    plan->item_kinds.reserve(sel.items.size());
    for (const SelectItem* item : sel.items) {
      if (item->only_for_kind.empty()) {
        plan->item_kinds.push_back(0);
        continue;
      }
      auto kind = std::find(plan->kinds.begin(), plan->kinds.end(), item->only_for_kind);
      if (kind == plan->kinds.end()) kind = plan->kinds.insert(kind, item->only_for_kind);
      plan->item_kinds.push_back(static_cast<uint32_t>(kind - plan->kinds.begin()) + 1);
    }
  }
  plan->keys.reserve(sel.items.size());
  plan->writes.reserve(sel.items.size());
  for (const SelectItem* item : sel.items) {
    plan->keys.push_back(item->key);
    plan->writes.push_back(WriteOf(*item));
  }
  if (kept) {
    plan->kept_columns = std::make_shared<const store::KeptSelect>(plan->columns);
    plan->shared_keys = std::make_shared<const RowKeys>(
        std::vector<std::string>(plan->keys.begin(), plan->keys.end()));
  }
  return std::shared_ptr<const ReadPlan>(std::move(plan));
}

// Whether a get selects the whole record and nothing else (no select, or
// ["*"]; no joins, no grouping): its plan then depends only on the catalog,
// the entity and what the caller may see.
bool SelectsWholeRecord(const Value& params) {
  for (const char* key : {"join", "groupBy"}) {
    auto it = params.find(key);
    if (it != params.end() && !(it->is_array() && it->empty())) return false;
  }
  auto select = params.find("select");
  return select == params.end() ||
         (select->is_array() && select->size() == 1 && (*select)[0] == "*");
}

// The plan of a get. That of a whole record is the same on every call by a
// caller of the same role, so it is worked out once per catalog, entity and
// role (and thread), like the `select *` items it is made of.
StatusOr<std::shared_ptr<const ReadPlan>> PlanOf(ActionContext& ctx, const schema::Entity& entity,
                                                 const V4Hooks& hooks, const JoinAliases& aliases,
                                                 const Value& params,
                                                 const std::vector<std::string>& group_by) {
  std::shared_ptr<const schema::Catalog> current = ctx.txn.catalog();
  if (!SelectsWholeRecord(params) || current.get() != &ctx.catalog) {
    return MakePlan(ctx, entity, hooks, aliases, params, group_by);
  }
  struct Kept {
    const schema::Entity* entity;
    auth::RolePtr role;  // held: a role's address names it only while it lives
    bool system;
    bool anonymous;
    std::shared_ptr<const ReadPlan> plan;
  };
  struct Cache {
    std::weak_ptr<const schema::Catalog> catalog;
    std::vector<Kept> kept;
  };
  thread_local Cache cache;
  const auth::Caller& caller = ctx.caller;
  if (cache.catalog.lock() != current) {
    cache.kept.clear();
    cache.catalog = current;
  }
  for (const Kept& k : cache.kept) {
    if (k.entity == &entity && k.role == caller.role && k.system == caller.system &&
        k.anonymous == caller.anonymous) {
      return k.plan;
    }
  }
  KITH_ASSIGN_OR_RETURN(std::shared_ptr<const ReadPlan> plan,
                        MakePlan(ctx, entity, hooks, aliases, params, group_by, /*kept=*/true));
  if (cache.kept.size() >= 64) cache.kept.clear();
  cache.kept.push_back({&entity, caller.role, caller.system, caller.anonymous, plan});
  return plan;
}

// The operand of a get by id alone, {"where": [["id", "=", <integer>]]}
// and no other param (the commonest APIv4 call: a client reading one
// record); nullptr for any other params.
const Value* IdAlone(const Value& params) {
  if (!params.is_object() || params.size() != 1) return nullptr;
  auto where = params.find("where");
  if (where == params.end() || !where->is_array() || where->size() != 1) return nullptr;
  const Value& c = (*where)[0];
  if (!c.is_array() || c.size() != 3 || !c[0].is_string() || !c[1].is_string() ||
      !c[2].is_number_integer() || c[0].get_ref<const std::string&>() != "id" ||
      c[1].get_ref<const std::string&>() != "=") {
    return nullptr;
  }
  return &c[2];
}

// Whether the where clause ["id", "=", id] is the plain comparison of the
// entity's id: no virtual filter of the entity takes it, the caller reaches
// the field.
bool PlainIdClause(ActionContext& ctx, const V4Hooks& hooks, const FieldRef& id_ref,
                   const Value& id) {
  static const std::string kId = "id";
  static const std::string kEq = "=";
  if (hooks.virtual_filter) {
    StatusOr<std::optional<Condition>> virt = hooks.virtual_filter(ctx, kId, kEq, id);
    if (!virt.ok() || virt->has_value()) return false;
  }
  return MayReach(ctx, id_ref);
}

// The query of a get by id alone, kept per thread with the kept plan it was
// built on (one per catalog, entity and role) and used again with the next
// id in its one leaf: for every such get the where list, the trash filter
// (left out: the where names an id), the order and the columns are the
// same; only the operand differs. Built by the general path the first time.
struct ByIdQuery {
  std::shared_ptr<const ReadPlan> plan;  // held: its address names it only while it lives
  Query query;                           // where: AND of the one id leaf
  std::optional<FieldRef> id_ref;        // "id", resolved on the plan's catalog
  bool in_use = false;                   // (a get within the read, if one ever ran, builds its own)
};

ByIdQuery& KeptByIdQuery() {
  thread_local ByIdQuery kept;
  return kept;
}

// Whether the where of one clause is within the request's limit of
// conditions (ParseConditions refuses it otherwise).
bool OneConditionAllowed() {
  const api::RequestBudget* budget = api::RequestBudget::Current();
  int64_t limit = budget != nullptr ? budget->limits().max_where_conditions
                                    : RequestLimits().max_where_conditions;
  return limit >= 1;
}

// Reads the rows of `q` into `rows_out` as they are read (a plan whose rows
// are WritableAsRead).
StatusOr<GetResult> ReadAsWritten(ActionContext& ctx, const ReadPlan& plan, const Query& q,
                                  AnswerRows& rows_out) {
  ItemRows written(plan.sel, plan.item_columns, plan.kind_item, plan.kinds, plan.item_kinds,
                   plan.keys, plan.shared_keys, plan.writes, rows_out);
  KITH_RETURN_IF_ERROR(ctx.txn.SelectEach(q, written));
  if (api::RequestBudget* budget = api::RequestBudget::Current()) {
    KITH_RETURN_IF_ERROR(budget->AddRowCount(written.rows()));
  }
  return GetResult();
}

// Keeps `q`, the query the general path built for a get by id alone
// (`id`) on the kept `plan`, when it has the shape ByIdQuery reuses.
void KeepByIdQuery(ActionContext& ctx, const schema::Entity& entity, const V4Hooks& hooks,
                   const std::shared_ptr<const ReadPlan>& plan, const Query& q, const Value& id) {
  ByIdQuery& kept = KeptByIdQuery();
  if (kept.in_use || plan->kept_columns == nullptr || q.kept_select != plan->kept_columns) return;
  if (q.where.kind != Condition::Kind::kAnd || q.where.children.size() != 1) return;
  const Condition& leaf = q.where.children[0];
  std::optional<FieldRef> id_ref = ResolveField(ctx.catalog, entity, JoinAliases(), "id");
  if (!id_ref || leaf.kind != Condition::Kind::kLeaf || leaf.op != Op::kEq ||
      leaf.field != id_ref->path || !leaf.value_path.empty() || leaf.subquery != nullptr ||
      !PlainIdClause(ctx, hooks, *id_ref, id) || leaf.value != WhereValue(ctx, entity, *id_ref, id)) {
    return;
  }
  kept.plan = plan;
  kept.query = q;
  kept.id_ref = std::move(id_ref);
}

}  // namespace

std::vector<std::string> RowColumns(const schema::Entity& entity, const V4Hooks& hooks) {
  if (!hooks.layout.empty()) return hooks.layout;
  std::vector<std::string> cols;
  for (const schema::Field& f : entity.fields) {
    if (!f.internal) cols.push_back(f.name);
  }
  for (const auto& [name, value] : hooks.virtual_columns) cols.push_back(name);
  return cols;
}

StatusOr<GetResult> RunGet(ActionContext& ctx, const schema::Entity& entity, const Value& params,
                           AnswerRows* rows_out) {
  const V4Hooks& hooks = HooksOf(entity.name);
  // A get by id alone reuses the query kept for its plan (ByIdQuery).
  const Value* id_alone = rows_out != nullptr ? IdAlone(params) : nullptr;
  if (id_alone != nullptr && KeptByIdQuery().plan != nullptr && !KeptByIdQuery().in_use &&
      OneConditionAllowed()) {
    ByIdQuery& kept = KeptByIdQuery();
    KITH_ASSIGN_OR_RETURN(std::shared_ptr<const ReadPlan> plan,
                          PlanOf(ctx, entity, hooks, JoinAliases(), params, {}));
    if (plan == kept.plan && PlainIdClause(ctx, hooks, *kept.id_ref, *id_alone)) {
      kept.query.where.children[0].value = WhereValue(ctx, entity, *kept.id_ref, *id_alone);
      kept.in_use = true;
      StatusOr<GetResult> got = ReadAsWritten(ctx, *plan, kept.query, *rows_out);
      kept.in_use = false;
      return got;
    }
  }
  Query q;
  q.entity = entity.name;
  JoinAliases aliases;
  KITH_RETURN_IF_ERROR(ParseJoins(ctx, entity, params, aliases, q));

  if (params.contains("groupBy")) {
    const Value& group_by = params["groupBy"];
    if (!group_by.is_array()) return InvalidArgument("groupBy must be a list of fields");
    for (const Value& g : group_by) {
      std::optional<FieldRef> ref =
          g.is_string() ? ResolveField(ctx.catalog, entity, aliases, g.get<std::string>()) : std::nullopt;
      if (!ref) return InvalidField(g.is_string() ? g.get<std::string>() : g.dump());
      if (!MayReach(ctx, *ref)) return Unreachable(g.get<std::string>());
      q.group_by.push_back(ref->path);
    }
  }
  KITH_ASSIGN_OR_RETURN(std::shared_ptr<const ReadPlan> plan,
                        PlanOf(ctx, entity, hooks, aliases, params, q.group_by));
  const Selection& sel = plan->sel;
  if (params.contains("having") && !params["having"].empty()) {
    if (q.group_by.empty()) return InvalidArgument("having needs groupBy", {{"error_field", "having"}});
    HavingBuilder having{ctx, entity, aliases, sel};
    KITH_ASSIGN_OR_RETURN(q.having, having.List(params["having"]));
  }

  WhereBuilder where{ctx, entity, hooks, aliases};
  static const Value kNoClauses = Value::array();
  auto given_where = params.find("where");
  const Value& clauses = given_where != params.end() ? *given_where : kNoClauses;  // not copied
  KITH_ASSIGN_OR_RETURN(q.where, where.List(clauses));
  // Trashed records stay out unless asked for (CiviCRM's automatic filter),
  // or unless the where names the ids it wants.
  if (entity.soft_delete && entity.FindField("is_deleted") && !where.mentions_deleted &&
      !NamesIds(clauses)) {
    q.where.children.push_back(Condition::Leaf("is_deleted", Op::kEq, 0));
  }

  if (params.contains("orderBy")) {
    const Value& order = params["orderBy"];
    if (!order.is_object() && !order.is_array()) return WrongParamType("orderBy", "array");
    // (a list reads as {position: entry}, as PHP sees it: its entries are
    // no directions)
    for (const auto& [key, dir] : order.items()) {
      std::string d = dir.is_string() ? AsciiLower(dir.get<std::string>()) : "";
      if (d != "asc" && d != "desc") {
        return InvalidArgument("Invalid sort direction. Cannot order by " + key + " " + api::ValueAsText(dir),
                               {{"error_field", key}});
      }
      std::string path;
      // A select alias ("n" of "COUNT(id) AS n") or expression first.
      for (const SelectItem* item : sel.items) {
        if (item->key == key && !item->path.empty() && !item->is_virtual) path = item->path;
      }
      if (path.empty()) {
        std::optional<FieldRef> ref = ResolveField(ctx.catalog, entity, aliases, key);
        if (ref && !MayReach(ctx, *ref)) return Unreachable(key);
        if (!ref) {
          bool unknown = false;
          KITH_ASSIGN_OR_RETURN(std::optional<SelectItem> expr,
                                ParseExpression(ctx, entity, aliases, key, &unknown));
          if (!expr || unknown) return InvalidField(key);
          path = expr->path;
        } else {
          path = ref->path;
        }
      }
      q.order_by.push_back({path, d == "desc"});
    }
  }
  // (an aggregate without groupBy makes one row, with no id to order by)
  bool aggregated = std::any_of(sel.items.begin(), sel.items.end(),
                                [](const SelectItem* item) { return item->aggregate; });
  if (q.order_by.empty() && q.group_by.empty() && !aggregated && entity.FindField("id") != nullptr) {
    q.order_by.push_back({"id", false});
  }
  KITH_ASSIGN_OR_RETURN(q.limit, NonNegative(params, "limit"));
  KITH_ASSIGN_OR_RETURN(q.offset, NonNegative(params, "offset"));

  if (plan->kept_columns != nullptr) {
    q.kept_select = plan->kept_columns;
  } else {
    q.select = plan->columns;
  }
  const std::vector<size_t>& item_columns = plan->item_columns;
  const std::optional<size_t> kind_item = plan->kind_item;

  GetResult out;
  if (sel.row_count) {
    KITH_ASSIGN_OR_RETURN(int64_t n, ctx.txn.Count(q));
    out.count = n;
    out.count_matched = n;
  }
  if (!sel.rows) return out;
  if (rows_out != nullptr && WritableAsRead(sel)) {
    if (id_alone != nullptr && !sel.row_count) KeepByIdQuery(ctx, entity, hooks, plan, q, *id_alone);
    return ReadAsWritten(ctx, *plan, q, *rows_out);
  }
  KITH_ASSIGN_OR_RETURN(auto stored, ctx.txn.Select(q));
  // Selection keys are distinct (AddItem): each is appended without the
  // ordered object's search for an existing key.
  for (const Value& s : stored) {
    Value row = Value::object();
    auto& fields = row.get_ref<Value::object_t&>();
    fields.reserve(sel.items.size());
    const std::string* kind = nullptr;
    if (kind_item) {
      const Value& k = store::SelectedColumn(s, q, item_columns[*kind_item]);
      if (k.is_string()) kind = k.get_ptr<const std::string*>();
    }
    for (size_t i = 0; i < sel.items.size(); ++i) {
      const SelectItem& item = *sel.items[i];
      if (kind != nullptr && !item.only_for_kind.empty() && item.only_for_kind != *kind) continue;
      if (item.is_virtual) {
        fields.Container::emplace_back(item.key, item.virtual_value);
        continue;
      }
      const Value& stored_value = store::SelectedColumn(s, q, item_columns[i]);
      if (item.result_field) {
        fields.Container::emplace_back(item.key, ExpressionValue(item, stored_value));
      } else if (item.ref) {
        fields.Container::emplace_back(item.key, TypedValue(*item.ref, stored_value, item.type_override));
      } else {
        fields.Container::emplace_back(item.key, stored_value);
      }
    }
    out.rows.push_back(std::move(row));
  }
  KITH_RETURN_IF_ERROR(LabelLists(ctx, sel.items, out.rows));
  KITH_RETURN_IF_ERROR(FillRelated(ctx, hooks, sel, out.rows));
  return out;
}

StatusOr<std::vector<int64_t>> MatchingIds(ActionContext& ctx, const schema::Entity& entity,
                                           const Value& params) {
  Value get = Value::object();
  get["select"] = Value::array({"id"});
  for (const char* key : {"where", "orderBy", "limit", "offset"}) {
    if (params.contains(key)) get[key] = params[key];
  }
  KITH_ASSIGN_OR_RETURN(GetResult result, RunGet(ctx, entity, get));
  std::vector<int64_t> ids;
  for (const Value& row : result.rows) ids.push_back(row["id"].get<int64_t>());
  return ids;
}

StatusOr<Value> WholeRow(ActionContext& ctx, const schema::Entity& entity, int64_t id) {
  Value get = Value::object();
  get["where"] = Value::array({Value::array({"id", "=", id})});
  if (entity.soft_delete) {
    // A trashed record is still this record.
    get["where"].push_back(Value::array(
        {"OR", Value::array({Value::array({"is_deleted", "=", 0}), Value::array({"is_deleted", "=", 1})})}));
  }
  KITH_ASSIGN_OR_RETURN(GetResult result, RunGet(ctx, entity, get));
  if (result.rows.empty()) {
    return NotFound(entity.name + " id " + std::to_string(id) + " not found");
  }
  return result.rows[0];
}

}  // namespace kith::entities::v4
