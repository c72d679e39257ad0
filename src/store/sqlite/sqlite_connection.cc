#include "store/sqlite/sqlite_connection.h"

#include <algorithm>
#include <regex>
#include <string_view>

#include "base/error_details.h"
#include "store/query.h"

namespace kith::store::sqlite {
namespace {

// See Open: a statement's journal larger than this goes to a temporary file.
constexpr int kStatementJournalSpillBytes = 8 << 20;

// REGEXP for SQLite: case-insensitive ECMAScript patterns (MySQL's REGEXP is
// case-insensitive under CiviCRM's collation). A bad pattern is an error.
void RegexpFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const char* pattern = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  try {
    std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
    sqlite3_result_int(ctx, std::regex_search(text, re) ? 1 : 0);
  } catch (const std::regex_error&) {
    sqlite3_result_error(ctx, "Invalid regular expression", -1);
  }
}

Status Bind(sqlite3_stmt* stmt, int index, const Value& v) {
  int rc;
  if (v.is_null()) {
    rc = sqlite3_bind_null(stmt, index);
  } else if (v.is_boolean()) {
    rc = sqlite3_bind_int(stmt, index, v.get<bool>() ? 1 : 0);
  } else if (v.is_number_integer()) {
    rc = sqlite3_bind_int64(stmt, index, v.get<int64_t>());
  } else if (v.is_number()) {
    rc = sqlite3_bind_double(stmt, index, v.get<double>());
  } else if (v.is_string()) {
    // Not copied: `v` outlives the statement's steps (Run and RunScalar
    // reset the statement before they return, and BindAll replaces or
    // clears every binding before it steps again).
    const std::string& s = v.get_ref<const std::string&>();
    rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  } else {
    std::string s = v.dump();
    rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  return rc == SQLITE_OK ? Status() : Internal("bind failed");
}

// Binds `binds` to the statement's first parameters. The bindings of the
// last use are left in a statement (clearing them is a pass over every
// parameter, thousands in a multi-row INSERT): any parameter not bound
// here is cleared first, so that none reads a value of an earlier use.
Status BindAll(sqlite3_stmt* stmt, const std::vector<Value>& binds) {
  if (binds.size() != static_cast<size_t>(sqlite3_bind_parameter_count(stmt))) {
    sqlite3_clear_bindings(stmt);
  }
  for (size_t i = 0; i < binds.size(); ++i) {
    KITH_RETURN_IF_ERROR(Bind(stmt, static_cast<int>(i + 1), binds[i]));
  }
  return Status();
}

// (Read through the column's sqlite3_value, as ColumnCell explains.)
Value ColumnValue(sqlite3_stmt* stmt, int i, const schema::FieldType* type) {
  sqlite3_value* value = sqlite3_column_value(stmt, i);
  switch (sqlite3_value_type(value)) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_value_int64(value));
    case SQLITE_FLOAT: return sqlite3_value_double(value);
    default: {
      const char* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
      int n = sqlite3_value_bytes(value);
      std::string s(text ? text : "", static_cast<size_t>(n));
      // Integer-typed columns hold integers even if a text slipped in.
      if (type && *type == schema::FieldType::kInt) {
        char* end = nullptr;
        long long x = std::strtoll(s.c_str(), &end, 10);
        if (end && *end == '\0' && !s.empty()) return static_cast<int64_t>(x);
      }
      return s;
    }
  }
}

// Column `i` of the current row as a cell: what ColumnValue reads, without
// a copy of its text. The column is looked up once and read through its
// sqlite3_value: each sqlite3_column_* call looks it up anew and passes the
// connection's mutex and error check, which cost more than the read itself
// (a get by id reads some fifty columns, most of them NULL). Reading that
// value outside sqlite3_column_* is safe here because a connection is used
// by one thread at a time (opened NOMUTEX) and the value is read before the
// next step.
Cell ColumnCell(sqlite3_stmt* stmt, int i, const schema::FieldType* type) {
  Cell c;
  sqlite3_value* value = sqlite3_column_value(stmt, i);
  switch (sqlite3_value_type(value)) {
    case SQLITE_NULL: return c;
    case SQLITE_INTEGER:
      c.kind = Cell::Kind::kInt;
      c.integer = sqlite3_value_int64(value);
      return c;
    case SQLITE_FLOAT:
      c.kind = Cell::Kind::kDouble;
      c.real = sqlite3_value_double(value);
      return c;
    default: {
      const char* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
      int n = sqlite3_value_bytes(value);
      if (text == nullptr) text = "";
      if (type && *type == schema::FieldType::kInt && n > 0) {
        char* end = nullptr;
        long long x = std::strtoll(text, &end, 10);
        if (end && *end == '\0') {
          c.kind = Cell::Kind::kInt;
          c.integer = x;
          return c;
        }
      }
      c.kind = Cell::Kind::kText;
      c.text = std::string_view(text, static_cast<size_t>(n));
      return c;
    }
  }
}

}  // namespace

StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                   int busy_timeout_ms,
                                                                   bool durable) {
  // SQLite's count of the memory it holds takes a global mutex on every
  // allocation (a twentieth of a bulk write's instructions); kith never
  // reads it. Set before SQLite starts (the first open); later, refused.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  // A statement's journal (the pages it changed, as they were, kept to undo
  // that statement alone) stays in memory up to this size rather than 64 KiB:
  // a pipelined multi-row INSERT changes some 80 KiB of index pages, and
  // each one spilled to a temporary file was a write() per page on the
  // writer thread (~1.7 a contact in a bulk import), unseen by callgrind.
  static const int statement_journal_in_memory =
      sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalSpillBytes);
  (void)statement_journal_in_memory;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError("cannot open database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_create_function(db, "regexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          &RegexpFunction, nullptr, nullptr);
  KITH_RETURN_IF_ERROR(conn->Exec(durable ? "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                                          : "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"));
  // Reads through a memory map of the file (shared by every connection,
  // backed by the OS page cache) instead of a pread() and a copy per page,
  // which dominated index lookups over large tables; a bigger private page
  // cache keeps the hot interior pages of the indexes (and WAL pages).
  KITH_RETURN_IF_ERROR(conn->Exec("PRAGMA mmap_size=17179869184; PRAGMA cache_size=-16384;"));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : commands_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteConnection::Error(int rc, const std::string& context) const {
  std::string msg = sqlite3_errmsg(db_);
  int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    // "UNIQUE constraint failed: civicrm_contact.external_identifier"
    std::string field = msg.substr(msg.rfind('.') == std::string::npos ? 0 : msg.rfind('.') + 1);
    return AlreadyExists("DB Error: already exists", Value{{"error_field", field}});
  }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return InvalidArgument("a linked record does not exist");
  }
  if (primary == SQLITE_CONSTRAINT) {
    // SQLite's text names the table (or a CHECK's expression): the client
    // is told which column, not the schema.
    size_t dot = msg.rfind('.');
    Value details = dot == std::string::npos ? Value::object() : Value{{"error_field", msg.substr(dot + 1)}};
    return InvalidArgument(rc == SQLITE_CONSTRAINT_NOTNULL ? "a required value is missing"
                                                           : "a value is not allowed here",
                           details);
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return absl::UnavailableError("database busy");
  }
  if (primary == SQLITE_ERROR && msg.find("regular expression") != std::string::npos) {
    return InvalidArgument(msg);
  }
  return Internal("database error in " + context + ": " + msg);
}

Status SqliteConnection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    return Error(rc, "exec");
  }
  return Status();
}

StatusOr<sqlite3_stmt*> SqliteConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    // Every use ends with a reset; its bindings are replaced by BindAll.
    sqlite3_reset(it->second);
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  if (statements_.size() > 512) {  // bound the cache; shapes repeat
    for (auto& [s, st] : statements_) sqlite3_finalize(st);
    statements_.clear();
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status SqliteConnection::Command(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  for (const auto& [text, kept] : commands_) {
    if (text == sql) {
      stmt = kept;
      break;
    }
  }
  if (stmt == nullptr) {
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "prepare");
    commands_.emplace_back(std::string(sql), stmt);
  }
  // Stepped to its end, as Run steps a statement without rows; each use
  // ends with a reset, so the next starts afresh.
  Status s;
  while (true) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      s = Error(rc, "step");
      break;
    }
  }
  sqlite3_reset(stmt);
  return s;
}

