// kith_generate: fills a data directory made by `kith init` with N contacts
// of deterministic test data (the same N and seed give the same rows), for
// the scale benchmark (bench/scale.sh) and for trying kith at size.
//
// Per contact: ~95% Individuals (first/last name drawn from syllable pools,
// sort/display names, external_identifier EXT-<n>, gender, birth date), ~5%
// Organizations; one primary email (a second one for some), a phone for
// most, a primary address for most (US states mostly, other countries'
// states by their ids in the seeded reference data); membership of one to
// three of 50 plain groups; a value of the searchable custom field "Tier" of
// the custom group "Bench Profile" (extends Individual) for ~70% of
// individuals; an "Employee of" relationship to an organization (employer_id
// set as CiviCRM does) for ~60% of individuals, and "Sibling of" between
// some individuals; a default tag for ~30% of contacts, a note for ~20%, an
// activity with this contact as its target for ~40%. Five smart groups store criteria as kith stores them
// (SavedSearch form_values), through entities/group_ops.
//
// Bulk rows go in through the store's Transaction::Insert in its bulk mode
// (Transaction::PipelineInserts: on PostgreSQL hundreds of rows to one
// multi-row INSERT instead of a round trip each; on SQLite written by a
// thread of the store's own), committed every --batch contacts;
// the groups, custom group and smart criteria go through the API's own
// operations so their rules (names, catalog reload, criteria checks) apply.
//
//   kith_generate --data DIR --contacts N [--seed S] [--batch B]
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_check.h"
#include "api/action_registry.h"
#include "api/api.h"
#include "auth/caller.h"
#include "cli/runtime.h"
#include "config/kith_config.h"
#include "entities/group_ops.h"
#include "entities/register_builtins.h"
#include "store/store.h"

