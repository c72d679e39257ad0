// `kith openapi --data DIR`: prints the OpenAPI 3.1 document of APIv4 that
// the server answers at /civicrm/ajax/api4/openapi.json (api/openapi.h), as
// an administrator sees it, extensions' actions included.
#pragma once

#include <iosfwd>
#include <string>

#include "base/status.h"

namespace kith::cli {

struct OpenApiOptions {
  std::string data_dir;
};
Status RunOpenApi(const OpenApiOptions& options, std::ostream& out);

}  // namespace kith::cli
