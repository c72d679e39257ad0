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

}  // namespace
}  // namespace kith::store::internal
