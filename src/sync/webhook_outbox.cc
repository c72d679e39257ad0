#include "sync/webhook_outbox.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>

#include "base/error_details.h"
#include "schema/sync_entities.h"

namespace kith::sync {
namespace {

using schema::kChangeLogEntity;
using schema::kWebhookDeliveryEntity;
using schema::kWebhookEntity;
using store::Condition;
using store::Op;
using store::Query;

bool Truthy(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  return v.is_string() && v.get<std::string>() == "1";
}

int64_t IntOr(const Value& v, int64_t fallback) { return v.is_number_integer() ? v.get<int64_t>() : fallback; }

// A serialized list as stored ("\x01Contact\x01Email\x01"): its items.
std::set<std::string> Items(const Value& stored) {
  std::set<std::string> out;
  if (!stored.is_string()) return out;
  const std::string& text = stored.get<std::string>();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\x01', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.insert(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

struct Hook {
  int64_t id;
  int64_t cursor;
  std::set<std::string> entities, actions;  // empty: all
  std::string url, secret;
};

StatusOr<std::vector<Hook>> ActiveWebhooks(store::Transaction& txn) {
  Query q;
  q.entity = kWebhookEntity;
  q.select = {"id", "is_active", "last_change_id", "entities", "actions", "url", "secret"};
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, txn.Select(q));
  std::vector<Hook> hooks;
  for (const Value& r : rows) {
    if (!Truthy(r["is_active"])) continue;
    hooks.push_back({r["id"].get<int64_t>(), IntOr(r["last_change_id"], 0), Items(r["entities"]),
                     Items(r["actions"]), r["url"].is_string() ? r["url"].get<std::string>() : "",
                     r["secret"].is_string() ? r["secret"].get<std::string>() : ""});
  }
  return hooks;
}

// Runs `work` in a write transaction of its own, again on a conflict.
Status InWriteTransaction(store::Store& store, const std::function<Status(store::Transaction&)>& work) {
  return store::RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> txn, store.Begin(true));
    KITH_RETURN_IF_ERROR(work(*txn));
    return txn->Commit();
  });
}

}  // namespace

WebhookOutbox::WebhookOutbox(store::Store& store, OutboxOptions options, const Clock& clock)
    : store_(store), options_(options), clock_(clock) {}

std::string WebhookOutbox::Body(int64_t event_id, const Value& change) {
  auto get = [&](const char* key) { return change.value(key, Value()); };
  Value changes = get("changes");
  if (changes.is_string()) changes = Value::parse(changes.get<std::string>(), nullptr, false);
  if (changes.is_discarded()) changes = Value();
  Value body{{"event_id", event_id},
             {"change_id", get("id")},
             {"entity", get("entity")},
             {"entity_id", get("entity_id")},
             {"action", get("action")},
             {"contact_id", get("contact_id")},
             {"created_date", get("created_date")},
             {"changes", changes}};
  return body.dump();
}

StatusOr<int64_t> WebhookOutbox::Enqueue(int64_t batch) {
  // A look first, in a read transaction: most polls find nothing new, and
  // then take no write lock.
  {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> txn, store_.Begin(false));
    KITH_ASSIGN_OR_RETURN(std::vector<Hook> hooks, ActiveWebhooks(*txn));
    if (hooks.empty()) return 0;
    int64_t lowest = hooks[0].cursor;
    for (const Hook& h : hooks) lowest = std::min(lowest, h.cursor);
    Query q;
    q.entity = kChangeLogEntity;
    q.select = {"id"};
    q.where = Condition::Leaf("id", Op::kGt, lowest);
    q.limit = 1;
    KITH_ASSIGN_OR_RETURN(std::vector<Value> any, txn->Select(q));
    if (any.empty()) return 0;
  }
  int64_t queued = 0;
  KITH_RETURN_IF_ERROR(InWriteTransaction(store_, [&](store::Transaction& txn) -> Status {
    queued = 0;
    std::string now = FormatDateTime(clock_.NowSeconds());
    KITH_ASSIGN_OR_RETURN(std::vector<Hook> hooks, ActiveWebhooks(txn));
    for (const Hook& h : hooks) {
      Query q;
      q.entity = kChangeLogEntity;
      q.select = {"id", "entity", "entity_id", "action"};
      q.where = Condition::Leaf("id", Op::kGt, h.cursor);
      q.order_by = {{"id", false}};
      q.limit = batch;
      KITH_ASSIGN_OR_RETURN(std::vector<Value> changes, txn.Select(q));
      if (changes.empty()) continue;
      for (const Value& c : changes) {
        const std::string& entity = c["entity"].get_ref<const std::string&>();
        const std::string& action = c["action"].get_ref<const std::string&>();
        if (!h.entities.empty() && h.entities.count(entity) == 0) continue;
        if (!h.actions.empty() && h.actions.count(action) == 0) continue;
        KITH_RETURN_IF_ERROR(txn.Insert(kWebhookDeliveryEntity, {{"webhook_id", h.id},
                                                                 {"change_id", c["id"]},
                                                                 {"entity", entity},
                                                                 {"entity_id", c["entity_id"]},
                                                                 {"action", action},
                                                                 {"status", "pending"},
                                                                 {"attempts", 0},
                                                                 {"next_attempt_date", now},
                                                                 {"created_date", now}})
                                 .status());
        ++queued;
      }
      KITH_RETURN_IF_ERROR(
          txn.Update(kWebhookEntity, h.id, {{"last_change_id", changes.back()["id"]}}));
    }
    return Status();
  }));
  return queued;
}

