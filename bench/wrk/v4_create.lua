-- wrk script: one APIv4 Contact.create per request (a new Individual with a
-- primary email), over keep-alive. Args: API_KEY [TAG] (TAG keeps names of
-- separate runs apart).
local n = 0
local tag = "w"

function init(args)
  wrk.method = "POST"
  wrk.path = "/civicrm/ajax/api4/Contact/create"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Civi-Auth"] = "Bearer " .. args[1]
  tag = args[2] or tag
end

function request()
  n = n + 1
  local body = string.format(
    '{"values":{"contact_type":"Individual","first_name":"First%d","last_name":"Last%s%d",' ..
    '"email_primary.email":"c%s%d@example.org"}}', n, tag, n, tag, n)
  return wrk.format(nil, nil, nil, body)
end
