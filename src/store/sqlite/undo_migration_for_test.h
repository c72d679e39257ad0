// For tests that make an older database out of a fresh one: undoes what the
// migrations after theirs created, so that reopening the store runs them
// again on a database as it was.
#pragma once

#include "base/status.h"
#include "store/sqlite/sqlite_connection.h"

namespace kith::store::sqlite {

// Undoes migration 9: drops the tables of tags, notes and activities and
// removes the option lists it seeded.
inline Status UndoMigration9(SqliteConnection& conn) {
  for (const char* sql :
       {"DROP TABLE civicrm_activity_contact", "DROP TABLE civicrm_activity", "DROP TABLE civicrm_note",
        "DROP TABLE civicrm_entity_tag", "DROP TABLE civicrm_tag",
        "DELETE FROM civicrm_option_value WHERE option_group_id IN (2, 24, 36, 45, 49, 59, 85)",
        "DELETE FROM civicrm_option_group WHERE id IN (2, 24, 36, 45, 49, 59, 85)"}) {
    KITH_RETURN_IF_ERROR(conn.Exec(sql));
  }
  return Status();
}

// Undoes migration 10: drops the change log and the webhook tables.
inline Status UndoMigration10(SqliteConnection& conn) {
  for (const char* sql : {"DROP TABLE kith_webhook_delivery", "DROP TABLE kith_webhook",
                          "DROP TABLE kith_change_log"}) {
    KITH_RETURN_IF_ERROR(conn.Exec(sql));
  }
  return Status();
}

}  // namespace kith::store::sqlite
