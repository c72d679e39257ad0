#include "cli/api_command.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "api/action_registry.h"
#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"
#include "cli/csv_writer.h"
#include "cli/http_client.h"
#include "cli/openapi_command.h"
#include "cli/runtime.h"
#include "wire/common/json_writer.h"
#include "wire/v4/v4_envelope.h"

namespace kith::cli {
namespace {

constexpr int64_t kMaxDepth = 64;
constexpr int64_t kMaxMembers = 1'000'000;

// The APIv4 params a key=value argument sets as such (any other key is a field).
const std::set<std::string>& ParamNames() {
  static const std::set<std::string> names = {
      "select",  "where",    "orderBy",  "limit",     "offset",       "values",
      "records", "defaults", "match",    "reload",    "useTrash",     "checkPermissions",
      "join",    "groupBy",  "having",   "chain",     "language",     "loadOptions",
      "action",  "debug",    "fields",   "includeCustom", "addDefault"};
  return names;
}

StatusOr<Value> Json(std::string_view text, std::string_view what) {
  return ParseJson(text, what, kMaxDepth, kMaxMembers);
}

// A value as cv api4 reads it: JSON when it starts like JSON, else text.
StatusOr<Value> ValueExpr(std::string_view text, std::string_view what) {
  if (!text.empty() && (text[0] == '{' || text[0] == '[' || text[0] == '"')) return Json(text, what);
  return Value(std::string(text));
}

// A param's value: JSON when it is JSON (limit=10, useTrash=false), else text.
Value ParamValue(std::string_view text) {
  auto parsed = Json(text, "value");
  return parsed.ok() ? *std::move(parsed) : Value(std::string(text));
}

Status AddWhere(Value& params, std::string_view expr) {
  static const std::regex kWhere(
      R"(^([A-Za-z0-9_.:]+)\s*(<=|>=|!=|=|<|>|IS NOT NULL|IS NULL|NOT LIKE|LIKE|NOT IN|IN)\s*(.*)$)",
      std::regex::icase);
  std::cmatch m;
  std::string text(TrimAscii(expr));
  if (!std::regex_match(text.c_str(), m, kWhere)) {
    return InvalidArgument("cannot read +where '" + std::string(expr) +
                           "': it takes FIELD OP VALUE, e.g. 'last_name = Smith'");
  }
  Value condition = Value::array({m[1].str(), absl::AsciiStrToUpper(m[2].str())});
  std::string rest(TrimAscii(m[3].str()));
  if (!rest.empty()) {
    KITH_ASSIGN_OR_RETURN(Value v, ValueExpr(rest, "+where"));
    condition.push_back(std::move(v));
  }
  if (!params.contains("where")) params["where"] = Value::array();
  params["where"].push_back(std::move(condition));
  return Status();
}

Status ApplyOption(Value& params, std::string name, std::string_view expr) {
  static const std::map<std::string, std::string> kAliases = {
      {"s", "select"}, {"w", "where"}, {"o", "orderBy"}, {"l", "limit"}, {"v", "values"}, {"value", "values"}};
  if (auto it = kAliases.find(name); it != kAliases.end()) name = it->second;
  if (name == "select") {
    if (!params.contains("select")) params["select"] = Value::array();
    for (std::string_view f : Split(expr, ',', true)) params["select"].push_back(std::string(TrimAscii(f)));
  } else if (name == "where") {
    return AddWhere(params, expr);
  } else if (name == "orderBy") {
    if (!params.contains("orderBy")) params["orderBy"] = Value::object();
    for (std::string_view pair : Split(expr, ',', true)) {
      std::vector<std::string_view> words = Split(TrimAscii(pair), ' ', true);
      if (words.empty()) continue;
      params["orderBy"][std::string(words[0])] =
          words.size() > 1 ? absl::AsciiStrToUpper(std::string(words[1])) : std::string("ASC");
    }
  } else if (name == "limit") {
    size_t at = expr.find('@');
    auto limit = ParseInt64(TrimAscii(expr.substr(0, at)));
    auto offset = at == std::string_view::npos ? std::optional<int64_t>(0)
                                               : ParseInt64(TrimAscii(expr.substr(at + 1)));
    if (!limit || !offset) return InvalidArgument("+limit takes N or N@OFFSET, not " + std::string(expr));
    params["limit"] = *limit;
    if (at != std::string_view::npos) params["offset"] = *offset;
  } else if (name == "values") {
    size_t eq = expr.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument("+values takes FIELD=VALUE, not " + std::string(expr));
    }
    KITH_ASSIGN_OR_RETURN(Value v, ValueExpr(TrimAscii(expr.substr(eq + 1)), "+values"));
    params["values"][std::string(TrimAscii(expr.substr(0, eq)))] = std::move(v);
  } else {
    return InvalidArgument("unknown option +" + name + " (+select, +where, +orderBy, +limit, +values)");
  }
  return Status();
}

// field=value outside the known params: a value to write, or a condition.
Status ApplyField(Value& params, const std::string& action, const std::string& field, Value value) {
  std::string a = AsciiLower(action);
  bool id_of_update = a == "update" && field == "id";
  if ((a == "create" || a == "update") && !id_of_update) {
    params["values"][field] = std::move(value);
  } else if (a == "save") {
    if (!params.contains("records")) params["records"] = Value::array({Value::object()});
    params["records"][0][field] = std::move(value);
  } else {
    if (!params.contains("where")) params["where"] = Value::array();
    params["where"].push_back(Value::array({field, "=", std::move(value)}));
  }
  return Status();
}

// The records of an envelope's values, as a table: the columns of `select`
// when it names them, else every key in order of first appearance.
std::vector<std::string> Columns(const Value& rows, const Value& params) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  auto add = [&](const std::string& c) {
    if (seen.insert(c).second) columns.push_back(c);
  };
  if (params.contains("select") && params["select"].is_array()) {
    bool plain = true;
    for (const Value& s : params["select"]) {
      plain = plain && s.is_string() && s.get<std::string>().find_first_of("*( ") == std::string::npos;
    }
    if (plain && !params["select"].empty()) {
      for (const Value& s : params["select"]) add(s.get<std::string>());
      return columns;
    }
  }
  for (const Value& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [key, v] : row.items()) add(key);
  }
  return columns;
}

