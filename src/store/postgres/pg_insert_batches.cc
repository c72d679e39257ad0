#include "store/postgres/pg_insert_batches.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <string_view>

#include "base/error_details.h"
#include "store/internal/sql_builder.h"

namespace kith::store::postgres {
namespace {

// A batch is handed to the writer at this many rows or bytes: large enough
// that a COPY's round trips are nothing beside its rows, small enough that
// the writer starts while the next rows are made.
constexpr size_t kBatchRows = 2000;
constexpr size_t kBatchBytes = size_t{1} << 20;

// Jobs waiting for the writer at most (the memory held for it).
constexpr size_t kMaxQueued = 3;

// The largest block of ids taken from a sequence at once.
constexpr int64_t kMaxBlock = 4096;

Status Labelled(const Status& s, const std::string& label) {
  std::string message = label + std::string(s.message());
  Status labelled(s.code(), absl::string_view(message.data(), message.size()));
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    labelled.SetPayload(url, payload);
  });
  return labelled;
}

template <typename Integer>
void AppendInteger(std::string& out, Integer n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

// Appends `s` as a COPY text field: a backslash, tab, newline and carriage
// return escaped.
void AppendEscaped(std::string& out, std::string_view s) {
  // The letter after the backslash of each byte COPY needs escaped, 0 for the others.
  static constexpr auto kEscape = [] {
    std::array<char, 256> t{};
    t['\\'] = '\\';
    t['\t'] = 't';
    t['\n'] = 'n';
    t['\r'] = 'r';
    return t;
  }();
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char escape = kEscape[static_cast<unsigned char>(s[i])];
    if (escape == 0) continue;
    out.append(s.data() + plain, i - plain);
    out += '\\';
    out += escape;
    plain = i + 1;
  }
  out.append(s.data() + plain, s.size() - plain);
}

// Appends `v` in COPY's text format, as a statement's parameter would be
// bound: \N for null; a boolean as 1 or 0 (store/internal/sql_builder.h
// BindValue); a backslash, tab, newline and carriage return escaped; a
// number or JSON as its text.
void AppendCopyText(std::string& out, const Value& v) {
  if (v.is_null()) {
    out += "\\N";
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? '1' : '0';
  } else if (v.is_number_unsigned()) {
    AppendInteger(out, v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    AppendInteger(out, v.get<int64_t>());
  } else if (v.is_string()) {
    AppendEscaped(out, v.get_ref<const std::string&>());
  } else {
    Value text = v.dump();
    AppendCopyText(out, text);
  }
}

}  // namespace

InsertBatches::~InsertBatches() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
}

bool InsertBatches::LinksToLaterBatch(const schema::Entity& entity, const Value& row,
                                      size_t at) const {
  for (const schema::Field& f : entity.fields) {
    if (f.fk_entity.empty()) continue;
    auto v = row.find(f.name);
    if (v == row.end() || v->is_null()) continue;
    for (size_t j = at + 1; j < batches_.size(); ++j) {
      if (!batches_[j].labels.empty() && batches_[j].name == f.fk_entity) return true;
    }
  }
  return false;
}

size_t InsertBatches::ShapeOf(const schema::Entity& entity, const Value& row) const {
  for (size_t i = 0; i < batches_.size(); ++i) {
    const Batch& batch = batches_[i];
    if (batch.table != entity.table || batch.columns.size() != row.size()) continue;
    size_t column = 0;
    for (const auto& [name, value] : row.items()) {
      if (batch.columns[column] != name) break;
      ++column;
    }
    if (column == row.size()) return i;
  }
  return batches_.size();
}

