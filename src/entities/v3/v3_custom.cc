// Custom data in APIv3 (shared/PROTOCOL.md C.2.5): CustomGroup and
// CustomField created and deleted through the shared custom data
// operations (tables and columns follow), answering the columns CiviCRM's
// BAO sets; APIv3 gives every new field weight 1. CustomValue reads and
// writes the custom values of one record (entity_id).
#include <algorithm>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/custom_contact_values.h"
#include "entities/custom_data_ops.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;

namespace {

// The fields given for a create of `entity`, meta parameters left out;
// `extra` names accepted that are not columns (option_values).
StatusOr<Value> CreateInput(const ActionContext& ctx, const schema::Entity& e,
                            const std::vector<std::string>& extra) {
  Value input = Value::object();
  for (const auto& [key, value] : ctx.params.items()) {
    if (IsMetaParam(key, value) || key == "id") continue;
    bool known = e.FindField(key) != nullptr ||
                 std::find(extra.begin(), extra.end(), key) != extra.end();
    if (!known) {
      return InvalidArgument("Unknown field: " + key, Value{{"error_code", 2001}, {"error_field", key}});
    }
    input[key] = value;
  }
  return input;
}

Status CheckRequired(const schema::Entity& e, const Value& input) {
  std::vector<std::string> missing;
  for (const schema::Field& f : e.fields) {
    if (!f.required || f.name == "id") continue;
    if (!input.contains(f.name) || api::ValueAsText(input[f.name]).empty()) missing.push_back(f.name);
  }
  return missing.empty() ? Status() : MandatoryMissing(missing);
}

using CreateOp = StatusOr<int64_t> (*)(ActionContext&, const Value&, bool);

StatusOr<Value> CustomCreate(ActionContext& ctx, const std::string& entity, const V3Hooks& hooks,
                             CreateOp create, const std::vector<std::string>& extra) {
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, entity, ctx.params));
  if (id) return GenericCreate(ctx, entity, hooks);
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) return Internal("no schema for " + entity);
  KITH_ASSIGN_OR_RETURN(Value input, CreateInput(ctx, *e, extra));
  for (const auto& [k, v] : hooks.create_defaults.items()) {
    if (!input.contains(k)) input[k] = v;
  }
  KITH_RETURN_IF_ERROR(CheckRequired(*e, input));
  if (entity == "CustomField") {
    // APIv3's own conversions: the old country and state widgets become
    // plain selects (several values: serialized), a text area gets
    // CiviCRM's default size.
    std::string html = api::ValueAsText(input.value("html_type", Value("")));
    if (html == "Multi-Select" || html == "Multi-Select Country" || html == "Multi-Select State/Province") {
      input["serialize"] = 1;
      input["html_type"] = html = "Select";
    } else if (html == "Select Country" || html == "Select State/Province") {
      input["html_type"] = html = "Select";
    }
    if (html == "TextArea" && api::ValueAsText(input.value("attributes", Value(""))).empty()) {
      input["attributes"] = "rows=4, cols=60";
    }
  }
  if (input.contains("custom_group_id")) {
    KITH_ASSIGN_OR_RETURN(input["custom_group_id"],
                          ResolvePseudoValue(ctx, *e->FindField("custom_group_id"), input["custom_group_id"]));
  }
  KITH_ASSIGN_OR_RETURN(int64_t new_id, create(ctx, input, /*ignore_unknown=*/true));
  // The schema changed with the create: the answer reads the new row
  // through the transaction's own catalog.
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  const schema::Entity* now = catalog->Find(entity);
  KITH_ASSIGN_OR_RETURN(Value row, CreateAnswerRow(ctx, now != nullptr ? *now : *e, hooks, new_id, input));
  return V3Success(Value{{std::to_string(new_id), row}}, Truthy(ctx.params.value("sequential", Value())));
}

template <Status (*Delete)(ActionContext&, int64_t)>
StatusOr<Value> CustomDelete(ActionContext& ctx, const std::string& entity) {
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, entity, ctx.params));
  if (!id) return MandatoryMissing({"id"});
  Status s = Delete(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete entity id " + std::to_string(*id));
  }
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}};
}

