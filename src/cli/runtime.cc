#include "cli/runtime.h"

#include "auth/secrets.h"
#include "entities/register_builtins.h"

namespace kith::cli {

store::StoreOptions StoreOptionsOf(const std::string& data_dir, const config::KithConfig& config) {
  store::StoreOptions options;
  options.sqlite_path = config::DatabasePath(data_dir);
  options.database_url = config.database;
  options.pool_size = static_cast<int>(config.database_pool_size);
  options.durable_commits = config.security.durability == "full";
  options.change_log = config.sync.change_log;
  return options;
}

StatusOr<std::unique_ptr<Runtime>> OpenRuntime(const std::string& data_dir) {
  KITH_RETURN_IF_ERROR(auth::InitSecrets());
  auto rt = std::make_unique<Runtime>();
  KITH_ASSIGN_OR_RETURN(rt->config, config::LoadConfig(data_dir));
  KITH_ASSIGN_OR_RETURN(rt->store, store::OpenStore(StoreOptionsOf(data_dir, rt->config)));
  std::vector<auth::RoleTable::Custom> custom_roles;
  for (const config::RoleSetting& role : rt->config.roles) {
    custom_roles.push_back({role.name, role.permissions});
  }
  KITH_ASSIGN_OR_RETURN(auth::RoleTable roles, auth::RoleTable::Make(custom_roles));
  entities::RegisterBuiltins(rt->registry, api::GlobalRules());
  rt->dispatcher = std::make_unique<api::Dispatcher>(*rt->store, rt->registry);
  rt->auth = std::make_unique<auth::Authenticator>(
      *rt->store,
      auth::AuthOptions{
          rt->config.site_key, rt->config.session_idle_seconds,
          auth::ThrottleOptions{
              .failed_logins_per_name = rt->config.security.failed_logins_per_name,
              .failed_credentials_per_address = rt->config.security.failed_credentials_per_address,
              .window_seconds = rt->config.security.throttle_window_seconds},
          std::move(roles)});
  return rt;
}

}  // namespace kith::cli
