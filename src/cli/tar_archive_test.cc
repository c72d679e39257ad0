#include "cli/tar_archive.h"

#include <gtest/gtest.h>

#include <sstream>

namespace kith::cli {
namespace {

std::string Archive(const std::vector<std::pair<std::string, std::string>>& files) {
  std::ostringstream out;
  TarWriter tar(out);
  EXPECT_TRUE(tar.AddDirectory("extensions").ok());
  for (const auto& [name, content] : files) EXPECT_TRUE(tar.AddFile(name, content).ok());
  EXPECT_TRUE(tar.Finish().ok());
  return out.str();
}

TEST(TarArchiveTest, FilesAndDirectoriesReadBack) {
  std::string long_name = std::string(120, 'd') + "/" + std::string(90, 'f') + ".lua";
  std::string big(70000, 'x');
  std::string archive = Archive({{"KITH-BACKUP", "{}\n"}, {"extensions/a.lua", "return 1\n"},
                                 {long_name, big}, {"empty", ""}});
  EXPECT_EQ(archive.size() % 512, 0u);
  std::istringstream in(archive);
  TarReader tar(in);
  TarEntry e;
  std::vector<std::pair<std::string, std::string>> read;
  for (;;) {
    auto more = tar.Next(e);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    std::string content;
    if (!e.directory) {
      ASSERT_TRUE(tar.ReadContent(content).ok());
    }
    read.emplace_back(e.directory ? e.name + "/" : e.name, content);
  }
  ASSERT_EQ(read.size(), 5u);
  EXPECT_EQ(read[0].first, "extensions/");
  EXPECT_EQ(read[1], (std::pair<std::string, std::string>{"KITH-BACKUP", "{}\n"}));
  EXPECT_EQ(read[2].second, "return 1\n");
  EXPECT_EQ(read[3].first, long_name);
  EXPECT_EQ(read[3].second, big);
  EXPECT_EQ(read[4].second, "");
}

TEST(TarArchiveTest, UnreadContentIsSkipped) {
  std::istringstream in(Archive({{"a", std::string(1000, 'a')}, {"b", "bee"}}));
  TarReader tar(in);
  TarEntry e;
  ASSERT_TRUE(*tar.Next(e));  // extensions/
  ASSERT_TRUE(*tar.Next(e));  // a, not read
  ASSERT_TRUE(*tar.Next(e));
  EXPECT_EQ(e.name, "b");
  std::string content;
  ASSERT_TRUE(tar.ReadContent(content).ok());
  EXPECT_EQ(content, "bee");
  EXPECT_FALSE(*tar.Next(e));
}

TEST(TarArchiveTest, DamageAndUnsafeNamesAreRefused) {
  std::string archive = Archive({{"a", "content"}});
  {
    // Cut inside the content of "a": its header reads, the next one does not.
    std::istringstream in(archive.substr(0, archive.size() - 1024 - 100));
    TarReader tar(in);
    TarEntry e;
    ASSERT_TRUE(*tar.Next(e));
    ASSERT_TRUE(*tar.Next(e));
    EXPECT_EQ(e.name, "a");
    auto next = tar.Next(e);
    EXPECT_EQ(next.status().code(), absl::StatusCode::kDataLoss);
  }
  {
    std::string damaged = archive;
    damaged[3] = 'X';  // in the first header's name: its checksum no longer matches
    std::istringstream in(damaged);
    TarReader tar(in);
    TarEntry e;
    EXPECT_EQ(tar.Next(e).status().code(), absl::StatusCode::kDataLoss);
  }
  for (const char* name : {"../evil", "/etc/passwd", "a/../../b"}) {
    std::ostringstream out;
    TarWriter writer(out);
    ASSERT_TRUE(writer.AddFile(name, "x").ok());
    ASSERT_TRUE(writer.Finish().ok());
    std::istringstream in(out.str());
    TarReader tar(in);
    TarEntry e;
    auto next = tar.Next(e);
    EXPECT_EQ(next.status().code(), absl::StatusCode::kDataLoss) << name;
  }
}

}  // namespace
}  // namespace kith::cli
