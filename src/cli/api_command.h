// `kith api ENTITY ACTION [ARG...]`: one APIv4 call, as `cv api4` makes it,
// against a data directory (through the dispatcher the HTTP API uses) or a
// running server (over HTTP).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"

namespace kith::cli {

struct ApiOptions {
  std::string entity;
  std::string action;
  std::vector<std::string> args;  // see ApiParams
  std::string json;               // --json: params as a JSON object
  std::string data_dir;           // local: the data directory
  std::string user;               // local: run as this user (default: as the system, an admin)
  std::string url;                // remote: http://HOST:PORT of a running server
  std::string api_key;            // remote: the caller's api key
  std::string site_key;           // remote: X-Civi-Key, when the user needs it
  std::string format = "json";    // json | table | csv
  bool openapi = false;           // --openapi: print the OpenAPI document instead of a call
};

// The params of the call, from --json (an object) and then each argument
// in order:
//   +s|+select a,b       select (added to)
//   +w|+where 'f OP v'    a where condition (OP: = != < > <= >= LIKE,
//                         NOT LIKE, IN, NOT IN, IS NULL, IS NOT NULL)
//   +o|+orderBy 'f DESC,g' orderBy
//   +l|+limit N[@OFFSET]  limit (and offset)
//   +v|+values f=v        values
//   {...}                 a JSON object merged into the params
//   key=value             an APIv4 param when `key` is one (select, where,
//                         limit, checkPermissions, ...); otherwise a field:
//                         its value for create/update (a record of
//                         `records` for save), an equality condition for
//                         the other actions (and for id on update)
// The +option and its expression may be one argument (+l=10, +l:10). A
// value starting with {, [ or " is JSON. kInvalidArgument naming the
// argument that is none of these.
StatusOr<Value> ApiParams(const std::string& action, const std::vector<std::string>& args,
                          const std::string& json);

// Runs the call and prints its APIv4 envelope (json, what the HTTP API
// answers) or its values (table, csv) on `out`. A failed call prints its
// error envelope on stderr and returns its error.
Status RunApi(const ApiOptions& options, std::ostream& out);

}  // namespace kith::cli
