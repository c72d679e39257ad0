#include "base/error_details.h"

#include <gtest/gtest.h>

namespace kith {
namespace {

TEST(ErrorDetailsTest, RoundTripsDetailsInOrder) {
  Value details = Value::object();
  details["fields"] = Value::array({"contact_type"});
  details["error_code"] = "mandatory_missing";
  Status s = InvalidArgument("Mandatory key(s) missing", details);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorDetails(s).dump(),
            R"({"fields":["contact_type"],"error_code":"mandatory_missing"})");
}

TEST(ErrorDetailsTest, NoDetailsIsEmptyObject) {
  EXPECT_TRUE(ErrorDetails(NotFound("x")).empty());
  EXPECT_TRUE(ErrorDetails(Status()).empty());
}

}  // namespace
}  // namespace kith
