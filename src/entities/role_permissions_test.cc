// Every registered action of every dialect (2: 3.2, 3: APIv3, 4: APIv4), run
// by the dispatcher as each role: refused with CiviCRM's permission error
// exactly when the role lacks one of the permissions the action's spec
// names (APIv3's create: and its entity's create permissions), in the
// permission table of auth/permissions.cc and of kith.toml's roles. Each call runs in a write transaction that is rolled back.
#include <gtest/gtest.h>

#include <algorithm>

#include "api/action_registry.h"
#include "api/api.h"
#include "auth/permissions.h"
#include "base/error_details.h"
#include "entities/testing/builtins_store_test.h"

namespace kith::entities {
namespace {

class RolePermissionsTest : public BuiltinsStoreTest {
 protected:
  // True when the dispatcher refused `spec` for `role` before running it.
  bool Refused(const api::ActionSpec& spec, const auth::RolePtr& role) {
    auth::Caller caller;
    caller.user_id = 1;
    caller.contact_id = 1;
    caller.user_name = "walker";
    caller.role = role;
    auto txn = store_->Begin(true);
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return false;
    api::ApiCall call{spec.entity, spec.action, Value::object(), spec.version};
    StatusOr<Value> result = dispatcher_->RunIn(**txn, call, caller);
    // Not committed: whatever an allowed call wrote is undone.
    if (result.ok() || result.status().code() != absl::StatusCode::kPermissionDenied) return false;
    return std::string(result.status().message()).rfind("API permission check failed", 0) == 0 &&
           ErrorDetails(result.status()).value("error_code", Value()) == "unauthorized";
  }
};

TEST_F(RolePermissionsTest, EveryActionOfEveryDialectIsCheckedAgainstEachRole) {
  auto table = auth::RoleTable::Make(
      {{"fundraiser", {"access CiviCRM", "view all contacts", "edit all contacts", "add contacts"}},
       {"nobody", {}}});
  ASSERT_TRUE(table.ok()) << table.status();
  std::shared_ptr<const schema::Catalog> catalog = store_->Begin(false).value()->catalog();
  size_t walked = 0;
  std::map<std::string, std::pair<size_t, size_t>> refused_allowed;  // by role
  for (int version : {2, 3, 4}) {
    for (const std::string& entity : registry_.Entities(version)) {
      for (const api::ActionSpec* spec : registry_.ActionsOf(version, entity)) {
        ++walked;
        // APIv3's create is an update when given an id, so its spec names
        // what both share and the call checks the rest: without an id, the
        // entity's create permissions.
        std::vector<std::string> needed = spec->permissions;
        const schema::Entity* schema_entity = catalog->Find(spec->entity);
        if (version == 3 && spec->action == "create" && schema_entity != nullptr) {
          needed.insert(needed.end(), schema_entity->create_permissions.begin(),
                        schema_entity->create_permissions.end());
        }
        // A delete of a contact's data checks the contact in the call too.
        if (version == 3 && spec->action == "delete" && schema_entity != nullptr) {
          needed.insert(needed.end(), schema_entity->delete_permissions.begin(),
                        schema_entity->delete_permissions.end());
        }
        for (const auth::RolePtr& role : table->All()) {
          bool holds_all = std::all_of(needed.begin(), needed.end(),
                                       [&](const std::string& p) { return role->Has(p); });
          bool refused = Refused(*spec, role);
          EXPECT_EQ(refused, !holds_all)
              << "v" << version << " " << spec->entity << "." << spec->action << " as "
              << role->name() << " (needs " << needed.size() << " permission(s))";
          auto& [r, a] = refused_allowed[role->name()];
          ++(refused ? r : a);
        }
      }
    }
  }
  EXPECT_GT(walked, 300u);
  // The walk tells the roles apart: admin is never refused, a role without
  // permissions only where an action needs none, the others in between.
  EXPECT_EQ(refused_allowed["admin"].first, 0u);
  EXPECT_GT(refused_allowed["viewer"].first, refused_allowed["editor"].first);
  EXPECT_GT(refused_allowed["editor"].first, 0u);
  EXPECT_GT(refused_allowed["fundraiser"].first, refused_allowed["editor"].first);
  EXPECT_LT(refused_allowed["fundraiser"].first, refused_allowed["nobody"].first);
}

TEST_F(RolePermissionsTest, CustomRolesCannotRedefineBuiltins) {
  EXPECT_FALSE(auth::RoleTable::Make({{"admin", {"access CiviCRM"}}}).ok());
  EXPECT_FALSE(auth::RoleTable::Make({{"a", {}}, {"a", {}}}).ok());
  auto table = auth::RoleTable::Make({{"fundraiser", {"edit all contacts", "access CiviCRM"}}});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Names(), "viewer, editor, admin, fundraiser");
  EXPECT_TRUE(table->Find("fundraiser")->Has("edit all contacts"));
  EXPECT_FALSE(table->Find("fundraiser")->Has("view all contacts"));
  EXPECT_EQ(table->Find("nosuch"), nullptr);
}

}  // namespace
}  // namespace kith::entities
