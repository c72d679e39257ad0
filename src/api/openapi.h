// OpenAPI 3.1 description of APIv4 as kith serves it: one path per
// (entity, action) in the action registry (extensions' actions included),
// the params JSON each action takes, a record schema per entity from its
// getFields (custom fields and option lists included, so the document follows
// the live catalog), and authx's credentials. Served at
// /civicrm/ajax/api4/openapi.json and printed by `kith openapi`.
#pragma once

#include "api/api.h"

namespace kith::api {

// The document, as `caller` may use the API: actions whose permissions the
// caller lacks are left out. Reads the schema and option lists through
// APIv4's own Entity.get and getFields in one read transaction.
StatusOr<Value> OpenApiDocument(const Dispatcher& dispatcher, const auth::Caller& caller);

}  // namespace kith::api
