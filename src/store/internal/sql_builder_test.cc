#include "store/internal/sql_builder.h"

#include <gtest/gtest.h>

namespace kith::store::internal {
namespace {

TEST(SqlBuilderTest, ResolvesReverseJoinsAndForeignKeys) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "email_primary.email", "address_primary.country_id.iso_code"};
  q.where = Condition::Leaf("last_name", Op::kEq, "Doe");
  auto st = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_NE(st->sql.find("LEFT JOIN civicrm_email"), std::string::npos) << st->sql;
  EXPECT_NE(st->sql.find("LEFT JOIN civicrm_country"), std::string::npos) << st->sql;
  // is_primary = ? for each of the two joins, then the WHERE value.
  ASSERT_EQ(st->binds.size(), 3u);
  EXPECT_EQ(st->binds[2], "Doe");
  EXPECT_EQ(st->sql.find("Doe"), std::string::npos) << "values are bound, never pasted";
}

TEST(SqlBuilderTest, RejectsUnknownPathsByName) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("last_name; DROP TABLE x", Op::kEq, "x");
  auto st = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(st.status().message()).find("last_name; DROP"), std::string::npos);
}

TEST(SqlBuilderTest, CreateIndexesMatchesTheTablesIndexesAndToleratesExistingOnes) {
  auto catalog = schema::BuiltinCatalog();
  const schema::Entity* address = catalog->Find("Address");
  ASSERT_NE(address, nullptr);
  std::vector<std::string> table = BuildCreateTable(*catalog, *address, Dialect::kSqlite);
  std::vector<std::string> indexes = BuildCreateIndexes(*catalog, *address, Dialect::kSqlite);
  ASSERT_EQ(indexes.size() + 1, table.size());  // all but the CREATE TABLE
  for (const std::string& sql : indexes) {
    EXPECT_TRUE(sql.rfind("CREATE INDEX IF NOT EXISTS ", 0) == 0 ||
                sql.rfind("CREATE UNIQUE INDEX IF NOT EXISTS ", 0) == 0)
        << sql;
  }
  bool covering = false;
  for (const std::string& sql : indexes) {
    covering = covering || sql.find("(state_province_id, contact_id)") != std::string::npos;
  }
  EXPECT_TRUE(covering) << "contacts by state are answered from the index";
}

TEST(SqlBuilderTest, PostgresPlaceholdersAreNumbered) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("id", Op::kIn, Value::array({1, 2}));
  auto st = BuildSelect(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(st.ok());
  EXPECT_NE(st->sql.find("IN ($1,$2)"), std::string::npos) << st->sql;
}

TEST(SqlBuilderTest, EmptyInIsFalseNotASyntaxError) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("id", Op::kIn, Value::array());
  auto st = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(st.ok());
  EXPECT_NE(st->sql.find("1=0"), std::string::npos);
}

TEST(SqlBuilderTest, HavingFiltersGroupsByAggregatesWithBoundValues) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"job_title", "COUNT(id)"};
  q.where = Condition::Leaf("last_name", Op::kEq, "Doe");
  q.group_by = {"job_title"};
  q.having = Condition::And({Condition::Leaf("COUNT(id)", Op::kGt, 1),
                             Condition::Leaf("job_title", Op::kNe, "Cook")});
  auto st = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_NE(st->sql.find("GROUP BY t0.job_title HAVING (COUNT(t0.id) > ?) AND (t0.job_title <> ?)"),
            std::string::npos) << st->sql;
  ASSERT_EQ(st->binds.size(), 3u);  // WHERE's value, then HAVING's, in text order
  EXPECT_EQ(st->binds[0], "Doe");
  EXPECT_EQ(st->binds[1], 1);
  EXPECT_EQ(st->binds[2], "Cook");
  // Counting the groups keeps the HAVING inside.
  auto count = BuildCount(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_NE(count->sql.find("HAVING"), std::string::npos) << count->sql;
  // Aggregates stay out of WHERE; HAVING needs GROUP BY.
  Query bad = q;
  bad.where = Condition::Leaf("COUNT(id)", Op::kGt, 1);
  EXPECT_FALSE(BuildSelect(*catalog, bad, Dialect::kSqlite).ok());
  bad = q;
  bad.group_by.clear();
  EXPECT_FALSE(BuildSelect(*catalog, bad, Dialect::kSqlite).ok());
}

}  // namespace
}  // namespace kith::store::internal
