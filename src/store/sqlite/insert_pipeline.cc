#include "store/sqlite/insert_pipeline.h"

#include <utility>

#include "base/error_details.h"

namespace kith::store::sqlite {
namespace {

// The writer is woken once this many inserts wait (a wake-up costs
// microseconds; an insert about ten), or by a Drain.
constexpr size_t kWakeBatch = 64;
// Push waits while this many inserts are queued and not yet taken.
constexpr size_t kMaxQueued = 2048;

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
  std::unique_lock<std::mutex> lock(mutex_);
  progress_.wait(lock, [this] { return queue_.size() < kMaxQueued || !failure_.ok(); });
  if (!failure_.ok()) return failure_;
  queue_.push_back(Queued{&sql, std::move(binds), std::move(label)});
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
      Status s = conn_.Run(*q.sql, q.binds, nullptr, nullptr, nullptr);
      if (!s.ok()) {
        failed = ErrorWithDetails(s.code(), q.label + std::string(s.message()), ErrorDetails(s));
        break;
      }
    }
    batch.clear();

    lock.lock();
    if (!failed.ok()) {
      failure_ = std::move(failed);
      queue_.clear();  // what came after the failed insert is dropped
    }
    writer_busy_ = false;
    progress_.notify_all();
  }
}

}  // namespace kith::store::sqlite
