// groups_bench: how group membership queries behave as data grows.
//
// Fills a fresh store with N contacts (default 100000; each with a primary
// address in one of 50 cities) and with groups: 40 plain groups of 2,500
// members each, a parent with five nested children (and a grandchild), a
// smart group (one city, with contacts removed and added by hand), and a
// plain group that has the smart group nested below it. Then times, through
// the 3.2 API's own code path (Dispatcher -> contact/search, search_count),
//   members of group         contact/search group=G (first page of 25, and all)
//   members of nested group  contact/search group=<parent of five>
//   members of smart group   contact/search group=S (first page, and all)
//   count of smart group     contact/search_count group=S
//   contacts with custom value contact/search custom_N=V (a searchable
//                            String field of a custom group on Individuals,
//                            one of 20 values on every contact)
// and prints the median and p99 of each, in milliseconds.
//
//   groups_bench [--contacts N] [--runs R] [--db PATH]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_check.h"
#include "api/action_registry.h"
#include "api/api.h"
#include "api/records.h"
#include "auth/caller.h"
#include "entities/group_ops.h"
#include "entities/register_builtins.h"
#include "store/store.h"

namespace {

using kith::Value;

using kith::bench::Check;
using kith::bench::Die;

struct Fixture {
  int64_t plain = 0;        // one of the plain groups
  int64_t nested_top = 0;   // parent of five children (and a grandchild)
  int64_t smart = 0;        // city criteria, manual removals and additions
  int64_t smart_parent = 0; // plain group with the smart group nested below
};

Fixture Fill(kith::store::Store& store, const kith::api::Dispatcher& dispatcher, int contacts) {
  std::mt19937 rng(42);
  auto txn = Check(store.Begin(true), "begin");
  kith::auth::Caller caller = kith::auth::Caller::System();
  kith::api::ApiCall call;
  kith::api::ActionContext ctx{*txn, caller, dispatcher, *store.catalog(), call, call.params};

  std::vector<int64_t> ids;
  ids.reserve(contacts);
  for (int i = 0; i < contacts; ++i) {
    std::string last = "Last" + std::to_string(i % 5000);
    std::string first = "First" + std::to_string(i);
    int64_t id = Check(txn->Insert("Contact", {{"contact_type", "Individual"},
                                               {"first_name", first},
                                               {"last_name", last},
                                               {"sort_name", last + ", " + first},
                                               {"display_name", first + " " + last}}),
                       "insert contact");
    Check(txn->Insert("Address", {{"contact_id", id},
                                  {"location_type_id", 1},
                                  {"is_primary", 1},
                                  {"city", "City" + std::to_string(i % 50)}}),
          "insert address");
    ids.push_back(id);
  }
  auto group = [&](const std::string& title) {
    return Check(kith::api::CreateRecord(ctx, "Group", {{"title", title}, {"is_active", true}}),
                 "create group");
  };
  auto add = [&](int64_t g, const std::vector<int64_t>& members) {
    Check(kith::entities::AddContactsToGroup(ctx, g, members, "Added", "API", nullptr,
                                             kith::entities::NotAddedRule::kAlreadyAdded),
          "add members");
  };
  auto sample = [&](size_t n) {
    std::vector<int64_t> out;
    std::sample(ids.begin(), ids.end(), std::back_inserter(out), n, rng);
    return out;
  };

  Fixture f;
  for (int i = 0; i < 40; ++i) {
    int64_t g = group("Plain " + std::to_string(i));
    add(g, sample(2500));
    if (i == 0) f.plain = g;
  }
  f.nested_top = group("Nested top");
  add(f.nested_top, sample(1000));
  int64_t last_child = 0;
  for (int i = 0; i < 5; ++i) {
    last_child = group("Nested child " + std::to_string(i));
    Check(kith::entities::AddGroupParent(ctx, last_child, f.nested_top), "nest");
    add(last_child, sample(2000));
  }
  int64_t grandchild = group("Nested grandchild");
  Check(kith::entities::AddGroupParent(ctx, grandchild, last_child), "nest");
  add(grandchild, sample(2000));

  f.smart = group("Smart city 7");
  Check(kith::entities::SetSmartCriteria(ctx, f.smart, {{"city", "City7"}}), "smart criteria");
  std::vector<int64_t> removed, added;
  for (size_t i = 7; i < ids.size() && removed.size() < 100; i += 50) removed.push_back(ids[i]);
  for (size_t i = 8; i < ids.size() && added.size() < 100; i += 50) added.push_back(ids[i]);
  Check(kith::entities::RemoveContactsFromGroup(ctx, f.smart, removed, "Removed", "API", nullptr),
        "remove from smart");
  add(f.smart, added);
  f.smart_parent = group("Smart parent");
  Check(kith::entities::AddGroupParent(ctx, f.smart, f.smart_parent), "nest smart");
  add(f.smart_parent, sample(500));
  Check(txn->Commit(), "commit");
  return f;
}

// A custom group on Individuals with a searchable String field, made
// through APIv3 as a user would, and a value (one of 20) for every contact.
// Returns the field's criterion key ("custom_N").
std::string FillCustom(kith::store::Store& store, const kith::api::Dispatcher& dispatcher) {
  kith::auth::Caller caller = kith::auth::Caller::System();
  auto v3 = [&](const std::string& entity, Value params) {
    kith::api::ApiCall call{entity, "create", std::move(params), 3};
    return Check(dispatcher.Run(call, caller), (entity + ".create").c_str())["id"].get<int64_t>();
  };
  int64_t group = v3("CustomGroup", {{"title", "Bench Custom"}, {"extends", "Individual"}});
  int64_t field = v3("CustomField", {{"custom_group_id", group}, {"label", "Tier"},
                                     {"data_type", "String"}, {"html_type", "Text"},
                                     {"is_searchable", 1}});
  auto catalog = store.catalog();
  const kith::schema::CustomFieldInfo* info = catalog->FindCustomField(field);
  if (info == nullptr) Die("custom field not in the catalog");
  auto txn = Check(store.Begin(true), "begin");
  kith::store::Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.order_by = {{"id", false}};
  int i = 0;
  for (const Value& row : Check(txn->Select(q), "contacts")) {
    Check(txn->Insert(info->entity, {{"entity_id", row["id"]},
                                     {info->column, "Tier " + std::to_string(i++ % 20)}}),
          "insert custom value");
  }
  Check(txn->Commit(), "commit");
  return info->key();
}

struct Timing {
  double median_ms, p99_ms;
  std::string answer;  // what the last run answered (a count or a row count)
};

Timing Measure(const kith::api::Dispatcher& dispatcher, const std::string& action, Value params,
               int runs) {
  kith::auth::Caller caller = kith::auth::Caller::System();
  std::vector<double> ms;
  std::string answer;
  for (int i = 0; i < runs; ++i) {
    kith::api::ApiCall call{"contact", action, params, 2};
    auto start = std::chrono::steady_clock::now();
    Value result = Check(dispatcher.Run(call, caller), action.c_str());
    auto end = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    answer = result.is_object() ? std::to_string(result.size()) + " rows" : result.dump();
  }
  std::sort(ms.begin(), ms.end());
  size_t p99 = std::min(ms.size() - 1, static_cast<size_t>(ms.size() * 0.99));
  return {ms[ms.size() / 2], ms[p99], answer};
}

}  // namespace

