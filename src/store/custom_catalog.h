// Reading the custom data schema back from the database: the CustomGroup and
// CustomField rows a transaction sees, turned into a catalog by
// schema::DeriveCatalog. Shared by every Store backend (at open, and for
// Transaction::ReloadCatalog).
#pragma once

#include <memory>

#include "base/status.h"
#include "schema/schema.h"
#include "store/store.h"

namespace kith::store {

// `base` plus what the custom group and field rows visible to `txn` derive.
// `txn` must resolve CustomGroup and CustomField (any catalog built on
// BuiltinCatalog() does). Errors: those of Select.
StatusOr<std::shared_ptr<const schema::Catalog>> LoadCustomCatalog(Transaction& txn,
                                                                   const schema::Catalog& base);

}  // namespace kith::store
