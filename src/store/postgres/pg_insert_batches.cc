#include "store/postgres/pg_insert_batches.h"

#include <algorithm>
#include <iterator>

#include "store/internal/sql_builder.h"

namespace kith::store::postgres {
namespace {

// Rows per INSERT: enough to make the round trip negligible, and within
// PostgreSQL's 65,535 parameters of one statement.
size_t RowsPerBatch(size_t width) { return std::max<size_t>(1, std::min<size_t>(500, 30000 / width)); }

// Batches sent and not yet awaited: enough for a contact's batch and its
// emails' and change rows' to be written while the next rows are made.
constexpr size_t kMaxInFlight = 4;

Status Labelled(const Status& s, const std::string& label) {
  std::string message = label + std::string(s.message());
  Status labelled(s.code(), absl::string_view(message.data(), message.size()));
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    labelled.SetPayload(url, payload);
  });
  return labelled;
}

}  // namespace

bool InsertBatches::LinksToLaterBatch(const schema::Entity& entity, const Value& row,
                                      size_t at) const {
  for (const schema::Field& f : entity.fields) {
    if (f.fk_entity.empty()) continue;
    auto v = row.find(f.name);
    if (v == row.end() || v->is_null()) continue;
    for (size_t j = at + 1; j < batches_.size(); ++j) {
      if (!batches_[j].labels.empty() && batches_[j].entity->name == f.fk_entity) return true;
    }
  }
  return false;
}

Status InsertBatches::Add(PgConnection& conn, const schema::Entity& entity, const Value& row,
                          int64_t id, const std::string& label) {
  KITH_RETURN_IF_ERROR(failure_);
  KITH_ASSIGN_OR_RETURN(internal::InsertPlan plan,
                        internal::PlanInsert(entity, row, internal::Dialect::kPostgres, /*with_id=*/true));
  auto shape = shapes_.find(plan.sql);
  if (shape != shapes_.end() && LinksToLaterBatch(entity, row, shape->second)) {
    KITH_RETURN_IF_ERROR(SendAll(conn));
    // Its shape goes last, after the ones it links to (all are empty now),
    // so that the next rows of the same shapes need no write of their own.
    const size_t at = shape->second;
    std::rotate(batches_.begin() + static_cast<std::ptrdiff_t>(at),
                batches_.begin() + static_cast<std::ptrdiff_t>(at) + 1, batches_.end());
    for (auto& [sql, index] : shapes_) {
      if (index == at) {
        index = batches_.size() - 1;
      } else if (index > at) {
        --index;
      }
    }
  }
  if (shape == shapes_.end()) {
    Batch batch;
    batch.entity = &entity;
    batch.prefix = plan.sql.substr(0, plan.sql.find(" VALUES (") + 8);
    batch.width = plan.fields.size() + 1;
    batch.one_row_sql = plan.sql;
    shape = shapes_.emplace(std::move(plan.sql), batches_.size()).first;
    batches_.push_back(std::move(batch));
  }
  Batch& batch = batches_[shape->second];
  batch.entity = &entity;  // the transaction's catalog may have been reloaded since the shape came
  std::vector<Value> binds = internal::InsertBinds(plan, row, id);
  std::move(binds.begin(), binds.end(), std::back_inserter(batch.binds));
  batch.labels.push_back(label);
  if (batch.labels.size() >= RowsPerBatch(batch.width)) return SendAll(conn);
  return Status();
}

Status InsertBatches::Flush(PgConnection& conn) {
  KITH_RETURN_IF_ERROR(SendAll(conn));
  return Await(conn);
}

Status InsertBatches::Await(PgConnection& conn) {
  while (!in_flight_.empty()) KITH_RETURN_IF_ERROR(AwaitOldest(conn));
  return failure_;
}

Status InsertBatches::SendAll(PgConnection& conn) {
  KITH_RETURN_IF_ERROR(failure_);
  // The shapes stay, in their order: a flush between a row and the rows
  // that link to it (a contact's batch full before its email came) must not
  // put the linking shape first, or every later row would need a flush.
  for (Batch& batch : batches_) {
    if (batch.labels.empty()) continue;
    KITH_RETURN_IF_ERROR(Send(conn, batch));
  }
  return Status();
}

Status InsertBatches::Send(PgConnection& conn, Batch& batch) {
  if (in_flight_.size() >= kMaxInFlight) KITH_RETURN_IF_ERROR(AwaitOldest(conn));
  const size_t rows = batch.labels.size();
  std::string sql = batch.prefix;
  size_t n = 0;
  for (size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (size_t c = 0; c < batch.width; ++c) {
      if (c > 0) sql += ", ";
      sql += "$" + std::to_string(++n);
    }
    sql += ")";
  }
  // Full batches share one statement, prepared once; a partial one runs once.
  failure_ = conn.SendAtomically(sql, batch.binds, /*prepare=*/rows == RowsPerBatch(batch.width));
  in_flight_.push_back(Sent{batch.one_row_sql, batch.width, std::move(batch.binds), std::move(batch.labels)});
  batch.binds.clear();
  batch.labels.clear();
  if (!failure_.ok()) in_flight_.clear();
  return failure_;
}

Status InsertBatches::AwaitOldest(PgConnection& conn) {
  Sent sent = std::move(in_flight_.front());
  in_flight_.pop_front();
  Status s = conn.AwaitAtomically();
  if (s.ok()) return Status();
  in_flight_.clear();  // dropped by the connection: they ran after the failure
  failure_ = s;
  if (s.code() == absl::StatusCode::kUnavailable) return failure_;
  // Which row: each on its own (the batch was undone whole).
  const size_t rows = sent.labels.size();
  for (size_t r = 0; rows > 1 && r < rows; ++r) {
    std::vector<Value> one(sent.binds.begin() + static_cast<std::ptrdiff_t>(r * sent.width),
                           sent.binds.begin() + static_cast<std::ptrdiff_t>((r + 1) * sent.width));
    Status row = conn.RunAtomically(sent.one_row_sql, one, nullptr, nullptr);
    if (!row.ok()) {
      failure_ = Labelled(row, sent.labels[r]);
      return failure_;
    }
  }
  failure_ = Labelled(s, sent.labels[0]);
  return failure_;
}

}  // namespace kith::store::postgres