int main(int argc, char** argv) {
  int contacts = 100000;
  int runs = 50;
  std::string db;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--contacts") contacts = std::atoi(argv[i + 1]);
    else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--db") db = argv[i + 1];
    else Die("unknown flag " + flag);
  }
  std::string dir;
  if (db.empty()) {
    char tmpl[] = "/tmp/kith-groups-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    db = dir + "/kith.db";
  }
  kith::store::StoreOptions options;
  options.sqlite_path = db;
  auto store = Check(kith::store::OpenStore(options), "open store");
  kith::api::ActionRegistry registry;
  kith::entities::RegisterBuiltins(registry, kith::api::GlobalRules());
  kith::api::Dispatcher dispatcher(*store, registry);

  auto fill_start = std::chrono::steady_clock::now();
  Fixture f = Fill(*store, dispatcher, contacts);
  double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  std::string custom_key = FillCustom(*store, dispatcher);
  std::printf("filled %d contacts, 48 groups, custom values in %.1f s (%s)\n", contacts, fill_s,
              db.c_str());
  std::printf("%-36s %10s %10s  %s\n", "query (3.2 API path)", "median ms", "p99 ms", "answer");

  auto search = [&](int64_t group, int rows) {
    return Value{{"group", group}, {"rowCount", rows}, {"return", {{"contact_id", 1}}}};
  };
  struct Case {
    const char* name;
    const char* action;
    Value params;
  };
  std::vector<Case> cases = {
      {"members of group (page of 25)", "search", search(f.plain, 25)},
      {"members of group (all 2,500)", "search", search(f.plain, 100000)},
      {"count of group", "search_count", Value{{"group", f.plain}}},
      {"members of nested group (page)", "search", search(f.nested_top, 25)},
      {"count of nested group", "search_count", Value{{"group", f.nested_top}}},
      {"members of smart group (page)", "search", search(f.smart, 25)},
      {"members of smart group (all)", "search", search(f.smart, 100000)},
      {"count of smart group", "search_count", Value{{"group", f.smart}}},
      {"count of group with smart child", "search_count", Value{{"group", f.smart_parent}}},
      {"contacts with custom value (page)", "search",
       Value{{custom_key, "Tier 7"}, {"rowCount", 25}, {"return", {{"contact_id", 1}}}}},
      {"count of contacts with custom value", "search_count", Value{{custom_key, "Tier 7"}}},
  };
  for (const Case& c : cases) {
    Timing t = Measure(dispatcher, c.action, c.params, runs);
    std::printf("%-36s %10.2f %10.2f  %s\n", c.name, t.median_ms, t.p99_ms, t.answer.c_str());
  }
  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
