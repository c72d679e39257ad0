// APIv4 writes: create, update, save, delete and replace, with the answers
// CiviCRM gives (the saved object echoed: what was written, the defaults its
// BAO sets, the non-column keys of the call, then "custom" and
// "check_permissions"; deletes answer the ids as text).
#include <algorithm>
#include <memory>
#include <unordered_map>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/records.h"
#include "base/column_find.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"
#include "store/bulk_writes.h"
#include "base/value_members.h"

namespace kith::entities::v4 {

using api::ActionContext;

namespace {

// A record's values, sorted by where they go.
struct WriteParts {
  std::optional<Value> id;
  Value own = Value::object();     // this entity's columns, stored form
  Value joined = Value::object();  // join name -> {column: value}
  Value related = Value::object();  // V4Hooks::related_columns -> value as given
  std::vector<api::CustomValueWrite> custom;
  // Keys that are not columns, as given (suffix dropped), for the answer.
  std::vector<std::pair<std::string, Value>> extras;
};

const schema::Entity& EntityOf(ActionContext& ctx, const std::string& name) {
  return *ctx.catalog.Find(name);
}

Value TypedFor(const schema::Entity& entity, const V4Hooks& hooks, const std::string& column,
               const Value& stored) {
  const schema::Field* f = entity.FindField(column);
  if (f == nullptr) return stored;
  auto t = hooks.column_types.find(column);
  return TypedColumn(*f, stored, t == hooks.column_types.end() ? "" : t->second);
}

// What a key of a write's values names, worked out from the catalog alone
// (the values themselves are checked per record).
struct KeyPlan {
  enum class Kind { kId, kVirtual, kRelated, kReadonly, kOwn, kCustom, kJoined, kOther };
  Kind kind = Kind::kOther;
  std::string base;  // the key without its ":suffix"
  std::optional<FieldRef> ref;
  std::vector<std::string> segs;  // base's dotted parts (kJoined, kOther)
};

KeyPlan PlanKey(const schema::Catalog& catalog, const schema::Entity& entity, const V4Hooks& hooks,
                const std::string& key) {
  KeyPlan p;
  if (key == "id") {
    p.kind = KeyPlan::Kind::kId;
    return p;
  }
  p.base = key.substr(0, key.find(':'));
  // A column CiviCRM has and kith does not keep (Contact.preferred_mail_format):
  // accepted and left, as getFields lists it.
  if (hooks.virtual_columns.count(p.base)) {
    p.kind = KeyPlan::Kind::kVirtual;
    return p;
  }
  if (hooks.related_columns.count(key)) {
    p.kind = KeyPlan::Kind::kRelated;
    return p;
  }
  JoinAliases none;
  p.ref = ResolveField(catalog, entity, none, key, /*for_write=*/true);
  if (p.ref && p.ref->top_level) {
    // A computed column is ignored, as CiviCRM ignores it.
    p.kind = p.ref->field->readonly ? KeyPlan::Kind::kReadonly : KeyPlan::Kind::kOwn;
    return p;
  }
  if (p.ref && p.ref->custom != nullptr) {
    p.kind = KeyPlan::Kind::kCustom;
    return p;
  }
  for (std::string_view seg : Split(p.base, '.')) p.segs.emplace_back(seg);
  if (p.ref && p.segs.size() == 2 && entity.FindJoin(p.segs[0]) != nullptr) p.kind = KeyPlan::Kind::kJoined;
  return p;
}

}  // namespace

// The plans of the keys written to one entity under one catalog.
struct WriteKeys::Plans {
  std::shared_ptr<const schema::Catalog> catalog;  // held: the plans point into it
  const schema::Entity* entity = nullptr;
  std::unordered_map<std::string, KeyPlan> keys;
};

WriteKeys::WriteKeys() = default;
WriteKeys::~WriteKeys() = default;

namespace {

// `keys`' plans for writes to `entity` in ctx's transaction, started over
// when its catalog is another; nullptr when ctx's catalog is not the
// transaction's (then nothing is kept).
WriteKeys::Plans* PlansFor(ActionContext& ctx, const schema::Entity& entity, WriteKeys* keys) {
  if (keys == nullptr) return nullptr;
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  if (catalog.get() != &ctx.catalog) return nullptr;
  if (keys->plans == nullptr) keys->plans = std::make_unique<WriteKeys::Plans>();
  WriteKeys::Plans& plans = *keys->plans;
  if (plans.catalog != catalog || plans.entity != &entity) {
    plans.catalog = std::move(catalog);
    plans.entity = &entity;
    plans.keys.clear();
  }
  return &plans;
}

// `answered`: the write's answer is made (WriteParts::extras are kept for it).
StatusOr<WriteParts> SplitWrite(ActionContext& ctx, const schema::Entity& entity, const Value& values,
                                WriteKeys::Plans* plans = nullptr, bool answered = true) {
  if (!values.is_object()) return InvalidArgument("values must be an object", {{"error_field", "values"}});
  WriteParts parts;
  parts.own.get_ref<Value::object_t&>().reserve(values.size());
  const V4Hooks& hooks = HooksOf(entity.name);
  KeyPlan unkept;
  for (const auto& [key, given] : Members(values)) {
    const KeyPlan* plan = nullptr;
    if (plans != nullptr) {
      auto it = plans->keys.find(key);
      if (it == plans->keys.end()) {
        if (plans->keys.size() >= 1024) plans->keys.clear();  // keys are a file's columns: few
        it = plans->keys.emplace(key, PlanKey(ctx.catalog, entity, hooks, key)).first;
      }
      plan = &it->second;
    } else {
      unkept = PlanKey(ctx.catalog, entity, hooks, key);
      plan = &unkept;
    }
    const FieldRef* ref = plan->ref ? &*plan->ref : nullptr;
    switch (plan->kind) {
      case KeyPlan::Kind::kId:
        parts.id = given;
        continue;
      case KeyPlan::Kind::kVirtual:
      case KeyPlan::Kind::kReadonly:
        continue;
      case KeyPlan::Kind::kRelated:
        parts.related[key] = given;
        if (answered) parts.extras.emplace_back(key, Value());  // CiviCRM echoes them as null
        continue;
      case KeyPlan::Kind::kOwn: {
        KITH_ASSIGN_OR_RETURN(Value stored, WriteValue(ctx, *ref, given));
        SetColumn(parts.own, ref->field->name, std::move(stored));
        continue;
      }
      case KeyPlan::Kind::kCustom: {
        KITH_ASSIGN_OR_RETURN(Value stored, WriteValue(ctx, *ref, given));
        parts.custom.push_back({ref->custom, std::nullopt, key, std::move(stored)});
        if (answered) parts.extras.emplace_back(plan->base, Value());  // CiviCRM echoes custom values as null
        continue;
      }
      case KeyPlan::Kind::kJoined: {
        // A column of a joined record (email_primary.email): written after the
        // record itself, through the entity's hook.
        Value v = given;
        if (!ref->suffix.empty()) {
          KITH_ASSIGN_OR_RETURN(v, WriteValue(ctx, *ref, given));
        }
        if (answered) parts.extras.emplace_back(plan->base, TypedColumn(*ref->field, v));
        parts.joined[plan->segs[0]][plan->segs[1]] = std::move(v);
        continue;
      }
      case KeyPlan::Kind::kOther:
        break;
    }
    const std::vector<std::string>& segs = plan->segs;
    if (segs.size() == 2) {
      // "link.column": the id of the linked record whose column has this value.
      const schema::Field* link = entity.FindField(segs[0]);
      const schema::Entity* target = link && !link->fk_entity.empty() ? ctx.catalog.Find(link->fk_entity) : nullptr;
      const schema::Field* column = target ? target->FindField(segs[1]) : nullptr;
      if (column != nullptr && !column->internal && target->api) {
        store::Query q;
        q.entity = target->name;
        q.select = {"id"};
        q.where = store::Condition::Leaf(column->name, store::Op::kEq, given);
        q.limit = 1;
        KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
        if (rows.empty()) {
          return InvalidArgument(key + " is not valid: " + api::ValueAsText(given),
                                 {{"error_code", 2001}, {"error_field", key}});
        }
        parts.own[link->name] = rows[0]["id"];
        continue;
      }
    }
    return InvalidField(key);
  }
  return parts;
}

// CiviCRM's mandatory fields, in schema order: the required ones, those
// with a default_fallback (required in its schema) that no fallback filled,
// and those kith makes from fields that are missing too.
Status CheckRequired(const schema::Entity& entity, const Value& own) {
  auto given = [&](const std::string& name) {
    return own.contains(name) && !own[name].is_null() &&
           !(own[name].is_string() && own[name].get<std::string>().empty());
  };
  std::vector<std::string> missing;
  for (const schema::Field& f : entity.fields) {
    bool mandatory = f.required || !f.fallback.empty() || !f.made_from.empty();
    if (!mandatory || f.readonly || f.internal || !f.default_value.is_null() || given(f.name)) continue;
    if (std::any_of(f.made_from.begin(), f.made_from.end(), given)) continue;
    missing.push_back(f.name);
  }
  if (missing.empty()) return Status();
  Value fields = Value::array();
  for (const std::string& m : missing) fields.push_back(m);
  return InvalidArgument("Mandatory values missing from Api4 " + entity.name + "::create: " +
                             Join(missing, ", "),
                         {{"fields", fields}});
}

void AppendTail(Value& row, const WriteParts& parts) {
  // CiviCRM lists the call's other keys last, in reverse order.
  for (auto it = parts.extras.rbegin(); it != parts.extras.rend(); ++it) row[it->first] = it->second;
  row["custom"] = nullptr;
  row["check_permissions"] = nullptr;
}

// Whether a written column shows in an answer: computed nulls do not
// (CiviCRM's object never held them), unless the call wrote them itself.
bool ShowsWritten(const V4Hooks& hooks, const std::string& col, const Value& written,
                  const Value& given) {
  if (!written.contains(col)) return false;
  return !written[col].is_null() || given.contains(col) || hooks.echo_nulls.count(col) > 0;
}

void FinishEcho(const V4Hooks& hooks, Value& row, const WriteParts& parts) {
  if (hooks.echo_format) hooks.echo_format(row);
  AppendTail(row, parts);
}

// What a create's answer shows of each column, worked out once per call
// from the entity and its hooks (a save's thousands of records answer alike).
struct EchoColumn {
  const std::string* name;
  const schema::Field* field;      // nullptr: not a field (shown as it is)
  const std::string* type;         // V4Hooks::column_types, or ""
  const Value* virtual_value;      // a virtual column: shown as this (nullptr: not shown)
  bool is_virtual = false;
  bool database_filled = false;    // shown only when the call wrote it
  bool database_null = false;      // CiviCRM's database fills it later: null
  bool create_echo = false;        // shown from the stored row
  bool echo_null = false;
  bool digits = false;             // a date shown as YYYYMMDDhhmmss
};

struct EchoPlan {
  std::vector<std::string> columns;  // RowColumns, the names EchoColumn points to
  std::vector<EchoColumn> shown;     // the columns that may show, in order
  bool distinct = true;              // no column named twice (then appended, not searched)
};

EchoPlan MakeEchoPlan(const schema::Entity& entity, const V4Hooks& hooks) {
  static const std::string kNoType;
  EchoPlan plan;
  plan.columns = RowColumns(entity, hooks);
  std::set<std::string_view> seen = {"id"};
  for (const std::string& col : plan.columns) {
    if (!seen.insert(col).second) plan.distinct = false;
    if (col == "id" || hooks.echo_hidden.count(col)) continue;
    EchoColumn c{&col, entity.FindField(col), &kNoType, nullptr};
    auto t = hooks.column_types.find(col);
    if (t != hooks.column_types.end()) c.type = &t->second;
    c.database_filled = hooks.database_filled.count(col) > 0;
    auto virt = hooks.virtual_columns.find(col);
    if (virt != hooks.virtual_columns.end()) {
      c.is_virtual = true;
      if (hooks.create_echo.count(col) && !virt->second.is_null()) c.virtual_value = &virt->second;
    }
    c.database_null = hooks.database_columns.count(col) > 0;
    c.create_echo = hooks.create_echo_stored || hooks.create_echo.count(col) > 0;
    c.echo_null = hooks.echo_nulls.count(col) > 0;
    c.digits = hooks.create_digits.count(col) > 0;
    plan.shown.push_back(c);
  }
  return plan;
}

Value TypedFor(const EchoColumn& c, const Value& stored) {
  return c.field == nullptr ? stored : TypedColumn(*c.field, stored, *c.type);
}

StatusOr<Value> CreateEcho(ActionContext& ctx, const schema::Entity& entity, const V4Hooks& hooks,
                           const EchoPlan& plan, int64_t id, const Value& written,
                           const WriteParts& parts, const Value& values) {
  // The stored row: defaults the database filled in, and what rules that run
  // after the insert (names made from the id) wrote. Read where the
  // transaction remembers it, not copied.
  const Value* stored = api::RememberedRecord(ctx.txn, entity, id);
  Value loaded;
  if (stored == nullptr) {
    KITH_ASSIGN_OR_RETURN(loaded, api::LoadRecord(ctx.txn, entity, id));
    stored = &loaded;
  }
  static const Value kNull;
  Value row = Value::object();
  auto& items = row.get_ref<Value::object_t&>();
  items.reserve(plan.shown.size() + parts.extras.size() + 4);
  row["id"] = id;
  auto put = [&](const EchoColumn& c, Value v) {
    if (plan.distinct) {
      items.Container::emplace_back(*c.name, std::move(v));
    } else {
      row[*c.name] = std::move(v);
    }
  };
  for (const EchoColumn& c : plan.shown) {
    if (c.database_filled && FindColumn(parts.own, *c.name) == nullptr) continue;
    if (c.is_virtual) {
      if (c.virtual_value != nullptr) put(c, *c.virtual_value);
      continue;
    }
    const Value* now_found = FindColumn(*stored, *c.name);
    const Value& now = now_found == nullptr ? kNull : *now_found;
    const Value* wrote = FindColumn(written, *c.name);
    bool shows_written = wrote != nullptr && (!wrote->is_null() || c.echo_null ||
                                              FindColumn(parts.own, *c.name) != nullptr);
    Value shown;
    if (c.database_null) {
      put(c, nullptr);
      continue;
    } else if (shows_written) {
      shown = TypedFor(c, now.is_null() ? *wrote : now);
    } else if (c.create_echo && (!now.is_null() || c.echo_null)) {
      shown = TypedFor(c, now);
    } else {
      continue;
    }
    if (c.digits && shown.is_string()) shown = api::MysqlDateDigits(shown.get<std::string>());
    put(c, std::move(shown));
  }
  FinishEcho(hooks, row, parts);
  if (hooks.create_tail) {
    Value tail = hooks.create_tail(values);
    for (const auto& [k, v] : tail.items()) row[k] = v;
  }
  return row;
}

StatusOr<Value> UpdateEcho(const schema::Entity& entity, const V4Hooks& hooks, int64_t id,
                           const Value& before, const Value& written, const WriteParts& parts,
                           bool saving) {
  Value row = Value::object();
  row["id"] = id;
  bool whole_row = hooks.update_whole_row || (hooks.whole_row_update && hooks.whole_row_update(parts.own));
  for (const std::string& col : RowColumns(entity, hooks)) {
    if (col == "id" || hooks.database_columns.count(col) || hooks.update_hidden.count(col)) continue;
    if (hooks.database_filled.count(col) && !parts.own.contains(col)) continue;
    auto virt = hooks.virtual_columns.find(col);
    if (virt != hooks.virtual_columns.end()) {
      if (whole_row && !virt->second.is_null()) row[col] = virt->second;
      continue;
    }
    bool batch = std::find(hooks.batch_fields.begin(), hooks.batch_fields.end(), col) !=
                 hooks.batch_fields.end();
    if (whole_row || batch) {
      const Value& v = (hooks.echo_hidden.count(col) || !written.contains(col))
                           ? before.value(col, Value())
                           : written[col];
      // A column the call itself emptied shows as null.
      if (!v.is_null() || (parts.own.contains(col) && !hooks.echo_hidden.count(col))) {
        row[col] = TypedFor(entity, hooks, col, v);
      }
    } else if (!hooks.echo_hidden.count(col) && ShowsWritten(hooks, col, written, parts.own) &&
               (!hooks.whole_row_update || parts.own.contains(col))) {
      // (an entity whose update answer is sometimes the whole record shows
      // otherwise only what the call wrote)
      row[col] = TypedFor(entity, hooks, col, written[col]);
    }
  }
  FinishEcho(hooks, row, parts);
  if (!saving) {
    for (const auto& [k, v] : hooks.update_tail.items()) row[k] = v;
  }
  return row;
}

Status WriteRelated(ActionContext& ctx, const V4Hooks& hooks, int64_t id, const WriteParts& parts) {
  if (!parts.custom.empty()) KITH_RETURN_IF_ERROR(api::WriteCustomValues(ctx.txn, id, parts.custom));
  if (!parts.joined.empty()) {
    if (!hooks.write_joined) return InvalidField(parts.joined.begin().key());
    KITH_RETURN_IF_ERROR(hooks.write_joined(ctx, id, parts.joined));
  }
  for (const auto& [key, given] : Members(parts.related)) {
    KITH_RETURN_IF_ERROR(hooks.related_columns.at(key).write(ctx, id, given));
  }
  return Status();
}

// CiviCRM's default_fallback: a field left out takes the value of the first
// of its fallback fields that was given (a group's title from its name).
void ApplyFallbacks(const schema::Entity& entity, Value& values) {
  auto given = [&](const std::string& key) {
    return values.contains(key) && !values[key].is_null() &&
           !(values[key].is_string() && values[key].get<std::string>().empty());
  };
  for (const schema::Field& f : entity.fields) {
    if (f.fallback.empty() || given(f.name)) continue;
    for (const std::string& other : f.fallback) {
      if (given(other)) {
        values[f.name] = values[other];
        break;
      }
    }
  }
}

// A created record: what its answer is made from.
struct Created {
  int64_t id = 0;
  Value written = Value::object();  // the columns written
  WriteParts parts;
  Value values;  // as given, after prepare and fallbacks
};

// Every rule and write of a create, without its answer. `answered`: its
// answer echoes the stored row, remembered as written (CreateRecord).
StatusOr<Created> CreateRow(ActionContext& ctx, const schema::Entity& entity, Value values,
                            bool answered, WriteKeys* keys = nullptr) {
  const V4Hooks& hooks = HooksOf(entity.name);
  if (hooks.prepare) KITH_RETURN_IF_ERROR(hooks.prepare(ctx, values, /*creating=*/true));
  if (values.is_object()) ApplyFallbacks(entity, values);
  Created out;
  if (hooks.create_record) {
    Value own = Value::object();
    for (const auto& [key, v] : values.items()) {
      if (entity.FindField(key) != nullptr) own[key] = v;
    }
    KITH_RETURN_IF_ERROR(CheckRequired(entity, own));
    KITH_ASSIGN_OR_RETURN(out.id, hooks.create_record(ctx, values));
    for (const auto& [key, v] : values.items()) {
      if (entity.FindField(key.substr(0, key.find(':'))) == nullptr) out.parts.extras.emplace_back(key, Value());
    }
    out.values = std::move(values);
    return out;
  }
  KITH_ASSIGN_OR_RETURN(out.parts, SplitWrite(ctx, entity, values, PlansFor(ctx, entity, keys), answered));
  KITH_RETURN_IF_ERROR(CheckRequired(entity, out.parts.own));
  // Without an answer, nothing reads the split columns again: moved, not copied.
  KITH_ASSIGN_OR_RETURN(out.id, api::CreateRecord(ctx, entity.name,
                                                   answered ? out.parts.own : std::move(out.parts.own),
                                                   &out.written, /*remember_row=*/answered));
  KITH_RETURN_IF_ERROR(WriteRelated(ctx, hooks, out.id, out.parts));
  if (hooks.after_write) KITH_RETURN_IF_ERROR(hooks.after_write(ctx, out.id, out.written, true));
  if (hooks.after_create) KITH_RETURN_IF_ERROR(hooks.after_create(ctx, out.id, values));
  out.values = std::move(values);
  return out;
}

StatusOr<Value> CreateOne(ActionContext& ctx, const schema::Entity& entity, const EchoPlan& plan,
                          Value values) {
  KITH_ASSIGN_OR_RETURN(Created c, CreateRow(ctx, entity, std::move(values), /*answered=*/true));
  return CreateEcho(ctx, entity, HooksOf(entity.name), plan, c.id, c.written, c.parts, c.values);
}

bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty() && v.get<std::string>() != "0";
  return !v.is_null();
}

// A create's values, checked as the action checks them.
StatusOr<Value> CheckedCreateValues(Value values) {
  if (values.is_array() && values.empty()) values = Value::object();
  // PHP's empty(): an id of 0, "" or "0" is no id.
  if (values.contains("id") && Truthy(values["id"])) {
    return InvalidArgument("Cannot pass id to Create action. Use Update action instead.",
                           {{"error_field", "id"}});
  }
  if (values.is_object()) values.erase("id");
  return values;
}

// The values of a create call, checked as the action checks them.
StatusOr<Value> CreateValues(const Value& params) {
  KITH_RETURN_IF_ERROR(CheckParams(params, {"values"}));
  return CheckedCreateValues(params.value("values", Value::object()));
}


// What a write answers instead of its echo when asked to `reload`: true, the
// whole record; a list of fields, the id and those fields as a get selects them.
struct Reload {
  bool whole = false;
  Value select;  // a list, or null

