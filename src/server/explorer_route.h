// The API explorer (/civicrm/api4): a static page, script and stylesheet
// built into the binary (server/embedded_files.h) that call the APIs from
// the browser with the user's api key. Nothing here authenticates: the page
// holds no data, its calls go through the API routes.
#pragma once

#include <string_view>

#include "http/http_message.h"

namespace kith::server {

// Whether `path` is the explorer's: /civicrm/api4 and the files under it.
bool IsExplorerPath(std::string_view path);

// The file `request` names (GET or HEAD), 404 for another, 405 for another method.
http::HttpResponse ExplorerResponse(const http::HttpRequest& request);

}  // namespace kith::server
