// Webhook (issue 19): a receiver of the change log's rows. Its URL is
// checked when written (http or https, a host, nothing else), a new one
// needs a secret to sign with, and it starts at the end of the change log:
// it gets the changes made after it, not the history.
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"
#include "schema/schema.h"
#include "schema/sync_entities.h"

namespace kith::entities::v4 {

using api::ActionContext;

namespace {

Status BadValue(const std::string& field, const std::string& why) {
  return InvalidArgument(field + " is not valid: " + why, {{"error_code", 2001}, {"error_field", field}});
}

// http(s)://host[:port][/...]: what a delivery can POST to.
Status CheckUrl(const Value& url) {
  if (!url.is_string()) return BadValue("url", "an http:// or https:// URL is required");
  const std::string& text = url.get<std::string>();
  size_t scheme = text.rfind("https://", 0) == 0 ? 8 : text.rfind("http://", 0) == 0 ? 7 : 0;
  if (scheme == 0) return BadValue("url", "only http:// and https:// URLs are delivered to");
  size_t end = text.find_first_of("/?#", scheme);
  std::string authority = text.substr(scheme, end == std::string::npos ? std::string::npos : end - scheme);
  if (authority.empty() || authority[0] == ':') return BadValue("url", "the URL has no host");
  if (authority.find('@') != std::string::npos) {
    return BadValue("url", "the URL must not hold a user name or password");
  }
  for (unsigned char c : text) {
    if (c <= ' ' || c == 0x7f) return BadValue("url", "the URL holds a space or control character");
  }
  return Status();
}

Status PrepareWebhook(ActionContext& ctx, Value& values, bool creating) {
  if (creating || values.contains("url")) KITH_RETURN_IF_ERROR(CheckUrl(values.value("url", Value())));
  if (values.contains("secret") || creating) {
    const Value& secret = values.value("secret", Value());
    if (!secret.is_string() || secret.get<std::string>().size() < 8) {
      return BadValue("secret", "a secret of at least 8 characters signs the deliveries");
    }
  }
  if (values.contains("entities")) {  // as given: a list, or one name
    const Value& given = values["entities"];
    std::vector<std::string> names;
    if (given.is_string()) names = schema::SplitPaddedValues(given.get<std::string>());
    if (given.is_array()) {
      for (const Value& v : given) names.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    for (const std::string& name : names) {
      const schema::Entity* e = ctx.catalog.Find(name);
      if (e == nullptr || !e->change_logged) return BadValue("entities", "no logged entity " + name);
    }
  }
  return Status();
}

// The last change id so far: a new webhook's deliveries start after it. On
// PostgreSQL a change not in this snapshot commits with a larger id
// (store: kChangeLogLock), so none falls between.
Status StartAtEndOfLog(ActionContext& ctx, int64_t id, const Value&) {
  store::Query q;
  q.entity = schema::kChangeLogEntity;
  q.select = {"id"};
  q.order_by = {{"id", true}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(std::vector<Value> last, ctx.txn.Select(q));
  int64_t cursor = last.empty() ? 0 : last[0]["id"].get<int64_t>();
  return ctx.txn.Update(schema::kWebhookEntity, id,
                        {{"last_change_id", cursor},
                         {"created_date", FormatDateTime(Clock::Real().NowSeconds())}});
}

}  // namespace

void AddWebhookHooks(V4HooksTable& table) {
  V4Hooks& h = table[schema::kWebhookEntity];
  h.prepare = PrepareWebhook;
  h.after_create = StartAtEndOfLog;
}

}  // namespace kith::entities::v4
