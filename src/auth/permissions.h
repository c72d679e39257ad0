// Roles and CiviCRM permissions. A role is a set of CiviCRM permission names
// (shared/PROTOCOL.md A.10), so that permission errors read as CiviCRM's do:
// the three built-in roles (viewer, editor, admin) and those kith.toml
// defines ([roles.NAME] permissions = [...]). Thread-safe (immutable).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kith::auth {

// The built-in roles.
enum class Role { kViewer, kEditor, kAdmin };

std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// One role: its name and the permissions it holds.
class RoleDefinition {
 public:
  // `all`: holds every permission (admin).
  RoleDefinition(std::string name, std::vector<std::string> permissions, bool all = false);

  const std::string& name() const { return name_; }
  // Sorted, without repeats; empty for a role holding all.
  const std::vector<std::string>& permissions() const { return permissions_; }
  bool holds_all() const { return all_; }
  bool Has(std::string_view permission) const;

 private:
  std::string name_;
  std::vector<std::string> permissions_;
  bool all_;
};

using RolePtr = std::shared_ptr<const RoleDefinition>;

// The role a built-in name stands for (never null).
const RolePtr& BuiltinRole(Role role);

// True when `role` holds CiviCRM permission `permission` (admin holds all).
bool RoleHasPermission(Role role, std::string_view permission);

// Every role a server knows: the built-ins and kith.toml's.
class RoleTable {
 public:
  struct Custom {
    std::string name;
    std::vector<std::string> permissions;
  };
  // The built-ins only.
  RoleTable();
  // kInvalidArgument for a custom role named as a built-in, or twice, or
  // with an empty permission name.
  static StatusOr<RoleTable> Make(const std::vector<Custom>& custom);

  // The role named `name`, or null.
  RolePtr Find(std::string_view name) const;
  // Every role: the built-ins first, then kith.toml's in its order.
  const std::vector<RolePtr>& All() const { return roles_; }
  // "admin, editor, viewer, ..." for messages.
  std::string Names() const;

 private:
  std::vector<RolePtr> roles_;
};

}  // namespace kith::auth
