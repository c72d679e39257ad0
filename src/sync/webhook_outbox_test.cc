// The webhook outbox over a real store (SQLite; sync_test_pg: PostgreSQL).
#include "sync/webhook_outbox.h"

#include <gtest/gtest.h>

#include "store/testing/fresh_store_test.h"
#include "sync/webhook_signature.h"

namespace kith::sync {
namespace {

class FakeClock : public Clock {
 public:
  int64_t NowSeconds() const override { return now; }
  int64_t now = 1'800'000'000;
};

class WebhookOutboxTest : public store::FreshStoreTest {
 protected:
  void SetUp() override {
    FreshStoreTest::SetUp();
    if (HasFatalFailure()) return;
    auto txn = store_->Begin(true).value();
    webhook_ = txn->Insert("Webhook", {{"url", "http://127.0.0.1:9/hook"}, {"secret", "s3cret-key"},
                                       {"entities", "\x01" "Contact" "\x01"}, {"last_change_id", 0}})
                   .value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  int64_t Write(const std::function<int64_t(store::Transaction&)>& work) {
    auto txn = store_->Begin(true).value();
    int64_t id = work(*txn);
    EXPECT_TRUE(txn->Commit().ok());
    return id;
  }
  int64_t NewContact(const std::string& name) {
    return Write([&](store::Transaction& txn) {
      return txn.Insert("Contact", {{"contact_type", "Individual"}, {"last_name", name}}).value();
    });
  }
  std::vector<Delivery> Claim(WebhookOutbox& outbox) {
    auto claimed = outbox.Claim(10, 10, {});
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    return claimed.ok() ? *claimed : std::vector<Delivery>{};
  }

  FakeClock clock_;
  int64_t webhook_ = 0;
};

TEST_F(WebhookOutboxTest, QueuesWantedChangesAndLeasesThemOnce) {
  WebhookOutbox outbox(*store_, {.lease_seconds = 40}, clock_);
  int64_t ann = NewContact("Ann");
  Write([&](store::Transaction& txn) {  // not a Contact: not wanted
    return txn.Insert("Email", {{"contact_id", ann}, {"email", "ann@example.org"}}).value();
  });
  EXPECT_EQ(outbox.Enqueue().value(), 1);
  EXPECT_EQ(outbox.Enqueue().value(), 0);  // the cursor moved on
  std::vector<Delivery> claimed = Claim(outbox);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(claimed[0].secret, "s3cret-key");
  Value body = Value::parse(claimed[0].body);
  EXPECT_EQ(body["event_id"], claimed[0].id);
  EXPECT_EQ(body["entity"], "Contact");
  EXPECT_EQ(body["entity_id"], ann);
  EXPECT_EQ(body["action"], "create");
  EXPECT_EQ(body["changes"]["last_name"], Value::array({nullptr, "Ann"}));
  // Leased: not handed out again until the lease runs out.
  EXPECT_TRUE(Claim(outbox).empty());
  clock_.now += 41;
  EXPECT_EQ(Claim(outbox).size(), 1u);
}

TEST_F(WebhookOutboxTest, FailuresWaitLongerEachTimeAndEndFailed) {
  WebhookOutbox outbox(*store_, {.lease_seconds = 40, .max_attempts = 3, .retry_max_seconds = 600},
                       clock_);
  NewContact("Bo");
  ASSERT_EQ(outbox.Enqueue().value(), 1);
  std::vector<Delivery> d = Claim(outbox);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_TRUE(outbox.Record(d[0], {.delivered = false, .http_status = 500, .error = "HTTP 500"}).ok());
  EXPECT_TRUE(Claim(outbox).empty());  // waits 1 s
  clock_.now += 1;
  d = Claim(outbox);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].attempts, 1);
  ASSERT_TRUE(outbox.Record(d[0], {.delivered = false, .error = "timed out"}).ok());
  clock_.now += 1;
  EXPECT_TRUE(Claim(outbox).empty());  // now 2 s
  clock_.now += 1;
  d = Claim(outbox);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_TRUE(outbox.Record(d[0], {.delivered = false, .error = "timed out"}).ok());
  clock_.now += 3600;
  EXPECT_TRUE(Claim(outbox).empty());
  auto txn = store_->Begin(false).value();
  store::Query q;
  q.entity = "WebhookDelivery";
  q.select = {"status", "attempts", "last_error"};
  std::vector<Value> rows = txn->Select(q).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_EQ(rows[0]["attempts"], 3);
  EXPECT_EQ(rows[0]["last_error"], "timed out");
}

TEST_F(WebhookOutboxTest, ARecordsChangesGoOutInOrder) {
  WebhookOutbox outbox(*store_, {}, clock_);
  int64_t cy = NewContact("Cy");
  Write([&](store::Transaction& txn) {
    EXPECT_TRUE(txn.Update("Contact", cy, {{"last_name", "Cyd"}}).ok());
    return 0;
  });
  int64_t di = NewContact("Di");
  ASSERT_EQ(outbox.Enqueue().value(), 3);
  // Cy's create and Di's create; Cy's update waits for Cy's create.
  std::vector<Delivery> first = Claim(outbox);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(Value::parse(first[0].body)["entity_id"], cy);
  EXPECT_EQ(Value::parse(first[1].body)["entity_id"], di);
  ASSERT_TRUE(outbox.Record(first[1], {.delivered = true, .http_status = 200, .error = ""}).ok());
  EXPECT_TRUE(Claim(outbox).empty());
  ASSERT_TRUE(outbox.Record(first[0], {.delivered = true, .http_status = 204, .error = ""}).ok());
  std::vector<Delivery> second = Claim(outbox);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(Value::parse(second[0].body)["action"], "update");
}

// The number of rows of `entity`.
size_t CountRows(store::Store& store, const std::string& entity) {
  auto txn = store.Begin(false).value();
  store::Query q;
  q.entity = entity;
  q.select = {"id"};
  return txn->Select(q).value().size();
}

TEST_F(WebhookOutboxTest, RetentionDropsOldChangesOnceQueuedAndOldFinishedDeliveries) {
  NewContact("Ed");
  ASSERT_GT(CountRows(*store_, "ChangeLog"), 0u);
  // Retention 0 keeps everything, however old.
  clock_.now += 400 * 86400;
  EXPECT_EQ(WebhookOutbox(*store_, {}, clock_).Purge().value(), 0);
  clock_.now -= 400 * 86400;

  // The fake clock (2027) is more than a day past the change rows' dates.
  WebhookOutbox outbox(*store_, {.retention_days = 1}, clock_);
  EXPECT_EQ(outbox.Purge().value(), 0);  // the active webhook has not queued them yet
  ASSERT_EQ(outbox.Enqueue().value(), 1);
  EXPECT_GT(outbox.Purge().value(), 0);
  EXPECT_EQ(CountRows(*store_, "ChangeLog"), 0u);
  // The delivery keeps its own copy of the change. Not a day old, or a day
  // old but still pending, it stays; a day old and finished, it goes.
  std::vector<Delivery> d = Claim(outbox);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_TRUE(outbox.Record(d[0], {.delivered = false, .http_status = 500, .error = "HTTP 500"}).ok());
  EXPECT_EQ(outbox.Purge().value(), 0);
  clock_.now += 2 * 86400;
  EXPECT_EQ(outbox.Purge().value(), 0);
  d = Claim(outbox);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_TRUE(outbox.Record(d[0], {.delivered = true, .http_status = 200, .error = ""}).ok());
  EXPECT_EQ(outbox.Purge().value(), 1);
  EXPECT_EQ(CountRows(*store_, "WebhookDelivery"), 0u);
}

// The purge reads the change log in id order (it has no index of
// created_date): the changes older than the cut-off go up to the first one
// that is not, a batch at a time, the lowest ids first.
TEST_F(WebhookOutboxTest, RetentionDropsTheOldestChangesInIdOrderUpToTheFirstYoungerOne) {
  Write([&](store::Transaction& txn) {  // no webhook holds the purge back
    EXPECT_TRUE(txn.Update("Webhook", webhook_, {{"is_active", 0}}).ok());
    return int64_t{0};
  });
  auto change_ids = [&] {
    auto txn = store_->Begin(false).value();
    store::Query q;
    q.entity = "ChangeLog";
    q.select = {"id"};
    q.order_by = {{"id", false}};
    std::vector<int64_t> ids;
    std::vector<Value> rows = txn->Select(q).value();
    for (const Value& r : rows) ids.push_back(r["id"].get<int64_t>());
    return ids;
  };
  NewContact("Al");
  NewContact("Bo");
  // A change dated after the fake clock's cut-off (2027), then an old one.
  int64_t young = Write([&](store::Transaction& txn) {
    return txn.Insert("ChangeLog", {{"entity", "Note"}, {"entity_id", 1}, {"action", "create"},
                                    {"created_date", "2099-01-01 00:00:00"}})
        .value();
  });
  NewContact("Cy");  // an old change after the young one
  std::vector<int64_t> ids = change_ids();
  ASSERT_EQ(ids.size(), 4u);  // Al, Bo, the young change, Cy
  ASSERT_EQ(ids[2], young);

  WebhookOutbox outbox(*store_, {.retention_days = 1}, clock_);
  EXPECT_EQ(outbox.Purge(1).value(), 1);
  EXPECT_EQ(change_ids(), std::vector<int64_t>(ids.begin() + 1, ids.end()));
  EXPECT_EQ(outbox.Purge().value(), 1);
  EXPECT_EQ(change_ids(), std::vector<int64_t>(ids.begin() + 2, ids.end()));
  EXPECT_EQ(outbox.Purge().value(), 0);  // the young change holds Cy's back
  clock_.now = 4'200'000'000;            // 2103
  EXPECT_EQ(outbox.Purge().value(), 2);
  EXPECT_TRUE(change_ids().empty());
}

TEST(WebhookSignatureTest, IsTheHexHmacOfTimestampDotBody) {
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(WebhookSignature("Jefe", 12, "x"), "sha256=" + HmacSha256Hex("Jefe", "12.x"));
}

}  // namespace
}  // namespace kith::sync
