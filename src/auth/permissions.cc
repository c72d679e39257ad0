#include "auth/permissions.h"

#include <algorithm>
#include <array>

namespace kith::auth {
namespace {

constexpr std::array<std::string_view, 4> kViewer = {
    "access CiviCRM", "view all contacts", "authenticate with api key", "access AJAX API"};

constexpr std::array<std::string_view, 8> kEditorExtra = {
    "add contacts",     "edit all contacts",      "delete contacts",   "edit groups",
    "access deleted contacts", "edit all relationships", "view all relationships",
    "access all custom data"};

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

bool RoleHasPermission(Role role, std::string_view permission) {
  if (role == Role::kAdmin) return true;
  if (std::find(kViewer.begin(), kViewer.end(), permission) != kViewer.end()) return true;
  if (role == Role::kEditor) {
    return std::find(kEditorExtra.begin(), kEditorExtra.end(), permission) != kEditorExtra.end();
  }
  return false;
}

}  // namespace kith::auth
