// PgConnection: one libpq connection with its prepared statements (each SQL
// text prepared once per connection, then run by name: one round trip).
// Not thread-safe: a connection is used by one transaction at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/row_sink.h"
#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"

struct pg_conn;
struct pg_result;

namespace kith::store::postgres {

// A statement's result (its rows), freed when dropped.
struct PgResultFree {
  void operator()(pg_result* r) const;
};
using PgResult = std::unique_ptr<pg_result, PgResultFree>;

class PgConnection {
 public:
  // Connects to `url` (a libpq connection URI or key=value string; the
  // password from it, PGPASSWORD or ~/.pgpass). kUnavailable when the server
  // cannot be reached; the message never repeats the URL.
  static StatusOr<std::unique_ptr<PgConnection>> Open(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `begin` (BEGIN ...; none when empty) and, in the same round
  // trip, the statement `first` when given (prepared once): a read that fixes the snapshot,
  // whose first row is read into `first_row` as integers (see Exec). The
  // outcome of what SendUnawaited sent is read in that round trip too.
  // When `then` is given, that statement ($n placeholders, `then_binds`)
  // follows in the same round trip, after `first`, and its result is put
  // in `then_result` (a pipelined read's first read).
  // `then_name`: `then`'s prepared name when known (kept by the caller), set
  // here when it becomes known.
  Status Begin(const std::string& begin, const std::string& first,
               std::span<std::optional<int64_t>> first_row, const std::string* then = nullptr,
               const std::vector<Value>* then_binds = nullptr, PgResult* then_result = nullptr,
               std::string* then_name = nullptr);

  // Runs `sql` ($n placeholders) with `binds` as one statement outside any
  // transaction (autocommit: one snapshot of its own), in one round trip
  // with the outcome of what SendUnawaited sent: its result.
  StatusOr<PgResult> QueryAlone(const std::string& sql, const std::vector<Value>& binds);

  // A statement made for something its caller keeps (a select's shape):
  // its text and, once prepared, its name on this connection, so that
  // running it again neither builds, hashes nor compares its text.
  struct KeptStatement {
    std::shared_ptr<const void> owner;  // held, so that its address is not reused
    std::string sql;
    size_t hash = 0;   // of the text it was made from (the caller's)
    std::string name;  // "" until prepared here
  };
  // The statement kept for `owner`, or null.
  KeptStatement* FindKept(const void* owner) {
    auto it = kept_.find(owner);
    return it == kept_.end() ? nullptr : &it->second;
  }
  KeptStatement& Keep(std::shared_ptr<const void> owner, std::string sql, size_t hash);
  // QueryAlone of a kept statement.
  StatusOr<PgResult> QueryAlone(KeptStatement& kept, const std::vector<Value>& binds);
  // Row 0's columns from `first` on as integers, one per element of `row`
  // (nullopt for NULL, a column past the last, or no row).
  static void ReadIntegersAt(const pg_result* r, int first, std::span<std::optional<int64_t>> row);
  // Row 0's column `col`, an integer array in text form ("{1,2,3}"), one
  // element per element of `row` (nullopt for NULL, an element past the
  // last, no row, or a text not of that form).
  static void ReadIntegerArrayAt(const pg_result* r, int col, std::span<std::optional<int64_t>> row);
  // The number of columns of `r`, and of rows.
  static int ColumnCount(const pg_result* r);
  static int RowCount(const pg_result* r);

  // Sends a statement without parameters whose outcome no one waits for (a
  // read-only transaction's COMMIT or ROLLBACK: nothing it read can change),
  // so that the answer goes out while the server finishes it. The next call
  // reads its outcome; a failure there only tells that the connection broke.
  Status SendUnawaited(const char* sql);

  // Runs one or more statements without parameters (DDL, BEGIN, ...). When
  // `last` is given, the last statement's first row is read into it as
  // integers (see RunIntegers).
  Status Exec(const std::string& sql, std::span<std::optional<int64_t>> last = {});

  // Runs `sql` ($n placeholders) with `binds`; each result row is appended
  // to `rows` (may be null) as an object keyed by `keys`, typed by `types`
  // when given. `affected`: the rows the statement wrote. `distinct_keys`:
  // whether no key repeats (SqlStatement::distinct_columns), found out here
  // when not told.
  Status Run(const std::string& sql, const std::vector<Value>& binds,
             const std::vector<std::string>* keys, const std::vector<schema::FieldType>* types,
             std::vector<Value>* rows, int64_t* affected = nullptr,
             std::optional<bool> distinct_keys = std::nullopt);

  // Runs `sql` ($n placeholders) with `binds`: its result, read with
  // ReadRows or EachRow.
  StatusOr<PgResult> Query(const std::string& sql, const std::vector<Value>& binds);
  // A result's rows as Run appends them to `rows`: their first `columns`
  // cells (-1: all; a result may carry more than the statement's own).
  static void ReadRows(const pg_result* r, const std::vector<std::string>* keys,
                       const std::vector<schema::FieldType>* types, std::vector<Value>* rows,
                       std::optional<bool> distinct_keys, int columns = -1);
  // A result's rows handed to `rows`, `width` cells each (typed by `types`,
  // as Run types them), with no Value per row.
  static Status EachRow(const pg_result* r, const std::vector<schema::FieldType>* types,
                        size_t width, CellRows& rows);

  // How the cells of a select come from one result column holding a table's
  // row whole (pg_record.h): for each selected column, its field in that
  // record and its column's type (as the plain select's result had it).
  struct RecordColumns {
    int column = 0;              // the record's result column
    size_t fields = 0;           // the table's columns: the record's fields
    std::vector<int> field;      // per selected column: its field in the record
    std::vector<unsigned> oids;  // per selected column: its column's type (pg_type)
  };
  // EachRow and ReadRows of a result read so: the same cells as the plain
  // select's. kInternal for a record not of the table's shape.
  static Status EachRecordRow(const pg_result* r, const RecordColumns& record,
                              const std::vector<schema::FieldType>* types, CellRows& rows);
  static Status ReadRecordRows(const pg_result* r, const RecordColumns& record,
                               const std::vector<std::string>& keys,
                               const std::vector<schema::FieldType>* types, std::vector<Value>* rows,
                               bool distinct_keys);

  // Runs a statement that returns one integer (COUNT(*), RETURNING id).
  StatusOr<int64_t> RunScalar(const std::string& sql, const std::vector<Value>& binds);

  // Runs a writing statement so that its failure (a unique key clash, a
  // broken link) undoes only itself and the transaction goes on, as a failed
  // statement does on SQLite: inside a savepoint, sent with it in one
  // round trip (libpq's pipeline mode). `id`: its RETURNING value, if any.
  // `prepare`: false for a statement that runs once (not kept prepared).
  Status RunAtomically(const std::string& sql, const std::vector<Value>& binds, int64_t* id,
                       int64_t* affected, bool prepare = true);

  // RunAtomically in two halves, so that kith works on while the server
  // writes (a bulk import's batches): SendAtomically sends the statement in
  // its savepoint and returns; AwaitAtomically reads the outcome of the
  // oldest one sent, undoing it when it failed. Several may be in flight;
  // when one fails, those sent after it are dropped (they ran in a failed
  // transaction) and AwaitAtomically has nothing more to read. Any other
  // call first awaits them all, failing with the first failure.
  Status SendAtomically(const std::string& sql, const std::vector<Value>& binds, bool prepare);
  Status AwaitAtomically(int64_t* id = nullptr, int64_t* affected = nullptr);
  int in_flight() const { return in_flight_; }
  // Awaits every statement still in flight: the first failure.
  Status Settle();

  // COPY ... FROM STDIN: `copy_sql` names the table and columns, `data` is
  // the rows in COPY's text format, sent in
  // one statement. A failure leaves the transaction failed (no savepoint:
  // the rows of a bulk write stand or fall together); `failed_row` is then
  // the 0-based row the server names, or -1 when it names none (a foreign
  // key is checked at the statement's end).
  Status CopyIn(const std::string& copy_sql, std::string_view data, int64_t* failed_row);

  // Whether the connection still works (false after the server went away):
  // a broken one is not put back into the pool.
  bool healthy() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  StatusOr<const std::string*> Prepare(const std::string& sql);
  // Sends `sql` in pipeline mode by its prepared name; when it has none
  // yet, its Parse goes first under `new_name` (a result of its own), kept
  // by the caller once that succeeded. False when sending failed.
  // `known`: its name when the caller keeps it (none when empty; set when
  // found here).
  bool SendPrepared(const std::string& sql, int count, const char* const* values,
                    std::string* new_name, std::string* known = nullptr);
  static constexpr size_t kMaxPrepared = 512;
  // Reads the outcome of what SendUnawaited sent: an error only when the
  // connection broke.
  Status ReadUnawaited();

  pg_conn* conn_;
  int64_t prepared_ = 0;  // statements prepared so far: their names
  int in_flight_ = 0;     // SendAtomically groups whose outcome is not read yet
  int unawaited_ = 0;     // SendUnawaited groups whose outcome is not read yet
  std::unordered_map<std::string, std::string> statements_;  // SQL -> name
  static constexpr size_t kMaxKept = 256;
  std::unordered_map<const void*, KeptStatement> kept_;  // by owner (Keep)
};

}  // namespace kith::store::postgres
