// FreshStoreTest: a GoogleTest fixture owning a real store on a fresh
// database, removed after the test: a SQLite file in a temporary directory
// of its own, or, when KITH_STORE_TEST_PG_URL names a PostgreSQL server
// (scripts/pg-cluster.sh; src/store/CMakeLists.txt sets it from
// KITH_TEST_PG_URL), a database created on it for the test. The set-up
// every test over a real store shares; a fixture with more to prepare calls
// FreshStoreTest::SetUp() first and returns if it failed.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace kith::store {

// `url` (postgresql://USER@HOST:PORT/DB?...) naming database `db` instead.
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string head = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  return head + "/" + db + (query == std::string::npos ? "" : url.substr(query));
}

// Runs one statement on the server of `url` (the test cluster's own
// database): "" when it succeeded, else the error.
inline std::string RunOnServer(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = sql + ": " + PQerrorMessage(conn);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// A database migrated once per test process, copied for each test
// (CREATE DATABASE ... TEMPLATE: a file copy, where migrating anew seeds
// thousands of reference rows); dropped when the process ends.
class MigratedTemplate {
 public:
  static const std::string& Name(const std::string& server_url) {
    static MigratedTemplate the(server_url);
    return the.name_;
  }
  ~MigratedTemplate() { (void)RunOnServer(server_url_, "DROP DATABASE IF EXISTS " + name_); }

 private:
  explicit MigratedTemplate(std::string server_url)
      : server_url_(std::move(server_url)), name_("kith_unit_tpl_" + std::to_string(getpid())) {
    if (!RunOnServer(server_url_, "CREATE DATABASE " + name_).empty()) return;
    StoreOptions options;
    options.database_url = WithDatabase(server_url_, name_);
    (void)OpenStore(options);  // migrates, then closes every connection
  }
  std::string server_url_;
  std::string name_;
};

class FreshStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.sqlite_path = dir_ + "/kith.db";
    if (const char* pg = std::getenv("KITH_STORE_TEST_PG_URL"); pg != nullptr && *pg != '\0') {
      static std::atomic<int> counter{0};
      server_url_ = pg;
      database_ = "kith_unit_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      ASSERT_EQ(RunOnServer(server_url_, "CREATE DATABASE " + database_ + " TEMPLATE " +
                                             MigratedTemplate::Name(server_url_)),
                "");
      options_.database_url = WithDatabase(server_url_, database_);
    }
    ReopenStore();
  }
  void TearDown() override {
    store_.reset();
    if (!database_.empty()) {
      EXPECT_EQ(RunOnServer(server_url_, "DROP DATABASE " + database_ + " WITH (FORCE)"), "");
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Closes the store (if open) and opens the same database again.
  void ReopenStore() {
    store_.reset();
    auto store = OpenStore(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Whether the store under test is PostgreSQL's.
  bool OnPostgres() const { return !options_.database_url.empty(); }

  std::string dir_;
  std::string server_url_;  // KITH_STORE_TEST_PG_URL
  std::string database_;    // the test's own PostgreSQL database
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

}  // namespace kith::store

// In a FreshStoreTest: skips a test of what only SQLite has (its file, its
// query planner, its own migrations' history).
#define KITH_SQLITE_ONLY() \
  if (OnPostgres()) GTEST_SKIP() << "a test of SQLite's own behaviour"
