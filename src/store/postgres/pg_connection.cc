#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/error_details.h"
#include "store/postgres/pg_record.h"
#include "store/query.h"
#include "store/store.h"

namespace kith::store::postgres {
namespace {

// Result column types (pg_type oids) read as numbers.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700;

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

std::optional<int64_t> ParseInteger(const char* text) {
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(x);
}

// `text` (`size` bytes, not necessarily NUL-terminated) as an integer, as
// ParseInteger reads it.
std::optional<int64_t> ParseIntegerOf(const char* text, size_t size) {
  // Digits (after a minus), as an integer column's text is: read in place.
  // Anything else (white space, a plus, past int64) as strtoll reads it.
  int64_t x = 0;
  if (auto [at, error] = std::from_chars(text, text + size, x); error == std::errc() && at == text + size) {
    return x;
  }
  char small[64];
  if (size < sizeof small) {
    std::memcpy(small, text, size);
    small[size] = '\0';
    return ParseInteger(small);
  }
  return ParseInteger(std::string(text, size).c_str());
}

double ParseRealOf(const char* text, size_t size) {
  char small[64];
  if (size < sizeof small) {
    std::memcpy(small, text, size);
    small[size] = '\0';
    return std::strtod(small, nullptr);
  }
  return std::strtod(std::string(text, size).c_str(), nullptr);
}

// One cell as the store reads it: numbers by the column's type `oid` (and
// the schema's, for an integer field read as text), the rest as text (a
// view of `text`).
Cell TypedCell(Oid oid, const char* text, size_t size, bool null, const schema::FieldType* type) {
  Cell cell;
  if (null) return cell;
  auto number = [&](std::optional<int64_t> n) {
    if (n) {
      cell.kind = Cell::Kind::kInt;
      cell.integer = *n;
    }
    return n.has_value();
  };
  auto real = [&] {
    cell.kind = Cell::Kind::kDouble;
    cell.real = ParseRealOf(text, size);
    return cell;
  };
  switch (oid) {
    case kBool:
      cell.kind = Cell::Kind::kInt;
      cell.integer = size > 0 && text[0] == 't' ? 1 : 0;
      return cell;
    case kInt2: case kInt4: case kInt8: case kOid:
      if (number(ParseIntegerOf(text, size))) return cell;
      break;
    case kFloat4: case kFloat8: return real();
    case kNumeric:  // SUM of integers, AVG
      if ((type == nullptr || *type != schema::FieldType::kFloat) && number(ParseIntegerOf(text, size))) {
        return cell;
      }
      return real();
    default:
      // Integer-typed columns hold integers even if a text slipped in (as on SQLite).
      if (type != nullptr && *type == schema::FieldType::kInt && number(ParseIntegerOf(text, size))) {
        return cell;
      }
      break;
  }
  cell.kind = Cell::Kind::kText;
  cell.text = std::string_view(text, size);
  return cell;
}

// A result's cell (row `row`, column `col`) as TypedCell reads it.
Cell RowCell(const PGresult* r, int row, int col, const schema::FieldType* type) {
  return TypedCell(PQftype(r, col), PQgetvalue(r, row, col),
                   static_cast<size_t>(PQgetlength(r, row, col)), PQgetisnull(r, row, col) != 0, type);
}

Value CellValue(const PGresult* r, int row, int col, const schema::FieldType* type) {
  return RowCell(r, row, col, type).ToValue();
}

// The last column of a unique key from "Key (group_id, contact_id)=(1, 2) already exists.",
// as SQLite names it in "UNIQUE constraint failed: t.group_id, t.contact_id".
std::string UniqueKeyField(const char* detail) {
  std::string d = detail == nullptr ? "" : detail;
  size_t open = d.find('(');
  size_t close = d.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return "";
  std::string cols = d.substr(open + 1, close - open - 1);
  size_t comma = cols.rfind(", ");
  return comma == std::string::npos ? cols : cols.substr(comma + 2);
}

// The error of a failed statement as kith's stores report them (store.h).
Status ResultError(const PGresult* r, pg_conn* conn, const char* context) {
  const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string code = state == nullptr ? "" : state;
  std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (PQstatus(conn) != CONNECTION_OK || code.rfind("08", 0) == 0 || code == "57P01" ||
      code == "57P02" || code == "57P03") {
    return absl::UnavailableError("database unavailable");
  }
  if (code == "23505") {
    return AlreadyExists("DB Error: already exists",
                         Value{{"error_field", UniqueKeyField(PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL))}});
  }
  if (code == "23503") return InvalidArgument("a linked record does not exist");
  if (code.rfind("23", 0) == 0) return InvalidArgument("constraint failed: " + msg);
  if (code == "40001" || code == "40P01") return RetryableConflict(msg);
  if (code == "55P03" || code == "57014" || code == "53300") {
    return absl::UnavailableError("database busy");
  }
  // Bad input met in a comparison (a regular expression, "abc" for a number).
  if (code == "2201B" || code.rfind("22", 0) == 0) return InvalidArgument(msg);
  return Internal(std::string("database error in ") + context + ": " + msg);
}

// Parameters as text (every type's input form), with their pointers.
struct Params {
  explicit Params(const std::vector<Value>& binds) {
    texts.reserve(binds.size());
    for (const Value& v : binds) {
      if (v.is_null()) {
        texts.emplace_back();
      } else if (v.is_boolean()) {
        texts.emplace_back(v.get<bool>() ? "1" : "0");
      } else if (v.is_string()) {
        texts.push_back(v.get_ref<const std::string&>());
      } else {
        texts.push_back(v.dump());
      }
    }
    for (size_t i = 0; i < binds.size(); ++i) {
      values.push_back(binds[i].is_null() ? nullptr : texts[i].c_str());
    }
  }
  std::vector<std::string> texts;
  std::vector<const char*> values;
};

// Reads one pipeline group's results up to its sync: the first `count`
// commands' results into `results`. False when the connection broke.
bool ReadGroup(pg_conn* conn, Result* results, int count) {
  for (int command = 0;;) {
    Result r(PQgetResult(conn));
    if (r == nullptr) {
      if (PQstatus(conn) != CONNECTION_OK) return false;
      ++command;
      continue;
    }
    if (PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) return true;
    if (command < count && results[command] == nullptr) results[command] = std::move(r);
  }
}

// Whether a result is a success.
bool Succeeded(const Result& r) {
  ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r.get());
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  // A server that does not answer is given up on after a few seconds, and a
  // connection to one that vanished is found dead by TCP keepalives (each
  // setting here yields to the URL's own).
  const char* const keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "dbname", nullptr};
  const char* const values[] = {"3", "10", "2", "3", url.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::UnavailableError("cannot connect to the database: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQfinish(conn);
    return absl::UnavailableError("cannot connect to the database: " + msg);
  }
  std::unique_ptr<PgConnection> c(new PgConnection(conn));
  // Notices (an index name cut, IF NOT EXISTS skipped) are not errors.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  KITH_RETURN_IF_ERROR(c->Exec("SET client_encoding = 'UTF8'; SET standard_conforming_strings = on"));
  return c;
}

