#include "api/action_registry.h"

#include <gtest/gtest.h>

#include <optional>
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

ActionSpec SpecOf(int version, const char* entity, const char* action, const char* description) {
  ActionSpec spec;
  spec.version = version;
  spec.entity = entity;
  spec.action = action;
  spec.description = description;
  return spec;
}

// A thread's last answer is kept: it must be that registry's as it is now,
// not another's with the same names, nor its own from before a registration.
TEST(ActionRegistryTest, TheLastFindIsOnlyKeptForTheSameRegistryAsItIs) {
  ActionRegistry first;
  first.Register(SpecOf(4, "Contact", "get", "first"));
  ActionRegistry second;
  second.Register(SpecOf(4, "Contact", "get", "second"));
  for (int round = 0; round < 2; ++round) {
    ASSERT_NE(first.Find(4, "Contact", "get"), nullptr);
    EXPECT_EQ(first.Find(4, "Contact", "get")->description, "first");
    ASSERT_NE(second.Find(4, "Contact", "get"), nullptr);
    EXPECT_EQ(second.Find(4, "Contact", "get")->description, "second");
  }
  // Not there, then registered: found.
  EXPECT_EQ(first.Find(4, "Contact", "create"), nullptr);
  first.Register(SpecOf(4, "Contact", "create", "added"));
  ASSERT_NE(first.Find(4, "Contact", "create"), nullptr);
  EXPECT_EQ(first.Find(4, "Contact", "create")->description, "added");
  // Each name and the version tell answers apart.
  EXPECT_EQ(first.Find(4, "Contact", "get")->description, "first");
  EXPECT_EQ(first.Find(3, "Contact", "get"), nullptr);
  EXPECT_EQ(first.Find(4, "Contacts", "get"), nullptr);
  EXPECT_EQ(first.Find(4, "Contact", "gets"), nullptr);
  // A registry made where another was (the same address): its own answer.
  std::optional<ActionRegistry> reused;
  reused.emplace();
  reused->Register(SpecOf(4, "Contact", "get", "old"));
  EXPECT_EQ(reused->Find(4, "Contact", "get")->description, "old");
  reused.emplace();
  EXPECT_EQ(reused->Find(4, "Contact", "get"), nullptr);
  reused->Register(SpecOf(4, "Contact", "get", "new"));
  EXPECT_EQ(reused->Find(4, "Contact", "get")->description, "new");
}

}  // namespace
}  // namespace kith::api
