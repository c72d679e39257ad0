#include "store/migrations.h"

#include "store/reference_data.h"

namespace kith::store {

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
  };
  return migrations;
}

}  // namespace kith::store
