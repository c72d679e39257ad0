// FreshStoreTest: a GoogleTest fixture owning a real store on a fresh SQLite
// file in a temporary directory of its own, removed after the test. The set-up
// every test over a real store shares; a fixture with more to prepare calls
// FreshStoreTest::SetUp() first and returns if it failed.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace kith::store {

class FreshStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.sqlite_path = dir_ + "/kith.db";
    ReopenStore();
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Closes the store (if open) and opens the same file again.
  void ReopenStore() {
    store_.reset();
    auto store = OpenStore(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

}  // namespace kith::store
