// The table of version-3 actions: for every api entity of the catalog the
// generic actions, with the entity's hooks where it has them, each wrapped
// so that chained calls run.
#include <algorithm>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;

namespace {

Value NotOne(const std::string& entity, int64_t n) {
  return Value{{"count", n},
               {"is_error", 1},
               {"error_message", "Expected one " + entity + " but found " + std::to_string(n)}};
}

// Replace (civicrm_api3_generic_replace): the records matching the filters
// become exactly `values`: each is created (or updated when it has an id),
// then the others are deleted.
StatusOr<Value> Replace(ActionContext& ctx, const std::string& entity, const RowsFn& rows) {
  const Value& params = ctx.params;
  if (!params.contains("values") || (!params["values"].is_array() && !params["values"].is_object())) {
    return MandatoryMissing({"values"});
  }
  Value filters = Value::object();
  for (const auto& [k, v] : params.items()) {
    if (!IsMetaParam(k, v)) filters[k] = v;
  }
  V3Options all;
  all.limit = 0;
  Value query = filters;
  query["return"] = "id";
  KITH_ASSIGN_OR_RETURN(V3Rows existing, rows(ctx, query, all));
  Value created = Value::object();
  for (const auto& item : params["values"].items()) {
    if (!item.value().is_object()) continue;
    Value one = filters;
    for (const auto& [k, v] : item.value().items()) one[k] = v;
    KITH_ASSIGN_OR_RETURN(Value result, RunV3(ctx, entity, "create", std::move(one)));
    if (result.contains("values") && result["values"].is_object()) {
      for (const auto& [id, row] : result["values"].items()) created[id] = row;
    }
  }
  for (const auto& [id, row] : existing.rows.items()) {
    if (created.contains(id)) continue;
    KITH_RETURN_IF_ERROR(RunV3(ctx, entity, "delete", Value{{"id", id}}).status());
  }
  return V3Success(created, Truthy(params.value("sequential", Value())));
}

// CiviCRM checks a write of a contact's own data (its emails, phones,
// addresses and notes on it) against that contact: "edit all contacts", or
// "edit my contact" for the caller's own. Its API layer asks for no more, so
// a caller without the right hears "Permission denied to modify contact
// record" (error_code 0), not which API permission is missing.
bool IsContactData(const std::string& entity) {
  return entity == "Email" || entity == "Phone" || entity == "Address" || entity == "Note";
}

// The contact whose data the call writes: the contact_id (a note's
// entity_id on civicrm_contact) given, else the stored record's.
StatusOr<std::optional<int64_t>> OwningContact(ActionContext& ctx, const std::string& entity,
                                               std::optional<int64_t> id) {
  const Value& p = ctx.params;
  bool note = entity == "Note";
  const char* key = note ? "entity_id" : "contact_id";
  auto given = [&](const char* k) { return p.contains(k) && !api::ValueAsText(p[k]).empty(); };
  if (note && given("entity_table") && api::ValueAsText(p["entity_table"]) != "civicrm_contact") {
    return std::optional<int64_t>();
  }
  if (given(key)) {
    if (p[key] == "user_contact_id") return std::optional<int64_t>(ctx.caller.contact_id);
    return ParseInt64(api::ValueAsText(p[key]));
  }
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (!id || e == nullptr) return std::optional<int64_t>();
  StatusOr<Value> record = api::LoadRecord(ctx.txn, *e, *id);
  if (!record.ok()) return std::optional<int64_t>();
  if (note && api::ValueAsText(record->value("entity_table", Value())) != "civicrm_contact") {
    return std::optional<int64_t>();
  }
  return ParseInt64(api::ValueAsText(record->value(key, Value())));
}

Status CheckWrite(ActionContext& ctx, const std::string& entity, const std::string& action,
                  std::optional<int64_t> id, const std::vector<std::string>& permissions) {
  Status api_check = CheckPermissions(ctx, entity, action, permissions);
  if (api_check.ok() || !IsContactData(entity)) return api_check;
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> contact, OwningContact(ctx, entity, id));
  if (!contact) return api_check;
  if (*contact == ctx.caller.contact_id && ctx.caller.Has("edit my contact")) return Status();
  return PermissionDenied("Permission denied to modify contact record", Value{{"error_code", 0}});
}

