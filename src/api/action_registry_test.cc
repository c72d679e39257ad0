#include "api/action_registry.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kith::api
