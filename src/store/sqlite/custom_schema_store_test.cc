// The store's run-time schema (custom data) on a real SQLite file: tables and
// columns created in a transaction, the catalog snapshot published only on
// commit, kept by readers that began earlier, rebuilt at open.
#include <gtest/gtest.h>

#include "schema/custom_schema.h"
#include "store/internal/sql_builder.h"
#include "store/postgres/pg_connection.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/undo_migration_for_test.h"
#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

class CustomSchemaStoreTest : public FreshStoreTest {
 protected:

  // What the database really holds (tables, indexes), read on a
  // connection of its own.
  int64_t SchemaObjects(const std::string& name) {
    if (OnPostgres()) {
      auto conn = postgres::PgConnection::Open(options_.database_url);
      EXPECT_TRUE(conn.ok());
      return (*conn)->RunScalar("SELECT COUNT(*) FROM pg_class WHERE relname = $1", {name}).value();
    }
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000);
    EXPECT_TRUE(conn.ok());
    return (*conn)->RunScalar("SELECT COUNT(*) FROM sqlite_master WHERE name = ?", {name}).value();
  }

  // A group "Info" on contacts with a searchable Int field "age", created the
  // way the API does it: rows first, then the catalog, then the DDL.
  void CreateInfoGroup(Transaction& txn) {
    auto group = txn.Insert("CustomGroup", {{"name", "Info"}, {"title", "Info"},
                                            {"extends", "Individual"}});
    ASSERT_TRUE(group.ok()) << group.status();
    group_id_ = *group;
    table_ = "civicrm_value_info_" + std::to_string(group_id_);
    ASSERT_TRUE(txn.Update("CustomGroup", group_id_, {{"table_name", table_}}).ok());
    ASSERT_TRUE(txn.ReloadCatalog().ok());
    ASSERT_TRUE(txn.CreateTable("Custom_Info").ok());
    auto field = txn.Insert("CustomField", {{"custom_group_id", group_id_}, {"name", "age"},
                                            {"label", "Age"}, {"data_type", "Int"},
                                            {"html_type", "Text"}, {"is_searchable", 1}});
    ASSERT_TRUE(field.ok()) << field.status();
    field_id_ = *field;
    column_ = "age_" + std::to_string(field_id_);
    ASSERT_TRUE(txn.Update("CustomField", field_id_, {{"column_name", column_}}).ok());
    ASSERT_TRUE(txn.ReloadCatalog().ok());
    ASSERT_TRUE(txn.AddColumn("Custom_Info", column_).ok());
  }

  int64_t InsertContact(Transaction& txn, const std::string& last) {
    auto id = txn.Insert("Contact", {{"contact_type", "Individual"}, {"last_name", last}});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }

  int64_t group_id_ = 0, field_id_ = 0;
  std::string table_, column_;
};

TEST_F(CustomSchemaStoreTest, CreatesTableAndColumnAndPathsResolve) {
  auto txn = store_->Begin(true).value();
  CreateInfoGroup(*txn);
  int64_t contact = InsertContact(*txn, "Lovelace");
  ASSERT_TRUE(txn->Insert("Custom_Info", {{"entity_id", contact}, {column_, 36}}).ok());
  // A second row for the same contact: single-record groups keep one.
  EXPECT_EQ(txn->Insert("Custom_Info", {{"entity_id", contact}, {column_, 37}}).status().code(),
            absl::StatusCode::kAlreadyExists);

  Query q;
  q.entity = "Contact";
  q.select = {"id", "custom_Info." + column_};
  q.where = Condition::Leaf("custom_Info." + column_, Op::kEq, 36);
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0]["custom_Info." + column_], 36);
  ASSERT_TRUE(txn->Commit().ok());

  EXPECT_EQ(SchemaObjects(table_), 1);
  // Searchable: the column has its index, (value, entity_id).
  EXPECT_EQ(SchemaObjects("idx_" + table_ + "_" + column_ + "_entity_id"), 1);
}

