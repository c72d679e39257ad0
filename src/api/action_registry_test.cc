#include "api/action_registry.h"

#include <gtest/gtest.h>

#include <string>

namespace kith::api {
namespace {

TEST(ActionRegistryTest, FindsAnActionByEverySpellingOfItsEntity) {
  ActionRegistry registry;
  for (int version : {4, 3}) {
    ActionSpec spec;
    spec.version = version;
    spec.entity = "ContactType";
    spec.action = "get";
    registry.Register(std::move(spec));
  }
  for (const char* name : {"ContactType", "contact_type", "Contact-Type", "contact type",
                           "CONTACTTYPE", "contacttype"}) {
    const ActionSpec* spec = registry.Find(4, name, "GET");
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->version, 4);
    EXPECT_EQ(spec->entity, "ContactType");
  }
  EXPECT_EQ(registry.Find(4, "Contact", "get"), nullptr);
  EXPECT_EQ(registry.Find(4, "ContactType", "create"), nullptr);
  EXPECT_EQ(registry.Find(2, "ContactType", "get"), nullptr);
}

// Names of any length, and versions of many digits, are keyed apart.
TEST(ActionRegistryTest, LongNamesAndVersions) {
  ActionRegistry registry;
  const std::string entity(100, 'E');
  const std::string action(70, 'a');
  for (int version : {4, -2147483647 - 1, 2147483647}) {
    ActionSpec spec;
    spec.version = version;
    spec.entity = entity;
    spec.action = action;
    registry.Register(std::move(spec));
  }
  for (int version : {4, -2147483647 - 1, 2147483647}) {
    const ActionSpec* spec = registry.Find(version, std::string(100, 'e'), std::string(70, 'A'));
    ASSERT_NE(spec, nullptr) << version;
    EXPECT_EQ(spec->version, version);
  }
  EXPECT_EQ(registry.Find(4, std::string(99, 'e'), action), nullptr);
  EXPECT_EQ(registry.Find(4, entity, std::string(71, 'a')), nullptr);
  EXPECT_EQ(registry.Find(42, entity, action), nullptr);
}

}  // namespace
}  // namespace kith::api