  static Reload Of(const Value& params) {
    Reload r;
    const Value& given = params.value("reload", Value(false));
    if (given.is_array()) {
      r.select = given;
    } else {
      r.whole = Truthy(given);
    }
    return r;
  }
  bool asked() const { return whole || select.is_array(); }
};

StatusOr<Value> Reloaded(ActionContext& ctx, const schema::Entity& entity, int64_t id,
                         const Reload& reload) {
  if (reload.whole) return WholeRow(ctx, entity, id);
  Value params{{"select", reload.select}, {"where", Value::array({Value::array({"id", "=", id})})}};
  KITH_ASSIGN_OR_RETURN(GetResult got, RunGet(ctx, entity, params));
  if (got.rows.empty()) return Value{{"id", id}};
  return got.rows[0];
}

StatusOr<Value> UpdateOne(ActionContext& ctx, const schema::Entity& entity, int64_t id,
                          const WriteParts& parts, const Reload& reload, bool saving) {
  const V4Hooks& hooks = HooksOf(entity.name);
  KITH_ASSIGN_OR_RETURN(Value before, api::LoadRecord(ctx.txn, entity, id));
  Value written;
  KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, entity.name, id, parts.own, &written));
  KITH_RETURN_IF_ERROR(WriteRelated(ctx, hooks, id, parts));
  if (hooks.after_write) KITH_RETURN_IF_ERROR(hooks.after_write(ctx, id, written, false));
  if (reload.asked()) return Reloaded(ctx, entity, id, reload);
  return UpdateEcho(entity, hooks, id, before, written, parts, saving);
}

