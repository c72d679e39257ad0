#include "entities/contact_greetings.h"

#include <gtest/gtest.h>

namespace kith::entities {
namespace {

constexpr char kAddressee[] =
    "{contact.prefix_id:label}{ }{contact.first_name}{ }{contact.middle_name}{ }"
    "{contact.last_name}{ }{contact.suffix_id:label}";

TEST(FillGreetingTest, TokensAndLiterals) {
  Value dan{{"first_name", "Dan"}, {"last_name", "Del"}, {"middle_name", nullptr}};
  EXPECT_EQ(FillGreeting("Dear {contact.first_name}", dan, "", ""), "Dear Dan");
  EXPECT_EQ(FillGreeting("Dear {contact.prefix_id:label} {contact.last_name}", dan, "Dr.", ""),
            "Dear Dr. Del");
  // An empty token leaves no double space.
  EXPECT_EQ(FillGreeting("Dear {contact.prefix_id:label} {contact.last_name}", dan, "", ""),
            "Dear Del");
  EXPECT_EQ(FillGreeting("{contact.household_name}", Value{{"household_name", "The Hoppers"}}, "", ""),
            "The Hoppers");
}

TEST(FillGreetingTest, SeparatorsVanishWithEmptyNeighbours) {
  Value dan{{"first_name", "Dan"}, {"last_name", "Del"}};
  EXPECT_EQ(FillGreeting(kAddressee, dan, "", ""), "Dan Del");
  Value full{{"first_name", "Grace"}, {"middle_name", "B"}, {"last_name", "Hopper"}};
  EXPECT_EQ(FillGreeting(kAddressee, full, "Dr.", "II"), "Dr. Grace B Hopper II");
  EXPECT_EQ(FillGreeting(kAddressee, Value::object(), "", ""), "");
}

}  // namespace
}  // namespace kith::entities
