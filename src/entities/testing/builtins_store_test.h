// BuiltinsStoreTest: FreshStoreTest (a real store on a fresh SQLite file)
// with kith's built-in actions and rules registered and a dispatcher over
// them, called as the system. A fixture with more to prepare calls
// BuiltinsStoreTest::SetUp() first and returns if it failed.
#pragma once

#include <memory>

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

  api::ActionRegistry registry_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  auth::Caller caller_ = auth::Caller::System();
};

}  // namespace kith::entities