StatusOr<int64_t> IdOf(const Value& given) {
  std::optional<int64_t> id;
  if (given.is_number_integer()) id = given.get<int64_t>();
  if (given.is_string()) id = ParseInt64(given.get<std::string>());
  if (!id || *id <= 0) {
    return InvalidArgument("id is not valid: " + api::ValueAsText(given), {{"error_field", "id"}});
  }
  return *id;
}

// `where` clauses "field = value" as values (replace fills its records
// with them, as CiviCRM does).
Value WhereEqualities(const Value& where) {
  Value out = Value::object();
  if (!where.is_array()) return out;
  for (const Value& c : where) {
    if (c.is_array() && c.size() == 3 && c[0].is_string() && c[1] == "=" && !c[2].is_array() &&
        !c[2].is_object()) {
      out[c[0].get<std::string>()] = c[2];
    }
  }
  return out;
}

struct SaveOutcome {
  Value row;
  int64_t id = 0;
  bool matched = false;
};

StatusOr<SaveOutcome> SaveOne(ActionContext& ctx, const schema::Entity& entity, const EchoPlan& plan,
                              Value record, const Value& defaults, const Value& match,
                              const Reload& reload) {
  if (!record.is_object()) return InvalidArgument("records must be a list of objects");
  for (const auto& [k, v] : defaults.items()) {
    if (!record.contains(k)) record[k] = v;
  }
  SaveOutcome out;
  std::optional<int64_t> id;
  if (record.contains("id") && !record["id"].is_null()) {
    KITH_ASSIGN_OR_RETURN(id, IdOf(record["id"]));
  } else if (match.is_array() && !match.empty()) {
    Value where = Value::array();
    bool complete = true;
    for (const Value& m : match) {
      if (!m.is_string() || !record.contains(m.get<std::string>())) {
        complete = false;
        break;
      }
      where.push_back(Value::array({m, "=", record[m.get<std::string>()]}));
    }
    if (complete) {
      KITH_ASSIGN_OR_RETURN(auto ids, MatchingIds(ctx, entity, Value{{"where", where}}));
      if (ids.size() > 1) {
        return InvalidArgument("Multiple " + entity.name + " records match: " + where.dump());
      }
      if (ids.size() == 1) {
        id = ids[0];
        out.matched = true;
      }
    }
  }
  if (id) {
    record.erase("id");
    const V4Hooks& hooks = HooksOf(entity.name);
    if (hooks.prepare) KITH_RETURN_IF_ERROR(hooks.prepare(ctx, record, false));
    KITH_ASSIGN_OR_RETURN(WriteParts parts, SplitWrite(ctx, entity, record));
    KITH_ASSIGN_OR_RETURN(out.row, UpdateOne(ctx, entity, *id, parts, reload, /*saving=*/true));
    out.id = *id;
    out.matched = true;
    return out;
  }
  KITH_ASSIGN_OR_RETURN(out.row, CreateOne(ctx, entity, plan, std::move(record)));
  out.id = out.row["id"].get<int64_t>();
  if (reload.asked()) {
    KITH_ASSIGN_OR_RETURN(out.row, Reloaded(ctx, entity, out.id, reload));
  }
  return out;
}

