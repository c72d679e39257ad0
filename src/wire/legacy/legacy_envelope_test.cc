#include "wire/legacy/legacy_envelope.h"

#include <gtest/gtest.h>

#include "base/error_details.h"

namespace kith::wire::legacy {
namespace {

TEST(LegacyEnvelopeTest, ScalarsAreWrapped) {
  EXPECT_EQ(NormalizeLegacyResult(Value(7)).dump(), R"({"is_error":0,"result":7})");
}

TEST(LegacyEnvelopeTest, FlatResultsGetIsError) {
  Value r{{"contact_id", 4}};
  EXPECT_EQ(NormalizeLegacyResult(r).dump(), R"({"contact_id":4,"is_error":0})");
}

TEST(LegacyEnvelopeTest, ContactListBecomesJsonArrayWithNewlines) {
  Value rows{{"4", {{"contact_id", "4"}}}, {"5", {{"contact_id", "5"}}}};
  EXPECT_EQ(RenderLegacyJson(NormalizeLegacyResult(rows)),
            "[{\"contact_id\":\"4\"}\n,{\"contact_id\":\"5\"}]");
}

TEST(LegacyEnvelopeTest, XmlHasOneResultPerContactAndEscapes) {
  Value rows{{"4", {{"contact_id", "4"}, {"display_name", "Tom & \"Jerry\" <x>"}}}};
  std::string xml = RenderLegacyXml(NormalizeLegacyResult(rows));
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\"?>\n<ResultSet "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<Result>\n"
            "    <contact_id>4</contact_id>\n"
            "    <display_name>Tom &amp; &quot;Jerry&quot; &lt;x&gt;</display_name>\n"
            "</Result>\n</ResultSet>\n");
}

TEST(LegacyEnvelopeTest, ErrorsCarryErrorData) {
  Status s = AlreadyExists("Found matching contacts: 3,7", {{"error_data", "3,7"}});
  EXPECT_EQ(LegacyErrorBody(s).dump(),
            R"({"is_error":1,"error_message":"Found matching contacts: 3,7","error_data":"3,7"})");
  EXPECT_EQ(LegacyRestError("x").dump(), R"({"error_message":"x","is_error":1})");
}

}  // namespace
}  // namespace kith::wire::legacy
