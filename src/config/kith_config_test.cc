#include "config/kith_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kith::config {
namespace {

class KithConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-config-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(KithConfigTest, WrittenSettingsReadBack) {
  KithConfig c;
  c.site_key = "0123456789abcdef0123456789abcdef";
  c.session_idle_seconds = 60;
  c.honest_http_status = true;
  c.q_dialect = "v3";
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->site_key, c.site_key);
  EXPECT_EQ(read->session_idle_seconds, 60);
  EXPECT_EQ(read->body_limit_bytes, 8 * 1024 * 1024);
  EXPECT_TRUE(read->honest_http_status);
  EXPECT_EQ(read->q_dialect, "v3");
  EXPECT_EQ(std::filesystem::status(ConfigPath(dir_)).permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

TEST_F(KithConfigTest, OperationsSettingsReadBackAndHaveDefaults) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n";
  auto defaults = LoadConfig(dir_);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->operations.metrics, "loopback");
  EXPECT_EQ(defaults->operations.access_log, "stderr");

  KithConfig c;
  c.site_key = "0123456789abcdef0123456789abcdef";
  c.operations.metrics = "open";
  c.operations.access_log = "/var/log/kith \"a\"\\b.log";
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->operations.metrics, "open");
  EXPECT_EQ(read->operations.access_log, c.operations.access_log);

  for (const char* line : {"metrics = \"public\"", "metrics = open", "access_log = \"\""}) {
    std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n" << line << "\n";
    auto bad = LoadConfig(dir_);
    ASSERT_FALSE(bad.ok()) << line;
    EXPECT_NE(std::string(bad.status().message()).find("line 2: bad value"), std::string::npos);
  }
}

TEST_F(KithConfigTest, QDialectIsThreeTwoOrV3) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\nq_dialect = \"v4\"\n";
  auto read = LoadConfig(dir_);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(std::string(read.status().message()).find("bad value for q_dialect"), std::string::npos);
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n";
  EXPECT_EQ(LoadConfig(dir_)->q_dialect, "3.2");
}

TEST_F(KithConfigTest, BadLinesNameTheirNumber) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\nthreads = 4\n";
  auto read = LoadConfig(dir_);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(std::string(read.status().message()).find("line 2"), std::string::npos);
}

TEST_F(KithConfigTest, LimitsReadBackAndHaveDefaults) {
  KithConfig c;
  c.site_key = "0123456789abcdef0123456789abcdef";
  c.limits.max_chain_depth = 3;
  c.max_connections = 20;
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->limits.max_chain_depth, 3);
  EXPECT_EQ(read->max_connections, 20);
  EXPECT_EQ(read->limits.max_sub_calls, RequestLimits().max_sub_calls);

  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\nmax_rows = 0\n";
  auto zero = LoadConfig(dir_);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(std::string(zero.status().message()).find("bad value for max_rows"), std::string::npos);
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\nmax_where_conditions = 7\n";
  EXPECT_EQ(LoadConfig(dir_)->limits.max_where_conditions, 7);
}

TEST_F(KithConfigTest, SecuritySettingsHaveSafeDefaultsAndReadBack) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n";
  SecuritySettings defaults = LoadConfig(dir_)->security;
  EXPECT_EQ(defaults.failed_logins_per_name, 10);
  EXPECT_EQ(defaults.failed_credentials_per_address, 100);
  EXPECT_EQ(defaults.throttle_window_seconds, 60);
  EXPECT_EQ(defaults.durability, "full");
  EXPECT_TRUE(defaults.cors_origins.empty());

  KithConfig c;
  c.site_key = "0123456789abcdef";
  c.security.password_queue = 3;
  c.security.durability = "normal";
  c.security.cors_origins = {"https://www.example.org", "http://a\"b\\c"};
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->security.password_queue, 3);
  EXPECT_EQ(read->security.durability, "normal");
  EXPECT_EQ(read->security.cors_origins, c.security.cors_origins);
}

TEST_F(KithConfigTest, CorsOriginsIsAOneLineStringArray) {
  auto origins = [&](const std::string& value) -> StatusOr<std::vector<std::string>> {
    std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\ncors_origins = " << value << "\n";
    auto read = LoadConfig(dir_);
    if (!read.ok()) return read.status();
    return read->security.cors_origins;
  };
  EXPECT_EQ(*origins("[]"), std::vector<std::string>{});
  EXPECT_EQ(*origins(R"([ "https://a.org" ,"https://b.org:8443", ])"),
            (std::vector<std::string>{"https://a.org", "https://b.org:8443"}));
  for (const char* bad : {R"("https://a.org")", R"(["https://a.org")", R"(["a" "b"])",
                          R"([https://a.org])", R"(["a\x"])", "[", R"(["a",,])"}) {
    auto read = origins(bad);
    ASSERT_FALSE(read.ok()) << bad;
    EXPECT_NE(std::string(read.status().message()).find("bad value for cors_origins"),
              std::string::npos);
  }
}

TEST_F(KithConfigTest, DurabilityIsFullOrNormalAndLimitsArePositive) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\ndurability = \"off\"\n";
  EXPECT_FALSE(LoadConfig(dir_).ok());
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\nfailed_logins_per_name = 0\n";
  EXPECT_FALSE(LoadConfig(dir_).ok());
}