// A save of this many records or more writes its new rows through the
// store's bulk path (BulkInserts).
constexpr size_t kBulkSave = 100;

// The inserts of a save of many records, pipelined (Transaction::
// PipelineInserts): the store writes the rows on a thread of its own while
// the next records' rules run, since the answers are made from what was
// written, not read back. A record that reads (a match, an update, a rule
// looking something up) first waits for the rows queued before it, handed
// between two threads: when records read more than once in kRecordsPerWait
// (past the first lookups, which the transaction then remembers), the rest
// are saved without pipelining. Ended at the end of the save, so
// that a savepoint around it can still undo it.
class BulkInserts {
 public:
  BulkInserts(store::Transaction& txn, bool wanted) : txn_(txn), on_(wanted) {}
  Status Start() {
    if (!on_) return Status();
    waits_before_ = store::InsertWaits(txn_);
    return txn_.PipelineInserts();
  }
  // After each record saved.
  Status Saved() {
    if (!on_ || ++saved_ % kCheckEvery != 0) return Status();
    int64_t waits = store::InsertWaits(txn_) - waits_before_ - kFirstLookups;
    if (waits * kRecordsPerWait <= saved_) return Status();
    return End();
  }
  // Waits for the queued rows: the first one's failure, if one failed.
  Status End() {
    if (!on_) return Status();
    on_ = false;
    return store::EndPipelinedInserts(txn_);
  }

