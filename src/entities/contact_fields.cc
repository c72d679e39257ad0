#include "entities/contact_fields.h"

#include <string_view>
#include <unordered_map>

namespace kith::entities {

const std::vector<ContactReturnField>& ContactReturnFields() {
  static const std::vector<ContactReturnField> fields = {
      {"contact_id", "id"},
      {"contact_type", "contact_type"},
      {"contact_sub_type", "contact_sub_type"},
      {"sort_name", "sort_name"},
      {"display_name", "display_name"},
      {"do_not_email", "do_not_email"},
      {"do_not_phone", "do_not_phone"},
      {"do_not_mail", "do_not_mail"},
      {"do_not_sms", "do_not_sms"},
      {"do_not_trade", "do_not_trade"},
      {"is_opt_out", "is_opt_out"},
      {"legal_identifier", "legal_identifier"},
      {"external_identifier", "external_identifier"},
      {"nick_name", "nick_name"},
      {"legal_name", "legal_name"},
      {"image_URL", "image_URL"},
      {"preferred_communication_method", "preferred_communication_method"},
      {"preferred_language", "preferred_language"},
      {"first_name", "first_name"},
      {"middle_name", "middle_name"},
      {"last_name", "last_name"},
      {"prefix_id", "prefix_id"},
      {"suffix_id", "suffix_id"},
      {"formal_title", "formal_title"},
      {"communication_style_id", "communication_style_id"},
      {"job_title", "job_title"},
      {"gender_id", "gender_id"},
      {"birth_date", "birth_date"},
      {"is_deceased", "is_deceased"},
      {"deceased_date", "deceased_date"},
      {"household_name", "household_name"},
      {"organization_name", "organization_name"},
      {"sic_code", "sic_code"},
      {"contact_source", "source"},
      {"source", "source"},
      {"contact_is_deleted", "is_deleted"},
      {"is_deleted", "is_deleted"},
      {"current_employer", "employer_id.organization_name"},
      {"employer_id", "employer_id"},
      {"created_date", "created_date"},
      {"modified_date", "modified_date"},
      {"address_id", "address_primary.id"},
      {"street_address", "address_primary.street_address"},
      {"supplemental_address_1", "address_primary.supplemental_address_1"},
      {"supplemental_address_2", "address_primary.supplemental_address_2"},
      {"supplemental_address_3", "address_primary.supplemental_address_3"},
      {"city", "address_primary.city"},
      {"postal_code_suffix", "address_primary.postal_code_suffix"},
      {"postal_code", "address_primary.postal_code"},
      {"geo_code_1", "address_primary.geo_code_1"},
      {"geo_code_2", "address_primary.geo_code_2"},
      {"state_province_id", "address_primary.state_province_id"},
      {"country_id", "address_primary.country_id"},
      {"phone_id", "phone_primary.id"},
      {"phone_type_id", "phone_primary.phone_type_id"},
      {"phone", "phone_primary.phone"},
      {"email_id", "email_primary.id"},
      {"email", "email_primary.email"},
      {"on_hold", "email_primary.on_hold"},
      {"worldregion_id", "address_primary.country_id.region_id"},
      {"world_region", "address_primary.country_id.region_id.name"},
      {"individual_prefix", "prefix_id:label"},
      {"individual_suffix", "suffix_id:label"},
      {"communication_style", "communication_style_id:label"},
      {"gender", "gender_id:label"},
      {"state_province_name", "address_primary.state_province_id.name"},
      {"state_province", "address_primary.state_province_id.abbreviation"},
      {"country", "address_primary.country_id.name"},
      {"hash", "hash"},
  };
  return fields;
}

const char* ContactReturnPath(const std::string& key) {
  // Asked for each returned key of each call: a table, not a scan.
  static const auto* const paths = [] {
    auto* map = new std::unordered_map<std::string_view, const char*>();
    for (const ContactReturnField& f : ContactReturnFields()) map->emplace(f.key, f.path);
    return map;
  }();
  auto it = paths->find(key);
  return it == paths->end() ? nullptr : it->second;
}

const std::vector<std::string>& V2DefaultReturn() {
  static const std::vector<std::string> keys = {
      "contact_type", "contact_sub_type", "sort_name", "display_name", "do_not_email",
      "do_not_phone", "do_not_mail", "do_not_sms", "do_not_trade", "is_opt_out",
      "legal_identifier", "external_identifier", "nick_name", "legal_name", "image_URL",
      "first_name", "middle_name", "last_name", "individual_prefix", "individual_suffix",
      "birth_date", "gender", "is_deceased", "deceased_date", "household_name",
      "organization_name", "job_title", "sic_code", "current_employer", "address_id",
      "street_address", "supplemental_address_1", "supplemental_address_2", "city",
      "postal_code_suffix", "postal_code", "geo_code_1", "geo_code_2", "state_province_id",
      "state_province", "country_id", "country", "worldregion_id", "world_region", "phone_id",
      "phone_type_id", "phone", "email_id", "email", "on_hold"};
  return keys;
}

}  // namespace kith::entities
