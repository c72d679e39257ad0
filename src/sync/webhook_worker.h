// WebhookWorker: the background part of `kith serve` that delivers the
// change log to the webhooks (README "Webhooks"). A polling thread queues
// new changes and claims due deliveries (sync/webhook_outbox.h); a fixed
// pool of sender threads POSTs them, each bounded by the timeout, so a
// slow or dead receiver holds at most its share of the pool and never a
// request thread; the outcome is kept in the store. Every few minutes the
// polling thread also drops what is past the retention.
//
// Thread-safe; Stop() (or the destructor) waits for the deliveries in
// flight, at most one timeout.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "sync/webhook_outbox.h"

namespace kith::sync {

struct WebhookWorkerOptions {
  int64_t timeout_seconds = 10;
  int64_t concurrency = 4;          // sender threads
  int64_t poll_milliseconds = 200;  // how often new changes are looked for
  OutboxOptions outbox;
};

class WebhookWorker {
 public:
  WebhookWorker(store::Store& store, WebhookWorkerOptions options);
  ~WebhookWorker();

  void Start();
  void Stop();

 private:
  void Poll();
  void Send();
  // A failure of the polling thread, on stderr once until it changes.
  void Report(const Status& status);

  WebhookWorkerOptions options_;
  WebhookOutbox outbox_;
  std::mutex mu_;
  std::condition_variable wake_;      // senders: work queued or stopping
  std::condition_variable poll_wake_; // the poller: stopping
  std::deque<Delivery> queue_;        // guarded by mu_
  std::map<int64_t, int64_t> in_flight_;  // webhook id -> queued or sending; guarded by mu_
  int64_t busy_ = 0;                  // queued or sending, all webhooks; guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::string last_report_;           // poller thread only
  std::thread poller_;
  std::vector<std::thread> senders_;
};

}  // namespace kith::sync
