#include "auth/permissions.h"

#include <algorithm>

#include "base/error_details.h"

namespace kith::auth {
namespace {

std::vector<std::string> ViewerPermissions() {
  return {"access CiviCRM", "view all contacts", "authenticate with api key", "access AJAX API"};
}

std::vector<std::string> EditorPermissions() {
  std::vector<std::string> p = ViewerPermissions();
  for (const char* extra :
       {"add contacts", "edit all contacts", "delete contacts", "edit groups",
        "access deleted contacts", "edit all relationships", "view all relationships",
        "access all custom data"}) {
    p.emplace_back(extra);
  }
  return p;
}

}  // namespace

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "editor") return Role::kEditor;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kEditor: return "editor";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

RoleDefinition::RoleDefinition(std::string name, std::vector<std::string> permissions, bool all)
    : name_(std::move(name)), permissions_(std::move(permissions)), all_(all) {
  if (all_) permissions_.clear();
  std::sort(permissions_.begin(), permissions_.end());
  permissions_.erase(std::unique(permissions_.begin(), permissions_.end()), permissions_.end());
}

bool RoleDefinition::Has(std::string_view permission) const {
  return all_ || std::binary_search(permissions_.begin(), permissions_.end(), permission);
}

const RolePtr& BuiltinRole(Role role) {
  static const RolePtr viewer = std::make_shared<RoleDefinition>("viewer", ViewerPermissions());
  static const RolePtr editor = std::make_shared<RoleDefinition>("editor", EditorPermissions());
  static const RolePtr admin =
      std::make_shared<RoleDefinition>("admin", std::vector<std::string>{}, true);
  switch (role) {
    case Role::kEditor: return editor;
    case Role::kAdmin: return admin;
    case Role::kViewer: break;
  }
  return viewer;
}

bool RoleHasPermission(Role role, std::string_view permission) {
  return BuiltinRole(role)->Has(permission);
}

RoleTable::RoleTable()
    : roles_{BuiltinRole(Role::kViewer), BuiltinRole(Role::kEditor), BuiltinRole(Role::kAdmin)} {}

StatusOr<RoleTable> RoleTable::Make(const std::vector<Custom>& custom) {
  RoleTable table;
  for (const Custom& role : custom) {
    if (table.Find(role.name) != nullptr) {
      return InvalidArgument("role " + role.name + " is defined twice (viewer, editor and admin " +
                             "are built in)");
    }
    for (const std::string& p : role.permissions) {
      if (p.empty()) return InvalidArgument("role " + role.name + " names an empty permission");
    }
    table.roles_.push_back(std::make_shared<RoleDefinition>(role.name, role.permissions));
  }
  return table;
}

RolePtr RoleTable::Find(std::string_view name) const {
  for (const RolePtr& role : roles_) {
    if (role->name() == name) return role;
  }
  return nullptr;
}

std::string RoleTable::Names() const {
  std::string names;
  for (const RolePtr& role : roles_) names += (names.empty() ? "" : ", ") + role->name();
  return names;
}

}  // namespace kith::auth
