#include "wire/v3/v3_request.h"

#include <gtest/gtest.h>

#include "base/error_details.h"

namespace kith::wire::v3 {
namespace {

TEST(V3NamesTest, EntityNamesAreNormalisedAsCiviCrmDoes) {
  EXPECT_EQ(V3EntityName("contact"), "Contact");
  EXPECT_EQ(V3EntityName("Contact"), "Contact");
  EXPECT_EQ(V3EntityName("group_contact"), "GroupContact");
  EXPECT_EQ(V3EntityName("GroupContact"), "GroupContact");
  EXPECT_EQ(V3EntityName("relationship_type"), "RelationshipType");
  // Not repaired: CiviCRM does not resolve these either.
  EXPECT_EQ(V3EntityName("groupcontact"), "Groupcontact");
  EXPECT_EQ(V3EntityName("CONTACT"), "CONTACT");
  // Munged: nothing but letters, digits and '_' survives.
  EXPECT_EQ(V3EntityName("con<tact>"), "ConTact");
}

TEST(V3NamesTest, ActionsAreLowerCasedAndMunged) {
  EXPECT_EQ(V3ActionName("Get"), "get");
  EXPECT_EQ(V3ActionName("GETSINGLE"), "getsingle");
  EXPECT_EQ(V3ActionName("get;drop"), "get_drop");
}

TEST(V3RequestTest, FormFieldsBecomeParamsWithoutTransportKeys) {
  Value form{{"entity", "contact"}, {"action", "Get"}, {"json", "1"}, {"key", "SK"},
             {"api_key", "AK"}, {"last_name", "Hopper"}, {"q", "x"}};
  auto req = ParseV3Request(form, "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->entity, "Contact");
  EXPECT_EQ(req->action, "get");
  EXPECT_TRUE(req->json);
  EXPECT_EQ(req->site_key, "SK");
  EXPECT_EQ(req->api_key, "AK");
  EXPECT_EQ(req->params, (Value{{"last_name", "Hopper"}}));
  EXPECT_FALSE(req->multi);
}

TEST(V3RequestTest, JsonPayloadIsDecodedAndFormFieldsWin) {
  Value form{{"entity", "Contact"},
             {"action", "get"},
             {"json", R"({"last_name":"A","return":["id"],"options":{"limit":2}})"},
             {"last_name", "B"}};
  auto req = ParseV3Request(form, "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_TRUE(req->json);
  EXPECT_EQ(req->params["last_name"], "B");
  EXPECT_EQ(req->params["return"], Value::array({"id"}));
  EXPECT_EQ(req->params["options"]["limit"], 2);
  // The JSON's key order comes first.
  EXPECT_EQ(req->params.begin().key(), "last_name");
}

TEST(V3RequestTest, UndecodableJsonIsAnError) {
  auto req = ParseV3Request(Value{{"entity", "Contact"}, {"action", "get"}, {"json", "{nope"}}, "");
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(req.status().message(), "Unable to decode supplied JSON.");
  // A JSON value that is not an object is no parameter set either.
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"action", "get"}, {"json", "{}x"}}, "").ok());
}

TEST(V3RequestTest, JsonOverTheLimitsIsRefusedWithTheLimit) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  auto req = ParseV3Request(Value{{"entity", "Contact"}, {"action", "get"}, {"json", deep}}, "");
  EXPECT_EQ(req.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(req.status().message(), "json nests deeper than 64 levels");

  RequestLimits limits;
  limits.max_multi_calls = 2;
  std::string calls = R"({"a":["Contact","get"],"b":["Contact","get"],"c":["Contact","get"]})";
  auto multi = ParseV3Request(Value{{"entity", "api3"}, {"action", "call"}, {"json", calls}}, "", limits);
  EXPECT_TRUE(IsTooLarge(multi.status())) << multi.status();
  EXPECT_EQ(multi.status().message(), "An api3 request may hold at most 2 calls");
  limits.max_multi_calls = 3;
  EXPECT_TRUE(ParseV3Request(Value{{"entity", "api3"}, {"action", "call"}, {"json", calls}}, "", limits).ok());
}

// Form fields are layered on json= in time linear in their number.
TEST(V3RequestTest, ManyFormFieldsOverJson) {
  Value form = {{"entity", "Contact"}, {"action", "get"}, {"json", R"({"p7":"json","z":1})"}};
  // Appended to the members directly: the test's own operator[] would be quadratic.
  auto& members = static_cast<Value::object_t::Container&>(form.get_ref<Value::object_t&>());
  for (int i = 0; i < 100000; ++i) members.emplace_back("p" + std::to_string(i), "form");
  auto req = ParseV3Request(form, "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->params.size(), 100001u);
  EXPECT_EQ(req->params["p7"], "form");
  EXPECT_EQ(req->params.begin().key(), "p7");
}

TEST(V3RequestTest, JsonFlagFormsAndXmlDefault) {
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"action", "get"}}, "")->json);
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"action", "get"}, {"json", "0"}}, "")->json);
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"action", "get"}, {"json", ""}}, "")->json);
  EXPECT_TRUE(ParseV3Request(Value{{"entity", "C"}, {"action", "get"}, {"json", "{}"}}, "")->json);
}