StatusOr<std::vector<Delivery>> WebhookOutbox::Claim(int64_t max, int64_t per_webhook,
                                                     const std::map<int64_t, int64_t>& in_flight) {
  std::vector<Delivery> claimed;
  if (max <= 0) return claimed;
  const int64_t now_seconds = clock_.NowSeconds();
  const std::string now = FormatDateTime(now_seconds);
  // The due deliveries of `hooks` as `txn` sees them: per webhook, the
  // oldest pending one of each record, when due and not leased (a later
  // one of the same record waits for it: their order is kept).
  auto due = [&](store::Transaction& txn, const std::vector<Hook>& hooks)
      -> StatusOr<std::vector<std::pair<const Hook*, Value>>> {
    std::vector<std::pair<const Hook*, Value>> out;
    for (const Hook& h : hooks) {
      auto busy = in_flight.find(h.id);
      int64_t room = per_webhook - (busy == in_flight.end() ? 0 : busy->second);
      Query q;
      q.entity = kWebhookDeliveryEntity;
      q.select = {"id", "change_id", "entity", "entity_id", "attempts", "next_attempt_date",
                  "lease_until"};
      q.where = Condition::And({Condition::Leaf("webhook_id", Op::kEq, h.id),
                                Condition::Leaf("status", Op::kEq, "pending")});
      q.order_by = {{"id", false}};
      q.limit = 200;
      KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, txn.Select(q));
      std::set<std::string> records;
      for (Value& r : rows) {
        if (room <= 0 || static_cast<int64_t>(out.size()) >= max) break;
        std::string record = r["entity"].dump() + "#" + r["entity_id"].dump();
        if (!records.insert(record).second) continue;
        const Value& next = r["next_attempt_date"];
        const Value& lease = r["lease_until"];
        if (next.is_string() && next.get<std::string>() > now) continue;
        if (lease.is_string() && lease.get<std::string>() > now) continue;
        out.emplace_back(&h, std::move(r));
        --room;
      }
    }
    return out;
  };
  {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> txn, store_.Begin(false));
    KITH_ASSIGN_OR_RETURN(std::vector<Hook> hooks, ActiveWebhooks(*txn));
    KITH_ASSIGN_OR_RETURN(auto found, due(*txn, hooks));
    if (found.empty()) return claimed;
  }
  KITH_RETURN_IF_ERROR(InWriteTransaction(store_, [&](store::Transaction& txn) -> Status {
    claimed.clear();
    KITH_ASSIGN_OR_RETURN(std::vector<Hook> hooks, ActiveWebhooks(txn));
    KITH_ASSIGN_OR_RETURN(auto found, due(txn, hooks));
    if (found.empty()) return Status();
    std::string lease = FormatDateTime(now_seconds + options_.lease_seconds);
    Value change_ids = Value::array();
    for (auto& [hook, row] : found) {
      KITH_RETURN_IF_ERROR(txn.Update(kWebhookDeliveryEntity, row["id"].get<int64_t>(),
                                      {{"lease_until", lease}}));
      change_ids.push_back(row["change_id"]);
    }
    Query q;
    q.entity = kChangeLogEntity;
    q.select = {"id", "entity", "entity_id", "action", "contact_id", "created_date", "changes"};
    q.where = Condition::Leaf("id", Op::kIn, change_ids);
    KITH_ASSIGN_OR_RETURN(std::vector<Value> changes, txn.Select(q));
    std::map<int64_t, const Value*> by_id;
    for (const Value& c : changes) by_id[c["id"].get<int64_t>()] = &c;
    for (auto& [hook, row] : found) {
      int64_t change_id = row["change_id"].get<int64_t>();
      Delivery d;
      d.id = row["id"].get<int64_t>();
      d.webhook_id = hook->id;
      d.attempts = IntOr(row["attempts"], 0);
      d.url = hook->url;
      d.secret = hook->secret;
      // A change dropped by the retention before it was sent: what the
      // delivery row still knows of it.
      auto c = by_id.find(change_id);
      d.body = Body(d.id, c != by_id.end() ? *c->second
                                          : Value{{"id", change_id},
                                                  {"entity", row["entity"]},
                                                  {"entity_id", row["entity_id"]}});
      claimed.push_back(std::move(d));
    }
    return Status();
  }));
  return claimed;
}

