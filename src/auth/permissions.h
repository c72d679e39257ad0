// Roles and CiviCRM permissions. kith's roles map onto CiviCRM permission
// names (shared/PROTOCOL.md A.10) so that permission errors read as
// CiviCRM's do. Thread-safe (immutable tables).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::auth {

enum class Role { kViewer, kEditor, kAdmin };

std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// True when `role` holds CiviCRM permission `permission` (admin holds all).
bool RoleHasPermission(Role role, std::string_view permission);

}  // namespace kith::auth
