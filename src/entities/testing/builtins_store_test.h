// BuiltinsStoreTest: FreshStoreTest (a real store on a fresh SQLite file)
// with kith's built-in actions and rules registered and a dispatcher over
// them, called as the system. A fixture with more to prepare calls
// BuiltinsStoreTest::SetUp() first and returns if it failed.
#pragma once

#include <memory>
#include <string>

#include "api/action_registry.h"
#include "api/api.h"
#include "auth/caller.h"
#include "entities/register_builtins.h"
#include "store/testing/fresh_store_test.h"

namespace kith::entities {

class BuiltinsStoreTest : public store::FreshStoreTest {
 protected:
  void SetUp() override {
    FreshStoreTest::SetUp();
    if (HasFatalFailure()) return;
    RegisterBuiltins(registry_, api::GlobalRules());
    dispatcher_ = std::make_unique<api::Dispatcher>(*store_, registry_);
  }
  void TearDown() override {
    dispatcher_.reset();
    FreshStoreTest::TearDown();
  }

  // A custom group `group` on Contact with one Int field `field`, made
  // through APIv4 (the catalog changes).
  void AddContactIntField(const std::string& group, const std::string& field) {
    auto made = dispatcher_->Run(
        api::ApiCall{"CustomGroup", "create",
                     Value{{"values", {{"name", group}, {"title", group}, {"extends", "Contact"}}}}, 4},
        caller_);
    ASSERT_TRUE(made.ok()) << made.status();
    auto added = dispatcher_->Run(
        api::ApiCall{"CustomField", "create",
                     Value{{"values", {{"custom_group_id", (*made)["values"][0]["id"]},
                                       {"name", field},
                                       {"label", field},
                                       {"data_type", "Int"},
                                       {"html_type", "Text"}}}},
                     4},
        caller_);
    ASSERT_TRUE(added.ok()) << added.status();
  }

  api::ActionRegistry registry_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  auth::Caller caller_ = auth::Caller::System();
};

}  // namespace kith::entities