// ---- CustomValue ----

StatusOr<std::string> BaseEntity(const ActionContext& ctx, const Value& params) {
  std::string table = api::ValueAsText(params.value("entity_table", Value()));
  if (table.empty()) return std::string("Contact");
  if (table.rfind("civicrm_", 0) == 0) table = table.substr(8);
  std::string entity = api::CanonicalEntityName(table);
  if (ctx.catalog.Find(entity) == nullptr) {
    return InvalidArgument("entity_table is not valid: " + api::ValueAsText(params["entity_table"]),
                           Value{{"error_code", 2001}, {"error_field", "entity_table"}});
  }
  return entity;
}

StatusOr<int64_t> EntityId(const ActionContext& ctx, const Value& params) {
  if (!params.contains("entity_id") || api::ValueAsText(params["entity_id"]).empty()) {
    return MandatoryMissing({"entity_id"});
  }
  if (params["entity_id"] == "user_contact_id") return ctx.caller.contact_id;
  auto n = ParseInt64(api::ValueAsText(params["entity_id"]));
  if (!n) {
    return InvalidArgument("entity_id is not a valid integer: " + api::ValueAsText(params["entity_id"]),
                           Value{{"error_code", 2001}, {"error_field", "entity_id"}});
  }
  return *n;
}

// CustomValue.get: one value per custom field of the record, keyed by field
// id: {"0" (or each row's id for a multi-record group): value, entity_id,
// latest, id}.
StatusOr<Value> CustomValueGet(ActionContext& ctx) {
  const Value& params = ctx.params;
  KITH_ASSIGN_OR_RETURN(int64_t entity_id, EntityId(ctx, params));
  KITH_ASSIGN_OR_RETURN(std::string base, BaseEntity(ctx, params));
  std::vector<std::string> asked = ReturnFields(params);
  std::vector<const schema::CustomFieldInfo*> fields;
  for (const schema::CustomFieldInfo* cf : ctx.catalog.CustomFieldsOf(base)) {
    if (!cf->is_active) continue;
    if (!asked.empty() && std::find(asked.begin(), asked.end(), cf->key()) == asked.end()) continue;
    fields.push_back(cf);
  }
  std::sort(fields.begin(), fields.end(), [](const auto* a, const auto* b) {
    return a->group_id != b->group_id ? a->group_id < b->group_id : a->column < b->column;
  });
  Value values = Value::object();
  std::map<int64_t, std::vector<Value>> rows_by_group;
  for (const schema::CustomFieldInfo* cf : fields) {
    const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(cf->group_id);
    if (g == nullptr) continue;
    if (!rows_by_group.count(g->id)) {
      KITH_ASSIGN_OR_RETURN(rows_by_group[g->id], api::ReadCustomRows(ctx.txn, *g, entity_id));
    }
    const std::vector<Value>& rows = rows_by_group[g->id];
    // CiviCRM's key order: entity_id, latest, id, then the values.
    Value by_row = Value::object();
    Value latest = "";
    if (g->is_multiple) {
      for (const Value& r : rows) {
        latest = api::CustomValueText(*cf, r.value(cf->column, Value()));
        by_row[api::ValueAsText(r["id"])] = latest;
      }
    } else {
      latest = rows.empty() ? std::string() : api::CustomValueText(*cf, rows[0].value(cf->column, Value()));
      by_row["0"] = latest;
    }
    Value v{{"entity_id", std::to_string(entity_id)}, {"latest", latest}, {"id", std::to_string(cf->id)}};
    for (const auto& [k, x] : by_row.items()) v[k] = x;
    values[std::to_string(cf->id)] = std::move(v);
  }
  return V3Success(values, Truthy(params.value("sequential", Value())));
}

