#include "store/sqlite/insert_pipeline.h"

#include <algorithm>
#include <utility>

#include "base/error_details.h"

namespace kith::store::sqlite {
namespace {

// The writer is woken once this many inserts wait (a wake-up costs
// microseconds; a row about ten, and an insert is often of many rows), or
// by a Drain.
constexpr size_t kWakeBatch = 4;
// Push waits while this many inserts are queued and not yet taken.
constexpr size_t kMaxQueued = 256;

Status Labelled(const Status& s, const std::string& label) {
  return ErrorWithDetails(s.code(), label + std::string(s.message()), ErrorDetails(s));
}

}  // namespace

InsertPipeline::InsertPipeline(SqliteConnection& conn)
    : conn_(conn), writer_([this] { Run(); }) {}

InsertPipeline::~InsertPipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_ready_.notify_one();
  writer_.join();
}

Status InsertPipeline::Push(const std::string& sql, std::vector<Value> binds, std::string label) {
  std::vector<std::string> labels;
  labels.push_back(std::move(label));
  return Enqueue(Queued{&sql, std::move(binds), std::move(labels)});
}

Status InsertPipeline::Push(const std::string& sql, std::vector<Value> binds,
                            std::vector<std::string> labels, const std::string& one_row_sql,
                            size_t width) {
  return Enqueue(Queued{&sql, std::move(binds), std::move(labels), &one_row_sql, width});
}

Status InsertPipeline::Enqueue(Queued q) {
  std::unique_lock<std::mutex> lock(mutex_);
  progress_.wait(lock, [this] { return queue_.size() < kMaxQueued || !failure_.ok(); });
  if (!failure_.ok()) return failure_;
  queue_.push_back(std::move(q));
  if (writer_waiting_ && queue_.size() >= kWakeBatch) work_ready_.notify_one();
  return Status();
}

Status InsertPipeline::Drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (writer_waiting_ && !queue_.empty()) work_ready_.notify_one();
  progress_.wait(lock, [this] { return queue_.empty() && !writer_busy_; });
  return failure_;
}

void InsertPipeline::Run() {
  std::vector<Queued> batch;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    writer_waiting_ = true;
    work_ready_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    writer_waiting_ = false;
    if (stopping_) return;
    batch.swap(queue_);
    writer_busy_ = true;
    lock.unlock();
    progress_.notify_all();  // room in the queue again

    Status failed;
    for (Queued& q : batch) {
      failed = RunOne(q);
      if (!failed.ok()) break;
    }
    batch.clear();

    lock.lock();
    if (!failed.ok()) {
      failure_ = std::move(failed);
      failed_.store(true, std::memory_order_release);
      queue_.clear();  // what came after the failed insert is dropped
    }
    writer_busy_ = false;
    progress_.notify_all();
  }
}

Status InsertPipeline::RunOne(const Queued& q) {
  Status s = conn_.Run(*q.sql, q.binds, nullptr, nullptr, nullptr);
  if (s.ok()) return s;
  const size_t rows = q.labels.size();
  if (q.one_row_sql == nullptr || rows < 2) return Labelled(s, q.labels.empty() ? "" : q.labels[0]);
  // Which row: each on its own (the failed statement was undone whole).
  std::vector<Value> one(q.width);
  for (size_t r = 0; r < rows; ++r) {
    std::copy_n(q.binds.begin() + static_cast<std::ptrdiff_t>(r * q.width), q.width, one.begin());
    Status row = conn_.Run(*q.one_row_sql, one, nullptr, nullptr, nullptr);
    if (!row.ok()) return Labelled(row, q.labels[r]);
  }
  return Labelled(s, q.labels[0]);
}

}  // namespace kith::store::sqlite