Status SqliteConnection::Run(const std::string& sql, const std::vector<Value>& binds,
                             const std::vector<std::string>* keys,
                             const std::vector<schema::FieldType>* types,
                             std::vector<Value>* rows, bool keys_distinct) {
  KITH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  KITH_RETURN_IF_ERROR(BindAll(stmt, binds));
  // Distinct keys (the usual case) are appended to each row without the
  // ordered object's linear search per key, which made a 50-column row cost
  // over a thousand string comparisons.
  const bool keyed = rows != nullptr && keys != nullptr &&
                     keys->size() >= static_cast<size_t>(sqlite3_column_count(stmt));
  const bool distinct_keys = keyed && (keys_distinct || NoRepeats(*keys));
  while (true) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Status s = Error(rc, "step");
      sqlite3_reset(stmt);
      return s;
    }
    if (rows == nullptr) continue;
    Value row = Value::object();
    int n = sqlite3_column_count(stmt);
    if (distinct_keys) {
      auto& fields = row.get_ref<Value::object_t&>();
      fields.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        const schema::FieldType* t =
            (types && static_cast<size_t>(i) < types->size()) ? &(*types)[i] : nullptr;
        fields.Container::emplace_back((*keys)[static_cast<size_t>(i)], ColumnValue(stmt, i, t));
      }
      rows->push_back(std::move(row));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const schema::FieldType* t =
          (types && static_cast<size_t>(i) < types->size()) ? &(*types)[i] : nullptr;
      std::string key = (keys && static_cast<size_t>(i) < keys->size())
                            ? (*keys)[i]
                            : std::string(sqlite3_column_name(stmt, i));
      row[key] = ColumnValue(stmt, i, t);
    }
    rows->push_back(std::move(row));
  }
  sqlite3_reset(stmt);
  return Status();
}

Status SqliteConnection::Each(const std::string& sql, const std::vector<Value>& binds,
                              const std::vector<schema::FieldType>* types, size_t columns,
                              CellRows& rows) {
  KITH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  KITH_RETURN_IF_ERROR(BindAll(stmt, binds));
  std::vector<Cell> cells(columns);
  const size_t n = std::min(columns, static_cast<size_t>(sqlite3_column_count(stmt)));
  Status s;
  while (s.ok()) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      s = Error(rc, "step");
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      const schema::FieldType* t = (types && i < types->size()) ? &(*types)[i] : nullptr;
      cells[i] = ColumnCell(stmt, static_cast<int>(i), t);
    }
    s = rows.Row(cells);
  }
  sqlite3_reset(stmt);
  return s;
}

StatusOr<int64_t> SqliteConnection::RunScalar(const std::string& sql,
                                              const std::vector<Value>& binds) {
  std::optional<int64_t> value;
  KITH_RETURN_IF_ERROR(RunIntegers(sql, binds, std::span(&value, 1)));
  return value.value_or(0);
}

Status SqliteConnection::RunIntegers(const std::string& sql, const std::vector<Value>& binds,
                                     std::span<std::optional<int64_t>> out) {
  // Read straight from the statement: every transaction starts with one.
  KITH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  KITH_RETURN_IF_ERROR(BindAll(stmt, binds));
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    Status s = rc == SQLITE_DONE ? Internal("no scalar result") : Error(rc, "step");
    sqlite3_reset(stmt);
    return s;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    int column = static_cast<int>(i);
    out[i] = sqlite3_column_type(stmt, column) == SQLITE_INTEGER
                 ? std::optional<int64_t>(sqlite3_column_int64(stmt, column))
                 : std::nullopt;
  }
  sqlite3_reset(stmt);
  return Status();
}

Status SqliteConnection::RunIntegersUnlessUnchanged(const std::string& sql,
                                                    std::span<std::optional<int64_t>> out,
                                                    bool* ran) {
  if (ran != nullptr) *ran = false;
  // The cheapest statement that reads the database: the snapshot, and with
  // it the data version below, is fixed from here to the transaction's end.
  KITH_RETURN_IF_ERROR(Command("PRAGMA schema_version"));
  unsigned int data_version = 0;
  const bool known =
      sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &data_version) == SQLITE_OK;
  if (known && unchanged_read_.has_value() && unchanged_read_->data_version == data_version &&
      unchanged_read_->row.size() == out.size() && unchanged_read_->sql == sql) {
    std::copy(unchanged_read_->row.begin(), unchanged_read_->row.end(), out.begin());
    return Status();
  }
  unchanged_read_.reset();
  ++unchanged_reads_run_;
  if (ran != nullptr) *ran = true;
  KITH_RETURN_IF_ERROR(RunIntegers(sql, {}, out));
  if (known) unchanged_read_ = UnchangedRead{sql, data_version, {out.begin(), out.end()}};
  return Status();
}

bool SqliteConnection::InWalMode() {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &stmt, nullptr) != SQLITE_OK) return false;
  bool wal = false;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* mode = sqlite3_column_text(stmt, 0);
    wal = mode != nullptr && std::string_view(reinterpret_cast<const char*>(mode)) == "wal";
  }
  sqlite3_finalize(stmt);
  return wal;
}

int64_t SqliteConnection::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int SqliteConnection::Changes() const { return sqlite3_changes(db_); }

}  // namespace kith::store::sqlite
