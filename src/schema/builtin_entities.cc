// kith's built-in entities, in CiviCRM's column order (the order of a v4
// get with no select, and of a v3 create reply).
#include "schema/custom_schema.h"
#include "schema/entity_builder.h"
#include "schema/sync_entities.h"
#include "schema/schema.h"

namespace kith::schema {
namespace {

using FT = FieldType;

ReverseJoin PrimaryOf(std::string name, std::string entity) {
  return ReverseJoin{std::move(name), std::move(entity), "contact_id", {{"is_primary", 1}}};
}

ReverseJoin BillingOf(std::string name, std::string entity) {
  return ReverseJoin{std::move(name), std::move(entity), "contact_id", {{"is_billing", 1}}};
}

Entity Contact() {
  EntityBuilder b("Contact", "civicrm_contact");
  b.Str("contact_type", "Contact Type", 64)
          .Choices({{"Household", "Household"}, {"Individual", "Individual"},
                    {"Organization", "Organization"}})  // CiviCRM lists them by label
          .CiviReadonly(true)
      .Str("external_identifier", "External Identifier", 64).Unique()
      .Str("display_name", "Display Name", 128).Readonly().Input("Text")
      .Str("organization_name", "Organization Name", 128)
      .Str("contact_sub_type", "Contact Subtype").Serialized().HasOptions(true)  // kith has no subtypes
      .Str("first_name", "First Name", 64)
      .Str("middle_name", "Middle Name", 64)
      .Str("last_name", "Last Name", 64)
      .Bool("do_not_email", "Do Not Email")
      .Bool("do_not_phone", "Do Not Phone")
      .Bool("do_not_mail", "Do Not Mail")
      .Bool("do_not_sms", "Do Not Sms")
      .Bool("do_not_trade", "Do Not Trade")
      .Bool("is_opt_out", "No Bulk Emails (User Opt Out)")
      .Str("legal_identifier", "Legal Identifier", 32)
      .Str("sort_name", "Sort Name", 128).Readonly().Input("Text")
      .Str("nick_name", "Nickname", 128)
      .Str("legal_name", "Legal Name", 128)
      .Text("image_URL", "Image Url").Input("File")
      .Str("preferred_communication_method", "Preferred Communication Method")
          .Options("preferred_communication_method").Serialized()
      .Str("preferred_language", "Preferred Language", 5).Default("en_US").Options("languages", "name")
      .Str("hash", "Contact Hash", 32).Readonly()
      .Str("source", "Contact Source")
      .Int("prefix_id", "Individual Prefix").Options("individual_prefix")
      .Int("suffix_id", "Individual Suffix").Options("individual_suffix")
      .Str("formal_title", "Formal Title", 64)
      .Int("communication_style_id", "Communication Style").Default(1).Options("communication_style")
      .Int("email_greeting_id", "Email Greeting ID").Default(1).Options("email_greeting")
      .Str("email_greeting_custom", "Email Greeting Custom", 128)
      .Str("email_greeting_display", "Email Greeting", 255).Readonly()
      .Int("postal_greeting_id", "Postal Greeting ID").Default(1).Options("postal_greeting")
      .Str("postal_greeting_custom", "Postal Greeting Custom", 128)
      .Str("postal_greeting_display", "Postal Greeting", 255).Readonly()
      .Int("addressee_id", "Addressee ID").Default(1).Options("addressee")
      .Str("addressee_custom", "Addressee Custom", 128)
      .Str("addressee_display", "Addressee", 255).Readonly()
      .Str("job_title", "Job Title")
      .Int("gender_id", "Gender ID").Options("gender")
      .Date("birth_date", "Birth Date")
      .Bool("is_deceased", "Deceased")
      .Date("deceased_date", "Deceased Date")
      .Str("household_name", "Household Name", 128)
      .Int("primary_contact_id", "Household Primary Contact ID").Fk("Contact").CiviReadonly(true).NoInput()
      .Str("sic_code", "Sic Code", 8)
      .Str("user_unique_id", "Unique ID (OpenID)")
      .Int("employer_id", "Current Employer ID").Fk("Contact")
      .Bool("is_deleted", "Contact is in Trash")
      .DateTime("created_date", "Created Date").Readonly().Input("Date").CiviType("Timestamp")
      .DateTime("modified_date", "Modified Date").Readonly().Input("Date").CiviType("Timestamp")
      // Columns CiviCRM has that kith answers without keeping them (V4Hooks
      // virtual_columns give their values).
      .MetaField("api_key", FT::kString, "API Key", "Field").Readonly()
      .MetaField("preferred_mail_format", FT::kString, "Preferred Mail Format", "Field")
          .Choices({{"Both", "Both"}, {"HTML", "HTML"}, {"Text", "Text"}})
      // APIv4 get filters: the contact's groups (smart groups too) and tags.
      .MetaField("groups", FT::kInt, "Groups", "Filter").CiviType("Array").Fk("Group").CiviFk("").Input("Select")
      .MetaField("tags", FT::kInt, "Tags", "Filter").CiviType("Array").Fk("Tag").CiviFk("").Input("Select")
      .Join(PrimaryOf("address_primary", "Address"))
      .Join(BillingOf("address_billing", "Address"))
      .Join(PrimaryOf("email_primary", "Email"))
      .Join(BillingOf("email_billing", "Email"))
      .Join(PrimaryOf("phone_primary", "Phone"))
      .Join(BillingOf("phone_billing", "Phone"))
      .Index({"sort_name"})
      .Index({"last_name"})
      .Index({"first_name"})
      .Index({"display_name"})
      .SparseIndex({"organization_name"})
      .SparseIndex({"household_name"})
      .Index({"contact_type"})
      .SparseIndex({"employer_id"})
      .Permissions({"access CiviCRM", "view all contacts"}, {"access CiviCRM", "add contacts"},
                   {"access CiviCRM", "edit all contacts"}, {"access CiviCRM", "delete contacts"})
      .SoftDelete();
  return b.Build();
}

// Email, Phone and Address share the location block columns, titled as
// CiviCRM titles them for each.
EntityBuilder LocationBlock(std::string name, std::string table,
                            std::string location_type_title = "Location Type") {
  EntityBuilder b(std::move(name), std::move(table));
  b.Int("contact_id", "Contact ID").Fk("Contact").Required().NotNull(false)
      .Int("location_type_id", std::move(location_type_title)).Fk("LocationType").Options("location_type")
          .CiviFk("")
      .Permissions({"access CiviCRM", "view all contacts"}, {"access CiviCRM", "edit all contacts"},
                   {"access CiviCRM", "edit all contacts"}, {"access CiviCRM", "edit all contacts"});
  return b;
}

EntityBuilder& PrimaryAndBilling(EntityBuilder& b, std::string billing_title = "Is Billing") {
  return b.Bool("is_primary", "Is Primary").Input("Radio").Bool("is_billing", std::move(billing_title));
}

// CiviCRM's order: the address itself before is_primary (unlike Phone and Address).
Entity Email() {
  EntityBuilder b = LocationBlock("Email", "civicrm_email", "Email Location Type");
  b.Str("email", "Email", 254).Required().NotNull(false);
  PrimaryAndBilling(b, "Is Billing Email?")
      // CiviCRM keeps a number: 1 a bounce, 2 an opt-out (kith: a flag).
      .Bool("on_hold", "On Hold").CiviType("Integer")
          .Choices({{"0", "No"}, {"1", "On Hold Bounce"}, {"2", "On Hold Opt Out"}})
      .Bool("is_bulkmail", "Use for Bulk Mail")
      .DateTime("hold_date", "Hold Date").CiviReadonly(true)
      .DateTime("reset_date", "Reset Date")
      .Text("signature_text", "Signature Text")
      .Text("signature_html", "Signature Html")
      .Index({"contact_id", "is_primary"})
      .Index({"email"});
  return b.Build();
}

Entity Phone() {
  EntityBuilder b = LocationBlock("Phone", "civicrm_phone", "Location Type ID");
  PrimaryAndBilling(b, "Is Billing Phone")
      .Int("mobile_provider_id", "Mobile Provider")  // deprecated in CiviCRM, kept as given
      .Str("phone", "Phone", 32).Required().NotNull(false)
      .Str("phone_ext", "Phone Extension", 16)
      .Str("phone_numeric", "Phone Numeric", 32).Readonly()
      .Int("phone_type_id", "Phone Type ID").Options("phone_type")
      .Index({"contact_id", "is_primary"})
      .Index({"phone_numeric"});
  return b.Build();
}

Entity Address() {
  EntityBuilder b = LocationBlock("Address", "civicrm_address");
  PrimaryAndBilling(b);
  // The parts of the street address (street_number ... street_unit), the
  // county, USPS code, manual geocode flag, timezone and master address
  // joined in migration 11: kept as given, as CiviCRM keeps them.
  b.Str("street_address", "Street Address", 96)
      .Int("street_number", "Street Number").Input("Text")
      .Str("street_number_suffix", "Street Number Suffix", 8)
      .Str("street_number_predirectional", "Street Direction Prefix", 8)
      .Str("street_name", "Street Name", 64)
      .Str("street_type", "Street Type", 8)
      .Str("street_number_postdirectional", "Street Direction Suffix", 8)
      .Str("street_unit", "Street Unit", 16)
      .Str("supplemental_address_1", "Supplemental Address 1", 96)
      .Str("supplemental_address_2", "Supplemental Address 2", 96)
      .Str("supplemental_address_3", "Supplemental Address 3", 96)
      .Str("city", "City", 64)
      // CiviCRM's counties (none in a default install): kith has no list.
      .Int("county_id", "County ID").Input("ChainSelect").HasOptions(true)
      .Int("state_province_id", "State/Province").Fk("StateProvince").Input("ChainSelect")
      .Str("postal_code_suffix", "Postal Code Suffix", 12)
      .Str("postal_code", "Postal Code", 64)
      .Str("usps_adc", "USPS Code", 32)
      .Int("country_id", "Country").Fk("Country")
      .Float("geo_code_1", "Latitude").Input("Text")
      .Float("geo_code_2", "Longitude").Input("Text")
      .Bool("manual_geo_code", "Is Manually Geocoded")
      .Str("timezone", "Timezone", 8)
      .Str("name", "Address Name")
      .Int("master_id", "Master Address ID").Fk("Address")
      .Index({"contact_id", "is_primary"})
      .Index({"city"})
      .Index({"postal_code"})
      // Contacts by state or country (smart group criteria): the index alone answers.
      .Index({"state_province_id", "contact_id"})
      .Index({"country_id", "contact_id"});
  return b.Build();
}

Entity LocationType() {
  EntityBuilder b("LocationType", "civicrm_location_type");
  b.Str("name", "Location Type", 64).Required().Unique()
      .Str("display_name", "Display Name", 64)
      .Str("vcard_name", "vCard Location Type", 64)
      .Str("description", "Description")
      .Bool("is_reserved", "Location Type is Reserved")
      .Bool("is_active", "Location Type is Active", true)
      .Bool("is_default", "Default Location Type")
      .ReferenceData();
  return b.Build();
}

Entity WorldRegion() {
  EntityBuilder b("WorldRegion", "civicrm_worldregion");
  b.Str("name", "World Region", 128);
  return b.Build();
}

Entity Country() {
  EntityBuilder b("Country", "civicrm_country");
  b.Str("name", "Country", 64).Required()
      .Str("iso_code", "Country ISO Code", 2)
      .Str("country_code", "Country Phone Prefix", 4)
      .Int("region_id", "World Region").Fk("WorldRegion")
      .Bool("is_province_abbreviated", "Abbreviate Province?")
      .Bool("is_active", "Country Is Active", true)
      .Index({"iso_code"})
      .Index({"name"});
  return b.Build();
}

Entity StateProvince() {
  EntityBuilder b("StateProvince", "civicrm_state_province");
  b.Str("name", "State/Province", 64).Required()
      .Str("abbreviation", "State/Province Abbreviation", 4)
      .Int("country_id", "Country").Fk("Country").Required()
      .Bool("is_active", "StateProvince Is Active", true)
      .Index({"country_id"})
      .Index({"name"});
  return b.Build();
}

Entity OptionGroup() {
  EntityBuilder b("OptionGroup", "civicrm_option_group");
  b.Str("name", "Option Group Name", 64).Required().Unique()
      .Str("title", "Option Group Title")
      .Str("data_type", "Data Type", 128)
      .Bool("is_reserved", "Option Group Is Reserved", true)
      .Bool("is_active", "Option Group Is Active", true);
  return b.Build();
}

Entity OptionValue() {
  EntityBuilder b("OptionValue", "civicrm_option_value");
  b.Int("option_group_id", "Option Group ID").Fk("OptionGroup").Required()
      .Str("label", "Option Label", 512)
      .Str("value", "Option Value", 512).Required()
      .Str("name", "Option Name", 255)
      .Int("weight", "Order").Default(1)
      .Bool("is_default", "Option is Default?")
      .Bool("is_reserved", "Option is Reserved?")
      .Bool("is_active", "Option Is Active", true)
      .Int("filter", "Filter").Default(0)
      .Index({"option_group_id", "value"})
      .Index({"option_group_id", "name"});
  return b.Build();
}

// kith's own: login users and their sessions. Secrets are stored hashed and
// never leave the store through a get (internal fields).
Entity User() {
  EntityBuilder b("User", "kith_user");
  b.Str("name", "User Name", 128).Required().Unique()
      .Str("password_hash", "Password Hash").Internal()
      .Str("role", "Role", 16).Required()
      .Int("contact_id", "Contact ID").Fk("Contact").Required()
      .Str("api_key_hash", "API Key Hash", 64).Internal().Unique()
      .Bool("is_active", "Is Active", true)
      .DateTime("created_date", "Created Date").Readonly()
      .Index({"contact_id"})
      .Hidden()
      .NotLogged();
  return b.Build();
}

Entity Session() {
  EntityBuilder b("Session", "kith_session");
  b.Str("session_hash", "Session ID Hash", 64).Required().Unique().Internal()
      .Str("api_key_hash", "Session API Key Hash", 64).Unique().Internal()
      .Int("user_id", "User ID").Fk("User").Required()
      .Int("last_seen", "Last Seen (Unix seconds)").Required()
      .Index({"user_id"})
      .Hidden()
      .NotLogged();
  return b.Build();
}

// Groups (migration 2). Group and GroupContact follow civicrm_group and
// civicrm_group_contact; parents/children keep CiviCRM's comma-separated ids
// and are written only by kith's nesting code (GroupNesting is the truth).
EntityBuilder& GroupPermissions(EntityBuilder& b) {
  return b.Permissions({"access CiviCRM"}, {"access CiviCRM", "edit groups"},
                       {"access CiviCRM", "edit groups"}, {"access CiviCRM", "edit groups"});
}

Entity SavedSearch() {
  EntityBuilder b("SavedSearch", "civicrm_saved_search");
  b.Str("name", "Saved Search Name").Unique()
      .Str("label", "Saved Search Label")
      .Text("form_values", "Submitted Form Values")  // kith: JSON contact criteria, never SQL
      .Str("api_entity", "Entity Name")
      .Text("api_params", "API Parameters")
      .Int("created_id", "Created By Contact ID").Fk("Contact").Readonly()
      .Int("modified_id", "Modified By Contact ID").Fk("Contact").Readonly()
      .DateTime("expires_date", "Search Expiry Date")
      .DateTime("created_date", "Created Date").Readonly()
      .DateTime("modified_date", "Modified Date").Readonly()
      .Text("description", "Saved Search Description");
  return b.Build();
}

Entity Group() {
  EntityBuilder b("Group", "civicrm_group");
  b.Str("name", "Group Name", 64).Unique().NotNull().MadeFrom({"title"})
      .Str("title", "Group Title").Required().Unique().Fallback({"frontend_title", "name"})
      .Text("description", "Group Description")
      .Str("source", "Group Source", 64)
      .Int("saved_search_id", "Saved Search ID").Fk("SavedSearch").HasOptions(false)
      .Bool("is_active", "Group Enabled", true)
      .Str("visibility", "Group Visibility Setting", 24).Default("User and User Admin Only")
          .Choices({{"User and User Admin Only", "User and User Admin Only"},
                    {"Public Pages", "Public Pages"}})
      // CiviCRM's smart group cache (migration 5): kith computes membership
      // live and leaves these empty.
      .Text("where_clause", "Group Where Clause").Readonly()
      .Text("select_tables", "Tables For Select Clause").Readonly()
      .Text("where_tables", "Tables For Where Clause").Readonly()
      .Str("group_type", "Group Type", 128).Options("group_type").Serialized()
      .DateTime("cache_date", "Group Cache Date").Readonly().CiviType("Timestamp")
      .Float("cache_fill_took", "Seconds taken by last cache fill").Readonly()
      .DateTime("refresh_date", "Next Group Refresh Time").Readonly().CiviType("Timestamp")
      // Written by kith's nesting code (APIv3, the 3.2 dialect), not by APIv4.
      .Text("parents", "Group Parents").Readonly().CiviReadonly(false).Input("EntityRef").CiviFk("Group")
      .Text("children", "Group Children").Readonly().Input("EntityRef").CiviFk("Group")
      .Bool("is_hidden", "Group is Hidden")
      .Bool("is_reserved", "Group is Reserved")
      .Int("created_id", "Created By Contact ID").Fk("Contact")
      .Int("modified_id", "Modified By Contact ID").Fk("Contact").Readonly()
      .Str("frontend_title", "Public Group Title").NotNull().CiviRequired(false).Fallback({"title"})  // falls back to the title
      .Text("frontend_description", "Public Group Description");
  return GroupPermissions(b).Build();
}

Entity GroupNesting() {
  EntityBuilder b("GroupNesting", "civicrm_group_nesting");
  b.Int("child_group_id", "Child Group ID").Fk("Group").Required()
      .Int("parent_group_id", "Parent Group ID").Fk("Group").Required()
      .UniqueIndex({"parent_group_id", "child_group_id"});
  return GroupPermissions(b).Build();
}

// CiviCRM's groupContactStatus options.
std::vector<std::pair<std::string, std::string>> GroupContactStatuses() {
  return {{"Added", "Added"}, {"Removed", "Removed"}, {"Pending", "Pending"}};
}

Entity GroupContact() {
  EntityBuilder b("GroupContact", "civicrm_group_contact");
  b.Int("group_id", "Group ID").Fk("Group").Required()
      .Int("contact_id", "Contact ID").Fk("Contact").Required()
      .Str("status", "Group Contact Status", 8).Default("Added").Choices(GroupContactStatuses())
      .Int("location_id", "Location ID")
      .Int("email_id", "Email ID").Fk("Email")
      .UniqueIndex({"contact_id", "group_id"})
      // Members of a group by status, answered from the index alone.
      .Index({"group_id", "status", "contact_id"})
      .Permissions({"access CiviCRM"}, {"access CiviCRM", "edit all contacts"},
                   {"access CiviCRM", "edit all contacts"}, {"access CiviCRM", "edit all contacts"});
  return b.Build();
}

// group_id is required here (CiviCRM allows NULL) so that a group's history
// goes with it, as CiviCRM's group delete does by hand.
Entity SubscriptionHistory() {
  EntityBuilder b("SubscriptionHistory", "civicrm_subscription_history");
  b.Int("contact_id", "Contact ID").Fk("Contact").Required()
      .Int("group_id", "Group ID").Fk("Group").Required()
      .DateTime("date", "Group Membership Action Date").Required()
      .Str("method", "Group Membership Action", 8)
          .Choices({{"Admin", "Admin"}, {"Email", "Email"}, {"Web", "Web"}, {"API", "API"}})
      .Str("status", "Group Membership Status", 8).Choices(GroupContactStatuses())
      .Str("tracking", "Group Membership Tracking")
      .Index({"contact_id", "group_id"});
  return b.Build();
}

// Relationships (migration 3), as civicrm_relationship_type and
// civicrm_relationship. Relationship.get needs only what contact get needs:
// kith has no ACL clause to narrow it as CiviCRM's BAO does.
Entity RelationshipType() {
  EntityBuilder b("RelationshipType", "civicrm_relationship_type");
  b.Str("name_a_b", "Relationship Type Name A to B", 64).Required().Unique()
      .Str("label_a_b", "Relationship Type Label A to B", 64)
      .Str("name_b_a", "Relationship Type Name B to A", 64).Unique()
      .Str("label_b_a", "Relationship Type Label B to A", 64)
      .Str("description", "Relationship Description")
      .Str("contact_type_a", "Contact Type for Contact A", 12)
      .Str("contact_type_b", "Contact Type for Contact B", 12)
      .Str("contact_sub_type_a", "Contact Subtype A", 64)
      .Str("contact_sub_type_b", "Contact Subtype B", 64)
      .Bool("is_reserved", "Relationship Type is Reserved")
      .Bool("is_active", "Relationship Type is Enabled", true)
      .Permissions({"access CiviCRM"}, {"access CiviCRM", "administer CiviCRM"},
                   {"access CiviCRM", "administer CiviCRM"}, {"access CiviCRM", "administer CiviCRM"});
  return b.Build();
}

// CiviCRM's relationship permission options, in its order.
std::vector<std::pair<std::string, std::string>> RelationshipPermissions() {
  return {{"0", "None"}, {"2", "View only"}, {"1", "View and update"}};
}

Entity Relationship() {
  EntityBuilder b("Relationship", "civicrm_relationship");
  b.Int("contact_id_a", "Contact A").Fk("Contact").Required()
      .Int("contact_id_b", "Contact B").Fk("Contact").Required()
      .Int("relationship_type_id", "Relationship Type").Fk("RelationshipType").Required()
      .Date("start_date", "Relationship Start Date")
      .Date("end_date", "Relationship End Date")
      .Bool("is_active", "Relationship Is Active", true)
      .Str("description", "Relationship Description")
      .Int("is_permission_a_b", "Contact A has Permission Over Contact B").Default(0)
          .Choices(RelationshipPermissions()).NotNull().Input("Radio")
      .Int("is_permission_b_a", "Contact B has Permission Over Contact A").Default(0)
          .Choices(RelationshipPermissions()).NotNull().Input("Radio")
      .Int("case_id", "Case ID").Unlisted()  // CiviCase, off in CiviCRM's default install
      .DateTime("created_date", "Created Date").Readonly().NotNull().CiviReadonly(false).CiviType("Timestamp")
      .DateTime("modified_date", "Modified Date").Readonly().NotNull().CiviType("Timestamp")
      // A contact's relationships in either direction, by type.
      .Index({"contact_id_a", "relationship_type_id"})
      .Index({"contact_id_b", "relationship_type_id"})
      .Permissions({"access CiviCRM", "view all contacts"}, {"access CiviCRM", "edit all contacts"},
                   {"access CiviCRM", "edit all contacts"}, {"access CiviCRM", "edit all contacts"});
  return b.Build();
}

// CiviCRM's civicrm_relationship_cache: every relationship seen from each
// side (orientation a_b: near = contact A; b_a: near = contact B), with the
// names of the relation as the near and the far contact hold it. kith derives
// the rows from the relationships (a view, migration 5), so they can never
// be stale; CiviCRM keeps a table filled by triggers.
Entity RelationshipCache() {
  EntityBuilder b("RelationshipCache", "civicrm_relationship_cache");
  b.Int("relationship_id", "Relationship ID").Fk("Relationship").Required().Readonly()
      .Int("relationship_type_id", "Relationship Type ID").Fk("RelationshipType").Required().Readonly()
      .Str("orientation", "Orientation (a_b or b_a)", 3).Required().Readonly()
      .Int("near_contact_id", "Contact ID (Near side)").Fk("Contact").Required().Readonly()
      .Str("near_relation", "Relationship Name (to related contact)", 64).Readonly()
      .Int("far_contact_id", "Contact ID (Far side)").Fk("Contact").Required().Readonly()
      .Str("far_relation", "Relationship Name (from related contact)", 64).Readonly()
      .Bool("is_active", "Relationship Is Active", true).Required().Readonly()
      .Date("start_date", "Relationship Start Date").Readonly()
      .Date("end_date", "Relationship End Date").Readonly()
      .Int("case_id", "Case ID").Readonly()
      .Derived("relationship_permutations")
      .Permissions({"access CiviCRM", "view all contacts"}, {"administer CiviCRM"},
                   {"administer CiviCRM"}, {"administer CiviCRM"});
  return b.Build();
}

// Tags, notes and activities (migration 9), as civicrm_tag,
// civicrm_entity_tag, civicrm_note, civicrm_activity and
// civicrm_activity_contact. EntityTag and Note point at their record by
// entity_table + entity_id (any kind of record, not a foreign key): a
// contact's go with it in kith's delete (entities/contact_attachments.h).
EntityBuilder& ContactDataPermissions(EntityBuilder& b) {
  return b.Permissions({"access CiviCRM", "view all contacts"}, {"access CiviCRM", "edit all contacts"},
                       {"access CiviCRM", "edit all contacts"}, {"access CiviCRM", "edit all contacts"});
}

Entity Tag() {
  EntityBuilder b("Tag", "civicrm_tag");
  b.Str("name", "Tag Name", 64).Required().Unique()
      .Str("label", "Tag Label", 64).Fallback({"name"}).NotNull().CiviRequired(true)
      .Str("description", "Description")
      .Int("parent_id", "Parent Tag ID").Fk("Tag").Input("EntityRef")
      .Bool("is_selectable", "Display Tag?", true)
      .Bool("is_reserved", "Reserved")
      .Bool("is_tagset", "Tagset")
      .Str("used_for", "Used For", 64).Default("civicrm_contact")
          .Options("tag_used_for").CommaSerialized()
      .Int("created_id", "Created By Contact ID").Fk("Contact")  // the caller's unless given
      .Str("color", "Color", 255)
      .DateTime("created_date", "Tag Created Date").Readonly().Input("Date");
  return ContactDataPermissions(b).Build();
}

Entity EntityTag() {
  EntityBuilder b("EntityTag", "civicrm_entity_tag");
  b.Str("entity_table", "Entity Table", 64).Default("civicrm_contact").Input("Select")
      .Int("entity_id", "Entity ID").Required().Input("EntityRef")
      .Int("tag_id", "Tag ID").Fk("Tag").Required()
      // A record's tags, once each; the records having a tag.
      .UniqueIndex({"entity_id", "entity_table", "tag_id"})
      .Index({"tag_id", "entity_id"});
  return ContactDataPermissions(b).Build();
}

Entity Note() {
  EntityBuilder b("Note", "civicrm_note");
  b.Str("entity_table", "Note Entity", 64).Default("civicrm_contact").Input("Select").NotNull()
          .CiviRequired(true)
      .Int("entity_id", "Note Entity ID").Required().Input("EntityRef")
      .Text("note", "Note").Required().NotNull(false)  // CiviCRM's API requires it
      .Int("contact_id", "Created By Contact ID").Fk("Contact")
      .DateTime("note_date", "Note Date")
      .DateTime("created_date", "Created Date").Readonly().Input("Date").NotNull()
      .DateTime("modified_date", "Note Modified Date").Readonly().Input("Date")
      .Str("subject", "Subject", 255)
      .Str("privacy", "Privacy", 255).Default("0").Options("note_privacy").NotNull()
      .Index({"entity_id", "entity_table"});
  return ContactDataPermissions(b).Build();
}

Entity Activity() {
  EntityBuilder b("Activity", "civicrm_activity");
  b.Int("source_record_id", "Source Record").CiviReadonly(true).NoInput()
      .Int("activity_type_id", "Activity Type ID").Required().Options("activity_type")
          .CiviRequired(false)  // CiviCRM's column defaults to 1
      .Str("subject", "Subject", 255)
      .DateTime("activity_date_time", "Activity Date")
      .Int("duration", "Duration")
      .Str("location", "Location", 255)
      .Int("phone_id", "Phone (called) ID").Fk("Phone")
      .Str("phone_number", "Phone (called) Number", 64)
      .Text("details", "Details").Input("RichTextEditor")
      .Int("status_id", "Activity Status").Default(2).Options("activity_status")
      .Int("priority_id", "Priority").Default(2).Options("priority")
      .Int("parent_id", "Parent Activity ID").Fk("Activity").CiviReadonly(true).NoInput()
      .Bool("is_test", "Test")
      .Int("medium_id", "Activity Medium").Options("encounter_medium")
      .Bool("is_auto", "Auto")
      .Int("relationship_id", "Relationship ID").Fk("Relationship")
      .Bool("is_current_revision", "Is this activity a current revision in versioning chain?", true)
      .Int("original_id", "Original ID").Fk("Activity").CiviReadonly(true).NoInput()
      .Str("result", "Result", 255)
      .Bool("is_deleted", "Activity is in the Trash")
      .Int("campaign_id", "Campaign ID")
      .Int("engagement_level", "Engagement Index")
      .Int("weight", "Order")
      .Bool("is_star", "Is Starred")
      // CiviCRM's database dates them; only modified_date is read-only there.
      .DateTime("created_date", "Created Date").Readonly().CiviReadonly(false).Input("Date")
      .DateTime("modified_date", "Modified Date").Readonly().Input("Date")
      // Activities of a type in date order; activities by date.
      .Index({"activity_type_id", "activity_date_time"})
      .Index({"activity_date_time"});
  return ContactDataPermissions(b).Build();
}

// record_type_id: CiviCRM's activity_contacts options (1 assignee, 2
// source, 3 target).
Entity ActivityContact() {
  EntityBuilder b("ActivityContact", "civicrm_activity_contact");
  b.Int("activity_id", "Activity ID").Fk("Activity").Required()
      .Int("contact_id", "Contact ID (match to contact)").Fk("Contact").Required()
      .Int("record_type_id", "Activity Contact Type").Options("activity_contacts")
      // A contact's activities; an activity's contacts by role.
      .UniqueIndex({"contact_id", "activity_id", "record_type_id"})
      .Index({"activity_id", "record_type_id"});
  return ContactDataPermissions(b).Build();
}

}  // namespace

std::shared_ptr<const Catalog> BuiltinCatalog() {
  static const std::shared_ptr<const Catalog> catalog = [] {
    auto c = std::make_shared<Catalog>();
    c->Add(WorldRegion());
    c->Add(Country());
    c->Add(StateProvince());
    c->Add(LocationType());
    c->Add(OptionGroup());
    c->Add(OptionValue());
    c->Add(Contact());
    c->Add(Email());
    c->Add(Phone());
    c->Add(Address());
    c->Add(User());
    c->Add(Session());
    c->Add(SavedSearch());
    c->Add(Group());
    c->Add(GroupNesting());
    c->Add(GroupContact());
    c->Add(SubscriptionHistory());
    c->Add(RelationshipType());
    c->Add(Relationship());
    c->Add(RelationshipCache());
    c->Add(CustomGroupEntity());  // custom data (migration 4): schema/custom_entities.cc
    c->Add(CustomFieldEntity());
    c->Add(Tag());
    c->Add(EntityTag());
    c->Add(Note());
    c->Add(Activity());
    c->Add(ActivityContact());
    AddSyncEntities(*c);  // the change log and webhooks (migration 10): schema/sync_entities.cc
    return std::shared_ptr<const Catalog>(std::move(c));
  }();
  return catalog;
}

}  // namespace kith::schema
