// scale_bench: server-side latency of the read queries of issue 7 part 3
// over a data directory filled by kith_generate.
//
// Each query runs the whole request path `kith serve` runs, in process and
// without a socket: an http::HttpRequest is built as a client would send it
// and handed to server::KithService::Handle (wire parsing, authentication by
// api key, dispatch, store, envelope rendering). Keys vary from run to run
// (contacts, names, emails, groups sampled from the data before timing); each
// query first warms up over every sampled key once.
// Prints one tab-separated line per query on stdout:
//   name <TAB> api <TAB> p50 ms <TAB> p99 ms <TAB> rows of the median answer <TAB> runs
//   <TAB> p99 ms of this thread's CPU time <TAB> p50 ms of this thread's CPU time
// (the CPU time leaves out the waits for a core that other processes on a
// busy machine cause; wall time includes them).
// and progress on stderr.
//
// A query stops early (after at least 20 runs) once it has taken --budget
// seconds, so that slow queries at 1M contacts do not take the hour.
//
//   scale_bench --data DIR --api-key KEY [--runs R] [--budget S] [--seed S] [--only NAME]
#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_check.h"
#include "api/action_registry.h"
#include "api/api.h"
#include "auth/authenticator.h"
#include "auth/secrets.h"
#include "cli/runtime.h"
#include "config/kith_config.h"
#include "entities/register_builtins.h"
#include "http/http_message.h"
#include "server/kith_service.h"
#include "store/store.h"

