#include "sync/webhook_worker.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "http/http_client.h"
#include "sync/webhook_signature.h"

namespace kith::sync {
namespace {

// How often the retention purge runs.
constexpr auto kPurgeEvery = std::chrono::minutes(5);

}  // namespace

WebhookWorker::WebhookWorker(store::Store& store, WebhookWorkerOptions options)
    : options_(options), outbox_(store, options.outbox, Clock::Real()) {}

WebhookWorker::~WebhookWorker() { Stop(); }

void WebhookWorker::Start() {
  poller_ = std::thread([this] { Poll(); });
  for (int64_t i = 0; i < options_.concurrency; ++i) senders_.emplace_back([this] { Send(); });
}

void WebhookWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  poll_wake_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (std::thread& t : senders_) {
    if (t.joinable()) t.join();
  }
}

void WebhookWorker::Report(const Status& status) {
  std::string text = status.ok() ? "" : std::string(status.message());
  if (text == last_report_) return;
  last_report_ = text;
  if (!text.empty()) std::fprintf(stderr, "kith: webhooks: %s\n", text.c_str());
}

void WebhookWorker::Poll() {
  // A server should deliver as one of several: each takes at most half the
  // pool for one webhook, so one slow receiver leaves room for the others.
  const int64_t per_webhook = std::max<int64_t>(1, (options_.concurrency + 1) / 2);
  auto next_purge = std::chrono::steady_clock::now();
  for (;;) {
    Status status = outbox_.Enqueue().status();
    std::map<int64_t, int64_t> in_flight;
    int64_t room = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      in_flight = in_flight_;
      room = options_.concurrency - busy_;
    }
    if (status.ok() && room > 0) {
      auto claimed = outbox_.Claim(room, per_webhook, in_flight);
      if (claimed.ok() && !claimed->empty()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          for (Delivery& d : *claimed) {
            ++in_flight_[d.webhook_id];
            ++busy_;
            queue_.push_back(std::move(d));
          }
        }
        wake_.notify_all();
      }
      status = claimed.status();
    }
    if (status.ok() && std::chrono::steady_clock::now() >= next_purge) {
      status = outbox_.Purge().status();
      next_purge = std::chrono::steady_clock::now() + kPurgeEvery;
    }
    Report(status);
    std::unique_lock<std::mutex> lock(mu_);
    poll_wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_milliseconds),
                        [&] { return stopping_; });
    if (stopping_) return;
  }
}

void WebhookWorker::Send() {
  for (;;) {
    Delivery d;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // queued ones keep their lease: sent again after it
      d = std::move(queue_.front());
      queue_.pop_front();
    }
    const int64_t timestamp = Clock::Real().NowSeconds();
    http::OutgoingPost post;
    post.url = d.url;
    post.body = d.body;
    post.timeout_ms = static_cast<int>(options_.timeout_seconds * 1000);
    post.headers = {{"X-Kith-Event", std::to_string(d.id)},
                    {"X-Kith-Timestamp", std::to_string(timestamp)},
                    {"X-Kith-Signature", WebhookSignature(d.secret, timestamp, d.body)}};
    Outcome outcome;
    StatusOr<http::PostAnswer> answer = http::HttpPost(post);
    if (!answer.ok()) {
      outcome.error = std::string(answer.status().message());
    } else {
      outcome.http_status = answer->status;
      outcome.delivered = answer->status >= 200 && answer->status < 300;
      if (!outcome.delivered) {
        outcome.error = "HTTP " + std::to_string(answer->status) + ": " + answer->body.substr(0, 200);
      }
    }
    Status kept = outbox_.Record(d, outcome);
    if (!kept.ok()) {
      // Sent, but not noted: the lease runs out and it is sent again.
      std::fprintf(stderr, "kith: webhooks: delivery %lld: %s\n", static_cast<long long>(d.id),
                   std::string(kept.message()).c_str());
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_[d.webhook_id] == 0) in_flight_.erase(d.webhook_id);
    --busy_;
  }
}

}  // namespace kith::sync
