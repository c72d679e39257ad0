#include "store/internal/sql_builder.h"

#include <gtest/gtest.h>

#include <algorithm>

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

TEST(SqlBuilderTest, TextNoNumberAsStrtodReadsIt) {
  // Digits alone are a number (known without strtod); the rest as strtod
  // reads it: a text that is not wholly a number is one of its own shape.
  EXPECT_FALSE(IsTextNoNumber(Value("7")));
  EXPECT_FALSE(IsTextNoNumber(Value("0123456789012345678901234")));
  EXPECT_FALSE(IsTextNoNumber(Value(" 12")));
  EXPECT_FALSE(IsTextNoNumber(Value("-3.5e2")));
  EXPECT_FALSE(IsTextNoNumber(Value(7)));
  EXPECT_TRUE(IsTextNoNumber(Value("")));
  EXPECT_TRUE(IsTextNoNumber(Value("12a")));
  EXPECT_TRUE(IsTextNoNumber(Value("1 ")));
  EXPECT_TRUE(IsTextNoNumber(Value("abc")));
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

TEST(SqlBuilderTest, AnOptionalUniqueColumnIsIndexedOnlyWhereSetOnPostgres) {
  auto catalog = schema::BuiltinCatalog();
  const schema::Entity* contact = catalog->Find("Contact");
  ASSERT_NE(contact, nullptr);
  const std::string partial =
      "CREATE UNIQUE INDEX civicrm_contact_external_identifier_key ON civicrm_contact "
      "(external_identifier) WHERE external_identifier IS NOT NULL";
  std::vector<std::string> pg = BuildCreateTable(*catalog, *contact, Dialect::kPostgres);
  EXPECT_EQ(pg[0].find("external_identifier citext COLLATE \"C\" UNIQUE"), std::string::npos) << pg[0];
  EXPECT_NE(std::find(pg.begin(), pg.end(), partial), pg.end());
  // A database made before: the constraint dropped, the index made.
  std::vector<std::string> migrate = BuildUniqueWhereSetIndexes(*catalog, *contact, Dialect::kPostgres);
  ASSERT_EQ(migrate.size(), 2u);
  EXPECT_EQ(migrate[0], "ALTER TABLE civicrm_contact DROP CONSTRAINT IF EXISTS "
                        "civicrm_contact_external_identifier_key");
  EXPECT_EQ(migrate[1], "CREATE UNIQUE INDEX IF NOT EXISTS " + partial.substr(20));
  // A required unique column keeps its constraint; SQLite keeps them all.
  std::vector<std::string> user = BuildCreateTable(*catalog, *catalog->Find("User"), Dialect::kPostgres);
  EXPECT_NE(user[0].find(" UNIQUE"), std::string::npos) << user[0];
  std::vector<std::string> lite = BuildCreateTable(*catalog, *contact, Dialect::kSqlite);
  EXPECT_NE(lite[0].find("external_identifier TEXT COLLATE NOCASE UNIQUE"), std::string::npos) << lite[0];
  EXPECT_TRUE(BuildUniqueWhereSetIndexes(*catalog, *contact, Dialect::kSqlite).empty());
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

// A plain select tells where its select list ends (a pipelined read adds
// the versions there); one with DISTINCT or GROUP BY does not.
TEST(SqlBuilderTest, APlainSelectTellsWhereItsSelectListEnds) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name"};
  q.where = Condition::Leaf("id", Op::kEq, 5);
  q.order_by = {{"id", false}};
  for (Dialect dialect : {Dialect::kPostgres, Dialect::kSqlite}) {
    auto st = BuildSelect(*catalog, q, dialect);
    ASSERT_TRUE(st.ok()) << st.status();
    ASSERT_GT(st->select_end, 0u) << st->sql;
    EXPECT_EQ(st->sql.substr(0, st->select_end), dialect == Dialect::kPostgres
                                                     ? "SELECT t0.id, CAST(t0.last_name AS TEXT)"
                                                     : "SELECT t0.id, t0.last_name");
    EXPECT_EQ(st->sql.compare(st->select_end, 6, " FROM "), 0) << st->sql;
  }
  Query distinct = q;
  distinct.distinct = true;
  EXPECT_EQ(BuildSelect(*catalog, distinct, Dialect::kPostgres)->select_end, 0u);
  Query grouped = q;
  grouped.order_by.clear();
  grouped.group_by = {"last_name"};
  EXPECT_EQ(BuildSelect(*catalog, grouped, Dialect::kPostgres)->select_end, 0u);
  EXPECT_EQ(BuildCount(*catalog, q, Dialect::kPostgres)->select_end, 0u);
}

// A select names the root table's stored columns it returns (PostgreSQL
// may read many of them as the row whole), and nothing for a joined column
// or an expression.
TEST(SqlBuilderTest, ASelectNamesTheRootTablesColumnsItReturns) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name", "email_primary.email", "UPPER(first_name)", "image_URL"};
  auto st = BuildSelect(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->root_table, "civicrm_contact");
  EXPECT_EQ(st->root_alias, "t0");
  EXPECT_EQ(st->root_columns, (std::vector<std::string>{"id", "last_name", "", "", "image_URL"}));
}

