// Caller: who is making an API call, as established by auth. Passed by
// const reference through the API core; cheap to copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/permissions.h"

namespace kith::auth {

struct Caller {
  int64_t user_id = 0;     // 0 for the system (CLI, migrations)
  int64_t contact_id = 0;  // the user's own contact ("user_contact_id")
  std::string user_name;
  RolePtr role = BuiltinRole(Role::kViewer);  // never null
  bool system = false;     // bypasses permission checks (CLI only)
  std::string session_id;  // set when authenticated through a session
  // No user at all (an APIv4 browser call without a session): holds no
  // permission.
  bool anonymous = false;

  bool Has(std::string_view permission) const {
    if (anonymous) return false;
    return system || role->Has(permission);
  }

  static Caller Anonymous() {
    Caller c;
    c.anonymous = true;
    c.user_name = "anonymous";
    return c;
  }

  static Caller System() {
    Caller c;
    c.system = true;
    c.role = BuiltinRole(Role::kAdmin);
    c.user_name = "system";
    return c;
  }
};

}  // namespace kith::auth
