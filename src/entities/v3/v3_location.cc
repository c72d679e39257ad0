// Email, Phone and Address in APIv3: CiviCRM's column order (with the
// address columns kith does not keep), the columns their create answers
// always show, replace, and a contact's names refreshed when its email
// changes (an individual without names is named after it).
#include "api/field_values.h"
#include "base/strings.h"
#include "entities/contact_rules.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;

namespace {

api::ActionHandler CreateRefreshingNames(const std::string& entity, const V3Hooks& hooks) {
  return [entity, hooks](ActionContext& ctx) -> StatusOr<Value> {
    KITH_ASSIGN_OR_RETURN(Value result, GenericCreate(ctx, entity, hooks));
    for (const auto& [id, row] : result["values"].items()) {
      auto contact = ParseInt64(api::ValueAsText(row.value("contact_id", Value())));
      if (contact) KITH_RETURN_IF_ERROR(RefreshContactNames(ctx, *contact));
    }
    return result;
  };
}

}  // namespace

void AddLocationHooks(V3HooksTable& table) {
  V3Hooks& email = table["Email"];
  email.create_echo = {"is_primary", "on_hold"};
  email.replace = true;
  email.create = CreateRefreshingNames("Email", email);

  V3Hooks& phone = table["Phone"];
  phone.layout = {"id", "contact_id", "location_type_id", "is_primary", "is_billing",
                  "mobile_provider_id", "phone", "phone_ext", "phone_numeric", "phone_type_id"};
  phone.create_echo = {"is_primary"};
  phone.replace = true;

  V3Hooks& address = table["Address"];
  address.layout = {"id", "contact_id", "location_type_id", "is_primary", "is_billing",
                    "street_address", "street_number", "street_number_suffix",
                    "street_number_predirectional", "street_name", "street_type",
                    "street_number_postdirectional", "street_unit", "supplemental_address_1",
                    "supplemental_address_2", "supplemental_address_3", "city", "county_id",
                    "state_province_id", "postal_code_suffix", "postal_code", "usps_adc",
                    "country_id", "geo_code_1", "geo_code_2", "manual_geo_code", "timezone",
                    "name", "master_id"};
  address.replace = true;

  table["LocationType"].create_defaults = Value{{"is_active", 1}};
}

}  // namespace kith::entities::v3