StatusOr<Value> CustomValueCreate(ActionContext& ctx) {
  const Value& params = ctx.params;
  KITH_ASSIGN_OR_RETURN(int64_t entity_id, EntityId(ctx, params));
  KITH_ASSIGN_OR_RETURN(std::string base, BaseEntity(ctx, params));
  Value input = Value::object();
  for (const auto& [key, value] : params.items()) {
    if (IsMetaParam(key, value) || key == "entity_id" || key == "entity_table") continue;
    if (!api::ResolveCustomKey(ctx.catalog, key)) {
      return InvalidArgument("Unknown field: " + key, Value{{"error_code", 2001}, {"error_field", key}});
    }
    input[key] = value;
  }
  if (base == "Contact") {
    KITH_ASSIGN_OR_RETURN(std::vector<api::CustomValueWrite> writes, TakeContactCustomValues(ctx, input));
    KITH_RETURN_IF_ERROR(SaveContactCustomValues(ctx, entity_id, writes));
  } else {
    KITH_ASSIGN_OR_RETURN(std::vector<api::CustomValueWrite> writes,
                          api::PrepareCustomValues(ctx.txn, ctx.catalog, base, input));
    KITH_RETURN_IF_ERROR(api::WriteCustomValues(ctx.txn, entity_id, writes));
  }
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", true}};
}

}  // namespace

void AddCustomHooks(V3HooksTable& table) {
  V3Hooks& group = table["CustomGroup"];
  group.create_echo = {"style", "collapse_display", "weight", "is_active", "table_name",
                       "is_multiple", "collapse_adv_display", "created_id", "created_date",
                       "is_reserved", "is_public", "extends"};
  group.create_defaults = Value{{"is_active", 1}};
  V3Hooks group_copy = group;
  group.create = [group_copy](ActionContext& ctx) {
    return CustomCreate(ctx, "CustomGroup", group_copy, CreateCustomGroup, {});
  };
  group.remove = [](ActionContext& ctx) { return CustomDelete<DeleteCustomGroup>(ctx, "CustomGroup"); };

  V3Hooks& field = table["CustomField"];
  field.create_echo = {"name", "data_type", "html_type", "is_required", "is_searchable",
                       "is_search_range", "weight", "is_active", "is_view", "file_is_public",
                       "column_name", "serialize", "in_selector", "fk_entity_on_delete",
                       "option_group_id"};
  // APIv3 gives every new field weight 1 (APIv4 numbers them).
  field.create_defaults = Value{{"weight", 1}, {"is_active", 1}};
  V3Hooks field_copy = field;
  field.create = [field_copy](ActionContext& ctx) {
    return CustomCreate(ctx, "CustomField", field_copy, CreateCustomField, {"option_values"});
  };
  field.remove = [](ActionContext& ctx) { return CustomDelete<DeleteCustomField>(ctx, "CustomField"); };
  // CiviCRM answers serialize with any field list asked for.
  field.rows = [](ActionContext& ctx, const Value& params, const V3Options& options) {
    std::vector<std::string> asked = ReturnFields(params);
    if (asked.empty() || std::find(asked.begin(), asked.end(), "serialize") != asked.end()) {
      return GenericRows(ctx, "CustomField", V3Hooks{}, params, options);
    }
    Value with = params;
    asked.push_back("serialize");
    with["return"] = Join(asked, ",");
    for (auto it = with.begin(); it != with.end();) {
      it = it.key().rfind("return.", 0) == 0 ? with.erase(it) : std::next(it);
    }
    return GenericRows(ctx, "CustomField", V3Hooks{}, with, options);
  };
  field.count = [](ActionContext& ctx, const Value& params) { return GenericCount(ctx, "CustomField", params); };
}

void RegisterCustomValueActions(api::ActionRegistry& registry) {
  registry.Register({3, "CustomValue", "get", {"access CiviCRM"}, false,
                     "The custom values of one record", WithChains("CustomValue", "get", CustomValueGet)});
  registry.Register({3, "CustomValue", "create", {"access CiviCRM", "edit all contacts"}, true,
                     "Sets custom values of one record",
                     WithChains("CustomValue", "create", CustomValueCreate)});
  registry.Register({3, "CustomValue", "getactions", {"access CiviCRM"}, false, "The actions of CustomValue",
                     [](ActionContext& ctx) { return GetActions(ctx, "CustomValue"); }});
}

}  // namespace kith::entities::v3