namespace {

using kith::Value;
using kith::store::Condition;
using kith::store::Op;
using kith::store::Query;

using kith::bench::Check;
using kith::bench::Die;

// Name pools: syllables combine into 27,000 last names and 1,000 first
// names, so lookups by name return a handful of rows even at 1M contacts.
const char* const kSyl1[] = {"Ab", "Bar", "Cal", "Dor", "El", "Fen", "Gar", "Hal", "Ing", "Jor",
                             "Kel", "Lam", "Mor", "Nor", "Ol", "Pem", "Quin", "Ros", "Sal", "Tor",
                             "Ul", "Val", "Wes", "Yar", "Zan", "Ash", "Bel", "Cor", "Dun", "Eth"};
const char* const kSyl2[] = {"an", "ber", "cot", "den", "er", "ford", "gan", "ham", "ing", "kin",
                             "ley", "man", "ner", "ol", "per", "quist", "ridge", "son", "ton", "ville",
                             "wick", "worth", "ard", "bury", "dale", "field", "gate", "holt", "more", "stead"};
const char* const kSyl3[] = {"", "s", "e", "er", "en", "ey", "o", "a", "ie", "ing",
                             "ar", "et", "in", "or", "ul", "an", "is", "ot", "um", "el",
                             "as", "ix", "on", "ur", "ay", "eo", "ia", "ow", "yn", "ys"};
const char* const kFirst1[] = {"Al", "Be", "Ca", "Da", "E", "Fa", "Gi", "Ha", "I", "Jo",
                               "Ka", "Le", "Ma", "Ni", "O", "Pa", "Ra", "Sa", "Te", "Vi",
                               "Wi", "Xa", "Ya", "Ze", "An", "Bo", "Ce", "Di", "El", "Fi",
                               "Gu", "He", "Is", "Ju", "Ke", "Li", "Mo", "Na", "Ro", "Su"};
const char* const kFirst2[] = {"lice", "n", "ra", "vid", "mma", "tima", "na", "rry", "sla", "nas",
                               "ren", "on", "ria", "ck", "liver", "ul", "chel", "m", "d", "ctor",
                               "ll", "vier", "smin", "ke", "na"};

template <size_t N>
const char* Pick(const char* const (&pool)[N], std::mt19937_64& rng) {
  return pool[rng() % N];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Hex32(std::mt19937_64& rng) {
  static const char* kHex = "0123456789abcdef";
  std::string s(32, '0');
  for (char& c : s) c = kHex[rng() % 16];
  return s;
}

std::string Date(std::mt19937_64& rng, int from_year, int years) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", from_year + static_cast<int>(rng() % years),
                1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
  return buf;
}

struct State {
  int64_t id, country_id;
};

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  int64_t contacts = 10000;
  uint64_t seed = 1;
  int64_t batch = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--data") data_dir = argv[i + 1];
    else if (flag == "--contacts") contacts = std::atoll(argv[i + 1]);
    else if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--batch") batch = std::atoll(argv[i + 1]);
    else Die("unknown flag " + flag);
  }
  if (data_dir.empty() || contacts < 100 || batch < 1) {
    Die("usage: kith_generate --data DIR --contacts N(>=100) [--seed S] [--batch B]");
  }
  auto config = Check(kith::config::LoadConfig(data_dir), "load config (run kith init first)");
  // The store kith.toml names: SQLite, or PostgreSQL (bench/scale.sh SCALE_PG=1).
  auto store = Check(kith::store::OpenStore(kith::cli::StoreOptionsOf(data_dir, config)), "open store");
  kith::api::ActionRegistry registry;
  kith::entities::RegisterBuiltins(registry, kith::api::GlobalRules());
  kith::api::Dispatcher dispatcher(*store, registry);
  kith::auth::Caller system = kith::auth::Caller::System();
  auto start = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed);

  // Refuse to generate twice into one directory: ids and names would clash.
  {
    auto txn = Check(store->Begin(false), "begin");
    Query q;
    q.entity = "Contact";
    q.where = Condition::Leaf("external_identifier", Op::kEq, "EXT-1");
    if (Check(txn->Count(q), "count") > 0) Die(data_dir + " already holds generated contacts");
  }

  // Schema-level setup through the API: groups, the custom group and field.
  auto v3 = [&](const std::string& entity, const std::string& action, Value params) {
    kith::api::ApiCall call{entity, action, std::move(params), 3};
    return Check(dispatcher.Run(call, system), (entity + "." + action).c_str());
  };
  std::vector<int64_t> plain_groups;
  for (int g = 0; g < 50; ++g) {
    Value r = v3("Group", "create", {{"title", "Bench group " + std::to_string(g)},
                                     {"group_type", "Mailing List"}});
    plain_groups.push_back(r["id"].get<int64_t>());
  }
  Value cg = v3("CustomGroup", "create", {{"title", "Bench Profile"}, {"extends", "Individual"}});
  int64_t custom_group_id = cg["id"].get<int64_t>();
  v3("CustomField", "create", {{"custom_group_id", custom_group_id},
                               {"label", "Tier"},
                               {"data_type", "String"},
                               {"html_type", "Text"},
                               {"is_searchable", 1}});
  const kith::schema::CustomGroupInfo* group_info =
      store->catalog()->FindCustomGroup(custom_group_id);
  if (group_info == nullptr || group_info->field_ids.empty()) Die("custom group not in catalog");
  const std::string custom_entity = group_info->entity;
  const std::string tier_column =
      store->catalog()->FindCustomField(group_info->field_ids[0])->column;

  // US states and a few other countries' states, from the seeded data.
  std::vector<State> us_states, other_states;
  {
    auto txn = Check(store->Begin(false), "begin");
    Query q;
    q.entity = "StateProvince";
    q.select = {"id", "country_id"};
    q.where = Condition::Leaf("country_id", Op::kIn, Value::array({1228, 1039, 1082, 1076, 1226}));
    q.order_by = {{"id", false}};
    for (const Value& row : Check(txn->Select(q), "states")) {
      State s{row["id"].get<int64_t>(), row["country_id"].get<int64_t>()};
      (s.country_id == 1228 ? us_states : other_states).push_back(s);
    }
  }
  if (us_states.empty() || other_states.empty()) Die("reference data lacks states");

  // Rows.
  std::vector<int64_t> organizations;
  std::vector<int64_t> individuals;
  organizations.reserve(contacts / 20 + 1);
  individuals.reserve(contacts);
  int64_t made = 0;
  const char* kTiers[] = {"Bronze", "Silver", "Gold", "Platinum", "Lead", "Partner", "Alumni",
                          "Volunteer", "Donor", "Member"};
  while (made < contacts) {
    auto txn = Check(store->Begin(true), "begin");
    Check(txn->PipelineInserts(), "pipeline inserts");
    int64_t end = std::min(contacts, made + batch);
    for (int64_t n = made + 1; n <= end; ++n) {
      bool org = n % 20 == 7 || organizations.empty();
      std::string ext = "EXT-" + std::to_string(n);
      Value row;
      std::string email;
      if (org) {
        std::string name = std::string(Pick(kSyl1, rng)) + Pick(kSyl2, rng) + Pick(kSyl3, rng) +
                           " " + (n % 3 == 0 ? "Ltd" : n % 3 == 1 ? "Foundation" : "Trust") + " " +
                           std::to_string(n);
        row = {{"contact_type", "Organization"}, {"organization_name", name},
               {"sort_name", name},              {"display_name", name},
               {"external_identifier", ext},     {"hash", Hex32(rng)},
               {"created_date", "2024-01-01 00:00:00"}, {"modified_date", "2024-01-01 00:00:00"},
               {"addressee_display", name}};
        email = "info" + std::to_string(n) + "@" + Lower(std::string(Pick(kSyl1, rng))) + ".example.org";
      } else {
        std::string first = std::string(Pick(kFirst1, rng)) + Pick(kFirst2, rng);
        std::string last = std::string(Pick(kSyl1, rng)) + Pick(kSyl2, rng) + Pick(kSyl3, rng);
        row = {{"contact_type", "Individual"},
               {"first_name", first},
               {"last_name", last},
               {"sort_name", last + ", " + first},
               {"display_name", first + " " + last},
               {"external_identifier", ext},
               {"gender_id", 1 + static_cast<int>(rng() % 3)},
               {"birth_date", Date(rng, 1940, 65)},
               {"hash", Hex32(rng)},
               {"created_date", "2024-01-01 00:00:00"},
               {"modified_date", "2024-01-01 00:00:00"},
               {"email_greeting_display", "Dear " + first},
               {"postal_greeting_display", "Dear " + first},
               {"addressee_display", first + " " + last}};
        email = Lower(first) + "." + Lower(last) + std::to_string(n) + "@example.com";
      }
      // Employees: ~60% of individuals work for an earlier organization.
      int64_t employer = 0;
      if (!org && rng() % 10 < 6) {
        employer = organizations[rng() % organizations.size()];
        row["employer_id"] = employer;
      }
      int64_t id = Check(txn->Insert("Contact", row), "insert contact");
      (org ? organizations : individuals).push_back(id);

      Check(txn->Insert("Email", {{"contact_id", id}, {"location_type_id", 1}, {"is_primary", 1},
                                  {"email", email}}),
            "insert email");
      if (rng() % 5 == 0) {
        Check(txn->Insert("Email", {{"contact_id", id}, {"location_type_id", 2}, {"is_primary", 0},
                                    {"email", "w" + std::to_string(n) + "@work.example.net"}}),
              "insert email");
      }
      if (rng() % 10 < 7) {
        std::string digits = std::to_string(2000000000 + static_cast<int64_t>(rng() % 999999999));
        std::string phone = digits.substr(0, 3) + "-" + digits.substr(3, 3) + "-" + digits.substr(6);
        Check(txn->Insert("Phone", {{"contact_id", id}, {"location_type_id", 1}, {"is_primary", 1},
                                    {"phone", phone}, {"phone_numeric", digits},
                                    {"phone_type_id", 1 + static_cast<int>(rng() % 2)}}),
              "insert phone");
      }
      if (rng() % 10 < 9) {
        const State& s = rng() % 10 < 8 ? us_states[rng() % us_states.size()]
                                         : other_states[rng() % other_states.size()];
        Check(txn->Insert("Address",
                          {{"contact_id", id}, {"location_type_id", org ? 2 : 1}, {"is_primary", 1},
                           {"street_address", std::to_string(1 + rng() % 9999) + " " +
                                                  Pick(kSyl1, rng) + Pick(kSyl2, rng) + " St"},
                           {"city", std::string(Pick(kSyl2, rng)) + "town " +
                                        std::to_string(rng() % 200)},
                           {"postal_code", std::to_string(10000 + rng() % 89999)},
                           {"state_province_id", s.id},
                           {"country_id", s.country_id}}),
              "insert address");
      }
      // One to three plain groups.
      int memberships = 1 + static_cast<int>(rng() % 3);
      int64_t first_group = static_cast<int64_t>(rng() % plain_groups.size());
      for (int m = 0; m < memberships; ++m) {
        int64_t g = plain_groups[(first_group + m * 17) % plain_groups.size()];
        Check(txn->Insert("GroupContact", {{"group_id", g}, {"contact_id", id}, {"status", "Added"}}),
              "insert group contact");
      }
      if (!org && rng() % 10 < 7) {
        Check(txn->Insert(custom_entity, {{"entity_id", id}, {tier_column, kTiers[rng() % 10]}}),
              "insert custom value");
      }
      if (employer != 0) {
        Check(txn->Insert("Relationship", {{"contact_id_a", id},
                                           {"contact_id_b", employer},
                                           {"relationship_type_id", 5},
                                           {"start_date", Date(rng, 2000, 24)},
                                           {"is_active", 1}}),
              "insert relationship");
      }
      // Tags: a default tag (ids 1-5) for ~30%; a note for ~20%; an
      // activity (this contact the target, an earlier one the source, a
      // meeting or a phone call in 2020-2025) for ~40%.
      if (rng() % 10 < 3) {
        Check(txn->Insert("EntityTag", {{"entity_table", "civicrm_contact"}, {"entity_id", id},
                                        {"tag_id", 1 + static_cast<int>(rng() % 5)}}),
              "insert entity tag");
      }
      if (rng() % 5 == 0) {
        Check(txn->Insert("Note", {{"entity_table", "civicrm_contact"}, {"entity_id", id},
                                   {"note", "Met at the fair"}, {"subject", "Fair"},
                                   {"privacy", "0"}, {"modified_date", "2024-01-01 00:00:00"}}),
              "insert note");
      }
      if (!individuals.empty() && rng() % 10 < 4) {
        int64_t activity = Check(
            txn->Insert("Activity", {{"activity_type_id", 1 + static_cast<int>(rng() % 2)},
                                     {"subject", "Call " + std::to_string(n)},
                                     {"activity_date_time", Date(rng, 2020, 6) + " 10:00:00"},
                                     {"status_id", 2}, {"priority_id", 2}}),
            "insert activity");
        Check(txn->Insert("ActivityContact", {{"activity_id", activity}, {"contact_id", id},
                                              {"record_type_id", 3}}),
              "insert activity contact");
        Check(txn->Insert("ActivityContact",
                          {{"activity_id", activity},
                           {"contact_id", individuals[rng() % individuals.size()]},
                           {"record_type_id", 2}}),
              "insert activity contact");
      }
      if (!org && individuals.size() > 1 && rng() % 5 == 0) {
        int64_t other = individuals[rng() % (individuals.size() - 1)];
        Check(txn->Insert("Relationship", {{"contact_id_a", id},
                                           {"contact_id_b", other},
                                           {"relationship_type_id", 4},
                                           {"is_active", 1}}),
              "insert relationship");
      }
    }
    Check(txn->Commit(), "commit");
    made = end;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\rkith_generate: %lld/%lld contacts (%.0f s)", static_cast<long long>(made),
                 static_cast<long long>(contacts), s);
  }
  std::fprintf(stderr, "\n");

  // Smart groups, with criteria as kith stores them: the groups through the
  // API (its own transactions), then their criteria in one transaction.
  std::vector<std::pair<std::string, Value>> smart = {
      {"Bench smart: California", {{"state_province_id", us_states[4].id}}},
      {"Bench smart: organizations", {{"contact_type", "Organization"}}},
      {"Bench smart: Ab surnames", {{"last_name", {{"LIKE", "Ab%"}}}}},
      {"Bench smart: Gold tier", {{"custom_" + std::to_string(group_info->field_ids[0]), "Gold"}}},
      {"Bench smart: group 3 women", {{"group", plain_groups[3]}, {"gender_id", 1}}},
  };
  std::vector<int64_t> smart_ids;
  for (const auto& entry : smart) {
    smart_ids.push_back(v3("Group", "create", {{"title", entry.first}})["id"].get<int64_t>());
  }
  {
    auto txn = Check(store->Begin(true), "begin");
    kith::api::ApiCall call{"Group", "create", Value::object(), 3};
    kith::api::ActionContext ctx{*txn, system, dispatcher, *txn->catalog(), call, call.params};
    for (size_t i = 0; i < smart.size(); ++i) {
      Check(kith::entities::SetSmartCriteria(ctx, smart_ids[i], smart[i].second), "smart criteria");
    }
    Check(txn->Commit(), "commit");
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "kith_generate: %lld contacts in %s in %.1f s\n",
               static_cast<long long>(contacts), data_dir.c_str(), s);
  return 0;
}