// PostgreSQL: the text columns a select returns are read as text (citext's
// output function costs the server a catalog look-up per column and
// execution), joined ones too; where the select list itself is compared
// (DISTINCT, GROUP BY) they stay citext, and the order is the column's own.
TEST(SqlBuilderTest, PostgresReturnsTextColumnsAsText) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name", "email_primary.email", "is_deleted"};
  q.where = Condition::Leaf("last_name", Op::kEq, "Smith");
  q.order_by = {{"last_name", false}};
  auto st = BuildSelect(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->sql.rfind("SELECT t0.id, CAST(t0.last_name AS TEXT), CAST(t1.email AS TEXT), t0.is_deleted FROM ", 0),
            0u) << st->sql;
  EXPECT_NE(st->sql.find("ORDER BY (lower(CAST(t0.last_name AS TEXT)"), std::string::npos) << st->sql;
  auto sqlite = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  EXPECT_EQ(sqlite->sql.find("CAST("), std::string::npos) << sqlite->sql;
  Query distinct = q;
  distinct.distinct = true;
  distinct.order_by.clear();
  EXPECT_EQ(BuildSelect(*catalog, distinct, Dialect::kPostgres)->sql.rfind("SELECT DISTINCT t0.id, t0.last_name, t1.email, ", 0), 0u);
  Query grouped = q;
  grouped.select = {"last_name"};
  grouped.order_by.clear();
  grouped.group_by = {"last_name"};
  EXPECT_EQ(BuildSelect(*catalog, grouped, Dialect::kPostgres)->sql.rfind("SELECT t0.last_name FROM ", 0), 0u);
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

