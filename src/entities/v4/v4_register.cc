// The APIv4 action table: every action of every api entity, with the
// permissions its schema names, registered once at start.
#include "base/error_details.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using api::ActionContext;

namespace {

const V4HooksTable& Table() {
  static const V4HooksTable table = [] {
    V4HooksTable t;
    AddContactHooks(t);
    AddLocationHooks(t);
    AddGroupHooks(t);
    AddRelationshipHooks(t);
    AddCustomDataHooks(t);
    AddActivityHooks(t);
    AddTagAndNoteHooks(t);
    AddWebhookHooks(t);
    return t;
  }();
  return table;
}

StatusOr<Value> GetAction(ActionContext& ctx, const std::string& name) {
  KITH_RETURN_IF_ERROR(CheckParams(ctx.params, {"select", "where", "orderBy", "limit", "offset",
                                                "join", "groupBy", "having"}));
  KITH_ASSIGN_OR_RETURN(GetResult result, RunGet(ctx, *ctx.catalog.Find(name), ctx.params, ctx.call.rows_out));
  Value out = Value::object();
  out.get_ref<Value::object_t&>().reserve(3);  // growing would copy "values"
  out["values"] = Value::array();
  out["values"].get_ref<Value::array_t&>().reserve(result.rows.size());
  for (Value& row : result.rows) out["values"].push_back(std::move(row));
  if (result.count) out["count"] = *result.count;
  if (result.count_matched) out["countMatched"] = *result.count_matched;
  return out;
}

// Runs `handler`, then the chained calls of its params for each row.
api::ActionHandler WithChains(std::function<StatusOr<Value>(ActionContext&)> handler) {
  return [handler = std::move(handler)](ActionContext& ctx) -> StatusOr<Value> {
    KITH_ASSIGN_OR_RETURN(Value result, handler(ctx));
    if (result.contains("values")) KITH_RETURN_IF_ERROR(RunChains(ctx, ctx.params, result["values"]));
    return result;
  };
}

std::vector<std::string> Union(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (const auto& list : lists) {
    for (const std::string& p : list) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
  }
  return out;
}

}  // namespace

const V4Hooks& HooksOf(const std::string& entity) {
  static const V4Hooks kNone;
  auto it = Table().find(entity);
  return it == Table().end() ? kNone : it->second;
}

void RegisterV4Actions(api::ActionRegistry& registry, const schema::Catalog& catalog) {
  (void)Table();  // built before serving, not on the first request
  for (const auto& shared : catalog.entities()) {
    const schema::Entity& e = *shared;
    if (!e.api) continue;
    const std::string name = e.name;
    auto add = [&](const char* action, std::vector<std::string> perms, bool writes,
                   const std::string& description,
                   std::function<StatusOr<Value>(ActionContext&, const std::string&)> fn) {
      registry.Register({4, name, action, std::move(perms), writes, description,
                         WithChains([fn = std::move(fn), name](ActionContext& ctx) {
                           return fn(ctx, name);
                         })});
    };
    add("get", e.get_permissions, false, "Get " + name + " records", GetAction);
    if (!e.derived.empty() || e.read_only) {  // rows the store derives or kith writes
      add("getFields", {"access CiviCRM"}, false, "The fields of " + name, GetFieldsAction);
      add("getActions", {"access CiviCRM"}, false, "The actions of " + name, GetActionsAction);
      continue;
    }
    add("create", e.create_permissions, true, "Create a " + name, CreateAction);
    add("update", e.update_permissions, true, "Update one or more " + name + " records", UpdateAction);
    add("save", Union({e.create_permissions, e.update_permissions}), true,
        "Create or update one or more " + name + " records", SaveAction);
    add("delete", e.delete_permissions, true, "Delete one or more " + name + " records", DeleteAction);
    add("replace", Union({e.create_permissions, e.update_permissions, e.delete_permissions}), true,
        "Replace the " + name + " records matching where with the given records", ReplaceAction);
    add("getFields", {"access CiviCRM"}, false, "The fields of " + name, GetFieldsAction);
    add("getActions", {"access CiviCRM"}, false, "The actions of " + name, GetActionsAction);
    add("checkAccess", {"access CiviCRM"}, false, "Whether the caller may run an action on " + name,
        CheckAccessAction);
  }
  registry.Register({4, "Entity", "get", {"access CiviCRM"}, false, "The entities of APIv4",
                     WithChains([](ActionContext& ctx) { return EntityGetAction(ctx); })});
}

}  // namespace kith::entities::v4