namespace {

using kith::Value;
using kith::store::Condition;
using kith::store::Op;
using kith::store::Query;

using kith::bench::Check;
using kith::bench::Die;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// The rows (or the count) an answer holds: APIv4's countMatched or count,
// APIv3's count, or a getcount's result.
std::optional<int64_t> RowsOf(const std::string& answer) {
  Value body = Value::parse(answer, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  for (const char* key : {"countMatched", "result", "count"}) {
    if (body.contains(key) && body[key].is_number_integer()) return body[key].get<int64_t>();
  }
  return std::nullopt;
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Sample {
  int64_t id;
  std::string last_name, sort_name, external_identifier, email;
};

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, api_key, only;
  int runs = 300;
  double budget_s = 15;
  uint64_t seed = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--data") data_dir = argv[i + 1];
    else if (flag == "--api-key") api_key = argv[i + 1];
    else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--budget") budget_s = std::atof(argv[i + 1]);
    else if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--only") only = argv[i + 1];
    else Die("unknown flag " + flag);
  }
  if (data_dir.empty() || api_key.empty() || runs < 1) {
    Die("usage: scale_bench --data DIR --api-key KEY [--runs R] [--seed S] [--only NAME]");
  }
  if (!kith::auth::InitSecrets().ok()) Die("cannot initialise secrets");
  auto config = Check(kith::config::LoadConfig(data_dir), "load config");
  // The store kith.toml names: SQLite, or PostgreSQL (bench/scale.sh SCALE_PG=1).
  auto store = Check(kith::store::OpenStore(kith::cli::StoreOptionsOf(data_dir, config)), "open store");
  kith::api::ActionRegistry registry;
  kith::entities::RegisterBuiltins(registry, kith::api::GlobalRules());
  kith::api::Dispatcher dispatcher(*store, registry);
  kith::auth::Authenticator auth(
      *store, kith::auth::AuthOptions{config.site_key, config.session_idle_seconds});
  kith::server::KithService service(auth, dispatcher, {});

  // Keys to vary over, read before any timing.
  std::mt19937_64 rng(seed);
  std::vector<Sample> samples;
  std::vector<int64_t> plain_groups, smart_groups;
  int64_t max_id = 0;
  {
    auto txn = Check(store->Begin(false), "begin");
    Query q;
    q.entity = "Contact";
    q.select = {"id"};
    q.order_by = {{"id", true}};
    q.limit = 1;
    max_id = Check(txn->Select(q), "max id").at(0)["id"].get<int64_t>();
    Value ids = Value::array();
    for (int i = 0; i < 1000; ++i) ids.push_back(2 + static_cast<int64_t>(rng() % (max_id - 1)));
    q = Query{};
    q.entity = "Contact";
    q.select = {"id", "last_name", "sort_name", "external_identifier", "email_primary.email"};
    q.where = Condition::And({Condition::Leaf("id", Op::kIn, ids),
                              Condition::Leaf("contact_type", Op::kEq, "Individual"),
                              Condition::Leaf("email_primary.email", Op::kIsNotNull)});
    for (const Value& row : Check(txn->Select(q), "samples")) {
      samples.push_back({row["id"].get<int64_t>(), row["last_name"].get<std::string>(),
                         row["sort_name"].get<std::string>(),
                         row["external_identifier"].get<std::string>(),
                         row["email_primary.email"].get<std::string>()});
    }
    q = Query{};
    q.entity = "Group";
    q.select = {"id", "title"};
    q.where = Condition::Leaf("title", Op::kLike, "Bench %");
    q.order_by = {{"id", false}};
    for (const Value& row : Check(txn->Select(q), "groups")) {
      bool smart = row["title"].get<std::string>().rfind("Bench smart:", 0) == 0;
      (smart ? smart_groups : plain_groups).push_back(row["id"].get<int64_t>());
    }
  }
  if (samples.size() < 100 || plain_groups.empty() || smart_groups.empty()) {
    Die(data_dir + " does not look like a kith_generate data directory");
  }
  const kith::schema::CustomGroupInfo* profile = nullptr;
  for (const auto& g : store->catalog()->custom_groups()) {
    if (g.title == "Bench Profile") profile = &g;
  }
  if (profile == nullptr || profile->field_ids.empty()) Die("no Bench Profile custom group");
  const std::string tier_v4 =
      profile->name + "." + store->catalog()->FindCustomField(profile->field_ids[0])->name;
  const std::string tier_v3 = "custom_" + std::to_string(profile->field_ids[0]);
  const char* kTiers[] = {"Bronze", "Silver", "Gold", "Platinum", "Lead", "Partner", "Alumni",
                          "Volunteer", "Donor", "Member"};

  auto v4 = [&](const std::string& entity, const std::string& action, const Value& params) {
    kith::http::HttpRequest r;
    r.method = "POST";
    r.path = "/civicrm/ajax/api4/" + entity + "/" + action;
    r.headers = {{"content-type", "application/x-www-form-urlencoded"},
                 {"x-civi-auth", "Bearer " + api_key},
                 {"x-requested-with", "XMLHttpRequest"}};
    r.body = "params=" + UrlEncode(params.dump());
    r.remote_address = "127.0.0.1";
    return r;
  };
  auto v3 = [&](const std::string& entity, const std::string& action, const Value& params) {
    kith::http::HttpRequest r;
    r.method = "POST";
    r.path = "/civicrm/extern/rest.php";
    r.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    r.body = "entity=" + entity + "&action=" + action + "&key=" + UrlEncode(config.site_key) +
             "&api_key=" + UrlEncode(api_key) + "&json=" + UrlEncode(params.dump());
    r.remote_address = "127.0.0.1";
    return r;
  };
  // While a query warms up, samples are taken in turn, so that every key the
  // timed runs may draw has been looked up once: the timed runs measure a
  // server whose data is in memory, as a serving kith's is, not the first
  // touch of each page (which at 1M contacts showed as p99 outliers).
  bool warming = false;
  size_t next_warm = 0;
  auto sample = [&]() -> const Sample& {
    if (warming) return samples[next_warm++ % samples.size()];
    return samples[rng() % samples.size()];
  };
  auto plain = [&]() { return plain_groups[rng() % plain_groups.size()]; };
  // The California smart group: criteria on the address (state), the
  // shape CiviCRM users build most.
  int64_t smart = smart_groups[0];

  struct Case {
    std::string name, api;
    std::function<kith::http::HttpRequest()> make;
  };
  std::vector<Case> cases = {
      {"get by id", "v4 Contact.get",
       [&] {
         int64_t id = 2 + static_cast<int64_t>(rng() % (max_id - 1));
         return v4("Contact", "get", {{"where", {{"id", "=", id}}}});
       }},
      {"get by id", "v3 Contact.get",
       [&] {
         int64_t id = 2 + static_cast<int64_t>(rng() % (max_id - 1));
         return v3("Contact", "get", {{"id", id}});
       }},
      {"search by last_name", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"last_name", "=", sample().last_name}}},
                                      {"limit", 25}});
       }},
      {"search by email", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"email_primary.email", "=", sample().email}}},
                                      {"limit", 25}});
       }},
      {"search by email", "v3 Contact.get",
       [&] { return v3("Contact", "get", {{"email", sample().email}, {"return", "sort_name"}}); }},
      {"search by external_identifier", "v4 Contact.get",
       [&] {
         return v4("Contact", "get",
                   {{"where", {{"external_identifier", "=", sample().external_identifier}}}});
       }},
      {"sort_name prefix (autocomplete)", "v4 Contact.get",
       [&] {
         // The first four letters of a surname, as typed into a search box.
         std::string prefix = sample().sort_name.substr(0, 4);
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"sort_name", "LIKE", prefix + "%"}}},
                                      {"orderBy", {{"sort_name", "ASC"}}},
                                      {"limit", 10}});
       }},
      {"members of a group (page of 25)", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"groups", "IN", {plain()}}}},
                                      {"limit", 25}});
       }},
      // A rare name within a large group: found through the names when the
      // planner has statistics, by walking the group when it has none.
      {"members of a group by last_name", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"groups", "IN", {plain()}},
                                                 {"last_name", "=", sample().last_name}}}});
       }},
      {"members of a smart group (page of 25)", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"groups", "IN", {smart}}}},
                                      {"limit", 25}});
       }},
      {"count of a smart group", "v3 Contact.getcount",
       [&] { return v3("Contact", "getcount", {{"group", smart}}); }},
      {"count of a smart group", "v4 Contact.get row_count",
       [&] {
         return v4("Contact", "get", {{"select", {"row_count"}},
                                      {"where", {{"groups", "IN", {smart}}}}});
       }},
      {"contacts with a custom value (page of 25)", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{tier_v4, "=", kTiers[rng() % 10]}}},
                                      {"limit", 25}});
       }},
      {"contacts with a custom value (page of 25)", "v3 Contact.get",
       [&] {
         return v3("Contact", "get", {{tier_v3, kTiers[rng() % 10]}, {"return", "sort_name"}});
       }},
      {"a contact's relationships", "v3 Relationship.get",
       [&] { return v3("Relationship", "get", {{"contact_id", sample().id}}); }},
      {"a contact's relationships", "v4 Relationship.get",
       [&] {
         int64_t id = sample().id;
         return v4("Relationship", "get",
                   {{"where", Value::array({Value::array(
                                  {"OR", Value::array({Value::array({"contact_id_a", "=", id}),
                                                       Value::array({"contact_id_b", "=", id})})})})}});
       }},
      // Tags, notes and activities (issue 16): the lookups an integration
      // makes, answered from EntityTag's, Note's, ActivityContact's and
      // Activity's indexes.
      {"a contact's tags", "v4 EntityTag.get",
       [&] {
         return v4("EntityTag", "get", {{"select", {"tag_id", "tag_id:name"}},
                                        {"where", {{"entity_id", "=", sample().id},
                                                   {"entity_table", "=", "civicrm_contact"}}}});
       }},
      {"contacts with a tag (page of 25)", "v4 Contact.get",
       [&] {
         return v4("Contact", "get", {{"select", {"id", "sort_name"}},
                                      {"where", {{"tags", "IN", {1 + static_cast<int>(rng() % 5)}}}},
                                      {"limit", 25}});
       }},
      {"a contact's notes", "v4 Note.get",
       [&] {
         return v4("Note", "get", {{"where", {{"entity_id", "=", sample().id},
                                              {"entity_table", "=", "civicrm_contact"}}}});
       }},
      {"a contact's activities", "v3 Activity.get",
       [&] { return v3("Activity", "get", {{"contact_id", sample().id}}); }},
      {"a contact's activities", "v4 ActivityContact.get",
       [&] {
         return v4("ActivityContact", "get",
                   {{"select", {"activity_id", "record_type_id:name", "activity_id.subject"}},
                    {"where", {{"contact_id", "=", sample().id}}}});
       }},
      {"activities of a type by date (page of 25)", "v4 Activity.get",
       [&] {
         return v4("Activity", "get", {{"select", {"id", "subject", "activity_date_time"}},
                                       {"where", {{"activity_type_id", "=", 1 + static_cast<int>(rng() % 2)},
                                                  {"activity_date_time", ">=", "2024-01-01"}}},
                                       {"orderBy", {{"activity_date_time", "DESC"}}},
                                       {"limit", 25}});
       }},
  };

  for (const Case& c : cases) {
    if (!only.empty() && c.name.find(only) == std::string::npos) continue;
    std::vector<double> ms, cpu_ms;
    std::vector<int64_t> answer_rows;
    // Warm-up: every sample once (see `sample`), or a tenth of the runs if
    // that is more, within a quarter of the budget; at least 5 runs.
    int warmup = std::max<int>(runs / 10, static_cast<int>(samples.size()));
    warming = true;
    next_warm = 0;
    auto case_start = std::chrono::steady_clock::now();
    for (int i = 0; i < warmup; ++i) {
      if (i >= 5 && std::chrono::duration<double>(std::chrono::steady_clock::now() - case_start)
                            .count() > budget_s / 4) {
        break;
      }
      kith::http::HttpResponse response = service.Handle(c.make());
      if (response.status != 200) {
        Die(c.name + " (" + c.api + ") failed while warming up: HTTP " +
            std::to_string(response.status) + " " + response.body.substr(0, 300));
      }
    }
    warming = false;
    case_start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) {
      if (ms.size() >= 20 && std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                           case_start).count() > budget_s) {
        break;
      }
      kith::http::HttpRequest request = c.make();
      double cpu_start = ThreadCpuMs();
      auto start = std::chrono::steady_clock::now();
      kith::http::HttpResponse response = service.Handle(request);
      auto end = std::chrono::steady_clock::now();
      double cpu = ThreadCpuMs() - cpu_start;
      if (response.status != 200 || response.body.find("\"is_error\":1") != std::string::npos) {
        Die(c.name + " (" + c.api + ") failed: " + std::to_string(response.status) + " " +
            response.body.substr(0, 300) + "\n request: " + request.body.substr(0, 300));
      }
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      cpu_ms.push_back(cpu);
      if (std::optional<int64_t> n = RowsOf(response.body)) answer_rows.push_back(*n);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu_ms.begin(), cpu_ms.end());
    size_t p99 = std::min(ms.size() - 1, static_cast<size_t>(ms.size() * 0.99));
    // How many rows (or what count) the answers held, the median over the
    // timed runs: keys differ in how many rows they match.
    std::sort(answer_rows.begin(), answer_rows.end());
    std::string rows =
        answer_rows.empty() ? "?" : std::to_string(answer_rows[answer_rows.size() / 2]);
    std::printf("%s\t%s\t%.3f\t%.3f\t%s\t%zu\t%.3f\t%.4f\n", c.name.c_str(), c.api.c_str(),
                ms[ms.size() / 2], ms[p99], rows.c_str(), ms.size(), cpu_ms[p99],
                cpu_ms[cpu_ms.size() / 2]);
    std::fflush(stdout);
    std::fprintf(stderr, "scale_bench: %s (%s): p50 %.3f ms, p99 %.3f ms\n", c.name.c_str(),
                 c.api.c_str(), ms[ms.size() / 2], ms[p99]);
  }
  return 0;
}
