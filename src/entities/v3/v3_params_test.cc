#include "entities/v3/v3_params.h"

#include <gtest/gtest.h>

#include "base/error_details.h"

namespace kith::entities::v3 {
namespace {

TEST(V3ParamsTest, TruthyFollowsPhp) {
  for (const Value& yes : {Value(1), Value("1"), Value(true), Value("yes"), Value(Value::array({1}))}) {
    EXPECT_TRUE(Truthy(yes)) << yes.dump();
  }
  for (const Value& no : {Value(0), Value("0"), Value(""), Value(false), Value(), Value("false")}) {
    EXPECT_FALSE(Truthy(no)) << no.dump();
  }
}

TEST(V3ParamsTest, MetaParamsAreNotFields) {
  for (const char* key : {"sequential", "options", "return", "return.first_name", "return_first_name",
                          "option.limit", "option_limit", "debug", "version", "prettyprint"}) {
    EXPECT_TRUE(IsMetaParam(key, Value("1"))) << key;
  }
  // Fields that merely start like a meta parameter.
  EXPECT_FALSE(IsMetaParam("option_group_id", Value("3")));
  EXPECT_FALSE(IsMetaParam("last_name", Value("x")));
  // api.* is a chain only with an object, a list or the number 1.
  EXPECT_TRUE(IsMetaParam("api.Email.create", Value::object()));
  EXPECT_FALSE(IsMetaParam("api.Email.create", Value("1")));  // a form string is no call
  EXPECT_TRUE(IsMetaParam("api_key", Value("k")));  // transport, not a chain
  EXPECT_FALSE(ParseChainKey("api_key", Value("k")).has_value());
}

TEST(V3ParamsTest, ChainKeys) {
  auto dotted = ParseChainKey("api.Email.create", Value::object());
  ASSERT_TRUE(dotted.has_value());
  EXPECT_EQ(dotted->entity, "Email");
  EXPECT_EQ(dotted->action, "create");
  auto mangled = ParseChainKey("api_Email_get", Value::array());
  ASSERT_TRUE(mangled.has_value());
  EXPECT_EQ(mangled->entity, "Email");
  EXPECT_EQ(mangled->action, "get");
  auto numbered = ParseChainKey("api.website.create.2", Value(1));
  ASSERT_TRUE(numbered.has_value());
  EXPECT_EQ(numbered->action, "create");
  auto no_action = ParseChainKey("api.Phone", Value::object());
  ASSERT_TRUE(no_action.has_value());
  EXPECT_EQ(no_action->action, "");
  EXPECT_FALSE(ParseChainKey("api.Email.create", Value("1")).has_value());  // a form string
  EXPECT_FALSE(ParseChainKey("api.has_parent", Value(1)).has_value());
  EXPECT_FALSE(ParseChainKey("apiXEmail", Value::object()).has_value());
}

TEST(V3ParamsTest, ReturnInEveryForm) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ReturnFields(Value{{"return", "a, b,,c"}}), (V{"a", "b", "c"}));
  EXPECT_EQ(ReturnFields(Value{{"return", {"a", "b"}}}), (V{"a", "b"}));
  EXPECT_EQ(ReturnFields(Value{{"return", {{"0", "a"}, {"1", "b"}}}}), (V{"a", "b"}));
  EXPECT_EQ(ReturnFields(Value{{"return", {{"a", "1"}, {"b", "0"}, {"c", 1}}}}), (V{"a", "c"}));
  EXPECT_EQ(ReturnFields(Value{{"return.a", 1}, {"return.b", "0"}, {"return", "c,a"}}), (V{"c", "a"}));
  EXPECT_TRUE(ReturnFields(Value{{"return_a", 1}}).empty());
}

TEST(V3ParamsTest, OptionsAndTheirSpellings) {
  auto defaults = ParseOptions(Value::object());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limit, 25);
  EXPECT_EQ(defaults->offset, 0);
  auto nested = ParseOptions(Value{{"options", {{"limit", "2"}, {"offset", 4}, {"sort", "id DESC"}}}});
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->limit, 2);
  EXPECT_EQ(nested->offset, 4);
  EXPECT_EQ(nested->sort, "id DESC");
  auto older = ParseOptions(Value{{"option_limit", "0"}, {"rowCount", "9"}, {"sort", {"a", "b DESC"}}});
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->limit, 0);
  EXPECT_EQ(older->sort, "a,b DESC");
  auto match = ParseOptions(Value{{"options", {{"match-mandatory", "external_identifier"}}}});
  ASSERT_TRUE(match.ok());
  EXPECT_EQ(match->match, std::vector<std::string>{"external_identifier"});
  EXPECT_TRUE(match->match_mandatory);
  for (const char* bad : {"-1", "ten", "1.5"}) {
    auto r = ParseOptions(Value{{"options", {{"limit", bad}}}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(V3ParamsTest, SortIsCheckedAgainstKnownFields) {
  SortResolver resolve = [](const std::string& key) -> std::optional<std::string> {
    if (key == "last_name" || key == "id") return key;
    if (key == "email") return std::string("email_primary.email");
    return std::nullopt;
  };
  auto order = ParseSort("last_name DESC, email,id asc", resolve);
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(order->size(), 3u);
  EXPECT_EQ((*order)[0].field, "last_name");
  EXPECT_TRUE((*order)[0].descending);
  EXPECT_EQ((*order)[1].field, "email_primary.email");
  EXPECT_FALSE((*order)[2].descending);
  EXPECT_TRUE(ParseSort("", resolve)->empty());

  auto unknown = ParseSort("nope", resolve);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "Unknown field specified for sort. Cannot order by 'nope'");
  EXPECT_EQ(ParseSort("last_name sideways", resolve).status().message(),
            "Unknown field specified for sort. Cannot order by 'last_name sideways'");
  EXPECT_EQ(ParseSort("id; DROP TABLE x", resolve).status().message(),
            "Unknown field specified for sort. Cannot order by 'id; DROP TABLE x'");
  EXPECT_EQ(ParseSort("(select 1)", resolve).status().message(), "invalid string in sort options");
}

TEST(V3ParamsTest, SnakeCase) {
  EXPECT_EQ(SnakeCase("GroupContact"), "group_contact");
  EXPECT_EQ(SnakeCase("Contact"), "contact");
  EXPECT_EQ(SnakeCase("RelationshipType"), "relationship_type");
}

}  // namespace
}  // namespace kith::entities::v3
