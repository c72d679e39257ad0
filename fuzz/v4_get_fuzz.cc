// APIv4 get parameters (select, where, orderBy, join, groupBy, having,
// limit, offset, chain) run for real: through the dispatcher, on a SQLite
// store made at start with a few contacts, emails, a group and a tag. The
// first byte picks the entity and read action, the rest is the params JSON.
// Properties: no crash, no exception, no SQL error (an answer that would be
// a 500: every bad input is the client's error), work within the request's
// budget (small limits); an answer renders as JSON.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "api/action_registry.h"
#include "api/api.h"
#include "api/records.h"
#include "api/request_budget.h"
#include "auth/caller.h"
#include "base/json_parse.h"
#include "entities/register_builtins.h"
#include "fuzz/fuzz_support.h"
#include "store/store.h"
#include "wire/common/json_writer.h"

namespace {

using kith::Value;

struct World {
  std::string dir;
  std::unique_ptr<kith::store::Store> store;
  kith::api::ActionRegistry registry;
  std::unique_ptr<kith::api::Dispatcher> dispatcher;
};

World* world = nullptr;

void Seed(const char* entity, Value values) {
  kith::api::ApiCall call{entity, "create", {{"values", std::move(values)}}, 4};
  kith::StatusOr<Value> made = world->dispatcher->Run(call, kith::auth::Caller::System());
  if (!made.ok()) kith::fuzz::Fail("the seed data is created", made.status().ToString());
}

void RemoveWorld() {
  if (world == nullptr) return;
  world->dispatcher.reset();
  world->store.reset();
  std::filesystem::remove_all(world->dir);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/kith-fuzz-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) kith::fuzz::Fail("a temporary directory");
  world = new World;
  world->dir = tmpl;
  std::atexit(RemoveWorld);
  kith::store::StoreOptions options;
  options.sqlite_path = world->dir + "/kith.db";
  auto store = kith::store::OpenStore(options);
  if (!store.ok()) kith::fuzz::Fail("the store opens", store.status().ToString());
  world->store = std::move(*store);
  kith::entities::RegisterBuiltins(world->registry, kith::api::GlobalRules());
  world->dispatcher = std::make_unique<kith::api::Dispatcher>(*world->store, world->registry);
  Seed("Contact", {{"contact_type", "Individual"}, {"first_name", "Ada"}, {"last_name", "Lovelace"},
                   {"birth_date", "1815-12-10"}});
  Seed("Contact", {{"contact_type", "Individual"}, {"first_name", "Émile"}, {"last_name", "Zola"},
                   {"do_not_email", true}});
  Seed("Contact", {{"contact_type", "Organization"}, {"organization_name", "Analytical Engines"}});
  Seed("Email", {{"contact_id", 1}, {"email", "ada@example.org"}, {"is_primary", true}});
  Seed("Group", {{"title", "Fuzzers"}, {"name", "fuzzers"}});
  Seed("GroupContact", {{"group_id", 1}, {"contact_id", 2}});
  Seed("Tag", {{"name", "fuzzed"}});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kith;
  static const char* const kCalls[][2] = {
      {"Contact", "get"},       {"Email", "get"},         {"Group", "get"},
      {"GroupContact", "get"},  {"Contact", "getFields"}, {"Entity", "get"},
      {"Contact", "getActions"}, {"Activity", "get"},     {"Tag", "get"},
      {"Relationship", "get"},  {"Address", "get"},       {"Individual", "get"},
  };
  constexpr size_t kCallCount = sizeof kCalls / sizeof kCalls[0];
  auto [mode, text] = fuzz::ModeAndText(data, size);
  RequestLimits limits = fuzz::SmallLimits();
  StatusOr<Value> params = ParseJson(text, "params", limits.max_nesting_depth, limits.max_parameters);
  if (!params.ok() || !params->is_object()) return 0;
  const char* const* which = kCalls[mode % kCallCount];
  api::ApiCall call{which[0], which[1], std::move(*params), 4};
  api::RequestBudget budget(limits, nullptr);
  api::ScopedRequestBudget active(budget);
  StatusOr<Value> result = world->dispatcher->Run(call, auth::Caller::System());
  if (!result.ok()) {
    absl::StatusCode code = result.status().code();
    if (code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
        code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kUnavailable) {
      fuzz::Fail("a bad get is the client's error", result.status().ToString());
    }
    return 0;
  }
  (void)wire::ToJson(*result);
  return 0;
}