TEST(V3RequestTest, QPathNamesEntityAndAction) {
  auto req = ParseV3Request(Value{{"q", "civicrm/group_contact/Create"}, {"version", "3"}},
                            "civicrm/group_contact/Create");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->entity, "GroupContact");
  EXPECT_EQ(req->action, "create");
  EXPECT_EQ(req->params, (Value{{"version", "3"}}));
  // entity= wins over q=.
  auto both = ParseV3Request(Value{{"entity", "Email"}, {"action", "get"}}, "civicrm/contact/get");
  EXPECT_EQ(both->entity, "Email");
}

TEST(V3RequestTest, MissingEntityOrActionIsLeftEmpty) {
  auto req = ParseV3Request(Value{{"action", "get"}}, "");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->entity, "");
  EXPECT_EQ(req->action, "get");
}

TEST(V3RequestTest, Api3CarriesSeveralCalls) {
  Value form{{"entity", "api3"},
             {"action", "call"},
             {"json", R"({"one":["Contact","get",{"id":3}],"two":["group_contact","GetCount"]})"}};
  auto req = ParseV3Request(form, "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_TRUE(req->multi);
  ASSERT_EQ(req->calls.size(), 2u);
  EXPECT_EQ(req->calls[0].name, "one");
  EXPECT_EQ(req->calls[0].entity, "Contact");
  EXPECT_EQ(req->calls[0].params, (Value{{"id", 3}}));
  EXPECT_EQ(req->calls[1].entity, "GroupContact");
  EXPECT_EQ(req->calls[1].action, "getcount");
  EXPECT_EQ(req->calls[1].params, Value::object());

  auto list = ParseV3Request(Value{{"entity", "api3"}, {"json", R"([["Email","get"]])"}}, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->calls[0].name, "0");
}

TEST(V3RequestTest, MalformedApi3CallsAreErrors) {
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "api3"}}, "").ok());
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "api3"}, {"json", "1"}}, "").ok());
  auto bad = ParseV3Request(Value{{"entity", "api3"}, {"json", R"({"x":["Contact"]})"}}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid api3 call: x");
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "api3"}, {"json", R"({"x":["C","get",7]})"}}, "").ok());
}

// The transport's members are read as texts whatever their JSON type, and
// the parameters are what is left: none when only transport members came.
TEST(V3RequestTest, TransportMembersOfEveryTypeAndNoParamsBesideThem) {
  Value form{{"entity", "Contact"}, {"action", "get"}, {"json", R"({"id":2})"},
             {"key", "SK"},         {"api_key", 12},   {"q", "civicrm/x/y"}};
  auto req = ParseV3Request(form, "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->params, (Value{{"id", 2}}));
  EXPECT_EQ(req->api_key, "12");
  EXPECT_EQ(req->site_key, "SK");
  EXPECT_FALSE(req->pretty);
  // prettyprint is read and stays a parameter; a number as json= asks for JSON.
  auto pretty = ParseV3Request(
      Value{{"entity", "C"}, {"action", "get"}, {"json", 1}, {"prettyprint", "1"}}, "");
  ASSERT_TRUE(pretty.ok());
  EXPECT_TRUE(pretty->json);
  EXPECT_TRUE(pretty->pretty);
  EXPECT_EQ(pretty->params, (Value{{"prettyprint", "1"}}));
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"json", 0}}, "")->json);
  EXPECT_TRUE(ParseV3Request(Value{{"entity", "C"}, {"json", Value::array({1})}}, "")->json);
  EXPECT_FALSE(ParseV3Request(Value{{"entity", "C"}, {"json", Value::object()}}, "")->json);
  // A structure or null is no text: no entity, no key.
  auto structured = ParseV3Request(Value{{"entity", Value::array({"C"})}, {"key", nullptr}}, "");
  ASSERT_TRUE(structured.ok());
  EXPECT_EQ(structured->entity, "");
  EXPECT_EQ(structured->site_key, "");
  // Each name munged as CiviCRM does, in one pass.
  auto munged = ParseV3Request(Value{{"entity", "_group__contact-"}, {"action", "Get--One"}}, "");
  EXPECT_EQ(munged->entity, "GroupContact");
  EXPECT_EQ(munged->action, "get_one");
}

}  // namespace
}  // namespace kith::wire::v3
