// ParseV2Request: the function path read part by part (civicrm/<entity>/<action>,
// civicrm/login|ping|logout; anything else refused), the envelope's own
// parameters apart from those the API gets.
#include "wire/v2/v2_request.h"

#include <gtest/gtest.h>

namespace kith::wire::v2 {
namespace {

TEST(V2RequestTest, FunctionPathsAsThreeTwoPointTwoReadThem) {
  const Value params = Value::object();
  auto call = ParseV2Request(params, "civicrm/contact/search", "");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->kind, V2Request::Kind::kCall);
  EXPECT_EQ(call->entity, "contact");
  EXPECT_EQ(call->action, "search");
  auto munged = ParseV2Request(params, "civicrm/group-contact/get", "");
  ASSERT_TRUE(munged.ok()) << munged.status();
  EXPECT_EQ(munged->entity, "group_contact");
  for (const char* path : {"civicrm/login", "civicrm/ping", "civicrm/logout"}) {
    auto session = ParseV2Request(params, path, "");
    ASSERT_TRUE(session.ok()) << path;
    EXPECT_NE(session->kind, V2Request::Kind::kCall) << path;
  }
  EXPECT_EQ(ParseV2Request(params, "civicrm/ping", "")->kind, V2Request::Kind::kPing);
  // Three parts are a call, whatever the second names.
  auto three = ParseV2Request(params, "civicrm/login/x", "");
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->kind, V2Request::Kind::kCall);
  EXPECT_EQ(three->entity, "login");
  for (const char* bad : {"", "civicrm", "civicrm/", "civicrm/contact", "civicrm//get",
                          "civicrm/contact/", "civicrm/contact/get/more", "civicrm/a/b/c/d",
                          "other/contact/get", "/civicrm/contact/get"}) {
    auto refused = ParseV2Request(params, bad, "");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().message(), "Unknown function invocation.") << bad;
  }
}

TEST(V2RequestTest, EnvelopeParametersApartFromTheCallsInTheirOrder) {
  const Value params{{"q", "civicrm/contact/search"}, {"json", "1"},          {"key", "site"},
                     {"api_key", "user"},           {"contact_id", "7"},     {"version", "3"},
                     {"PHPSESSID", "s1"}};
  auto req = ParseV2Request(params, "civicrm/contact/search", "cookie");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_TRUE(req->json);
  EXPECT_EQ(req->site_key, "site");
  EXPECT_EQ(req->api_key, "user");
  EXPECT_EQ(req->session_id, "s1");
  EXPECT_TRUE(req->wants_v3);
  EXPECT_EQ(req->params.dump(),
            R"({"api_key":"user","contact_id":"7","version":"3","PHPSESSID":"s1"})");
}

// Given the parameters to keep, ParseV2Request moves those the API gets
// out of them rather than copying them; the function's stays.
TEST(V2RequestTest, MovesTheCallsParametersOut) {
  Value params{{"q", "civicrm/contact/search"}, {"key", "site"}, {"api_key", "user"},
               {"contact_id", "a text longer than a short string's room"}};
  auto req = ParseV2Request(std::move(params), "civicrm/contact/search", "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->api_key, "user");
  EXPECT_EQ(req->params.dump(),
            R"({"api_key":"user","contact_id":"a text longer than a short string's room"})");
  EXPECT_EQ(params["q"], "civicrm/contact/search");
  EXPECT_TRUE(params["contact_id"].is_null());
  EXPECT_TRUE(params["api_key"].is_null());
}

}  // namespace
}  // namespace kith::wire::v2
