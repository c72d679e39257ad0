// The entities that keep other systems in step with kith (issue 19,
// migration 10): the change log every write adds to, the webhooks that
// follow it and their deliveries. README "Following changes".
#pragma once

#include "schema/schema.h"

namespace kith::schema {

inline constexpr const char* kChangeLogEntity = "ChangeLog";
inline constexpr const char* kWebhookEntity = "Webhook";
inline constexpr const char* kWebhookDeliveryEntity = "WebhookDelivery";

// Adds ChangeLog, Webhook and WebhookDelivery to `catalog`.
void AddSyncEntities(Catalog& catalog);

}  // namespace kith::schema
