// SelectShapes: a select of a kept shape binds its own values to the
// statement kept for its catalog and dialect, never to one built for
// another catalog or dialect (a thread's last statement included).
#include "store/internal/select_shapes.h"

#include <gtest/gtest.h>

#include <memory>

namespace kith::store::internal {
namespace {

Query ContactById(int64_t id) {
  Query q;
  q.entity = "Contact";
  q.select = {"id", "sort_name"};
  q.where = Condition::And({Condition::Leaf("id", Op::kEq, id), Condition::Leaf("is_deleted", Op::kEq, 0)});
  q.limit = 1;
  return q;
}

TEST(SelectShapesTest, KeptStatementsFollowTheirCatalogAndDialect) {
  std::shared_ptr<const schema::Catalog> catalog = schema::BuiltinCatalog();
  SelectShapes shapes;
  auto first = shapes.Select(catalog, ContactById(7), Dialect::kSqlite);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = shapes.Select(catalog, ContactById(8), Dialect::kSqlite);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->kept);
  EXPECT_EQ(again->statement, first->statement);
  ASSERT_FALSE(again->binds.empty());
  EXPECT_EQ(again->binds.front(), 8);

  // Another catalog, equal to the first: a statement of its own.
  auto other = std::make_shared<const schema::Catalog>(*catalog);
  auto from_other = shapes.Select(other, ContactById(9), Dialect::kSqlite);
  ASSERT_TRUE(from_other.ok()) << from_other.status();
  EXPECT_NE(from_other->statement, first->statement);
  EXPECT_EQ(from_other->statement->sql, first->statement->sql);

  // The other dialect, on the same catalog: its own SQL.
  auto pg = shapes.Select(catalog, ContactById(10), Dialect::kPostgres);
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_NE(pg->statement->sql.find("$1"), std::string::npos) << pg->statement->sql;
  EXPECT_EQ(pg->statement->sql.find('?'), std::string::npos) << pg->statement->sql;

  // Back to the first: its kept statement again.
  auto back = shapes.Select(catalog, ContactById(11), Dialect::kSqlite);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->statement->sql, first->statement->sql);
}

}  // namespace
}  // namespace kith::store::internal
