#include "wire/v2/v2_envelope.h"

#include <gtest/gtest.h>

#include "base/error_details.h"

namespace kith::wire::v2 {
namespace {

TEST(V2EnvelopeTest, ScalarsAreWrapped) {
  EXPECT_EQ(NormalizeV2Result(Value(7)).dump(), R"({"is_error":0,"result":7})");
}

TEST(V2EnvelopeTest, FlatResultsGetIsError) {
  Value r{{"contact_id", 4}};
  EXPECT_EQ(NormalizeV2Result(r).dump(), R"({"contact_id":4,"is_error":0})");
}

TEST(V2EnvelopeTest, ContactListBecomesJsonArrayWithNewlines) {
  Value rows{{"4", {{"contact_id", "4"}}}, {"5", {{"contact_id", "5"}}}};
  EXPECT_EQ(RenderV2Json(NormalizeV2Result(rows)),
            "[{\"contact_id\":\"4\"}\n,{\"contact_id\":\"5\"}]");
}

TEST(V2EnvelopeTest, NewlinesOnlyBetweenRowsNotInsideStrings) {
  Value rows{{"4", {{"note", "a,{b"}, {"x", {{"y", 1}}}}}, {"5", {{"q", "\"{,{"}}}};
  EXPECT_EQ(RenderV2Json(NormalizeV2Result(rows)),
            "[{\"note\":\"a,{b\",\"x\":{\"y\":1}}\n,{\"q\":\"\\\"{,{\"}]");
  // Keys that are not all integers keep the object.
  Value keyed{{"4", {{"a", 1}}}, {"b", {{"c", 2}}}};
  EXPECT_EQ(RenderV2Json(NormalizeV2Result(keyed)), "{\"4\":{\"a\":1},\"b\":{\"c\":2}}");
}

TEST(V2EnvelopeTest, XmlHasOneResultPerContactAndEscapes) {
  Value rows{{"4", {{"contact_id", "4"}, {"display_name", "Tom & \"Jerry\" <x>"}}}};
  std::string xml = RenderV2Xml(NormalizeV2Result(rows));
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\"?>\n<ResultSet "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<Result>\n"
            "    <contact_id>4</contact_id>\n"
            "    <display_name>Tom &amp; &quot;Jerry&quot; &lt;x&gt;</display_name>\n"
            "</Result>\n</ResultSet>\n");
}

TEST(V2EnvelopeTest, ErrorsCarryErrorData) {
  Status s = AlreadyExists("Found matching contacts: 3,7", {{"error_data", "3,7"}});
  EXPECT_EQ(V2ErrorBody(s).dump(),
            R"({"is_error":1,"error_message":"Found matching contacts: 3,7","error_data":"3,7"})");
  EXPECT_EQ(V2RestError("x").dump(), R"({"error_message":"x","is_error":1})");
}

}  // namespace
}  // namespace kith::wire::v2