 private:
  static constexpr int64_t kCheckEvery = 16;
  static constexpr int64_t kRecordsPerWait = 8;
  static constexpr int64_t kFirstLookups = 16;
  store::Transaction& txn_;
  bool on_;
  int64_t saved_ = 0;
  int64_t waits_before_ = 0;
};

// `last_updated`: the last record was an update, whose BAO leaves the
// update tail on it (only the last object's properties show in a save).
void AppendLastTail(const V4Hooks& hooks, Value& rows, bool last_updated = false) {
  if (rows.empty()) return;
  Value& last = rows[rows.size() - 1];
  for (const auto& [k, v] : hooks.last_create_tail.items()) last[k] = v;
  if (last_updated) {
    for (const auto& [k, v] : hooks.update_tail.items()) last[k] = v;
  }
}

}  // namespace

StatusOr<Value> CreateAction(ActionContext& ctx, const std::string& name) {
  KITH_ASSIGN_OR_RETURN(Value values, CreateValues(ctx.params));
  const schema::Entity& entity = EntityOf(ctx, name);
  KITH_ASSIGN_OR_RETURN(Value row, CreateOne(ctx, entity, MakeEchoPlan(entity, HooksOf(name)),
                                             std::move(values)));
  Value rows = Value::array({row});
  AppendLastTail(HooksOf(name), rows);
  return Value{{"values", rows}};
}