Status InsertBatches::Add(const schema::Entity& entity, const Value& row, int64_t id,
                          const std::string& label) {
  KITH_RETURN_IF_ERROR(failure());
  size_t at = ShapeOf(entity, row);
  if (at < batches_.size() && LinksToLaterBatch(entity, row, at)) {
    KITH_RETURN_IF_ERROR(SendAll());
    // Its shape goes last, after the ones it links to (all are empty now),
    // so that the next rows of the same shapes need no write of their own.
    std::rotate(batches_.begin() + static_cast<std::ptrdiff_t>(at),
                batches_.begin() + static_cast<std::ptrdiff_t>(at) + 1, batches_.end());
    at = batches_.size() - 1;
  }
  if (at == batches_.size()) {
    Batch batch;
    batch.entity = &entity;
    batch.name = entity.name;
    batch.table = entity.table;
    KITH_ASSIGN_OR_RETURN(batch.plan, internal::PlanInsert(entity, row, internal::Dialect::kPostgres,
                                                           /*with_id=*/true));
    batch.copy_sql = "COPY " + entity.table + " (id";
    for (const schema::Field* f : batch.plan.fields) {
      batch.columns.push_back(f->name);
      batch.copy_sql += ", " + f->name;
    }
    batch.copy_sql += ") FROM STDIN";
    batches_.push_back(std::move(batch));
  }
  Batch& batch = batches_[at];
  // The transaction's catalog may have been reloaded since the shape came.
  if (batch.entity != &entity) {
    KITH_ASSIGN_OR_RETURN(batch.plan, internal::PlanInsert(entity, row, internal::Dialect::kPostgres,
                                                           /*with_id=*/true));
    batch.entity = &entity;
  }
  AppendInteger(batch.data, id);
  size_t column = 0;
  for (const auto& [name, value] : row.items()) {
    batch.data += '\t';
    AppendCopyText(batch.data, internal::InsertedValue(*batch.plan.fields[column++], value));
  }
  batch.data += '\n';
  batch.labels.push_back(label);
  if (batch.labels.size() >= kBatchRows || batch.data.size() >= kBatchBytes) return SendAll();
  return Status();
}

Status InsertBatches::AddChange(const schema::Entity& log, const internal::ChangeRecord& change,
                                 int64_t id, const std::string& label) {
  KITH_RETURN_IF_ERROR(failure());
  size_t at = 0;
  while (at < batches_.size() &&
         !(batches_[at].table == log.table &&
           std::equal(batches_[at].columns.begin(), batches_[at].columns.end(),
                      std::begin(internal::kChangeColumns), std::end(internal::kChangeColumns)))) {
    ++at;
  }
  // The first change of its shape (or of a reloaded catalog) makes the batch.
  if (at == batches_.size() || batches_[at].entity != &log) return Add(log, change.AsRow(), id, label);
  Batch& batch = batches_[at];
  std::string& out = batch.data;  // kChangeColumns' order
  AppendInteger(out, id);
  out += '\t';
  AppendEscaped(out, change.entity);
  out += '\t';
  AppendInteger(out, change.entity_id);
  out += '\t';
  AppendEscaped(out, change.action);
  out += '\t';
  if (change.contact_id) {
    AppendInteger(out, *change.contact_id);
  } else {
    out += "\\N";
  }
  out += '\t';
  AppendEscaped(out, change.created_date);
  out += '\t';
  AppendEscaped(out, change.changes);
  out += '\n';
  batch.labels.push_back(label);
  if (batch.labels.size() >= kBatchRows || out.size() >= kBatchBytes) return SendAll();
  return Status();
}

StatusOr<int64_t> InsertBatches::NextId(const schema::Entity& entity) {
  Reserved& r = reserved_[entity.table];
  // What the writer took since, and the next block asked for while this
  // one still lasts (the writer takes it after the batches before it).
  auto collect = [&] {
    auto got = arrived_.find(entity.table);
    if (got == arrived_.end() || got->second.empty()) return false;
    r.ids.insert(r.ids.end(), got->second.begin(), got->second.end());
    got->second.clear();
    r.asked = false;
    return true;
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    collect();
  }
  if (!r.asked && static_cast<int64_t>(r.ids.size()) <= r.block / 8) {
    Job job;
    job.table = entity.table;
    job.ids = r.block;
    KITH_RETURN_IF_ERROR(Hand(std::move(job)));
    r.asked = true;
    r.block = std::min(r.block * 4, kMaxBlock);
  }
  if (r.ids.empty()) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return collect() || !failure_.ok(); });
    KITH_RETURN_IF_ERROR(failure_);
  }
  int64_t id = r.ids.front();
  r.ids.pop_front();
  return id;
}

