#include "api/action_registry.h"
#include "api/api.h"
#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::api {
namespace {

// Whether a call of `version` with `params` chains a call that writes (APIv4
// `chain`: name -> [Entity, action, params]; APIv3 `api.Entity.action`):
// the whole call then needs a write transaction. A chained call kith does
// not know counts as a write (the safe side).
bool ChainsAWrite(const ActionRegistry& registry, int version, const Value& params, int depth = 0) {
  if (!params.is_object() || depth > 16) return false;
  auto writes = [&](const std::string& entity, const std::string& action, const Value& sub) {
    const ActionSpec* spec = registry.Find(version, entity, action);
    return spec == nullptr || spec->writes || ChainsAWrite(registry, version, sub, depth + 1);
  };
  if (version == 4) {
    auto chain = params.find("chain");
    if (chain == params.end() || !chain->is_object()) return false;
    for (const auto& [name, spec] : chain->items()) {
      if (!spec.is_array() || spec.size() < 2 || !spec[0].is_string() || !spec[1].is_string()) continue;
      if (writes(spec[0].get<std::string>(), spec[1].get<std::string>(),
                 spec.size() > 2 ? spec[2] : Value::object())) {
        return true;
      }
    }
    return false;
  }
  for (const auto& [key, sub] : params.items()) {
    if (key.rfind("api.", 0) != 0) continue;
    size_t dot = key.find('.', 4);
    if (dot == std::string::npos) return true;
    std::string entity = key.substr(4, dot - 4), action = key.substr(dot + 1);
    if (sub.is_array()) {
      for (const Value& one : sub) {
        if (writes(entity, action, one)) return true;
      }
    } else if (writes(entity, action, sub)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Dispatcher::Dispatcher(store::Store& store, const ActionRegistry& registry)
    : store_(store), registry_(registry) {}

StatusOr<Value> Dispatcher::Run(const ApiCall& call, const auth::Caller& caller,
                                std::unique_ptr<store::Transaction> read_txn) const {
  const ActionSpec* spec = SpecOf(call);
  bool writes = spec == nullptr || spec->writes || ChainsAWrite(registry_, call.version, call.params);
  if (writes) read_txn.reset();  // ends before the write transaction begins
  if (read_txn != nullptr) {
    KITH_ASSIGN_OR_RETURN(Value result, RunSpec(*read_txn, call, spec, caller));
    KITH_RETURN_IF_ERROR(read_txn->Commit());
    return result;
  }
  // A call its own transaction: run again whole when the store refuses it
  // for a conflict with a concurrent one (store::RunWithRetries).
  Value result;
  KITH_RETURN_IF_ERROR(store::RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> txn, store_.Begin(writes));
    KITH_ASSIGN_OR_RETURN(result, RunSpec(*txn, call, spec, caller));
    return txn->Commit();
  }));
  return result;
}

StatusOr<Value> Dispatcher::RunIn(store::Transaction& txn, const ApiCall& call,
                                  const auth::Caller& caller) const {
  return RunSpec(txn, call, SpecOf(call), caller);
}

const ActionSpec* Dispatcher::SpecOf(const ApiCall& call) const {
  return call.spec != nullptr ? call.spec : registry_.Find(call.version, call.entity, call.action);
}

StatusOr<Value> Dispatcher::RunSpec(store::Transaction& txn, const ApiCall& call,
                                    const ActionSpec* spec, const auth::Caller& caller) const {
  if (spec == nullptr) {
    return NotFound("API (" + call.entity + ", " + call.action + ") does not exist",
                    {{"error_code", "not-found"}});
  }
  std::vector<std::string> missing;
  for (const std::string& p : spec->permissions) {
    if (!caller.Has(p)) missing.push_back(p);
  }
  if (!missing.empty()) {
    return PermissionDenied("API permission check failed for " + spec->entity + "/" +
                                spec->action + " call; insufficient permission: require " +
                                Join(spec->permissions, " and "),
                            {{"error_code", "unauthorized"}});
  }
  // The transaction's own catalog (custom data can change the schema), held
  // for the whole action.
  // Whoever calls, through any protocol, an extension or the CLI: the
  // author of the changes the call makes (the change log).
  txn.SetChangeAuthor(caller.contact_id);
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  ActionContext ctx{txn, caller, *this, *catalog, call, call.params};
  RequestBudget* budget = RequestBudget::Current();
  if (budget == nullptr) return spec->handler(ctx);
  KITH_RETURN_IF_ERROR(budget->EnterCall());
  StatusOr<Value> result = spec->handler(ctx);
  budget->LeaveCall();
  if (result.ok()) KITH_RETURN_IF_ERROR(budget->AddRows(*result));
  return result;
}

}  // namespace kith::api