Status WebhookOutbox::Record(const Delivery& delivery, const Outcome& outcome) {
  const int64_t now = clock_.NowSeconds();
  const int64_t attempts = delivery.attempts + 1;
  Value changes{{"attempts", attempts},
                {"lease_until", nullptr},
                {"last_status", outcome.http_status > 0 ? Value(outcome.http_status) : Value()}};
  if (outcome.delivered) {
    changes["status"] = "delivered";
    changes["delivered_date"] = FormatDateTime(now);
    changes["next_attempt_date"] = nullptr;
    changes["last_error"] = nullptr;
  } else {
    changes["last_error"] = outcome.error.substr(0, 1000);
    if (attempts >= options_.max_attempts) {
      changes["status"] = "failed";
      changes["next_attempt_date"] = nullptr;
    } else {
      int64_t wait = int64_t{1} << std::min<int64_t>(attempts - 1, 30);
      changes["next_attempt_date"] = FormatDateTime(now + std::min(wait, options_.retry_max_seconds));
    }
  }
  return InWriteTransaction(store_, [&](store::Transaction& txn) -> Status {
    Status s = txn.Update(kWebhookDeliveryEntity, delivery.id, changes);
    // The webhook was deleted meanwhile, and its deliveries with it.
    return s.code() == absl::StatusCode::kNotFound ? Status() : s;
  });
}

StatusOr<int64_t> WebhookOutbox::Purge(int64_t batch) {
  if (options_.retention_days <= 0) return 0;
  const std::string cutoff = FormatDateTime(clock_.NowSeconds() - options_.retention_days * 86400);
  int64_t dropped = 0;
  KITH_RETURN_IF_ERROR(InWriteTransaction(store_, [&](store::Transaction& txn) -> Status {
    dropped = 0;
    KITH_ASSIGN_OR_RETURN(std::vector<Hook> hooks, ActiveWebhooks(txn));
    // The oldest changes, in id order up to the first one not older than
    // the cut-off: ids grow with time, and the change log has no index of
    // created_date (it cost every logged write more than the purge saves).
    // A change dated before one with a lower id (a clock set back) goes
    // with the first purge after that one's.
    Query changes;
    changes.entity = kChangeLogEntity;
    changes.select = {"id", "created_date"};
    // Not a change an active webhook has still to queue.
    if (!hooks.empty()) {
      int64_t lowest = hooks[0].cursor;
      for (const Hook& h : hooks) lowest = std::min(lowest, h.cursor);
      changes.where = Condition::Leaf("id", Op::kLe, lowest);
    }
    changes.order_by = {{"id", false}};
    changes.limit = batch;
    KITH_ASSIGN_OR_RETURN(std::vector<Value> old_changes, txn.Select(changes));
    for (const Value& r : old_changes) {
      // "YYYY-MM-DD HH:MM:SS" text: in time order as bytes.
      const Value& date = r["created_date"];
      if (!date.is_string()) continue;  // undated: kept, as "created_date < cutoff" kept it
      if (date.get_ref<const std::string&>() >= cutoff) break;
      KITH_RETURN_IF_ERROR(txn.Delete(kChangeLogEntity, r["id"].get<int64_t>()));
      ++dropped;
    }
    Query deliveries;
    deliveries.entity = kWebhookDeliveryEntity;
    deliveries.select = {"id"};
    deliveries.where = Condition::And({Condition::Leaf("status", Op::kNe, "pending"),
                                       Condition::Leaf("created_date", Op::kLt, cutoff)});
    deliveries.limit = batch;
    KITH_ASSIGN_OR_RETURN(std::vector<Value> old_deliveries, txn.Select(deliveries));
    for (const Value& r : old_deliveries) {
      KITH_RETURN_IF_ERROR(txn.Delete(kWebhookDeliveryEntity, r["id"].get<int64_t>()));
      ++dropped;
    }
    return Status();
  }));
  return dropped;
}

}  // namespace kith::sync
