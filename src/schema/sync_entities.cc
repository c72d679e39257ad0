#include "schema/sync_entities.h"

#include "schema/entity_builder.h"

namespace kith::schema {
namespace {

const std::vector<std::string> kAdmin = {"administer CiviCRM"};

// One row per create, update or delete of a logged entity, written in the
// same transaction as the change (store/internal/change_log.h). `changes`
// is a JSON object: field -> [old, new] (null old for a create, null new
// for a delete).
Entity ChangeLog() {
  EntityBuilder b(kChangeLogEntity, "kith_change_log");
  b.Str("entity", "Entity", 64).Required()
      .Int("entity_id", "Entity ID").Required()
      .Str("action", "Action", 16).Required()
          .Choices({{"create", "Create"}, {"update", "Update"}, {"delete", "Delete"}})
      // Not a link: the log outlives the contact who made the change.
      .Int("contact_id", "Changed By Contact ID")
      .DateTime("created_date", "Change Date")
      .Text("changes", "Changes").Json()
      // "Who changed this record, and when": one index step.
      .Index({"entity_id", "entity"})
      // No index of created_date: the retention purge reads the oldest
      // changes in id order (sync/webhook_outbox.cc), and that index was
      // ~5.5k instructions of each change a bulk import logs on SQLite
      // (dropped by migration 19).
      .ReadOnly()
      .NotLogged()
      .Permissions(kAdmin, kAdmin, kAdmin, kAdmin);
  return b.Build();
}

// A receiver of changes. last_change_id is its cursor in the change log:
// every change up to it has its delivery row (the outbox is the log itself).
Entity Webhook() {
  EntityBuilder b(kWebhookEntity, "kith_webhook");
  b.Str("url", "URL", 2048).Required()
      .Str("secret", "Signing Secret", 255).WriteOnly()
      .Str("entities", "Entities").Serialized()
      .Str("actions", "Actions").Serialized()
          .Choices({{"create", "Create"}, {"update", "Update"}, {"delete", "Delete"}})
      .Bool("is_active", "Is Active", true)
      .DateTime("created_date", "Created Date").Readonly()
      .Int("last_change_id", "Last Change Queued").Readonly()
      .V4Only()
      .NotLogged()
      .Permissions(kAdmin, kAdmin, kAdmin, kAdmin);
  return b.Build();
}

// One change to send to one webhook. status: pending (next_attempt_date
// says when), delivered, failed (gave up after the most attempts).
// lease_until: a server sending it now holds it until then (another takes
// it over after a crash).
Entity WebhookDelivery() {
  EntityBuilder b(kWebhookDeliveryEntity, "kith_webhook_delivery");
  b.Int("webhook_id", "Webhook ID").Fk(kWebhookEntity).Required()
      .Int("change_id", "Change ID").Required()
      .Str("entity", "Entity", 64)
      .Int("entity_id", "Entity ID")
      .Str("action", "Action", 16)
      .Str("status", "Status", 16).Default("pending")
          .Choices({{"pending", "Pending"}, {"delivered", "Delivered"}, {"failed", "Failed"}})
      .Int("attempts", "Attempts").Default(0)
      .Text("last_error", "Last Error")
      .Int("last_status", "Last HTTP Status")
      .DateTime("next_attempt_date", "Next Attempt")
      .DateTime("delivered_date", "Delivered Date")
      .DateTime("lease_until", "Leased Until")
      .DateTime("created_date", "Created Date")
      .UniqueIndex({"webhook_id", "change_id"})
      .Index({"status", "webhook_id"})
      .ReadOnly()
      .V4Only()
      .NotLogged()
      .Permissions(kAdmin, kAdmin, kAdmin, kAdmin);
  return b.Build();
}

}  // namespace

void AddSyncEntities(Catalog& catalog) {
  catalog.Add(ChangeLog());
  catalog.Add(Webhook());
  catalog.Add(WebhookDelivery());
}

}  // namespace kith::schema
