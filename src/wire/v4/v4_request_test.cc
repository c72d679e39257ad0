#include "wire/v4/v4_request.h"

#include <gtest/gtest.h>

#include "base/error_details.h"

namespace kith::wire::v4 {
namespace {

V4RawRequest Form(std::string_view tail, std::string_view body) {
  V4RawRequest raw;
  raw.path_tail = tail;
  raw.content_type = "application/x-www-form-urlencoded";
  raw.body = body;
  return raw;
}

TEST(V4RequestTest, SingleCallFromFormFieldWithIndex) {
  auto req = ParseV4Request(Form("/Contact/get",
                                 "params=%7B%22select%22%3A%5B%22id%22%5D%2C%22limit%22%3A2%7D"
                                 "&index=id"));
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_FALSE(req->multi);
  ASSERT_EQ(req->calls.size(), 1u);
  const V4Call& call = req->calls[0].second;
  EXPECT_EQ(call.entity, "Contact");
  EXPECT_EQ(call.action, "get");
  EXPECT_EQ(call.params.dump(), R"({"select":["id"],"limit":2})");
  EXPECT_EQ(call.index, "id");
}

TEST(V4RequestTest, IndexForms) {
  EXPECT_EQ(ParseV4Request(Form("/Contact/get", "index=0"))->calls[0].second.index, 0);
  EXPECT_EQ(ParseV4Request(Form("/Contact/get", "index%5Bid%5D=first_name"))->calls[0].second.index.dump(),
            R"({"id":"first_name"})");
  EXPECT_TRUE(ParseV4Request(Form("/Contact/get", ""))->calls[0].second.index.is_null());
}

TEST(V4RequestTest, ParamsInTheQueryStringAndLooseParams) {
  V4RawRequest raw;
  raw.path_tail = "/Contact/get";
  raw.query = "params=%7B%22select%22%3A%5B%22id%22%5D%7D&limit=10&where=%5B%5B%22id%22%2C%22%3E%22%2C1%5D%5D";
  auto req = ParseV4Request(raw);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->calls[0].second.params.dump(), R"({"select":["id"],"where":[["id",">",1]],"limit":10})");
}

TEST(V4RequestTest, JsonBodyWrappedOrBare) {
  V4RawRequest raw;
  raw.path_tail = "/Email/get";
  raw.content_type = "application/json; charset=utf-8";
  raw.body = R"({"params": {"limit": 1}, "index": 0})";
  auto wrapped = ParseV4Request(raw);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(wrapped->calls[0].second.params.dump(), R"({"limit":1})");
  EXPECT_EQ(wrapped->calls[0].second.index, 0);
  raw.body = R"({"where": [["id", "=", 3]]})";
  auto bare = ParseV4Request(raw);
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->calls[0].second.params.dump(), R"({"where":[["id","=",3]]})");
}

TEST(V4RequestTest, BadJsonNamesTheParameter) {
  auto req = ParseV4Request(Form("/Contact/get", "params=%7Bnope"));
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(req.status().message(), "params is not valid JSON");
  auto list = ParseV4Request(Form("/Contact/get", "params=%5B1%5D"));
  EXPECT_EQ(list.status().message(), "params must be a JSON object");
}

TEST(V4RequestTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  auto v = ParseJsonParam(deep, "params");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "params nests deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJsonParam(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})",
                             "params").ok());
}

