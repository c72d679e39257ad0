// Extension actions end to end below HTTP: scripts loaded into a registry
// with the built-in actions, called through a real Dispatcher over a real
// SQLite store, as callers of each role.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/action_registry.h"
#include "api/records.h"
#include "base/error_details.h"
#include "entities/register_builtins.h"
#include "extensions/extension_host.h"
#include "store/store.h"

namespace kith::extensions {
namespace {

namespace fs = std::filesystem;

auth::Caller CallerWith(auth::Role role) {
  auth::Caller c;
  c.user_id = 1;
  c.contact_id = 1;
  c.user_name = "tester";
  c.role = auth::BuiltinRole(role);
  return c;
}

std::string ReadExample() {
  std::ifstream in(std::string(KITH_SOURCE_DIR) + "/examples/extensions/dgwcontact.lua");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ExtensionCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kith-ext-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::OpenStore({.sqlite_path = (dir_ / "kith.db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    entities::RegisterBuiltins(registry_, api::GlobalRules());
  }
  void TearDown() override {
    dispatcher_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Load(std::vector<std::pair<std::string, std::string>> sources, SandboxLimits limits = {}) {
    host_ = ExtensionHost::FromSources(sources, limits, registry_);
    dispatcher_ = std::make_unique<api::Dispatcher>(*store_, registry_);
  }

  StatusOr<Value> Call(int version, const std::string& entity, const std::string& action,
                       Value params, auth::Role role = auth::Role::kAdmin) {
    return dispatcher_->Run(api::ApiCall{entity, action, std::move(params), version},
                            CallerWith(role));
  }

  int64_t CountContacts(const std::string& last_name) {
    auto r = Call(2, "Contact", "search_count", {{"last_name", last_name}});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->get<int64_t>() : -1;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  api::ActionRegistry registry_;
  std::shared_ptr<const ExtensionHost> host_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
};

constexpr char kEcho[] = R"(
kith.action("Echo", "get", {
  permission = "access CiviCRM",
  params = {
    n = { type = "Integer", required = true, title = "A number" },
    flag = { type = "Boolean" },
    word = { type = "String", description = "Any text" },
  },
  run = function(params)
    return {
      { id = 7, n = params.n, kind = math.type(params.n), flag = params.flag, word = params.word },
      { id = 9, n = params.n + 1, kind = "next" },
    }
  end,
})
kith.action("Echo", "one", {
  permission = {},
  run = function(params) return { answer = 42, nested = { 1, 2 } } end,
})
)";

TEST_F(ExtensionCallTest, ActionsAreServedInAllThreeVersionsWithTheirParams) {
  Load({{"echo.lua", kEcho}});
  ASSERT_EQ(host_->error_count(), 0u);
  for (int version : {2, 3, 4}) {
    const api::ActionSpec* spec = registry_.Find(version, "echo", "GET");
    ASSERT_NE(spec, nullptr) << version;
    EXPECT_EQ(spec->permissions, std::vector<std::string>{"access CiviCRM"});
    EXPECT_FALSE(spec->writes);
    ASSERT_EQ(spec->params.size(), 3u);
    EXPECT_EQ(spec->params[1].name, "n");
    EXPECT_EQ(spec->params[1].type, "Integer");
    EXPECT_TRUE(spec->params[1].required);
    EXPECT_EQ(spec->params[1].title, "A number");
  }
  EXPECT_NE(registry_.Find(3, "Echo", "getfields"), nullptr);
  EXPECT_NE(registry_.Find(4, "Echo", "getActions"), nullptr);
  EXPECT_EQ(registry_.Find(2, "Echo", "getfields"), nullptr);
}

TEST_F(ExtensionCallTest, V2AnswersRowsKeyedByIdOrAFlatRecordAsText) {
  Load({{"echo.lua", kEcho}});
  auto rows = Call(2, "echo", "get", {{"n", "5"}, {"flag", "1"}, {"api_key", "secret"}});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->dump(),
            R"({"7":{"id":"7","flag":"1","kind":"integer","n":"5"},"9":{"id":"9","kind":"next","n":"6"}})");
  auto flat = Call(2, "echo", "one", Value::object(), auth::Role::kViewer);
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_EQ(flat->dump(), R"({"answer":"42","nested":["1","2"]})");
}

TEST_F(ExtensionCallTest, V3AnswersTheStandardEnvelope) {
  Load({{"echo.lua", kEcho}});
  auto r = Call(3, "Echo", "get", {{"n", "5"}, {"word", nullptr}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dump(),
            R"({"is_error":0,"version":3,"count":2,"values":{"7":{"id":"7","kind":"integer","n":"5"},)"
            R"("9":{"id":"9","kind":"next","n":"6"}}})");
  auto seq = Call(3, "Echo", "one", {{"sequential", "1"}});
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(seq->dump(),
            R"({"is_error":0,"version":3,"count":1,"id":0,"values":[{"answer":"42","nested":["1","2"]}]})");
}

TEST_F(ExtensionCallTest, V4AnswersTypedValues) {
  Load({{"echo.lua", kEcho}});
  auto r = Call(4, "Echo", "get", {{"n", 5}, {"flag", true}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dump(),
            R"({"values":[{"id":7,"flag":true,"kind":"integer","n":5},{"id":9,"kind":"next","n":6}]})");
}

TEST_F(ExtensionCallTest, MissingAndMistypedParamsAreRefused) {
  Load({{"echo.lua", kEcho}});
  auto missing = Call(3, "Echo", "get", {{"n", ""}});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "Mandatory key(s) missing from params array: n");
  EXPECT_EQ(ErrorDetails(missing.status())["error_code"], "mandatory_missing");
  auto mistyped = Call(2, "Echo", "get", {{"n", "five"}});
  EXPECT_EQ(mistyped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(mistyped.status().message()).find("n is not a valid"), std::string::npos)
      << mistyped.status();
}

TEST_F(ExtensionCallTest, TheActionsOwnPermissionIsChecked) {
  Load({{"echo.lua", R"(
    kith.action("Secret", "get", { run = function() return {} end })
  )"}});
  // No permission given: CiviCRM's default, administer CiviCRM.
  auto r = Call(3, "Secret", "get", Value::object(), auth::Role::kEditor);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  EXPECT_TRUE(Call(3, "Secret", "get", Value::object(), auth::Role::kAdmin).ok());
}

TEST_F(ExtensionCallTest, ScriptErrorsBecomeTheCallsError) {
  Load({{"bad.lua", R"(
kith.action("Bad", "get", { permission = {}, run = function(p)
  local t = nil
  return t.field
end })
kith.action("Bad", "typed", { permission = {}, run = function(p)
  error({ message = "no such person", code = "not_found" })
end })
kith.action("Bad", "answer", { permission = {}, run = function(p) return { f = print } end })
kith.action("Bad", "loop", { permission = {}, run = function(p) while true do end end })
)"}});
  auto runtime = Call(2, "Bad", "get", Value::object());
  EXPECT_EQ(runtime.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(std::string(runtime.status().message()).rfind("bad.lua:4: attempt to index", 0), 0u)
      << runtime.status();
  EXPECT_EQ(Call(3, "Bad", "typed", Value::object()).status().code(),
            absl::StatusCode::kNotFound);
  auto answer = Call(4, "Bad", "answer", Value::object());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(std::string(answer.status().message()).find("result.f: a function"), std::string::npos)
      << answer.status();
  auto loop = Call(2, "Bad", "loop", Value::object());
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(loop.status().message(),
            "bad.lua:10: stopped: over the instruction budget of 20000000 instructions");
  // The script still serves after each failure.
  EXPECT_EQ(Call(3, "Bad", "typed", Value::object()).status().code(),
            absl::StatusCode::kNotFound);
}

constexpr char kWriter[] = R"(
kith.action("Writer", "create", {
  permission = "access CiviCRM",
  run = function(p)
    local r = kith.api("Contact", "create",
      { contact_type = "Individual", first_name = "Wanda", last_name = p.last_name })
    if p.fail then error("changed my mind", 0) end
    return r.values
  end,
})
kith.action("Writer", "careful", {
  permission = "access CiviCRM",
  run = function(p)
    -- The email (too long) fails after the contact row was written: that
    -- call must leave nothing behind, although this script goes on.
    local ok, err = pcall(kith.api, "Contact", "create", { contact_type = "Individual",
      first_name = "Half", last_name = p.last_name, email = ("x"):rep(300) .. "@example.org" })
    kith.api("Contact", "create",
      { contact_type = "Individual", first_name = "Whole", last_name = p.last_name })
    return { { ok = ok, code = err.code, message = tostring(err) } }
  end,
})
kith.action("Writer", "get", {
  permission = "access CiviCRM",
  run = function(p)
    kith.api("Contact", "create", { contact_type = "Individual", first_name = "X", last_name = "Y" })
    return {}
  end,
})
kith.action("Writer", "nested", {
  permission = "access CiviCRM",
  run = function(p) return kith.api("Writer", "get", {}).values end,
})
)";

TEST_F(ExtensionCallTest, CoreCallsRunAsTheCallerWithItsPermissions) {
  Load({{"writer.lua", kWriter}});
  auto denied = Call(2, "Writer", "create", {{"last_name", "Viewerson"}}, auth::Role::kViewer);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(denied.status().message()).find("API permission check failed for Contact/"),
            std::string::npos)
      << denied.status();
  EXPECT_EQ(CountContacts("Viewerson"), 0);
  auto allowed = Call(2, "Writer", "create", {{"last_name", "Editorson"}}, auth::Role::kEditor);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(CountContacts("Editorson"), 1);
}

TEST_F(ExtensionCallTest, AFailingScriptRollsBackItsWholeCall) {
  Load({{"writer.lua", kWriter}});
  auto r = Call(3, "Writer", "create", {{"last_name", "Regret"}, {"fail", "1"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(r.status().message(), "changed my mind");
  EXPECT_EQ(CountContacts("Regret"), 0);
}

TEST_F(ExtensionCallTest, ACaughtFailedCoreCallLeavesNothingBehind) {
  Load({{"writer.lua", kWriter}});
  auto r = Call(4, "Writer", "careful", {{"last_name", "Partial"}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)["values"].size(), 1u);
  EXPECT_EQ((*r)["values"][0]["ok"], false);
  EXPECT_EQ((*r)["values"][0]["code"], "invalid_argument") << r->dump();
  EXPECT_EQ(CountContacts("Partial"), 1);  // Whole, not Half
  auto half = Call(2, "Contact", "get", {{"first_name", "Half"}});
  ASSERT_TRUE(half.ok());
  EXPECT_TRUE(half->empty()) << half->dump();
}

TEST_F(ExtensionCallTest, ReadOnlyActionsCannotWriteAndExtensionsCannotCallExtensions) {
  Load({{"writer.lua", kWriter}});
  auto get = Call(3, "Writer", "get", Value::object());
  EXPECT_EQ(get.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(get.status().message()).find("read-only"), std::string::npos);
  auto nested = Call(3, "Writer", "nested", Value::object());
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(nested.status().message()).find("another extension action"),
            std::string::npos);
}

TEST_F(ExtensionCallTest, KithApiSpeaksV4ForV4ParamsAndV3Otherwise) {
  Load({{"both.lua", R"(
kith.action("Both", "create", {
  permission = "access CiviCRM",
  run = function(p)
    kith.api("Contact", "create", { contact_type = "Individual", first_name = "Vera", last_name = "Bothways" })
    local v4 = kith.api("Contact", "get", {
      select = { "id", "first_name" }, where = { { "last_name", "=", "Bothways" } } })
    local v3 = kith.api("Contact", "get", { last_name = "Bothways", ["return"] = "first_name" })
    return { { v4_count = v4.count, v4_id_type = math.type(v4.values[1].id), v4_name = v4.values[1].first_name,
               v3_count = v3.count, v3_id_type = type(v3.values[1].id), v3_name = v3.values[1].first_name } }
  end,
})
)"}});
  auto r = Call(4, "Both", "create", Value::object(), auth::Role::kEditor);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["values"][0].dump(),
            R"({"v3_count":1,"v3_id_type":"string","v3_name":"Vera","v4_count":1,"v4_id_type":"integer","v4_name":"Vera"})");
}

TEST_F(ExtensionCallTest, GetFieldsAndGetActionsDescribeExtensionEntities) {
  Load({{"echo.lua", kEcho}});
  auto fields = Call(3, "Echo", "getfields", {{"api_action", "get"}});
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ((*fields)["count"], 3);
  EXPECT_EQ((*fields)["values"]["n"].dump(),
            R"({"name":"n","type":1,"title":"A number","api.required":1})");
  auto actions = Call(3, "Echo", "getactions", Value::object(), auth::Role::kViewer);
  ASSERT_TRUE(actions.ok()) << actions.status();
  EXPECT_EQ((*actions)["values"].dump(), R"(["get","getactions","getfields","one"])");
  auto v4 = Call(4, "Echo", "getFields", {{"action", "get"}, {"select", {"name", "data_type"}}});
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->dump(),
            R"({"values":[{"name":"flag","data_type":"Boolean"},{"name":"n","data_type":"Integer"},)"
            R"({"name":"word","data_type":"String"}]})");
}

TEST_F(ExtensionCallTest, BrokenScriptsAreReportedAndTheOthersLoad) {
  Load({{"a_syntax.lua", "kith.action('A', 'get', {\n  run = function() end\n"},
        {"b_runtime.lua", "local x = nil\nx.y = 1\n"},
        {"c_spec.lua", "kith.action('C', 'get', {\n  permision = 'x', run = function() end })\n"},
        {"d_clash.lua", "kith.action('Contact', 'get', { run = function() end })\n"},
        {"e_load_api.lua", "kith.api('Contact', 'get', {})\n"},
        {"f_loop.lua", "while true do end\n"},
        {"echo.lua", kEcho}},
       SandboxLimits{.memory_bytes = size_t{16} << 20, .instructions = 100000});
  const auto& reports = host_->reports();
  ASSERT_EQ(reports.size(), 7u);
  auto error_of = [&](size_t i) { return reports[i].errors.empty() ? "" : reports[i].errors[0]; };
  EXPECT_EQ(error_of(0).rfind("a_syntax.lua:3:", 0), 0u) << error_of(0);
  EXPECT_EQ(error_of(1).rfind("b_runtime.lua:2:", 0), 0u) << error_of(1);
  EXPECT_EQ(error_of(2).rfind("c_spec.lua:1: kith.action: C.get: unknown key 'permision'", 0), 0u)
      << error_of(2);
  EXPECT_EQ(error_of(3).rfind("d_clash.lua:1: Contact.get already exists", 0), 0u) << error_of(3);
  EXPECT_EQ(error_of(4).rfind("e_load_api.lua:", 0), 0u) << error_of(4);
  EXPECT_NE(error_of(4).find("only be called inside an action's run"), std::string::npos);
  EXPECT_EQ(error_of(5).rfind("f_loop.lua:1: stopped: over the instruction budget", 0), 0u)
      << error_of(5);
  EXPECT_TRUE(reports[6].errors.empty());
  EXPECT_EQ(reports[6].actions, (std::vector<std::string>{"Echo.get", "Echo.one"}));
  EXPECT_EQ(host_->error_count(), 6u);
  EXPECT_TRUE(Call(3, "Echo", "one", Value::object()).ok());
  EXPECT_EQ(registry_.Find(3, "A", "get"), nullptr);
}

TEST_F(ExtensionCallTest, TheExampleCreatesUpdatesAndFindsByExternalId) {
  Load({{"dgwcontact.lua", ReadExample()}});
  ASSERT_EQ(host_->error_count(), 0u) << host_->reports()[0].errors[0];
  auto created = Call(2, "dgwcontact", "create",
                      {{"external_id", "ORA-1"}, {"first_name", "Ada"}, {"last_name", "Lovelace"},
                       {"email", "ada@example.org"}, {"phone", "555-0101"},
                       {"street_address", "12 Analytical Row"}, {"city", "London"},
                       {"country", "GB"}},
                      auth::Role::kEditor);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["created"], "1");
  EXPECT_EQ((*created)["email"], "ada@example.org");
  EXPECT_EQ((*created)["country"], "United Kingdom");
  const std::string id = (*created)["contact_id"];
  auto updated = Call(3, "Dgwcontact", "create",
                      {{"external_id", "ORA-1"}, {"phone", "555-0202"}, {"city", "Paris"},
                       {"country", "FR"}},
                      auth::Role::kEditor);
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_EQ((*updated)["count"], 1);
  const Value& row = (*updated)["values"].begin().value();
  EXPECT_EQ(row["contact_id"], id);
  EXPECT_EQ(row["created"], "0");
  EXPECT_EQ(row["first_name"], "Ada");
  EXPECT_EQ(row["phone"], "555-0202");
  EXPECT_EQ(row["city"], "Paris");
  EXPECT_EQ(row["street_address"], "12 Analytical Row");
  auto found = Call(4, "Dgwcontact", "get", {{"external_id", "ORA-1"}}, auth::Role::kViewer);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ((*found)["values"].size(), 1u);
  EXPECT_EQ((*found)["values"][0]["last_name"], "Lovelace");
  auto none = Call(4, "Dgwcontact", "get", {{"external_id", "ORA-404"}}, auth::Role::kViewer);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->dump(), R"({"values":[]})");
  EXPECT_EQ(CountContacts("Lovelace"), 1);
}

}  // namespace
}  // namespace kith::extensions