std::vector<std::vector<std::string>> Cells(const Value& rows, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> cells;
  for (const Value& row : rows) {
    std::vector<std::string>& line = cells.emplace_back();
    for (const std::string& c : columns) {
      if (!row.is_object()) {
        line.push_back(CellText(row));
      } else {
        line.push_back(row.contains(c) ? CellText(row[c]) : "");
      }
    }
  }
  return cells;
}

// A text table, as cv prints one: +----+ rules, | cells |.
void PrintTable(std::ostream& out, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width;
  for (const std::string& c : columns) width.push_back(c.size());
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  auto rule = [&] {
    out << '+';
    for (size_t w : width) out << std::string(w + 2, '-') << '+';
    out << '\n';
  };
  auto print = [&](const std::vector<std::string>& line) {
    out << '|';
    for (size_t i = 0; i < line.size(); ++i) out << ' ' << line[i] << std::string(width[i] - line[i].size() + 1, ' ') << '|';
    out << '\n';
  };
  rule();
  print(columns);
  rule();
  for (const auto& line : cells) print(line);
  rule();
}

Status PrintEnvelope(const ApiOptions& options, const Value& params, const Value& envelope,
                     std::ostream& out) {
  if (options.format == "json") {
    out << wire::ToJson(envelope) << "\n";
    return Status();
  }
  Value rows = envelope.value("values", Value::array());
  if (!rows.is_array()) rows = Value::array({rows});
  std::vector<std::string> columns = Columns(rows, params);
  if (columns.empty()) columns.push_back("value");
  std::vector<std::vector<std::string>> cells = Cells(rows, columns);
  if (options.format == "csv") {
    WriteCsvRecord(out, columns);
    for (const auto& line : cells) WriteCsvRecord(out, line);
  } else {
    PrintTable(out, columns, cells);
  }
  return Status();
}

// A failed call: its envelope on stderr, its message as the command's error.
Status Failed(const Value& envelope, std::string_view fallback) {
  std::cerr << wire::ToJson(envelope) << "\n";
  std::string message = envelope.is_object() && envelope.contains("error_message") &&
                                envelope["error_message"].is_string()
                            ? envelope["error_message"].get<std::string>()
                            : std::string(fallback);
  return absl::FailedPreconditionError(message);
}

Status RunLocal(const ApiOptions& options, const Value& params, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  auth::Caller caller = auth::Caller::System();
  if (!options.user.empty()) {
    KITH_ASSIGN_OR_RETURN(caller, rt->auth->ByUserName(options.user));
  }
  const api::ActionSpec* spec = rt->registry.Find(4, options.entity, options.action);
  StatusOr<Value> result = Value();
  if (spec == nullptr) {
    result = rt->registry.ActionsOf(4, options.entity).empty()
                 ? NotFound("API (" + options.entity + ", " + options.action +
                            ") does not exist (or the extension it belongs to is not enabled).")
                 : NotFound("Api " + options.entity + " " + options.action +
                            " version 4 does not exist.");
  } else {
    result = rt->dispatcher->Run(api::ApiCall{options.entity, options.action, params, 4}, caller);
  }
  if (!result.ok()) {
    wire::v4::V4Error e = wire::v4::ErrorEnvelope(result.status());
    if (!e.log_line.empty()) std::cerr << "kith: " << e.log_line << "\n";
    return Failed(e.body, std::string(result.status().message()));
  }
  return PrintEnvelope(options, params,
                       wire::v4::SuccessEnvelope(spec->entity, spec->action, *std::move(result), Value()),
                       out);
}