// Shapes PostgreSQL's planner can answer from an index (bench/scale.sh at
// 1M contacts), SQLite's statements unchanged.
TEST(SqlBuilderTest, PostgresShapesForItsPlanner) {
  auto catalog = schema::BuiltinCatalog();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "sort_name"};
  q.where = Condition::Leaf("sort_name", Op::kLike, "Doe\\_J%");
  q.order_by = {{"sort_name", false}};
  q.limit = 10;
  auto pg = BuildSelect(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(pg.ok()) << pg.status();
  // The LIKE also bounds the range of its literal start (lowered), which
  // the index of the column's keys (lowered text) can walk; no NULL passes
  // it, so no NULLS FIRST, which the index's order is not; no OFFSET when
  // none is asked. A keyed column is ordered by its key too.
  const std::string key = "(lower(CAST(t0.sort_name AS TEXT) COLLATE \"default\") COLLATE \"C\")";
  auto key_of = [](const std::string& bind) {
    return "(lower(CAST(" + bind + " AS TEXT) COLLATE \"default\") COLLATE \"C\")";
  };
  EXPECT_NE(pg->sql.find("(t0.sort_name ILIKE $1 AND " + key + " >= " + key_of("$2") + " AND " +
                         key + " < " + key_of("$3") + ")"),
            std::string::npos) << pg->sql;
  ASSERT_EQ(pg->binds.size(), 4u);
  EXPECT_EQ(pg->binds[1], "doe_j");
  EXPECT_EQ(pg->binds[2], "doe_k");
  EXPECT_EQ(pg->binds[3], 10);
  EXPECT_NE(pg->sql.find("ORDER BY " + key + " ASC LIMIT $4"), std::string::npos) << pg->sql;
  EXPECT_EQ(pg->sql.find("OFFSET"), std::string::npos) << pg->sql;
  auto sqlite = BuildSelect(*catalog, q, Dialect::kSqlite);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  EXPECT_EQ(sqlite->sql.find(">="), std::string::npos) << sqlite->sql;
  EXPECT_EQ(sqlite->sql.find("lower("), std::string::npos) << sqlite->sql;
  EXPECT_NE(sqlite->sql.find("LIMIT ? OFFSET ?"), std::string::npos) << sqlite->sql;
  // A pattern starting with a wildcard or a non-ASCII letter: the LIKE alone.
  for (const char* pattern : {"%oe", "\xc3\x89mile%"}) {
    q.where = Condition::Leaf("sort_name", Op::kLike, pattern);
    EXPECT_EQ(BuildSelect(*catalog, q, Dialect::kPostgres)->sql.find(">="), std::string::npos);
  }
  // Without a condition NULLs may be there: they sort first, as on SQLite.
  q.where = Condition::And();
  q.offset = 20;
  pg = BuildSelect(*catalog, q, Dialect::kPostgres);
  EXPECT_NE(pg->sql.find("ASC NULLS FIRST LIMIT $1 OFFSET $2"), std::string::npos) << pg->sql;

  // Members of a smart group: added, or matching and not removed. The
  // union of the lists the branches need is looked up by id first.
  Query added;
  added.entity = "GroupContact";
  added.select = {"contact_id"};
  added.where = Condition::Leaf("group_id", Op::kEq, 7);
  Query matching;
  matching.entity = "Email";
  matching.select = {"contact_id"};
  matching.where = Condition::Leaf("email", Op::kLike, "%@example.org");
  q.where = Condition::Or({Condition::InQuery("id", added),
                           Condition::And({Condition::InQuery("id", matching),
                                           Condition::InQuery("id", added, true)})});
  q.order_by.clear();
  q.offset = 0;
  pg = BuildSelect(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_NE(pg->sql.find("AND (t0.id = ANY(ARRAY(SELECT t3.contact_id FROM civicrm_group_contact t3 "
                         "WHERE t3.group_id = $3 UNION ALL SELECT t4.contact_id FROM civicrm_email "
                         "t4 WHERE t4.email ILIKE $4)))"),
            std::string::npos) << pg->sql;
  // Under it, a member not added is one of the matching: only "not removed"
  // is tested of it, the matching set not read a second time.
  EXPECT_EQ(pg->sql.find("civicrm_email"), pg->sql.rfind("civicrm_email")) << pg->sql;
  EXPECT_NE(pg->sql.find(") OR ((t0.id NOT IN (SELECT "), std::string::npos) << pg->sql;
  ASSERT_EQ(pg->binds.size(), 5u);
  EXPECT_EQ(pg->binds[2], 7);
  EXPECT_EQ(pg->binds[3], "%@example.org");
  EXPECT_EQ(BuildSelect(*catalog, q, Dialect::kSqlite)->sql.find("ANY"), std::string::npos);
  // Counted (not in the trash): from the distinct candidates, the trash
  // looked up in its own index, the contact table not read for them.
  Condition smart = q.where;
  q.where = Condition::And({smart, Condition::Leaf("is_deleted", Op::kEq, 0)});
  pg = BuildCount(*catalog, q, Dialect::kPostgres);
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_EQ(pg->sql.rfind("SELECT COUNT(*) FROM (SELECT t1.contact_id FROM civicrm_group_contact t1 "
                          "WHERE t1.group_id = $1 UNION SELECT t2.contact_id FROM civicrm_email t2 "
                          "WHERE t2.email ILIKE $2) t0(id) WHERE ",
                          0),
            0u) << pg->sql;
  EXPECT_NE(pg->sql.find("AND (t0.id NOT IN (SELECT id FROM civicrm_contact WHERE is_deleted <> 0))"),
            std::string::npos) << pg->sql;
  EXPECT_EQ(pg->sql.find("FROM civicrm_contact t0"), std::string::npos) << pg->sql;
  // A candidate not added came from the matching ones: only "not removed"
  // is tested of it, the matching set not read a second time.
  EXPECT_EQ(pg->sql.find("civicrm_email", pg->sql.find("t0(id) WHERE ")), std::string::npos)
      << pg->sql;
  EXPECT_NE(pg->sql.find(") OR ((t0.id NOT IN (SELECT "), std::string::npos) << pg->sql;
  ASSERT_EQ(pg->binds.size(), 4u);
  EXPECT_EQ(pg->binds[0], 7);
  EXPECT_EQ(pg->binds[1], "%@example.org");
  EXPECT_EQ(pg->binds[2], 7);
  EXPECT_EQ(pg->binds[3], 7);
  // The trash itself: the candidates in it.
  q.where.children[1] = Condition::Leaf("is_deleted", Op::kEq, 1);
  EXPECT_NE(BuildCount(*catalog, q, Dialect::kPostgres)->sql.find("AND (t0.id IN (SELECT id FROM "),
            std::string::npos);
  // A condition on another column needs the row: counted from the table.
  q.where.children[1] = Condition::Leaf("contact_type", Op::kEq, "Individual");
  EXPECT_NE(BuildCount(*catalog, q, Dialect::kPostgres)->sql.find("FROM civicrm_contact t0"),
            std::string::npos);
  q.where = Condition::And({smart, Condition::Leaf("is_deleted", Op::kEq, 0)});
  EXPECT_NE(BuildCount(*catalog, q, Dialect::kSqlite)->sql.find("FROM civicrm_contact t0"),
            std::string::npos);
  q.where = smart;

  // A branch without such a list: nothing added.
  q.where.children[1] = Condition::Leaf("last_name", Op::kEq, "Doe");
  EXPECT_EQ(BuildSelect(*catalog, q, Dialect::kPostgres)->sql.find("ANY"), std::string::npos);
}

}  // namespace
}  // namespace kith::store::internal