TEST(V4RequestTest, MultiCalls) {
  auto req = ParseV4Request(Form(
      "", "calls=%7B%22a%22%3A%5B%22Contact%22%2C%22get%22%2C%7B%22limit%22%3A1%7D%2C0%5D%2C"
          "%22b%22%3A%5B%22Email%22%2C%22getFields%22%5D%7D"));
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_TRUE(req->multi);
  ASSERT_EQ(req->calls.size(), 2u);
  EXPECT_EQ(req->calls[0].first, "a");
  EXPECT_EQ(req->calls[0].second.params.dump(), R"({"limit":1})");
  EXPECT_EQ(req->calls[0].second.index, 0);
  EXPECT_EQ(req->calls[1].second.entity, "Email");
  EXPECT_EQ(req->calls[1].second.action, "getFields");
  EXPECT_FALSE(ParseV4Request(Form("", "")).ok());
  auto bad = ParseV4Request(Form("", "calls=%7B%22a%22%3A%5B%22Contact%22%5D%7D"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "calls[a] must be [entity, action, params?, index?]");
}

TEST(V4RequestTest, MultiCallsOverTheLimit) {
  RequestLimits limits;
  limits.max_multi_calls = 1;
  auto req = ParseV4Request(Form("", "calls=%7B%22a%22%3A%5B%22Contact%22%2C%22get%22%5D%2C"
                                     "%22b%22%3A%5B%22Contact%22%2C%22get%22%5D%7D"),
                            limits);
  EXPECT_TRUE(IsTooLarge(req.status())) << req.status();
  EXPECT_EQ(req.status().message(), "calls may hold at most 1 calls");
  limits.max_parameters = 1;
  auto fields = ParseV4Request(Form("/Contact/get", "limit=1&offset=2"), limits);
  EXPECT_TRUE(IsTooLarge(fields.status())) << fields.status();
}

TEST(V4RequestTest, PathMustNameEntityAndAction) {
  EXPECT_FALSE(ParseV4Request(Form("/Contact", "")).ok());
  EXPECT_FALSE(ParseV4Request(Form("/Contact/get/x", "")).ok());
  EXPECT_FALSE(ParseV4Request(Form("/Contact/get/x/y", "")).ok());
  // Empty parts are skipped.
  auto spaced = ParseV4Request(Form("//Contact//get/", ""));
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(spaced->calls[0].second.entity, "Contact");
  EXPECT_EQ(spaced->calls[0].second.action, "get");
  EXPECT_TRUE(ParseV4Request(Form("/openapi.json/", ""))->openapi);
  EXPECT_FALSE(ParseV4Request(Form("/openapi.json/x", ""))->openapi);
  EXPECT_EQ(ParseV4Request(Form("//", "calls=%7B%7D"))->multi, true);
}

TEST(V4RequestTest, CredentialsInAuthxOrder) {
  V4RawRequest raw = Form("/Contact/get", "_authx=Bearer%20P&api_key=L&key=SITE");
  raw.x_civi_auth = "Bearer X";
  raw.authorization = "Bearer H";
  raw.x_civi_key = "XK";
  raw.x_requested_with = "XMLHttpRequest";
  raw.cookie = "a=1; PHPSESSID=sess";
  auto req = ParseV4Request(raw);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->credential.flow, "xheader");
  EXPECT_EQ(req->credential.token, "X");
  EXPECT_EQ(req->site_key, "XK");
  EXPECT_TRUE(req->xhr);
  EXPECT_EQ(req->session_id, "sess");
  raw.x_civi_auth = "";
  EXPECT_EQ(ParseV4Request(raw)->credential.flow, "header");
  raw.authorization = "";
  EXPECT_EQ(ParseV4Request(raw)->credential.token, "P");
  raw = Form("/Contact/get", "api_key=L&key=SITE");
  auto legacyrest = ParseV4Request(raw);
  EXPECT_EQ(legacyrest->credential.flow, "legacyrest");
  EXPECT_EQ(legacyrest->credential.token, "L");
  EXPECT_EQ(legacyrest->site_key, "SITE");
  EXPECT_FALSE(legacyrest->xhr);
}

TEST(V4RequestTest, BasicAndMalformedCredentials) {
  V4Credential basic = ParseCredential("Basic YWRtaW46cGE6c3M=", "xheader");  // admin:pa:ss
  EXPECT_EQ(basic.kind, V4Credential::Kind::kBasic);
  EXPECT_EQ(basic.token, "admin");
  EXPECT_EQ(basic.password, "pa:ss");
  EXPECT_EQ(ParseCredential("Bearer", "xheader").kind, V4Credential::Kind::kMalformed);
  EXPECT_EQ(ParseCredential("Bearer  two", "xheader").kind, V4Credential::Kind::kMalformed);
  EXPECT_EQ(ParseCredential("Token abc", "xheader").kind, V4Credential::Kind::kMalformed);
  EXPECT_EQ(ParseCredential("Basic !!!", "xheader").kind, V4Credential::Kind::kMalformed);
  EXPECT_EQ(ParseCredential("", "xheader").kind, V4Credential::Kind::kNone);
}

}  // namespace
}  // namespace kith::wire::v4