Status RunRemote(const ApiOptions& options, const Value& params, std::ostream& out) {
  if (options.api_key.empty()) return InvalidArgument("--url needs --api-key");
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Civi-Auth", "Bearer " + options.api_key}};
  if (!options.site_key.empty()) headers.emplace_back("X-Civi-Key", options.site_key);
  KITH_ASSIGN_OR_RETURN(
      HttpReply reply,
      HttpPost(options.url, "/civicrm/ajax/api4/" + options.entity + "/" + options.action, headers,
               "application/x-www-form-urlencoded", "params=" + FormEncode(wire::ToJson(params))));
  auto body = Json(reply.body, "the answer");
  if (reply.status != 200 || !body.ok()) {
    if (body.ok()) return Failed(*body, "HTTP " + std::to_string(reply.status));
    std::cerr << reply.body << (reply.body.empty() || reply.body.back() == '\n' ? "" : "\n");
    return absl::FailedPreconditionError("the server answered HTTP " + std::to_string(reply.status));
  }
  if (options.format == "json") {
    out << reply.body << (reply.body.empty() || reply.body.back() == '\n' ? "" : "\n");
    return Status();
  }
  return PrintEnvelope(options, params, *body, out);
}

// --openapi: the document `kith openapi` prints, or the one a running
// server answers at /civicrm/ajax/api4/openapi.json to this api key.
Status PrintOpenApi(const ApiOptions& options, std::ostream& out) {
  if (options.url.empty()) return RunOpenApi(OpenApiOptions{options.data_dir}, out);
  if (options.api_key.empty()) return InvalidArgument("--url needs --api-key");
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Civi-Auth", "Bearer " + options.api_key}};
  if (!options.site_key.empty()) headers.emplace_back("X-Civi-Key", options.site_key);
  KITH_ASSIGN_OR_RETURN(HttpReply reply, HttpPost(options.url, "/civicrm/ajax/api4/openapi.json", headers,
                                                  "application/x-www-form-urlencoded", ""));
  if (reply.status != 200) {
    std::cerr << reply.body << (reply.body.empty() || reply.body.back() == '\n' ? "" : "\n");
    return absl::FailedPreconditionError("the server answered HTTP " + std::to_string(reply.status));
  }
  out << reply.body << (reply.body.empty() || reply.body.back() == '\n' ? "" : "\n");
  return Status();
}

}  // namespace

StatusOr<Value> ApiParams(const std::string& action, const std::vector<std::string>& args,
                          const std::string& json) {
  Value params = Value::object();
  if (!json.empty()) {
    KITH_ASSIGN_OR_RETURN(params, Json(json, "--json"));
    if (!params.is_object()) return InvalidArgument("--json takes a JSON object");
  }
  static const std::regex kOption(R"(^\+([A-Za-z0-9_]+)(?:[:=](.*))?$)");
  static const std::regex kAssign(R"(^([A-Za-z0-9_.:]+)=(.*)$)");
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::smatch m;
    if (std::regex_match(arg, m, kOption)) {
      std::string expr;
      if (m[2].matched) {
        expr = m[2].str();
      } else {
        if (i + 1 == args.size()) return InvalidArgument(arg + " needs an expression after it");
        expr = args[++i];
      }
      KITH_RETURN_IF_ERROR(ApplyOption(params, m[1].str(), expr));
    } else if (!arg.empty() && arg.front() == '{') {
      KITH_ASSIGN_OR_RETURN(Value more, Json(arg, arg));
      if (!more.is_object()) return InvalidArgument(arg + " is not a JSON object");
      MergeMembers(params, more);
    } else if (std::regex_match(arg, m, kAssign)) {
      std::string key = m[1].str();
      if (ParamNames().count(key) > 0) {
        params[key] = ParamValue(m[2].str());
      } else {
        KITH_ASSIGN_OR_RETURN(Value v, ValueExpr(m[2].str(), key));
        KITH_RETURN_IF_ERROR(ApplyField(params, action, key, std::move(v)));
      }
    } else {
      return InvalidArgument("cannot read argument '" + arg +
                             "': it takes field=value, +select/+where/+orderBy/+limit/+values or {json}");
    }
  }
  return params;
}

Status RunApi(const ApiOptions& options, std::ostream& out) {
  if (options.data_dir.empty() == options.url.empty()) {
    return InvalidArgument("kith api takes either --data DIR or --url URL (with --api-key)");
  }
  if (!options.url.empty() && !options.user.empty()) {
    return InvalidArgument("--user is for --data; over --url the api key names the user");
  }
  if (options.openapi) return PrintOpenApi(options, out);
  if (options.entity.empty() || options.action.empty()) {
    return InvalidArgument("kith api takes ENTITY ACTION (or --openapi)");
  }
  KITH_ASSIGN_OR_RETURN(Value params, ApiParams(options.action, options.args, options.json));
  return options.url.empty() ? RunLocal(options, params, out) : RunRemote(options, params, out);
}

}  // namespace kith::cli
