#include "store/postgres/pg_record.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>
#include <vector>

#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

using postgres::RecordField;
using postgres::SplitRecord;

// The fields of `record` as texts, "NULL" for a NULL (no test text is that).
std::vector<std::string> Fields(std::string_view record) {
  std::vector<RecordField> fields;
  std::string scratch;
  if (!SplitRecord(record, fields, scratch)) return {"(malformed)"};
  std::vector<std::string> out;
  for (const RecordField& f : fields) out.push_back(f.null ? "NULL" : std::string(f.text));
  return out;
}

TEST(SplitRecordTest, EmptyUnquotedIsNullAndQuotedEmptyIsText) {
  EXPECT_EQ(Fields("(1,,\"\",t)"), (std::vector<std::string>{"1", "NULL", "", "t"}));
  EXPECT_EQ(Fields("(,)"), (std::vector<std::string>{"NULL", "NULL"}));
  EXPECT_EQ(Fields("()"), (std::vector<std::string>{"NULL"}));
}

TEST(SplitRecordTest, QuotedFieldsLoseTheirQuotesAndEscapes) {
  // As record_out writes them: a doubled quote, a doubled backslash.
  EXPECT_EQ(Fields(R"x(("say ""hi""","a\\b","x,y","(p)"," lead"))x"),
            (std::vector<std::string>{"say \"hi\"", "a\\b", "x,y", "(p)", " lead"}));
  // Also a backslash before any character, and quotes inside a field.
  EXPECT_EQ(Fields(R"x((a\,b,x"y,z"w))x"), (std::vector<std::string>{"a,b", "xy,zw"}));
  EXPECT_EQ(Fields("(\"Zo\xc3\xab\",\xe6\x9d\xb1)"), (std::vector<std::string>{"Zo\xc3\xab", "\xe6\x9d\xb1"}));
}

TEST(SplitRecordTest, FieldsStayValidAcrossQuotedOnes) {
  std::vector<RecordField> fields;
  std::string scratch;
  ASSERT_TRUE(SplitRecord(R"x(("a""",plain,"b\\",c))x", fields, scratch));
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].text, "a\"");
  EXPECT_EQ(fields[1].text, "plain");
  EXPECT_EQ(fields[2].text, "b\\");
  EXPECT_EQ(fields[3].text, "c");
}

TEST(SplitRecordTest, RefusesWhatIsNoRecord) {
  std::vector<RecordField> fields;
  std::string scratch;
  EXPECT_FALSE(SplitRecord("", fields, scratch));
  EXPECT_FALSE(SplitRecord("1,2", fields, scratch));
  EXPECT_FALSE(SplitRecord("(\"open)", fields, scratch));
  EXPECT_FALSE(SplitRecord("(a\\)", fields, scratch));
}

class PgRecordStoreTest : public FreshStoreTest {
 protected:
  // A select of every field of `entity`, of the rows `where` names, by id.
  Query WholeRows(const std::string& entity, Condition where) {
    Query q;
    q.entity = entity;
    if (const schema::Entity* e = store_->catalog()->Find(entity)) {
      for (const schema::Field& f : e->fields) q.select.push_back(f.name);
    }
    q.where = std::move(where);
    q.order_by = {{"id", false}};
    return q;
  }
  // The rows of `whole` as each of its columns reads selected alone (too
  // few columns to be read whole); `count` rows are expected.
  std::vector<Value> ColumnByColumn(const Query& whole, size_t count) {
    std::vector<Value> rows(count, Value::object());
    for (const std::string& path : whole.select) {
      Query one = whole;
      one.select = {path};
      auto read = store_->Begin(false).value()->Select(one);
      if (!read.ok() || read->size() != count) {
        ADD_FAILURE() << path << ": " << read.status();
        return {};
      }
      for (size_t i = 0; i < count; ++i) rows[i][path] = (*read)[i][path];
    }
    return rows;
  }
  // How many of the test database's connections last ran a select of a
  // `table` row whole (the connections stay open in the store's pool).
  int WholeRowReads(const std::string& table = "civicrm_contact") {
    PGconn* conn = PQconnectdb(options_.database_url.c_str());
    int n = -1;
    if (PQstatus(conn) == CONNECTION_OK) {
      const std::string sql =
          "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND (query LIKE 'SELECT t0 FROM " + table + " t0 %' "
          "OR query LIKE 'SELECT t0, (SELECT ARRAY[%] FROM kith_versions) FROM " + table + " t0 %')";
      PGresult* r = PQexec(conn, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK) n = std::atoi(PQgetvalue(r, 0, 0));
      PQclear(r);
    }
    PQfinish(conn);
    return n;
  }
};

