// The API core's public surface — start here.
//
// Every request, whichever protocol it arrives in, becomes one ApiCall run by
// the Dispatcher on behalf of an auth::Caller:
//
//     (entity, action, params, version, caller) -> Value | Status
//
// `version` selects the dialect whose rules apply (2: CiviCRM 3.2's API v2
// behind extern/rest.php; 3: APIv3; 4: APIv4), because the
// dialects really differ in defaults and result shapes, as they do in
// CiviCRM. The result Value is the dialect's own result (for v2, what the
// v2 function returned; for v3, the full envelope); wire adapters only
// render it. Errors are Statuses with canonical codes plus details
// (base/error_details.h) that each wire adapter maps to its envelope.
#pragma once

#include <memory>
#include <string>

#include "auth/caller.h"
#include "base/status.h"
#include "base/value.h"
#include "store/store.h"

namespace kith::api {

class ActionRegistry;
struct ActionSpec;

struct ApiCall {
  std::string entity;  // as sent: "contact", "Contact", "group_contact", ...
  std::string action;  // as sent, matched case-insensitively
  Value params = Value::object();
  int version = 3;
  // Where a get whose answer has a known shape writes its rows as it reads
  // them (APIv4's generic get); its result's "values" are then empty. Null:
  // the rows are in the result, as for every other action.
  AnswerRows* rows_out = nullptr;
  // The dispatcher's registry's spec for (version, entity, action), when the
  // caller looked it up already (a route does, to choose how to answer):
  // not looked up again. Null: the dispatcher looks it up.
  const ActionSpec* spec = nullptr;
};

class Dispatcher {
 public:
  // `store` and `registry` must outlive the dispatcher.
  Dispatcher(store::Store& store, const ActionRegistry& registry);

  // Runs `call` in one transaction: committed when it succeeds, rolled back
  // entirely when it fails. Errors: kNotFound for an unknown entity/action
  // (details error_code "not-found"), kPermissionDenied when the caller lacks
  // the action's permission, otherwise whatever the action returns.
  // `read_txn`: a read transaction already open (the one the caller was
  // authenticated in); a reading action runs in it, a writing one starts its
  // own.
  StatusOr<Value> Run(const ApiCall& call, const auth::Caller& caller,
                      std::unique_ptr<store::Transaction> read_txn = nullptr) const;

  // Runs `call` inside an existing transaction (chained calls, CLI steps
  // that must commit together). Does not commit. With a RequestBudget
  // active on this thread (api/request_budget.h), the call is counted and
  // refused with its error when the request is over a limit.
  StatusOr<Value> RunIn(store::Transaction& txn, const ApiCall& call,
                        const auth::Caller& caller) const;

  store::Store& store() const { return store_; }
  const ActionRegistry& registry() const { return registry_; }

 private:
  // The call's spec: the one it carries, else the registry's (null: none).
  const ActionSpec* SpecOf(const ApiCall& call) const;
  // RunIn with the call's spec found (null: none is registered).
  StatusOr<Value> RunSpec(store::Transaction& txn, const ApiCall& call, const ActionSpec* spec,
                          const auth::Caller& caller) const;

  store::Store& store_;
  const ActionRegistry& registry_;
};

}  // namespace kith::api