void InsertBatches::ForgetIds(const std::string& table) {
  reserved_.erase(table);
  std::lock_guard<std::mutex> lock(mutex_);
  arrived_.erase(table);
}

Status InsertBatches::Flush() {
  KITH_RETURN_IF_ERROR(SendAll());
  return Await();
}

Status InsertBatches::Await() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return jobs_.empty() && !writing_; });
  return failure_;
}

Status InsertBatches::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

Status InsertBatches::SendAll() {
  // The shapes stay, in their order: a flush between a row and the rows
  // that link to it (a contact's batch full before its email came) must not
  // put the linking shape first, or every later row would need a flush.
  for (Batch& batch : batches_) {
    if (batch.labels.empty()) continue;
    Job job;
    job.copy_sql = batch.copy_sql;
    job.data = std::move(batch.data);
    job.labels = std::move(batch.labels);
    batch.data.clear();
    batch.data.reserve(job.data.size() + job.data.size() / 4);  // as much again, without regrowing
    batch.labels.clear();
    KITH_RETURN_IF_ERROR(Hand(std::move(job)));
  }
  return Status();
}

Status InsertBatches::Hand(Job job) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return jobs_.size() < kMaxQueued || !failure_.ok(); });
  KITH_RETURN_IF_ERROR(failure_);
  jobs_.push_back(std::move(job));
  if (!writer_.joinable()) writer_ = std::thread([this] { Write(); });
  lock.unlock();
  changed_.notify_all();
  return Status();
}

void InsertBatches::Write() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return !jobs_.empty() || stop_; });
    if (stop_) return;  // what is left is dropped with the transaction
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    if (!failure_.ok()) {  // after a failure the transaction writes nothing more
      changed_.notify_all();
      continue;
    }
    writing_ = true;
    lock.unlock();
    Status s = RunJob(job);
    lock.lock();
    writing_ = false;
    if (!s.ok() && failure_.ok()) failure_ = s;
    changed_.notify_all();
  }
}

Status InsertBatches::RunJob(Job& job) {
  if (!job.table.empty()) {
    // The table's name comes from the schema, never from input. The
    // sequence is looked up once (inside nextval, pg_get_serial_sequence
    // searched the catalog once per id: a tenth of an import's server time).
    std::vector<Value> rows;
    static const std::vector<std::string> kKeys = {"id"};
    KITH_RETURN_IF_ERROR(conn_.Run(
        "WITH s AS MATERIALIZED (SELECT CAST(pg_get_serial_sequence('" + job.table +
            "', 'id') AS regclass) AS seq) "
        "SELECT nextval(s.seq) AS id FROM s, generate_series(1, $1) ORDER BY 1",
        {job.ids}, &kKeys, nullptr, &rows));
    if (rows.empty()) return Internal("no id from the sequence of " + job.table);
    std::vector<int64_t> ids;
    ids.reserve(rows.size());
    for (const Value& row : rows) ids.push_back(row["id"].get<int64_t>());
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<int64_t>& to = arrived_[job.table];
    to.insert(to.end(), ids.begin(), ids.end());
    return Status();
  }
  int64_t failed_row = -1;
  Status s = conn_.CopyIn(job.copy_sql, job.data, &failed_row);
  if (s.ok() || s.code() == absl::StatusCode::kUnavailable) return s;
  const size_t row = failed_row >= 0 && static_cast<size_t>(failed_row) < job.labels.size()
                         ? static_cast<size_t>(failed_row)
                         : 0;
  return Labelled(s, job.labels[row]);
}

}  // namespace kith::store::postgres
