#include "store/id_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace kith::store {
namespace {

TEST(IdSetTest, ConsecutiveIdsAreOneRange) {
  IdSet ids;
  for (int64_t id = 1000; id < 1000000; ++id) ids.insert(id);
  EXPECT_EQ(ids.ranges(), 1u);
  EXPECT_TRUE(ids.contains(1000));
  EXPECT_TRUE(ids.contains(999999));
  EXPECT_FALSE(ids.contains(999));
  EXPECT_FALSE(ids.contains(1000000));
}

TEST(IdSetTest, GapsCloseFromEitherSide) {
  IdSet ids;
  for (int64_t id : {10, 12, 14, 11, 13}) ids.insert(id);
  EXPECT_EQ(ids.ranges(), 1u);
  ids.insert(20);
  ids.insert(19);  // joins the range after it
  EXPECT_EQ(ids.ranges(), 2u);
  EXPECT_TRUE(ids.contains(19));
  EXPECT_FALSE(ids.contains(18));
  ids.insert(16);
  ids.insert(15);
  ids.insert(17);
  ids.insert(18);
  EXPECT_EQ(ids.ranges(), 1u);
  EXPECT_FALSE(ids.contains(9));
  EXPECT_FALSE(ids.contains(21));
}

// Against std::set over random inserts and lookups.
TEST(IdSetTest, AgreesWithAPlainSet) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> pick(-50, 400);
  IdSet ids;
  std::set<int64_t> plain;
  for (int i = 0; i < 5000; ++i) {
    int64_t id = pick(random);
    ids.insert(id);
    plain.insert(id);
    int64_t probe = pick(random);
    ASSERT_EQ(ids.contains(probe), plain.count(probe) > 0) << probe;
  }
  for (int64_t id = -60; id <= 410; ++id) ASSERT_EQ(ids.contains(id), plain.count(id) > 0) << id;
}

}  // namespace
}  // namespace kith::store