StatusOr<int64_t> CreateWithoutAnswer(ActionContext& ctx, const std::string& name, Value values,
                                      WriteKeys* keys) {
  const schema::Entity* entity = ctx.catalog.Find(name);
  if (entity == nullptr || !entity->api || !entity->derived.empty()) {
    return InvalidArgument("APIv4 has no create for " + name);
  }
  KITH_ASSIGN_OR_RETURN(values, CheckedCreateValues(std::move(values)));
  KITH_ASSIGN_OR_RETURN(Created c, CreateRow(ctx, *entity, std::move(values), /*answered=*/false, keys));
  for (Value* row : {&c.written, &c.values, &c.parts.own, &c.parts.joined, &c.parts.related}) {
    EmptyInPlace(*row);
  }
  return c.id;
}

StatusOr<Value> UpdateAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"values", "where", "reload", "orderBy", "limit", "offset"}));
  const schema::Entity& entity = EntityOf(ctx, name);
  Value values = ctx.params.value("values", Value::object());
  if (values.is_array() && values.empty()) values = Value::object();
  Value where = ctx.params.value("where", Value::array());
  if (!where.is_array()) return WrongParamType("where", "array");
  const V4Hooks& hooks = HooksOf(name);
  if (hooks.prepare && values.is_object()) KITH_RETURN_IF_ERROR(hooks.prepare(ctx, values, false));
  KITH_ASSIGN_OR_RETURN(WriteParts parts, SplitWrite(ctx, entity, values));
  if (parts.id && Truthy(*parts.id)) {
    KITH_ASSIGN_OR_RETURN(int64_t id, IdOf(*parts.id));
    // CiviCRM adds the id to `where` unless `where` names the id already
    // (its last clause on id counts), which must then be "= that id".
    const Value* on_id = nullptr;
    for (const Value& c : where) {
      if (c.is_array() && !c.empty() && c[0] == "id") on_id = &c;
    }
    if (on_id == nullptr) {
      where.push_back(Value::array({"id", "=", id}));
    } else if (on_id->size() < 3 || (*on_id)[1] != "=" ||
               api::ValueAsText((*on_id)[2]) != api::ValueAsText(*parts.id)) {
      return InvalidArgument("Cannot update the id of an existing " + name + ".",
                             {{"error_field", "id"}});
    }
  }
  if (where.empty()) {
    return InvalidArgument("Parameter \"where\" is required unless primary keys are supplied in values.",
                           {{"error_field", "where"}});
  }
  Value batch = ctx.params;
  batch["where"] = where;
  KITH_ASSIGN_OR_RETURN(auto ids, MatchingIds(ctx, entity, batch));
  Reload reload = Reload::Of(ctx.params);
  Value rows = Value::array();
  for (int64_t id : ids) {
    KITH_ASSIGN_OR_RETURN(Value row, UpdateOne(ctx, entity, id, parts, reload, /*saving=*/false));
    rows.push_back(std::move(row));
  }
  return Value{{"values", rows}};
}

