-- dgwcontact: one call that finds a person by the id another system gives
-- them (kith's external_identifier), creates or updates them with name,
-- email, phone and address, and answers one flat record. The wrapper API an
-- integrator once dropped into CiviCRM's API folder to keep a Java/Oracle
-- application, a website and the CRM in step.
--
-- Install: copy this file to DATA/extensions/ and start kith (or send
-- SIGHUP to a running `kith serve`). Then, in any of the three protocols:
--   3.2:   q=civicrm/dgwcontact/create&external_id=ORA-17&first_name=Ada...
--   APIv3: entity=Dgwcontact&action=create&external_id=ORA-17&...
--   APIv4: POST /civicrm/ajax/api4/Dgwcontact/create params={"external_id":"ORA-17",...}

-- The fields of the flat record, as Contact.get names them.
local FIELDS = {
  "first_name", "last_name", "email", "phone",
  "street_address", "city", "postal_code", "country",
}

-- The individual with this external id, or nil.
local function find(external_id)
  local r = kith.api("Contact", "get", {
    contact_type = "Individual",
    external_identifier = external_id,
  })
  return r.values[1]
end

local function flat(contact, external_id)
  local out = { id = contact.id, contact_id = contact.id, external_id = external_id }
  for _, f in ipairs(FIELDS) do
    if contact[f] ~= nil and contact[f] ~= "" then out[f] = contact[f] end
  end
  return out
end

-- Creates, or updates, the contact's primary Phone or Address with the
-- fields given (nothing when none is).
local function save_primary(entity, contact_id, values)
  if next(values) == nil then return end
  local existing = kith.api(entity, "get", { contact_id = contact_id, is_primary = 1 }).values[1]
  values.contact_id = contact_id
  if existing ~= nil then
    values.id = existing.id
  else
    values.is_primary = 1
  end
  kith.api(entity, "create", values)
end

kith.action("Dgwcontact", "get", {
  description = "The individual with an external system's id, as one flat record",
  permission = { "access CiviCRM", "view all contacts" },
  params = {
    external_id = { type = "String", required = true, title = "External id" },
  },
  run = function(params)
    local contact = find(params.external_id)
    if contact == nil then return {} end
    return { flat(contact, params.external_id) }
  end,
})

kith.action("Dgwcontact", "create", {
  description = "Creates or updates the individual with an external system's id",
  permission = { "access CiviCRM", "add contacts", "edit all contacts" },
  params = {
    external_id = { type = "String", required = true, title = "External id" },
    first_name = { type = "String", title = "First name" },
    last_name = { type = "String", title = "Last name" },
    email = { type = "String", title = "Email" },
    phone = { type = "String", title = "Phone" },
    street_address = { type = "String", title = "Street address" },
    city = { type = "String", title = "City" },
    postal_code = { type = "String", title = "Postal code" },
    country = { type = "String", title = "Country (name or ISO code)" },
  },
  run = function(params)
    local existing = find(params.external_id)
    -- All of it happens in the request's transaction: if any part fails,
    -- nothing of the call is written.
    local saved = kith.api("Contact", "create", {
      id = existing and existing.id,
      contact_type = "Individual",
      external_identifier = params.external_id,
      first_name = params.first_name,
      last_name = params.last_name,
      email = params.email,
    })
    local id = saved.values[1].id
    save_primary("Phone", id, { phone = params.phone })
    save_primary("Address", id, {
      street_address = params.street_address,
      city = params.city,
      postal_code = params.postal_code,
      country_id = params.country,
    })
    local answer = flat(find(params.external_id), params.external_id)
    answer.created = existing == nil and 1 or 0
    return answer
  end,
})