// "Contacts with a custom value" (api::CustomFieldCondition's shape) reads
// the searchable column's index, not the whole value table.
TEST_F(CustomSchemaStoreTest, ContactsWithACustomValueUseTheColumnIndex) {
  KITH_SQLITE_ONLY();
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    ASSERT_TRUE(txn->Commit().ok());
  }
  Query sub;
  sub.entity = "Custom_Info";
  sub.select = {"entity_id"};
  sub.where = Condition::Leaf(column_, Op::kEq, 42);
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::InQuery("id", std::move(sub));
  auto st = internal::BuildSelect(*store_->catalog(), q, internal::Dialect::kSqlite);
  ASSERT_TRUE(st.ok()) << st.status();
  auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000);
  ASSERT_TRUE(conn.ok());
  std::vector<std::string> keys = {"id", "parent", "notused", "detail"};
  std::vector<Value> plan;
  ASSERT_TRUE((*conn)->Run("EXPLAIN QUERY PLAN " + st->sql, st->binds, &keys, nullptr, &plan).ok());
  std::string details;
  for (const Value& step : plan) details += step["detail"].get<std::string>() + "\n";
  EXPECT_NE(details.find("INDEX idx_" + table_ + "_" + column_ + "_entity_id"), std::string::npos)
      << details;
}

TEST_F(CustomSchemaStoreTest, CatalogIsPublishedOnlyOnCommit) {
  auto before = store_->catalog();
  auto early_reader = store_->Begin(false).value();
  auto txn = store_->Begin(true).value();
  CreateInfoGroup(*txn);
  // The writer sees its own schema, nobody else does yet.
  EXPECT_NE(txn->catalog()->Find("Custom_Info"), nullptr);
  EXPECT_EQ(store_->catalog()->Find("Custom_Info"), nullptr);
  EXPECT_EQ(store_->catalog(), before);
  ASSERT_TRUE(txn->Commit().ok());

  auto now = store_->catalog();
  ASSERT_NE(now->Find("Custom_Info"), nullptr);
  ASSERT_NE(now->Find("Contact")->FindJoin("custom_Info"), nullptr);
  // The built-in catalog is untouched, and an earlier reader keeps its snapshot.
  EXPECT_EQ(schema::BuiltinCatalog()->Find("Custom_Info"), nullptr);
  EXPECT_EQ(schema::BuiltinCatalog()->Find("Contact")->FindJoin("custom_Info"), nullptr);
  EXPECT_EQ(early_reader->catalog()->Find("Custom_Info"), nullptr);
  EXPECT_EQ(before->Find("Custom_Info"), nullptr);
  // A reader that begins now sees the new table.
  auto late_reader = store_->Begin(false).value();
  Query q;
  q.entity = "Custom_Info";
  q.select = {"id"};
  EXPECT_EQ(late_reader->Count(q).value(), 0);
}

TEST_F(CustomSchemaStoreTest, RollbackLeavesNeitherTableNorCatalog) {
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    // destroyed uncommitted: rolled back
  }
  EXPECT_EQ(store_->catalog()->Find("Custom_Info"), nullptr);
  EXPECT_TRUE(store_->catalog()->custom_groups().empty());
  EXPECT_EQ(SchemaObjects(table_), 0);
  // And not after a reopen either.
  ReopenStore();
  EXPECT_EQ(store_->catalog()->Find("Custom_Info"), nullptr);
}