// Every column of a contact read as its row whole gives the same cells as
// the plain select of that column: texts that the record format quotes or
// escapes, NULL against "", booleans, dates, timestamps, integers.
TEST_F(PgRecordStoreTest, AContactReadWholeGivesThePlainSelectsValues) {
  if (!OnPostgres()) GTEST_SKIP() << "a read of PostgreSQL's rows whole";
  const std::vector<std::string> texts = {
      "",           "a,b",         "say \"hi\"", "back\\slash", "(paren)", " leading", "trailing ",
      "tab\there",  "Zo\xc3\xab \xe6\x9d\xb1",   "NULL",        "\"\"",    "\\\"",     "new\nline",
      "{x}",        "x\\\\\"\"y",  "t",          "()",          ",",       " "};
  std::vector<int64_t> ids;
  {
    auto txn = store_->Begin(true).value();
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::string& t = texts[i];
      Value row = {{"contact_type", "Individual"}, {"first_name", t}, {"last_name", t},
                   {"nick_name", t},  {"job_title", t}, {"source", t}, {"legal_name", t},
                   {"is_deceased", i % 2 == 0}, {"do_not_email", i % 3 == 0}};
      if (i % 2 == 0) row["birth_date"] = "1990-05-0" + std::to_string(1 + i % 9);
      auto id = txn->Insert("Contact", row);
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  const Query whole = WholeRows("Contact", Condition::Leaf("id", Op::kIn, Value(ids)));
  ASSERT_GE(whole.select.size(), 20u);
  const std::vector<Value> expected = ColumnByColumn(whole, ids.size());
  ASSERT_EQ(expected.size(), ids.size());
  EXPECT_EQ(expected[0]["first_name"], "");
  EXPECT_EQ(expected[0]["middle_name"], nullptr);
  EXPECT_EQ(expected[0]["is_deceased"], 1);  // (booleans read as 0 and 1)

  // In a transaction, and as a pipelined read's statement run alone.
  auto read = store_->Begin(false).value()->Select(whole);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, expected);
  auto found = std::make_shared<ReadAssumptions>();
  auto pipelined = store_->BeginPipelinedRead(found).value();
  auto alone = pipelined->Select(whole);
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(*alone, expected);
  EXPECT_FALSE(found->changed);
  pipelined.reset();
  EXPECT_GE(WholeRowReads(), 1);

  // Cell by cell too (SelectEach), as the answer writers read.
  class Collect final : public CellRows {
   public:
    explicit Collect(const std::vector<std::string>& keys) : keys_(keys) {}
    Status Row(std::span<const Cell> cells) override {
      Value row = Value::object();
      for (size_t c = 0; c < cells.size(); ++c) row[keys_[c]] = cells[c].ToValue();
      rows.push_back(std::move(row));
      return Status();
    }
    std::vector<Value> rows;

   private:
    const std::vector<std::string>& keys_;
  };
  Collect each(whole.select);
  ASSERT_TRUE(store_->Begin(false).value()->SelectEach(whole, each).ok());
  EXPECT_EQ(each.rows, expected);
}

// Another table's rows, with double precision columns (an address's
// geocodes): the same numbers read whole as selected.
TEST_F(PgRecordStoreTest, AnAddressReadWholeGivesThePlainSelectsNumbers) {
  if (!OnPostgres()) GTEST_SKIP() << "a read of PostgreSQL's rows whole";
  const std::vector<std::pair<double, double>> geocodes = {
      {51.5074, -0.1278}, {1e-7, 123456789.125}, {0.1, -0.3}, {90, -180}, {0, 1e300}};
  std::vector<int64_t> ids;
  {
    auto txn = store_->Begin(true).value();
    auto contact = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Geo"}});
    ASSERT_TRUE(contact.ok()) << contact.status();
    for (size_t i = 0; i < geocodes.size(); ++i) {
      Value row = {{"contact_id", *contact}, {"location_type_id", 1},
                   {"street_address", i % 2 == 0 ? "1 \"Main\" St, (rear)" : ""},
                   {"geo_code_1", geocodes[i].first}, {"geo_code_2", geocodes[i].second}};
      if (i == 0) row["geo_code_1"] = nullptr;
      auto id = txn->Insert("Address", row);
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  const Query whole = WholeRows("Address", Condition::Leaf("id", Op::kIn, Value(ids)));
  const std::vector<Value> expected = ColumnByColumn(whole, ids.size());
  ASSERT_EQ(expected.size(), ids.size());
  EXPECT_EQ(expected[0]["geo_code_1"], nullptr);
  EXPECT_EQ(expected[1]["geo_code_1"], 1e-7);
  EXPECT_EQ(expected[4]["geo_code_2"], 1e300);
  auto txn = store_->Begin(false).value();
  auto read = txn->Select(whole);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, expected);
  EXPECT_GE(WholeRowReads("civicrm_address"), 1);  // (before its ROLLBACK)
}

// Another server that migrates the table while this one reads its rows
// whole (a rolling upgrade adds a column): the read under way answers that
// the database changed (unavailable, not a wrong row), and the next reads
// the new layout and answers whole again.
TEST_F(PgRecordStoreTest, ATableChangedByAnotherServerIsReadWithItsNewLayout) {
  if (!OnPostgres()) GTEST_SKIP() << "a read of PostgreSQL's rows whole";
  int64_t id = 0;
  {
    auto txn = store_->Begin(true).value();
    id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Layout"}}).value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  const Query whole = WholeRows("Contact", Condition::Leaf("id", Op::kEq, id));
  auto read = [&] { return store_->Begin(false).value()->Select(whole); };
  auto before = read();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 1u);

  PGconn* other = PQconnectdb(options_.database_url.c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK);
  PGresult* r = PQexec(other, "ALTER TABLE civicrm_contact ADD COLUMN added_by_an_upgrade int");
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(other);
  PQclear(r);
  PQfinish(other);

  auto during = read();
  if (!during.ok()) {
    EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable) << during.status();
    during = read();
  }
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(*during, *before);
  EXPECT_EQ((*during)[0]["last_name"], "Layout");
}

// A select of a few columns, or of another table's, is read as it is.
TEST_F(PgRecordStoreTest, FewColumnsAreReadAsSelected) {
  if (!OnPostgres()) GTEST_SKIP() << "a read of PostgreSQL's rows whole";
  {
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "x,\"y\""}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name", "is_deleted"};
  auto txn = store_->Begin(false).value();
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0]["last_name"], "x,\"y\"");
  EXPECT_EQ((*rows)[0]["is_deleted"], 0);
  EXPECT_EQ(WholeRowReads(), 0);  // (before its ROLLBACK)
}

}  // namespace
}  // namespace kith::store