StatusOr<Value> SaveAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"records", "defaults", "match", "reload"}));
  const schema::Entity& entity = EntityOf(ctx, name);
  // Read where they are: a bulk save's records are thousands.
  static const Value kNoRecords = Value::array();
  auto given = ctx.params.find("records");
  const Value& records = given == ctx.params.end() ? kNoRecords : *given;
  Value defaults = ctx.params.value("defaults", Value::object());
  if (defaults.is_array() && defaults.empty()) defaults = Value::object();
  Value match = ctx.params.value("match", Value::array());
  if (!records.is_array()) return InvalidArgument("records must be a list of objects");
  if (!defaults.is_object()) return InvalidArgument("defaults must be an object");
  if (!match.is_array()) return InvalidArgument("match must be a list of fields");
  Reload reload = Reload::Of(ctx.params);
  Value rows = Value::array();
  rows.get_ref<Value::array_t&>().reserve(records.size());
  int64_t matched = 0;
  bool last_updated = false;
  BulkInserts bulk(ctx.txn, records.size() >= kBulkSave && !reload.asked());
  KITH_RETURN_IF_ERROR(bulk.Start());
  const EchoPlan plan = MakeEchoPlan(entity, HooksOf(name));
  for (const Value& record : records) {
    StatusOr<SaveOutcome> one = SaveOne(ctx, entity, plan, record, defaults, match, reload);
    if (!one.ok()) {
      // A row queued before this record that failed is the first failure.
      KITH_RETURN_IF_ERROR(bulk.End());
      return one.status();
    }
    matched += one->matched ? 1 : 0;
    last_updated = one->matched && !reload.asked();
    rows.push_back(std::move(one->row));
    KITH_RETURN_IF_ERROR(bulk.Saved());
  }
  KITH_RETURN_IF_ERROR(bulk.End());
  AppendLastTail(HooksOf(name), rows, last_updated);
  Value out = Value::object();
  out.get_ref<Value::object_t&>().reserve(2);  // growing would copy "values"
  out["values"] = std::move(rows);
  out["countMatched"] = matched;
  return out;
}

