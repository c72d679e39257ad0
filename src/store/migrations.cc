#include "store/migrations.h"

#include "base/clock.h"
#include "store/reference_data.h"

namespace kith::store {
namespace {

// Makes the indexes of every custom group's value table as the schema
// describes them now (those it no longer has dropped).
Status SyncCustomIndexes(Transaction& txn) {
  KITH_RETURN_IF_ERROR(txn.ReloadCatalog());
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  for (const schema::CustomGroupInfo& g : catalog->custom_groups()) {
    const schema::Entity* e = catalog->Find(g.entity);
    if (e == nullptr) continue;
    for (const auto& index : e->indexes) {
      KITH_RETURN_IF_ERROR(txn.SyncIndexes(g.entity, index[0]));
    }
  }
  return Status();
}

}  // namespace

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "contacts, their locations, reference data, users and sessions",
       {"WorldRegion", "Country", "StateProvince", "LocationType", "OptionGroup", "OptionValue",
        "Contact", "Email", "Phone", "Address", "User", "Session"},
       [](Transaction& txn) -> Status {
         for (auto [file, entity] : std::vector<std::pair<const char*, const char*>>{
                  {"world_region.tsv", "WorldRegion"},
                  {"country.tsv", "Country"},
                  {"state_province.tsv", "StateProvince"},
                  {"location_type.tsv", "LocationType"},
                  {"option_group.tsv", "OptionGroup"},
                  {"option_value.tsv", "OptionValue"}}) {
           KITH_RETURN_IF_ERROR(SeedReferenceFile(txn, file, entity));
         }
         return Status();
       }},
      {2,
       "groups: saved searches, groups and their nesting, memberships, subscription history",
       {"SavedSearch", "Group", "GroupNesting", "GroupContact", "SubscriptionHistory"},
       nullptr},
      {3,
       "relationships and their types (CiviCRM's default types, ids kept)",
       {"RelationshipType", "Relationship"},
       [](Transaction& txn) -> Status {
         return SeedReferenceFile(txn, "relationship_type.tsv", "RelationshipType");
       }},
      {4,
       "custom data: custom groups and fields (their value tables are created at run time)",
       {"CustomGroup", "CustomField"},
       nullptr},
      {5,
       "relationships seen from both sides (RelationshipCache, a view); CiviCRM's smart group "
       "cache columns on groups",
       {"RelationshipCache"},
       nullptr,
       {{"Group", "where_clause"}, {"Group", "select_tables"}, {"Group", "where_tables"},
        {"Group", "cache_date"}, {"Group", "cache_fill_took"}, {"Group", "refresh_date"}}},
      {6,
       "read path: addresses by state and by country answered from the index alone (smart groups)",
       {},
       nullptr,
       {},
       {"Address"}},
      {7,
       "read path: searchable custom fields indexed by (value, entity_id), so a page of the "
       "contacts having a value is read in id order from the index",
       {},
       SyncCustomIndexes},
      {8,
       "write path: optional links and columns most rows leave empty (an organization's name "
       "on a person) indexed only where set, so that inserting a row costs fewer index entries",
       {},
       nullptr,
       {},
       {},
       {"Country", "Contact", "Email", "Phone", "Address", "SavedSearch", "Group", "GroupContact",
        "CustomGroup", "CustomField"}},
      {9,
       "tags and the records they tag, notes, activities and their contacts; CiviCRM's default "
       "tags and the option lists of activities, notes and tags (ids kept)",
       {"Tag", "EntityTag", "Note", "Activity", "ActivityContact"},
       [](Transaction& txn) -> Status {
         KITH_RETURN_IF_ERROR(SeedReferenceFile(txn, "activity_option_group.tsv", "OptionGroup"));
         KITH_RETURN_IF_ERROR(SeedReferenceFile(txn, "activity_option_value.tsv", "OptionValue"));
         KITH_RETURN_IF_ERROR(SeedReferenceFile(txn, "tag.tsv", "Tag"));
         // CiviCRM's default tags date from its install; kith's from this one.
         Query q;
         q.entity = "Tag";
         q.select = {"id"};
         KITH_ASSIGN_OR_RETURN(auto tags, txn.Select(q));
         std::string now = FormatDateTime(Clock::Real().NowSeconds());
         for (const Value& t : tags) {
           KITH_RETURN_IF_ERROR(txn.Update("Tag", t["id"].get<int64_t>(), {{"created_date", now}}));
         }
         return Status();
       }},
      {10,
       "keeping other systems in step: the change log every write adds to, webhooks that follow "
       "it and their deliveries",
       {"ChangeLog", "Webhook", "WebhookDelivery"},
       nullptr},
      {11,
       "CiviCRM's other address columns (the parts of the street address, county, USPS code, "
       "manual geocode flag, timezone, master address) and a phone's mobile provider",
       {},
       nullptr,
       {{"Address", "street_number"}, {"Address", "street_number_suffix"},
        {"Address", "street_number_predirectional"}, {"Address", "street_name"},
        {"Address", "street_type"}, {"Address", "street_number_postdirectional"},
        {"Address", "street_unit"}, {"Address", "county_id"}, {"Address", "usps_adc"},
        {"Address", "manual_geo_code"}, {"Address", "timezone"}, {"Address", "master_id"},
        {"Phone", "mobile_provider_id"}}},
      {12,
       "a tag's used_for stored as CiviCRM stores it, comma-separated (tags created before were "
       "stored \\x01-padded, CiviCRM's default tags comma-separated)",
       {},
       [](Transaction& txn) -> Status {
         Query q;
         q.entity = "Tag";
         q.select = {"id", "used_for"};
         q.where = Condition::Leaf("used_for", Op::kLike, "%\x01%");
         KITH_ASSIGN_OR_RETURN(auto tags, txn.Select(q));
         const schema::Field& used_for = *txn.catalog()->Find("Tag")->FindField("used_for");
         schema::Field padded = used_for;  // the form it was stored in
         padded.comma_separated = false;
         for (const Value& t : tags) {
           std::vector<std::string> values =
               schema::SplitStoredValues(padded, t["used_for"].get_ref<const std::string&>());
           KITH_RETURN_IF_ERROR(txn.Update("Tag", t["id"].get<int64_t>(),
                                           {{"used_for", schema::JoinStoredValues(used_for, values)}}));
         }
         return Status();
       }},
      {13,
       "write path (PostgreSQL): text columns that are not unique indexed by their lowered text, "
       "compared as plain text, where citext lowered both sides of each comparison of an insert",
       {},
       SyncCustomIndexes,  // the custom fields' value tables
       {},
       {},
       {},
       {"WorldRegion", "Country", "StateProvince", "LocationType", "OptionGroup", "OptionValue",
        "Contact", "Email", "Phone", "Address", "User", "Session", "SavedSearch", "Group",
        "GroupNesting", "GroupContact", "SubscriptionHistory", "RelationshipType", "Relationship",
        "CustomGroup", "CustomField", "Tag", "EntityTag", "Note", "Activity", "ActivityContact",
        "ChangeLog", "Webhook", "WebhookDelivery"}},
      {14,
       "read path: the ids of the contacts and activities in the trash indexed apart, so that a "
       "smart group is counted from its candidates without reading each one's row",
       {},
       nullptr,
       {},
       {"Contact", "Activity"}},
      {15,
       "write path (PostgreSQL): a contact's external identifier (and the other optional unique "
       "columns) unique in an index of only the rows that have one, so that a contact without "
       "one costs no entry in it",
       {},
       nullptr,
       {},
       {},
       {},
       {},
       {"Contact", "User", "Session", "SavedSearch", "Group", "RelationshipType", "CustomGroup"}},
      {16,
       "every transaction's start: the catalog version and the change counts it reads in one "
       "row of kith_versions (were kith_catalog_version and kith_change_count; the stores make "
       "it before any transaction, this number keeps older binaries off a database they would "
       "no longer count changes in)",
       {},
       nullptr},
      {17,
       "write path (PostgreSQL): a contact's emails, phones and addresses linked to it without a "
       "foreign key: kith's store checks the link on every write and deletes them with the "
       "contact (a foreign key's trigger per inserted row was a tenth of an import's server "
       "time); nothing changes on SQLite. The number also keeps older binaries, which would "
       "leave a deleted contact's emails behind, off the database",
       {},
       nullptr,
       {},
       {},
       {},
       {},
       {},
       {"Email", "Phone", "Address"}},
      {18,
       "write path (PostgreSQL): a contact's employer and household head, a tag's parent, an "
       "activity's parent and original linked without a foreign key: kith's store checks the "
       "link on every write and clears the links to a deleted row (the foreign key's trigger "
       "fired for every imported contact, ~3% of an import's server time); nothing changes on "
       "SQLite. The number also keeps older binaries, which would leave links to a deleted "
       "contact, off the database",
       {},
       nullptr,
       {},
       {},
       {},
       {},
       {},
       {"Contact", "Tag", "Activity"}},
      {19,
       "write path: the change log's index of created_date dropped (the retention purge finds "
       "the changes older than its cut-off in id order; the index was some 7% of the SQLite "
       "writer's work a contact in a bulk import)",
       {},
       // SyncIndexes drops the indexes of created_date the entity no longer declares.
       [](Transaction& txn) -> Status { return txn.SyncIndexes("ChangeLog", "created_date"); }},
  };
  return migrations;
}

}  // namespace kith::store