TEST_F(CustomSchemaStoreTest, CustomFieldsSurviveARestart) {
  int64_t contact = 0;
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    contact = InsertContact(*txn, "Hopper");
    ASSERT_TRUE(txn->Insert("Custom_Info", {{"entity_id", contact}, {column_, 85}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  ReopenStore();
  auto catalog = store_->catalog();
  const schema::CustomFieldInfo* by_id = catalog->FindCustomField(field_id_);
  ASSERT_NE(by_id, nullptr);
  EXPECT_EQ(by_id->column, column_);
  EXPECT_EQ(by_id->entity, "Custom_Info");
  EXPECT_EQ(by_id->path, "custom_Info." + column_);
  EXPECT_TRUE(by_id->is_searchable);
  EXPECT_EQ(catalog->FindCustomField("Info", "age"), by_id);
  EXPECT_EQ(catalog->FindCustomFieldByKey("custom_" + std::to_string(field_id_)), by_id);
  ASSERT_NE(catalog->FindCustomGroup("Info"), nullptr);
  EXPECT_EQ(catalog->FindCustomGroup("Info")->table, table_);
  ASSERT_EQ(catalog->CustomFieldsOf("Contact").size(), 1u);

  auto read = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"custom_Info." + column_};
  q.where = Condition::Leaf("id", Op::kEq, contact);
  EXPECT_EQ(read->Select(q).value()[0]["custom_Info." + column_], 85);
}

TEST_F(CustomSchemaStoreTest, DropsColumnsAndTables) {
  auto txn = store_->Begin(true).value();
  CreateInfoGroup(*txn);
  int64_t contact = InsertContact(*txn, "Curie");
  ASSERT_TRUE(txn->Insert("Custom_Info", {{"entity_id", contact}, {column_, 66}}).ok());
  ASSERT_TRUE(txn->DropColumn("Custom_Info", column_).ok());
  ASSERT_TRUE(txn->Delete("CustomField", field_id_).ok());
  ASSERT_TRUE(txn->ReloadCatalog().ok());
  EXPECT_EQ(txn->catalog()->FindCustomField(field_id_), nullptr);
  EXPECT_EQ(txn->catalog()->Find("Custom_Info")->FindField(column_), nullptr);
  ASSERT_TRUE(txn->DropTable("Custom_Info").ok());
  ASSERT_TRUE(txn->Delete("CustomGroup", group_id_).ok());
  ASSERT_TRUE(txn->ReloadCatalog().ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(SchemaObjects(table_), 0);
  EXPECT_EQ(store_->catalog()->Find("Custom_Info"), nullptr);
  EXPECT_EQ(store_->catalog()->Find("Contact")->FindJoin("custom_Info"), nullptr);
}

TEST_F(CustomSchemaStoreTest, SchemaChangesAreRefusedInReadTransactionsAndForUnknownNames) {
  auto read = store_->Begin(false).value();
  EXPECT_EQ(read->CreateTable("Contact").code(), absl::StatusCode::kFailedPrecondition);
  auto txn = store_->Begin(true).value();
  EXPECT_EQ(txn->CreateTable("Custom_Nope").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(txn->AddColumn("Contact", "no_such_column").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(txn->DropColumn("Contact", "id").code(), absl::StatusCode::kInvalidArgument);
}

// is_searchable changed on an existing field: SyncIndexes gives its column
// the index, or takes it away, as the reloaded catalog says; a column without
// an index can then be dropped.
TEST_F(CustomSchemaStoreTest, SyncIndexesFollowsIsSearchable) {
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    ASSERT_TRUE(txn->Commit().ok());
  }
  const std::string index = "idx_" + table_ + "_" + column_ + "_entity_id";
  ASSERT_EQ(SchemaObjects(index), 1);
  {
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(txn->Update("CustomField", field_id_, {{"is_searchable", 0}}).ok());
    ASSERT_TRUE(txn->ReloadCatalog().ok());
    ASSERT_TRUE(txn->SyncIndexes("Custom_Info", column_).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(SchemaObjects(index), 0);
  {
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(txn->Update("CustomField", field_id_, {{"is_searchable", 1}}).ok());
    ASSERT_TRUE(txn->ReloadCatalog().ok());
    ASSERT_TRUE(txn->SyncIndexes("Custom_Info", column_).ok());
    ASSERT_TRUE(txn->SyncIndexes("Custom_Info", column_).ok());  // twice: no change
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(SchemaObjects(index), 1);
  {
    // Rolled back: the index stays as it was.
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(txn->Update("CustomField", field_id_, {{"is_searchable", 0}}).ok());
    ASSERT_TRUE(txn->ReloadCatalog().ok());
    ASSERT_TRUE(txn->SyncIndexes("Custom_Info", column_).ok());
  }
  EXPECT_EQ(SchemaObjects(index), 1);
  auto txn = store_->Begin(true).value();
  EXPECT_EQ(txn->SyncIndexes("Custom_Info", "no_such_column").code(), absl::StatusCode::kInvalidArgument);
}

// Two stores on one file stand for two processes serving one data
// directory: a schema change committed by one is in the other's next
// transaction, without a restart; a reader that began before keeps its
// snapshot.
TEST_F(CustomSchemaStoreTest, SchemaChangesOfAnotherProcessArePickedUp) {
  auto other = OpenStore(options_);
  ASSERT_TRUE(other.ok()) << other.status();
  auto early = (*other)->Begin(false).value();
  EXPECT_EQ(early->catalog()->Find("Custom_Info"), nullptr);
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    int64_t contact = InsertContact(*txn, "Hopper");
    ASSERT_TRUE(txn->Insert("Custom_Info", {{"entity_id", contact}, {column_, 85}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(early->catalog()->Find("Custom_Info"), nullptr);  // its snapshot
  early.reset();
  EXPECT_EQ((*other)->catalog()->Find("Custom_Info"), nullptr);  // not read yet
  {
    auto read = (*other)->Begin(false).value();
    ASSERT_NE(read->catalog()->FindCustomField(field_id_), nullptr);
    Query q;
    q.entity = "Contact";
    q.select = {"custom_Info." + column_};
    q.where = Condition::Leaf("last_name", Op::kEq, "Hopper");
    auto rows = read->Select(q);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0]["custom_Info." + column_], 85);
  }
  EXPECT_NE((*other)->catalog()->Find("Custom_Info"), nullptr);  // published
  {
    // And back: the other process drops the field; this one sees it gone.
    auto txn = (*other)->Begin(true).value();
    ASSERT_NE(txn->catalog()->FindCustomField(field_id_), nullptr);
    ASSERT_TRUE(txn->DropColumn("Custom_Info", column_).ok());
    ASSERT_TRUE(txn->Delete("CustomField", field_id_).ok());
    ASSERT_TRUE(txn->ReloadCatalog().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto write = store_->Begin(true).value();
  EXPECT_EQ(write->catalog()->FindCustomField(field_id_), nullptr);
  EXPECT_EQ(write->catalog()->Find("Custom_Info")->FindField(column_), nullptr);
}

// A database whose searchable custom column has the single-column index of
// before migration 7 gets (value, entity_id) in its place when opened.
TEST_F(CustomSchemaStoreTest, Migration7IndexesCustomValuesWithTheirEntity) {
  KITH_SQLITE_ONLY();
  {
    auto txn = store_->Begin(true).value();
    CreateInfoGroup(*txn);
    ASSERT_TRUE(txn->Commit().ok());
  }
  const std::string old_index = "idx_" + table_ + "_" + column_;
  const std::string new_index = old_index + "_entity_id";
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    ASSERT_TRUE(conn->Exec("DROP INDEX " + new_index).ok());
    ASSERT_TRUE(conn->Exec("CREATE INDEX " + old_index + " ON " + table_ + " (" + column_ + ")").ok());
    ASSERT_TRUE(conn->Exec("DELETE FROM kith_schema_version WHERE version >= 7").ok());
    ASSERT_TRUE(sqlite::UndoMigration10(*conn).ok());
    ASSERT_TRUE(sqlite::UndoMigration9(*conn).ok());
  }
  ASSERT_EQ(SchemaObjects(old_index), 1);
  ASSERT_EQ(SchemaObjects(new_index), 0);
  ReopenStore();
  EXPECT_EQ(SchemaObjects(old_index), 0);
  EXPECT_EQ(SchemaObjects(new_index), 1);
}

}  // namespace
}  // namespace kith::store