void PgResultFree::operator()(pg_result* r) const { PQclear(r); }

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const {
  // With an unawaited COMMIT sent, the transaction ends on the server (or
  // the next call finds the connection broken).
  return PQstatus(conn_) == CONNECTION_OK &&
         (unawaited_ > 0 || PQtransactionStatus(conn_) == PQTRANS_IDLE);
}

Status PgConnection::Exec(const std::string& sql, std::span<std::optional<int64_t>> last) {
  KITH_RETURN_IF_ERROR(Settle());
  Result r(PQexec(conn_, sql.c_str()));
  if (!Succeeded(r)) return ResultError(r.get(), conn_, "exec");
  ReadIntegersAt(r.get(), 0, last);
  return Status();
}

Status PgConnection::Begin(const std::string& begin, const std::string& first,
                           std::span<std::optional<int64_t>> first_row, const std::string* then,
                           const std::vector<Value>* then_binds, PgResult* then_result,
                           std::string* then_name) {
  // (Settle would read an unawaited outcome first: a round trip more.)
  if (in_flight_ > 0) KITH_RETURN_IF_ERROR(Settle());
  if (unawaited_ == 0 && PQenterPipelineMode(conn_) != 1) return ResultError(nullptr, conn_, "pipeline");
  // `first` and `then` are prepared (once per connection) in the same pipeline.
  std::string first_new, then_new;
  std::optional<Params> params;
  if (then != nullptr) params.emplace(*then_binds);
  bool sent = (begin.empty() ||
               PQsendQueryParams(conn_, begin.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1) &&
              (first.empty() || SendPrepared(first, 0, nullptr, &first_new)) &&
              (then == nullptr || SendPrepared(*then, static_cast<int>(params->values.size()),
                                               params->values.data(), &then_new, then_name)) &&
              PQpipelineSync(conn_) == 1;
  bool read = sent;
  for (; read && unawaited_ > 0; --unawaited_) read = ReadGroup(conn_, nullptr, 0);
  // BEGIN, then each statement's Parse (when new) and its own result.
  Result results[5];
  read = read && ReadGroup(conn_, results, 5);
  unawaited_ = 0;
  PQexitPipelineMode(conn_);
  if (!read) return ResultError(nullptr, conn_, "pipeline");
  int at = 0;
  if (!begin.empty()) {
    if (!Succeeded(results[0])) return ResultError(results[0].get(), conn_, "begin");
    at = 1;
  }
  // The result of a statement sent by SendPrepared; its new name kept when parsed.
  auto outcome = [&](const std::string& sql, std::string& new_name,
                     std::string* kept_name = nullptr) -> Result {
    if (!new_name.empty()) {
      Result parsed = std::move(results[at++]);
      if (!Succeeded(parsed)) {  // (the statement itself then did not run)
        ++at;
        return parsed;
      }
      if (kept_name != nullptr) *kept_name = new_name;
      statements_.emplace(sql, std::move(new_name));
    }
    return std::move(results[at++]);
  };
  if (!first.empty()) {
    Result first_result = outcome(first, first_new);
    if (!Succeeded(first_result)) return ResultError(first_result.get(), conn_, "begin");
    ReadIntegersAt(first_result.get(), 0, first_row);
  }
  if (then != nullptr) {
    Result then_read = outcome(*then, then_new, then_name);
    if (!Succeeded(then_read)) return ResultError(then_read.get(), conn_, "run");
    *then_result = PgResult(then_read.release());
  }
  return Status();
}

StatusOr<PgResult> PgConnection::QueryAlone(const std::string& sql, const std::vector<Value>& binds) {
  PgResult result;
  KITH_RETURN_IF_ERROR(Begin("", "", {}, &sql, &binds, &result));
  return result;
}

PgConnection::KeptStatement& PgConnection::Keep(std::shared_ptr<const void> owner, std::string sql,
                                               size_t hash) {
  if (kept_.size() >= kMaxKept) kept_.clear();  // shapes repeat
  const void* key = owner.get();
  KeptStatement& kept = kept_[key];
  kept = KeptStatement{std::move(owner), std::move(sql), hash, ""};
  return kept;
}

StatusOr<PgResult> PgConnection::QueryAlone(KeptStatement& kept, const std::vector<Value>& binds) {
  PgResult result;
  KITH_RETURN_IF_ERROR(Begin("", "", {}, &kept.sql, &binds, &result, &kept.name));
  return result;
}

void PgConnection::ReadIntegersAt(const pg_result* r, int first, std::span<std::optional<int64_t>> row) {
  for (size_t i = 0; i < row.size(); ++i) {
    int col = first + static_cast<int>(i);
    row[i] = PQntuples(r) == 0 || col >= PQnfields(r) || PQgetisnull(r, 0, col)
                 ? std::nullopt
                 : ParseInteger(PQgetvalue(r, 0, col));
  }
}

void PgConnection::ReadIntegerArrayAt(const pg_result* r, int col,
                                      std::span<std::optional<int64_t>> row) {
  std::fill(row.begin(), row.end(), std::nullopt);
  if (PQntuples(r) == 0 || col < 0 || col >= PQnfields(r) || PQgetisnull(r, 0, col)) return;
  std::string_view text(PQgetvalue(r, 0, col), static_cast<size_t>(PQgetlength(r, 0, col)));
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return;
  text = text.substr(1, text.size() - 2);
  for (size_t i = 0; i < row.size() && !text.empty(); ++i) {
    const size_t comma = std::min(text.find(','), text.size());
    int64_t x = 0;
    const char* end = text.data() + comma;
    auto [at, error] = std::from_chars(text.data(), end, x);
    if (error == std::errc() && at == end) row[i] = x;  // (NULL: no number)
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
}

int PgConnection::ColumnCount(const pg_result* r) { return PQnfields(r); }

int PgConnection::RowCount(const pg_result* r) { return PQntuples(r); }

bool PgConnection::SendPrepared(const std::string& sql, int count, const char* const* values,
                                std::string* new_name, std::string* known) {
  const std::string* name = nullptr;
  if (known != nullptr && !known->empty()) {
    name = known;
  } else if (auto found = statements_.find(sql); found != statements_.end()) {
    name = &found->second;
    if (known != nullptr) *known = found->second;
  } else if (statements_.size() <= kMaxPrepared) {  // (past it: unnamed this once)
    *new_name = "kith_" + std::to_string(++prepared_);
    if (PQsendPrepare(conn_, new_name->c_str(), sql.c_str(), 0, nullptr) != 1) return false;
    name = new_name;
  }
  return (name != nullptr
              ? PQsendQueryPrepared(conn_, name->c_str(), count, values, nullptr, nullptr, 0)
              : PQsendQueryParams(conn_, sql.c_str(), count, nullptr, values, nullptr, nullptr, 0)) == 1;
}

Status PgConnection::SendUnawaited(const char* sql) {
  KITH_RETURN_IF_ERROR(Settle());
  if (unawaited_ == 0 && PQenterPipelineMode(conn_) != 1) return ResultError(nullptr, conn_, "pipeline");
  if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
      PQpipelineSync(conn_) != 1) {
    Status failure = ResultError(nullptr, conn_, "pipeline");
    if (unawaited_ == 0) PQexitPipelineMode(conn_);
    return failure;
  }
  ++unawaited_;
  return Status();
}

Status PgConnection::ReadUnawaited() {
  if (unawaited_ == 0) return Status();
  bool read = true;
  for (; read && unawaited_ > 0; --unawaited_) read = ReadGroup(conn_, nullptr, 0);
  unawaited_ = 0;
  PQexitPipelineMode(conn_);
  return read ? Status() : ResultError(nullptr, conn_, "pipeline");
}

StatusOr<const std::string*> PgConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return &it->second;
  if (statements_.size() > kMaxPrepared) {  // bound the server's memory; shapes repeat
    KITH_RETURN_IF_ERROR(Exec("DEALLOCATE ALL"));
    statements_.clear();
    kept_.clear();  // their names are gone too
  }
  std::string name = "kith_" + std::to_string(++prepared_);
  Result r(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
  if (r == nullptr || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return ResultError(r.get(), conn_, "prepare");
  }
  return &statements_.emplace(sql, std::move(name)).first->second;
}

Status PgConnection::Run(const std::string& sql, const std::vector<Value>& binds,
                         const std::vector<std::string>* keys,
                         const std::vector<schema::FieldType>* types, std::vector<Value>* rows,
                         int64_t* affected, std::optional<bool> distinct_keys) {
  KITH_ASSIGN_OR_RETURN(PgResult r, Query(sql, binds));
  if (affected != nullptr) {
    *affected = ParseInteger(PQcmdTuples(r.get())).value_or(0);
  }
  if (rows != nullptr) ReadRows(r.get(), keys, types, rows, distinct_keys);
  return Status();
}

StatusOr<PgResult> PgConnection::Query(const std::string& sql, const std::vector<Value>& binds) {
  KITH_RETURN_IF_ERROR(Settle());
  KITH_ASSIGN_OR_RETURN(const std::string* name, Prepare(sql));
  Params params(binds);
  Result r(PQexecPrepared(conn_, name->c_str(), static_cast<int>(binds.size()),
                          params.values.data(), nullptr, nullptr, 0));
  if (!Succeeded(r)) return ResultError(r.get(), conn_, "run");
  return PgResult(r.release());
}

void PgConnection::ReadRows(const PGresult* r, const std::vector<std::string>* keys,
                            const std::vector<schema::FieldType>* types, std::vector<Value>* rows,
                            std::optional<bool> distinct_keys, int columns) {
  const int n = columns >= 0 ? std::min(columns, PQnfields(r)) : PQnfields(r);
  const int count = PQntuples(r);
  const bool distinct = keys != nullptr && keys->size() >= static_cast<size_t>(n) &&
                        (distinct_keys ? *distinct_keys : NoRepeats(*keys));
  rows->reserve(rows->size() + static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Value row = Value::object();
    for (int c = 0; c < n; ++c) {
      const auto at = static_cast<size_t>(c);
      const schema::FieldType* t = (types && at < types->size()) ? &(*types)[at] : nullptr;
      Value cell = CellValue(r, i, c, t);
      if (distinct) {
        row.get_ref<Value::object_t&>().Container::emplace_back((*keys)[at], std::move(cell));
      } else {
        row[(keys && at < keys->size()) ? (*keys)[at] : std::string(PQfname(r, c))] =
            std::move(cell);
      }
    }
    rows->push_back(std::move(row));
  }
}

Status PgConnection::EachRow(const PGresult* r, const std::vector<schema::FieldType>* types,
                             size_t width, CellRows& rows) {
  std::vector<Cell> cells(width);
  const size_t n = std::min(width, static_cast<size_t>(PQnfields(r)));
  const int count = PQntuples(r);
  for (int i = 0; i < count; ++i) {
    for (size_t c = 0; c < n; ++c) {
      cells[c] = RowCell(r, i, static_cast<int>(c), (types && c < types->size()) ? &(*types)[c] : nullptr);
    }
    KITH_RETURN_IF_ERROR(rows.Row(cells));
  }
  return Status();
}

Status PgConnection::EachRecordRow(const PGresult* r, const RecordColumns& record,
                                   const std::vector<schema::FieldType>* types, CellRows& rows) {
  const size_t n = record.field.size();
  std::vector<Cell> cells(n);
  std::vector<RecordField> fields;
  fields.reserve(record.fields);
  std::string scratch;
  const int count = PQntuples(r);
  for (int i = 0; i < count; ++i) {
    const std::string_view text(PQgetvalue(r, i, record.column),
                                static_cast<size_t>(PQgetlength(r, i, record.column)));
    if (PQgetisnull(r, i, record.column) || !SplitRecord(text, fields, scratch) ||
        fields.size() != record.fields) {
      return RecordShapeError();
    }
    for (size_t c = 0; c < n; ++c) {
      const RecordField& f = fields[static_cast<size_t>(record.field[c])];
      cells[c] = TypedCell(record.oids[c], f.text.data(), f.text.size(), f.null,
                           (types && c < types->size()) ? &(*types)[c] : nullptr);
    }
    KITH_RETURN_IF_ERROR(rows.Row(cells));
  }
  return Status();
}

Status PgConnection::ReadRecordRows(const PGresult* r, const RecordColumns& record,
                                    const std::vector<std::string>& keys,
                                    const std::vector<schema::FieldType>* types,
                                    std::vector<Value>* rows, bool distinct_keys) {
  // Each row an object keyed as ReadRows keys it.
  class Objects final : public CellRows {
   public:
    Objects(const std::vector<std::string>& keys, bool distinct, std::vector<Value>* rows)
        : keys_(keys), distinct_(distinct), rows_(rows) {}
    Status Row(std::span<const Cell> cells) override {
      Value row = Value::object();
      for (size_t c = 0; c < cells.size(); ++c) {
        if (distinct_) {
          row.get_ref<Value::object_t&>().Container::emplace_back(keys_[c], cells[c].ToValue());
        } else {
          row[keys_[c]] = cells[c].ToValue();
        }
      }
      rows_->push_back(std::move(row));
      return Status();
    }

   private:
    const std::vector<std::string>& keys_;
    bool distinct_;
    std::vector<Value>* rows_;
  };
  if (keys.size() < record.field.size()) return Internal("a row read whole without its keys");
  rows->reserve(rows->size() + static_cast<size_t>(PQntuples(r)));
  Objects objects(keys, distinct_keys, rows);
  return EachRecordRow(r, record, types, objects);
}

Status PgConnection::RunAtomically(const std::string& sql, const std::vector<Value>& binds,
                                   int64_t* id, int64_t* affected, bool prepare) {
  KITH_RETURN_IF_ERROR(Settle());
  KITH_RETURN_IF_ERROR(SendAtomically(sql, binds, prepare));
  return AwaitAtomically(id, affected);
}

Status PgConnection::SendAtomically(const std::string& sql, const std::vector<Value>& binds,
                                    bool prepare) {
  if (in_flight_ == 0) KITH_RETURN_IF_ERROR(ReadUnawaited());
  const std::string* name = nullptr;
  if (prepare) {
    if (auto known = statements_.find(sql); known != statements_.end()) {
      name = &known->second;
    } else if (in_flight_ == 0) {
      KITH_ASSIGN_OR_RETURN(name, Prepare(sql));
    }  // (else sent unnamed this once: no PQprepare while statements are in flight)
  }
  Params params(binds);
  const int count = static_cast<int>(binds.size());
  if (in_flight_ == 0 && PQenterPipelineMode(conn_) != 1) return ResultError(nullptr, conn_, "pipeline");
  // The savepoint, the statement and its release, then a sync: one group,
  // whose results AwaitAtomically reads.
  bool sent = PQsendQueryParams(conn_, "SAVEPOINT kith_statement", 0, nullptr, nullptr, nullptr,
                                nullptr, 0) == 1 &&
              (name != nullptr
                   ? PQsendQueryPrepared(conn_, name->c_str(), count, params.values.data(),
                                         nullptr, nullptr, 0)
                   : PQsendQueryParams(conn_, sql.c_str(), count, nullptr, params.values.data(),
                                       nullptr, nullptr, 0)) == 1 &&
              PQsendQueryParams(conn_, "RELEASE SAVEPOINT kith_statement", 0, nullptr, nullptr,
                                nullptr, nullptr, 0) == 1 &&
              PQpipelineSync(conn_) == 1;
  if (!sent) {
    Status failure = ResultError(nullptr, conn_, "pipeline");
    if (in_flight_ == 0) PQexitPipelineMode(conn_);
    return failure;
  }
  ++in_flight_;
  return Status();
}

Status PgConnection::AwaitAtomically(int64_t* id, int64_t* affected) {
  if (in_flight_ == 0) return Status();
  Result results[3];
  bool read = ReadGroup(conn_, results, 3);
  --in_flight_;
  if (!read) {
    in_flight_ = 0;
    return ResultError(nullptr, conn_, "pipeline");
  }
  for (Result& r : results) {
    ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) continue;
    if (st == PGRES_PIPELINE_ABORTED) break;  // after the failure found before it
    Status failure = ResultError(r.get(), conn_, "run");
    // The groups sent after this one ran in the failed transaction: dropped.
    for (; in_flight_ > 0; --in_flight_) {
      if (!ReadGroup(conn_, nullptr, 0)) {
        in_flight_ = 0;
        return ResultError(nullptr, conn_, "pipeline");
      }
    }
    PQexitPipelineMode(conn_);
    if (&r != &results[1]) return failure;  // the savepoint itself failed: nothing to undo
    KITH_RETURN_IF_ERROR(
        Exec("ROLLBACK TO SAVEPOINT kith_statement; RELEASE SAVEPOINT kith_statement"));
    return failure;
  }
  if (in_flight_ == 0) PQexitPipelineMode(conn_);
  PGresult* done = results[1].get();
  if (affected != nullptr) *affected = ParseInteger(PQcmdTuples(done)).value_or(0);
  if (id != nullptr) {
    *id = PQntuples(done) > 0 ? ParseInteger(PQgetvalue(done, 0, 0)).value_or(0) : 0;
  }
  return Status();
}