class EntityActions {
 public:
  EntityActions(api::ActionRegistry& registry, const schema::Entity& entity, V3Hooks hooks)
      : registry_(registry), entity_(entity.name), hooks_(std::move(hooks)) {
    std::string name = entity_;
    V3Hooks h = hooks_;
    rows_ = h.rows ? h.rows : RowsFn([name, h](ActionContext& ctx, const Value& p, const V3Options& o) {
      return GenericRows(ctx, name, h, p, o);
    });
    if (h.count) {
      count_ = h.count;
    } else if (h.rows) {
      RowsFn rows = rows_;
      count_ = [rows](ActionContext& ctx, const Value& p) -> StatusOr<int64_t> {
        V3Options all;
        all.limit = 0;
        KITH_ASSIGN_OR_RETURN(V3Rows r, rows(ctx, p, all));
        return static_cast<int64_t>(r.rows.size());
      };
    } else {
      count_ = [name](ActionContext& ctx, const Value& p) { return GenericCount(ctx, name, p); };
    }
    // Every read takes its spec's defaults and checks its integer filters
    // first, as CiviCRM's API layer does. nullopt: `given` stands as it is.
    auto check = [name, defaults = h.get_defaults](
                     ActionContext& ctx, const Value& given) -> StatusOr<std::optional<Value>> {
      const schema::Entity* e = ctx.catalog.Find(name);
      if (e == nullptr) return std::optional<Value>();
      if (defaults.empty() || !api::ValueAsText(given.value("id", Value())).empty()) {
        return CheckedFilters(ctx, *e, given);
      }
      Value p = given;
      for (const auto& [k, v] : defaults.items()) {
        if (!p.contains(k)) p[k] = v;
      }
      KITH_ASSIGN_OR_RETURN(std::optional<Value> checked, CheckedFilters(ctx, *e, p));
      return checked ? std::move(checked) : std::optional<Value>(std::move(p));
    };
    rows_ = [inner = rows_, check](ActionContext& ctx, const Value& p,
                                   const V3Options& o) -> StatusOr<V3Rows> {
      KITH_ASSIGN_OR_RETURN(std::optional<Value> checked, check(ctx, p));
      return inner(ctx, checked ? *checked : p, o);
    };
    count_ = [inner = count_, check](ActionContext& ctx, const Value& p) -> StatusOr<int64_t> {
      KITH_ASSIGN_OR_RETURN(std::optional<Value> checked, check(ctx, p));
      return inner(ctx, checked ? *checked : p);
    };
    get_ = entity.get_permissions;
    create_ = entity.create_permissions;
    update_ = entity.update_permissions;
    delete_ = entity.delete_permissions;
    read_only_ = entity.read_only;
  }

