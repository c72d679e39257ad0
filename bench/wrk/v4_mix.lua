-- wrk script: APIv4 Contact.get by a random id in [1, MAX_ID], and with
-- probability WRITE_PCT % a Contact.create (with a primary email) instead.
-- Args: API_KEY MAX_ID WRITE_PCT [SEED]. The same seed gives the same sequence.
local key, max_id, write_pct = "", 1, 0
local n = 0

function init(args)
  key = args[1]
  max_id = tonumber(args[2])
  write_pct = tonumber(args[3] or "0")
  math.randomseed(tonumber(args[4] or "7"))
end

function request()
  local headers = { ["X-Civi-Auth"] = "Bearer " .. key }
  if math.random(100) <= write_pct then
    n = n + 1
    headers["Content-Type"] = "application/json"
    local body = string.format(
      '{"values":{"first_name":"Mix%d","last_name":"Writer","email_primary.email":"mix%d@example.org"}}',
      n, n)
    return wrk.format("POST", "/civicrm/ajax/api4/Contact/create", headers, body)
  end
  -- params={"where":[["id","=",ID]]}, percent-encoded
  local path = "/civicrm/ajax/api4/Contact/get?params=%7B%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C" ..
               math.random(max_id) .. "%5D%5D%7D"
  return wrk.format("GET", path, headers, nil)
end
