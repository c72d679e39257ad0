// WebhookOutbox: what the webhook deliveries are, kept in the store so that
// they survive a crash and are shared by every server on one database.
//
// The change log is the outbox. Each webhook has a cursor in it
// (Webhook.last_change_id); Enqueue() turns the changes past it that the
// webhook wants into WebhookDelivery rows and moves it on, in one
// transaction. Claim() hands out due deliveries under a lease
// (lease_until), at most one per record and webhook at a time, oldest
// first, so that the changes of one record arrive in order; Record() keeps
// the outcome: delivered, or another attempt after a wait that doubles up
// to a bound, or failed after the last attempt. A server that dies holding
// a lease loses nothing: the lease runs out and any server sends it again
// (at least once).
//
// Several servers (PostgreSQL): their write transactions are serializable,
// so two that queue or claim the same rows conflict and one runs again
// (store::RunWithRetries), finding them queued or leased: one delivery per
// change and webhook, whichever server sends it.
//
// Only generic store calls: no SQL here. Thread-safe (each call its own
// transactions).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "base/value.h"
#include "store/store.h"

namespace kith::sync {

struct OutboxOptions {
  int64_t lease_seconds = 25;          // > the delivery timeout (kith serve: twice it, plus 5)
  int64_t max_attempts = 25;           // then "failed"
  int64_t retry_max_seconds = 600;     // waits: 1, 2, 4, ... seconds, up to this
  int64_t retention_days = 0;          // 0: changes and finished deliveries are kept
};

// One claimed delivery, ready to send.
struct Delivery {
  int64_t id = 0;          // the event id
  int64_t webhook_id = 0;
  int64_t attempts = 0;    // before this one
  std::string url;
  std::string secret;
  std::string body;        // the JSON POSTed
};

// How an attempt went.
struct Outcome {
  bool delivered = false;
  int http_status = 0;  // 0: no answer
  std::string error;    // why not, for last_error
};

class WebhookOutbox {
 public:
  WebhookOutbox(store::Store& store, OutboxOptions options, const Clock& clock);

  // Queues the changes past each active webhook's cursor (up to `batch`
  // each). The number of deliveries queued.
  StatusOr<int64_t> Enqueue(int64_t batch = 500);

  // Leases up to `max` due deliveries, at most `per_webhook` of a webhook
  // counting `in_flight` (webhook id -> deliveries this server is sending).
  StatusOr<std::vector<Delivery>> Claim(int64_t max, int64_t per_webhook,
                                        const std::map<int64_t, int64_t>& in_flight);

  // Keeps the outcome of sending `delivery` (its lease ends).
  Status Record(const Delivery& delivery, const Outcome& outcome);

  // Drops changes and finished deliveries older than the retention (a
  // change only once every active webhook has queued it). The rows dropped.
  StatusOr<int64_t> Purge(int64_t batch = 1000);

  // The JSON body of a delivery of the change `change` (a ChangeLog row).
  static std::string Body(int64_t event_id, const Value& change);

 private:
  store::Store& store_;
  OutboxOptions options_;
  const Clock& clock_;
};

}  // namespace kith::sync