StatusOr<Value> DeleteAction(ActionContext& ctx, const std::string& name) {
  const V4Hooks& hooks = HooksOf(name);
  std::set<std::string> allowed = {"where", "orderBy", "limit", "offset"};
  allowed.insert(hooks.delete_params.begin(), hooks.delete_params.end());
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, allowed));
  const schema::Entity& entity = EntityOf(ctx, name);
  Value where = ctx.params.value("where", Value::array());
  if (!where.is_array() || where.empty()) {
    return InvalidArgument("Cannot delete " + name + " with no \"where\" parameter specified",
                           {{"error_field", "where"}});
  }
  KITH_ASSIGN_OR_RETURN(auto ids, MatchingIds(ctx, entity, ctx.params));
  Value rows = Value::array();
  for (int64_t id : ids) {
    if (hooks.remove) {
      KITH_RETURN_IF_ERROR(hooks.remove(ctx, id, ctx.params));
    } else {
      KITH_RETURN_IF_ERROR(ctx.txn.Delete(name, id));
    }
    rows.push_back(Value{{"id", hooks.delete_ids_as_numbers ? Value(id) : Value(std::to_string(id))}});
  }
  return Value{{"values", rows}};
}

StatusOr<Value> ReplaceAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"records", "defaults", "match", "reload", "where"}));
  const schema::Entity& entity = EntityOf(ctx, name);
  Value where = ctx.params.value("where", Value::array());
  if (!where.is_array() || where.empty()) {
    return InvalidArgument("Cannot replace " + name + " with no \"where\" parameter specified",
                           {{"error_field", "where"}});
  }
  Value records = ctx.params.value("records", Value::array());
  if (!records.is_array()) return InvalidArgument("records must be a list of objects");
  Value defaults = ctx.params.value("defaults", Value::object());
  if (defaults.is_array() && defaults.empty()) defaults = Value::object();
  if (!defaults.is_object()) return InvalidArgument("defaults must be an object");
  Value equalities = WhereEqualities(where);
  for (const auto& [k, v] : equalities.items()) {
    if (!defaults.contains(k)) defaults[k] = v;
  }
  Value match = ctx.params.value("match", Value::array());
  Reload reload = Reload::Of(ctx.params);
  KITH_ASSIGN_OR_RETURN(auto existing, MatchingIds(ctx, entity, Value{{"where", where}}));
  Value rows = Value::array();
  std::set<int64_t> kept;
  bool last_updated = false;
  const EchoPlan plan = MakeEchoPlan(entity, HooksOf(name));
  for (const Value& record : records) {
    KITH_ASSIGN_OR_RETURN(SaveOutcome one, SaveOne(ctx, entity, plan, record, defaults, match, reload));
    kept.insert(one.id);
    last_updated = one.matched && !reload.asked();
    rows.push_back(std::move(one.row));
  }
  AppendLastTail(HooksOf(name), rows, last_updated);
  const V4Hooks& hooks = HooksOf(name);
  Value deleted = Value::array();
  for (int64_t id : existing) {
    if (kept.count(id)) continue;
    if (hooks.remove) {
      KITH_RETURN_IF_ERROR(hooks.remove(ctx, id, Value::object()));
    } else {
      KITH_RETURN_IF_ERROR(ctx.txn.Delete(name, id));
    }
    deleted.push_back(Value{{"id", id}});
  }
  return Value{{"values", rows}, {"deleted", deleted}};
}

}  // namespace kith::entities::v4
