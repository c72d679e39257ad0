#include "cli/export_command.h"

#include <fstream>
#include <set>

#include "api/action_registry.h"
#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"
#include "cli/csv_writer.h"
#include "cli/runtime.h"
#include "wire/common/json_writer.h"

namespace kith::cli {
namespace {

// The primary location blocks exported with a contact, and their fields
// left out (the link back and the flag every primary block has).
constexpr const char* kPrimaryBlocks[][2] = {
    {"email_primary", "Email"}, {"phone_primary", "Phone"}, {"address_primary", "Address"}};

class Exporter {
 public:
  Exporter(Runtime& rt, const ExportOptions& options, std::unique_ptr<store::Transaction> txn)
      : rt_(rt), options_(options), txn_(std::move(txn)) {}

  StatusOr<Value> Call(const std::string& entity, const std::string& action, Value params) {
    return rt_.dispatcher->RunIn(*txn_, api::ApiCall{entity, action, std::move(params), 4}, system_);
  }

  // The fields a create of `entity` takes, as getFields lists them, but
  // links to contacts.
  StatusOr<std::vector<std::string>> WritableFields(const std::string& entity) {
    KITH_ASSIGN_OR_RETURN(Value fields,
                          Call(entity, "getFields",
                               Value{{"action", "create"},
                                     {"select", {"name", "type", "readonly", "fk_entity"}}}));
    std::vector<std::string> names;
    for (const Value& f : fields["values"]) {
      // Links to other contacts are ids, which an import elsewhere would not
      // find; the "Extra" links (email_primary) are exported by their fields.
      if (f.value("readonly", false) == true || f.value("fk_entity", Value()) == "Contact" ||
          f.value("type", Value()) == "Extra") {
        continue;
      }
      names.push_back(f["name"].get<std::string>());
    }
    return names;
  }

  StatusOr<std::vector<std::string>> DefaultColumns(const std::string& entity) {
    std::vector<std::string> columns = {"id"};
    KITH_ASSIGN_OR_RETURN(std::vector<std::string> own, WritableFields(entity));
    for (std::string& f : own) {
      if (f != "id") columns.push_back(std::move(f));
    }
    if (entity != "Contact") return columns;
    for (const auto& [join, block] : kPrimaryBlocks) {
      KITH_ASSIGN_OR_RETURN(std::vector<std::string> fields, WritableFields(block));
      for (const std::string& f : fields) {
        if (f == "id" || f == "contact_id" || f == "is_primary") continue;
        columns.push_back(std::string(join) + "." + f);
      }
    }
    return columns;
  }

  Status Write(const std::string& entity, const std::vector<std::string>& selected, Value where,
               std::ostream& out) {
    std::vector<std::string> columns = selected;
    bool wildcard = false;
    for (const std::string& c : columns) wildcard = wildcard || c.find('*') != std::string::npos;
    Value select = Value::array();
    for (const std::string& c : columns) select.push_back(c);
    bool with_id = std::find(columns.begin(), columns.end(), "id") != columns.end();
    if (!with_id) select.push_back("id");
    bool csv = options_.format == "csv";
    bool header_written = false;
    int64_t last_id = 0;
    std::vector<std::string> cells;
    while (true) {
      Value page_where = where;
      page_where.push_back(Value::array({"id", ">", last_id}));
      KITH_ASSIGN_OR_RETURN(Value page, Call(entity, "get",
                                             Value{{"select", select},
                                                   {"where", std::move(page_where)},
                                                   {"orderBy", {{"id", "ASC"}}},
                                                   {"limit", options_.page}}));
      const Value& rows = page["values"];
      if (!header_written) {
        // A get leaves out what it does not know: so does the first row.
        if (!rows.empty() && !wildcard) {
          for (const std::string& c : columns) {
            if (!rows[0].contains(c)) return InvalidArgument(entity + " has no field " + c);
          }
        }
        if (!rows.empty() && wildcard) {
          columns.clear();
          for (const auto& [key, v] : rows[0].items()) {
            if (key != "id" || with_id) columns.push_back(key);
          }
        }
        if (csv) WriteCsvRecord(out, columns);
        header_written = true;
      }
      for (const Value& row : rows) {
        last_id = row["id"].get<int64_t>();
        if (csv) {
          cells.clear();
          for (const std::string& c : columns) cells.push_back(row.contains(c) ? CellText(row[c]) : "");
          WriteCsvRecord(out, cells);
        } else {
          Value record = Value::object();
          for (const std::string& c : columns) record[c] = row.contains(c) ? row[c] : Value();
          out << wire::ToJson(record) << '\n';
        }
      }
      if (!out) return absl::UnavailableError("cannot write the export");
      if (static_cast<int64_t>(rows.size()) < options_.page) break;
    }
    out.flush();
    return out ? Status() : absl::UnavailableError("cannot write the export");
  }

 private:
  Runtime& rt_;
  const ExportOptions& options_;
  std::unique_ptr<store::Transaction> txn_;
  auth::Caller system_ = auth::Caller::System();
};

}  // namespace

Status RunExport(const ExportOptions& options, std::ostream& out) {
  if (options.page < 1) return InvalidArgument("the page size must be at least 1");
  Value where = Value::array();
  if (!options.where.empty()) {
    KITH_ASSIGN_OR_RETURN(where, ParseJson(options.where, "--where", 64, 1'000'000));
    if (!where.is_array()) {
      return InvalidArgument("--where takes an APIv4 where: a JSON list of conditions, e.g. "
                             "[[\"last_name\",\"=\",\"Smith\"]]");
    }
  }
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  const api::ActionSpec* get = rt->registry.Find(4, options.entity, "get");
  if (get == nullptr) return InvalidArgument("cannot export " + options.entity + ": APIv4 has no get for it");
  // One read transaction: every page from the same snapshot.
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(false));
  Exporter exporter(*rt, options, std::move(txn));
  std::vector<std::string> columns;
  for (std::string_view c : Split(options.select, ',', true)) {
    if (!TrimAscii(c).empty()) columns.emplace_back(TrimAscii(c));
  }
  if (columns.empty()) {
    KITH_ASSIGN_OR_RETURN(columns, exporter.DefaultColumns(get->entity));
  }
  std::ofstream file;
  std::ostream* sink = &out;
  if (!options.output.empty()) {
    file.open(options.output, std::ios::binary | std::ios::trunc);
    if (!file) return absl::UnavailableError("cannot write " + options.output);
    sink = &file;
  }
  return exporter.Write(get->entity, columns, std::move(where), *sink);
}

}  // namespace kith::cli