Status PgConnection::Settle() {
  Status first = ReadUnawaited();
  while (in_flight_ > 0) {
    Status s = AwaitAtomically();
    if (first.ok()) first = s;
  }
  return first;
}

namespace {

// The row of a failed COPY from its context: "COPY t, line 57" or
// "COPY t, line 57, column c: ...". -1 when it names none.
int64_t CopyLine(const PGresult* r) {
  const char* context = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_CONTEXT);
  if (context == nullptr || std::strncmp(context, "COPY ", 5) != 0) return -1;
  const char* line = std::strstr(context, ", line ");
  if (line == nullptr) return -1;
  long long n = std::strtoll(line + 7, nullptr, 10);
  return n > 0 ? n - 1 : -1;
}

}  // namespace

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data,
                            int64_t* failed_row) {
  *failed_row = -1;
  KITH_RETURN_IF_ERROR(Settle());
  Result start(PQexec(conn_, copy_sql.c_str()));
  if (start == nullptr || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return ResultError(start.get(), conn_, "copy");
  }
  // libpq takes an int's worth at a time.
  constexpr size_t kChunk = size_t{1} << 30;
  bool sent = true;
  for (size_t at = 0; sent && at < data.size(); at += kChunk) {
    const size_t n = std::min(kChunk, data.size() - at);
    sent = PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) == 1;
  }
  sent = PQputCopyEnd(conn_, sent ? nullptr : "kith: sending the rows failed") == 1 && sent;
  Status outcome;
  for (bool first = true;; first = false) {
    Result r(PQgetResult(conn_));
    if (r == nullptr) break;
    if (!first || !outcome.ok()) continue;
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      outcome = ResultError(r.get(), conn_, "copy");
      *failed_row = CopyLine(r.get());
    }
  }
  if (outcome.ok() && !sent) return ResultError(nullptr, conn_, "copy");
  return outcome;
}

StatusOr<int64_t> PgConnection::RunScalar(const std::string& sql, const std::vector<Value>& binds) {
  std::vector<Value> rows;
  static const std::vector<std::string> kKeys = {"n"};
  KITH_RETURN_IF_ERROR(Run(sql, binds, &kKeys, nullptr, &rows));
  if (rows.empty()) return Internal("no scalar result");
  const Value& v = rows[0].begin().value();
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

}  // namespace kith::store::postgres