  void RegisterAll() {
    std::string name = entity_;
    RowsFn rows = rows_;
    CountFn count = count_;
    V3Hooks h = hooks_;
    Add("get", get_, false, "Records matching the filters, 25 at a time",
        [rows](ActionContext& ctx) -> StatusOr<Value> {
          KITH_ASSIGN_OR_RETURN(V3Options o, ParseOptions(ctx.params));
          o.rows_out = ctx.call.rows_out;
          KITH_ASSIGN_OR_RETURN(V3Rows r, rows(ctx, ctx.params, o));
          bool sequential = Truthy(ctx.params.value("sequential", Value()));
          Value env = r.written ? V3SuccessWritten(r.written_rows, r.first_key, sequential)
                                : V3Success(std::move(r.rows), sequential);
          if (Truthy(ctx.params.value("debug", Value()))) {
            Value undefined = Value::array();
            for (const std::string& u : r.undefined) undefined.push_back(u);
            env["undefined_fields"] = std::move(undefined);
          }
          return env;
        });
    Add("getsingle", get_, false, "The one record matching the filters",
        [rows, name](ActionContext& ctx) -> StatusOr<Value> {
          KITH_ASSIGN_OR_RETURN(V3Options o, ParseOptions(ctx.params));
          KITH_ASSIGN_OR_RETURN(V3Rows r, rows(ctx, ctx.params, o));
          if (r.rows.size() != 1) return NotOne(name, static_cast<int64_t>(r.rows.size()));
          return *r.rows.begin();
        });
    Add("getvalue", get_, false, "One field of the one record matching the filters",
        [rows, name](ActionContext& ctx) -> StatusOr<Value> {
          std::vector<std::string> fields = ReturnFields(ctx.params);
          if (fields.size() != 1) {
            return Value{{"error_type", "mandatory_missing"},
                         {"missing_param", "return"},
                         {"is_error", 1},
                         {"error_message", "missing param return=field you want to read the value of"}};
          }
          KITH_ASSIGN_OR_RETURN(V3Options o, ParseOptions(ctx.params));
          Value params = ctx.params;
          params["return"] = fields[0];
          KITH_ASSIGN_OR_RETURN(V3Rows r, rows(ctx, params, o));
          if (r.rows.size() != 1) return NotOne(name, static_cast<int64_t>(r.rows.size()));
          const Value& row = *r.rows.begin();
          if (!row.contains(fields[0])) {
            return Value{{"invalid_field", fields[0]},
                         {"is_error", 1},
                         {"error_message", "field " + fields[0] + " unset or not existing"}};
          }
          return row[fields[0]];
        });
    Add("getcount", get_, false, "The number of records matching the filters",
        [count](ActionContext& ctx) -> StatusOr<Value> {
          KITH_ASSIGN_OR_RETURN(int64_t n, count(ctx, ctx.params));
          return Value(n);
        });
    if (read_only_) {  // kith writes it (the change log): reads and getfields only
      Add("getfields", {"access CiviCRM"}, false, "The fields of the entity",
          [name](ActionContext& ctx) { return GetFields(ctx, name); });
      return;
    }
    // create with an id is an update, and needs the update permissions
    // (CiviCRM checks "create" as "update" then): the registry holds what
    // both share, the rest is checked per call.
    std::vector<std::string> shared;
    for (const std::string& p : create_) {
      if (std::find(update_.begin(), update_.end(), p) != update_.end()) shared.push_back(p);
    }
    // A contact's data is checked against its contact in the call (CheckWrite).
    std::vector<std::string> delete_perms = delete_;
    if (IsContactData(name)) {
      shared = {"access CiviCRM"};
      delete_perms = shared;
    }
    api::ActionHandler create = h.create ? h.create : api::ActionHandler([name, h](ActionContext& ctx) {
      return GenericCreate(ctx, name, h);
    });
    std::vector<std::string> create_perms = create_, update_perms = update_;
    Add("create", shared, true, "Creates a record, or updates it when id is given",
        [name, create, create_perms, update_perms](ActionContext& ctx) -> StatusOr<Value> {
          KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, name, ctx.params));
          // (CiviCRM checks a create's integer fields as a get's filters)
          if (const schema::Entity* e = ctx.catalog.Find(name)) {
            KITH_RETURN_IF_ERROR(CheckIntegerFilters(*e, ctx.params));
          }
          KITH_RETURN_IF_ERROR(CheckWrite(ctx, name, "create", id, id ? update_perms : create_perms));
          return create(ctx);
        });
    api::ActionHandler remove = h.remove ? h.remove : api::ActionHandler([name, h](ActionContext& ctx) {
      return GenericDelete(ctx, name, h);
    });
    Add("delete", delete_perms, true, "Deletes a record",
        [name, remove, perms = delete_](ActionContext& ctx) -> StatusOr<Value> {
          KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, name, ctx.params));
          KITH_RETURN_IF_ERROR(CheckWrite(ctx, name, "delete", id, perms));
          return remove(ctx);
        });
    const std::vector<std::string> meta = {"access CiviCRM"};
    Add("getfields", meta, false, "The fields of the entity",
        [name](ActionContext& ctx) { return GetFields(ctx, name); });
    Add("getoptions", meta, false, "The options of one field",
        [name](ActionContext& ctx) { return GetOptions(ctx, name); });
    Add("getactions", meta, false, "The actions of the entity",
        [name](ActionContext& ctx) { return GetActions(ctx, name); });
    if (h.replace) {
      Add("replace", update_, true, "Makes the records matching the filters exactly `values`",
          h.replace_action ? h.replace_action : api::ActionHandler([name, rows](ActionContext& ctx) {
            return Replace(ctx, name, rows);
          }));
    }
    for (const auto& [action, handler] : h.extra_reads) {
      Add(action, get_, false, "", handler);
    }
  }

 private:
  void Add(const std::string& action, std::vector<std::string> permissions, bool writes,
           const char* description, api::ActionHandler handler) {
    registry_.Register({3, entity_, action, std::move(permissions), writes, description,
                        WithChains(entity_, action, std::move(handler))});
  }

  api::ActionRegistry& registry_;
  std::string entity_;
  V3Hooks hooks_;
  RowsFn rows_;
  CountFn count_;
  std::vector<std::string> get_, create_, update_, delete_;
  bool read_only_ = false;
};

}  // namespace

void RegisterV3Actions(api::ActionRegistry& registry, const schema::Catalog& catalog) {
  V3HooksTable table;
  AddContactHooks(table);
  AddLocationHooks(table);
  AddGroupHooks(table);
  AddRelationshipHooks(table);
  AddCustomHooks(table);
  AddActivityHooks(table);
  for (const auto& entity : catalog.entities()) {
    // Derived entities (RelationshipCache) came with APIv4; APIv3 has none.
    if (!entity->api || !entity->derived.empty() || !entity->v3) continue;
    auto it = table.find(entity->name);
    EntityActions(registry, *entity, it == table.end() ? V3Hooks{} : it->second).RegisterAll();
  }
  RegisterCustomValueActions(registry);
  registry.Register({3, "Entity", "get", {"access CiviCRM"}, false, "The entities of APIv3",
                     WithChains("Entity", "get", EntityGet)});
}

}  // namespace kith::entities::v3