TEST_F(KithConfigTest, ChangeLogSettingsHaveDefaultsAndReadBack) {
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n";
  SyncSettings defaults = LoadConfig(dir_)->sync;
  EXPECT_TRUE(defaults.change_log);
  EXPECT_EQ(defaults.change_log_retention_days, 0);  // keep everything
  EXPECT_EQ(defaults.webhook_concurrency, 4);

  KithConfig c;
  c.site_key = "0123456789abcdef";
  c.sync.change_log = false;
  c.sync.change_log_retention_days = 30;
  c.sync.webhook_timeout_seconds = 3;
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->sync.change_log);
  EXPECT_EQ(read->sync.change_log_retention_days, 30);
  EXPECT_EQ(read->sync.webhook_timeout_seconds, 3);

  for (const char* bad : {"change_log = 1", "change_log_retention_days = -1",
                          "webhook_concurrency = 0"}) {
    std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n" << bad << "\n";
    EXPECT_FALSE(LoadConfig(dir_).ok()) << bad;
  }
}

TEST_F(KithConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfig(dir_ + "/nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KithConfigTest, TlsProxiesAndRolesReadBack) {
  KithConfig c;
  c.site_key = "0123456789abcdef0123456789abcdef";
  c.security.tls_cert = "/etc/kith/cert.pem";
  c.security.tls_key = "/etc/kith/key.pem";
  c.security.require_secure_credentials = false;
  c.security.trusted_proxies = {"10.0.0.1", "10.1.0.0/16"};
  c.roles = {{"fundraiser", {"access CiviCRM", "edit all contacts"}}, {"auditor", {}}};
  ASSERT_TRUE(WriteConfig(dir_, c).ok());
  auto read = LoadConfig(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->security.tls_cert, "/etc/kith/cert.pem");
  EXPECT_EQ(read->security.tls_key, "/etc/kith/key.pem");
  EXPECT_FALSE(read->security.require_secure_credentials);
  EXPECT_EQ(read->security.trusted_proxies, c.security.trusted_proxies);
  ASSERT_EQ(read->roles.size(), 2u);
  EXPECT_EQ(read->roles[0].name, "fundraiser");
  EXPECT_EQ(read->roles[0].permissions, c.roles[0].permissions);
  EXPECT_EQ(read->roles[1].name, "auditor");
  EXPECT_TRUE(read->roles[1].permissions.empty());
  // Defaults: credentials need HTTPS off loopback, no proxy trusted, no TLS.
  std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n";
  auto defaults = LoadConfig(dir_);
  EXPECT_TRUE(defaults->security.require_secure_credentials);
  EXPECT_TRUE(defaults->security.trusted_proxies.empty());
  EXPECT_TRUE(defaults->security.tls_cert.empty());
  EXPECT_TRUE(defaults->roles.empty());
}

TEST_F(KithConfigTest, RoleSectionsAreChecked) {
  auto error_of = [&](const std::string& text) {
    std::ofstream(ConfigPath(dir_)) << "site_key = \"0123456789\"\n" << text;
    auto read = LoadConfig(dir_);
    return read.ok() ? std::string() : std::string(read.status().message());
  };
  EXPECT_NE(error_of("[roles.Big Boss]\n").find("line 2: expected [roles.NAME]"), std::string::npos);
  EXPECT_NE(error_of("[server]\n").find("expected [roles.NAME]"), std::string::npos);
  EXPECT_NE(error_of("[roles.a]\n[roles.a]\n").find("defined twice"), std::string::npos);
  EXPECT_NE(error_of("[roles.a]\nsite_key = \"x\"\n").find("line 3: a role takes permissions"),
            std::string::npos);
  EXPECT_NE(error_of("[roles.a]\npermissions = \"x\"\n").find("a role takes permissions"),
            std::string::npos);
  EXPECT_EQ(error_of("[roles.a]\npermissions = [\"access CiviCRM\"]\n"), "");
}

}  // namespace
}  // namespace kith::config
