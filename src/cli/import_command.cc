#include "cli/import_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "api/action_registry.h"
#include "base/error_details.h"
#include "base/json_parse.h"
#include "base/strings.h"
#include "cli/csv_reader.h"
#include "cli/csv_writer.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "entities/v4/v4_actions.h"

namespace kith::cli {
namespace {

constexpr size_t kRejectsShown = 20;  // on stderr, without a reject file

enum class Outcome { kCreated, kUpdated, kSkipped };

struct Counts {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t skipped = 0;

  void Add(Outcome o) { ++(o == Outcome::kCreated ? created : o == Outcome::kUpdated ? updated : skipped); }
  void Add(const Counts& c) {
    created += c.created;
    updated += c.updated;
    skipped += c.skipped;
  }
};

// What a header column fills.
struct Column {
  enum class Kind { kField, kGroups, kTags, kIgnored };
  Kind kind = Kind::kField;
  std::string field;
  bool list = false;  // a multi-valued field: a JSON list cell is its values (as kith export writes them)
  bool repeated = false;  // another column fills the same field
};

// A data row read from the file, kept while its batch may have to be replayed.
struct PendingRow {
  int64_t line = 0;
  std::vector<std::string> cells;
  std::string refused;  // why the row cannot be imported at all (its shape)
};

struct Reject {
  int64_t line = 0;
  std::string reason;
  std::vector<std::string> cells;
};

// What each header column fills: its field (renamed by `map`), the row's
// groups or tags, or nothing. An id column is only read to match by id.
StatusOr<std::vector<Column>> PlanColumns(const std::vector<std::string>& header, const std::string& map,
                                          const schema::Entity* entity, const std::string& match) {
  std::map<std::string, std::string, std::less<>> renames;
  for (std::string_view pair : Split(map, ',', true)) {
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || TrimAscii(pair.substr(0, eq)).empty()) {
      return InvalidArgument("--map takes COLUMN=field pairs separated by commas, not '" +
                             std::string(pair) + "'");
    }
    renames[std::string(TrimAscii(pair.substr(0, eq)))] = std::string(TrimAscii(pair.substr(eq + 1)));
  }
  std::set<std::string, std::less<>> mapped;
  std::vector<Column> columns;
  for (const std::string& raw : header) {
    std::string_view name = TrimAscii(raw);
    auto it = renames.find(name);
    std::string target = it == renames.end() ? std::string(name) : it->second;
    if (it != renames.end()) mapped.insert(it->first);
    Column& c = columns.emplace_back();
    if ((it != renames.end() && target.empty()) || (target == "id" && match != "id")) {
      c.kind = Column::Kind::kIgnored;
    } else if (target.empty()) {
      return InvalidArgument("the header row has an empty field name");
    } else if (target == "groups") {
      c.kind = Column::Kind::kGroups;
    } else if (target == "tags") {
      c.kind = Column::Kind::kTags;
    }
    const schema::Field* field = entity == nullptr ? nullptr : entity->FindField(target);
    c.list = field != nullptr && field->serialized;
    c.field = std::move(target);
  }
  for (Column& c : columns) {
    for (const Column& other : columns) {
      if (&other != &c && other.kind == Column::Kind::kField && other.field == c.field) c.repeated = true;
    }
  }
  for (const auto& [column, field] : renames) {
    if (mapped.count(column) == 0) {
      return InvalidArgument("--map names column '" + column + "', which the header row does not have");
    }
  }
  return columns;
}

Value CellValue(const Column& c, const std::string& cell) {
  if (c.list && cell.front() == '[') {
    auto list = ParseJson(cell, c.field, 4, 10'000);
    if (list.ok() && list->is_array()) return *std::move(list);
  }
  return Value(cell);
}

Status WithLine(int64_t line, const Status& s) {
  std::string message = "line " + std::to_string(line) + ": " + std::string(s.message());
  return Status(s.code(), absl::string_view(message.data(), message.size()));
}

// Errors no other row would escape: stop the import instead of rejecting rows.
bool IsFatal(const Status& s) {
  return s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kInternal ||
         s.code() == absl::StatusCode::kDataLoss || store::IsRetryable(s);
}

// One row's work inside a transaction: the create (or the match and its
// update or skip), then its groups and tags.
class RowImporter {
 public:
  RowImporter(Runtime& rt, const ImportOptions& options, const api::ActionSpec& create,
              std::vector<Column> columns)
      : rt_(rt),
        options_(options),
        create_(create),
        columns_(std::move(columns)),
        call_{create.entity, "create", Value{{"values", Value::object()}}, 4} {}

  StatusOr<Outcome> Import(store::Transaction& txn, const std::vector<std::string>& cells) {
    Value values = Value::object();
    auto& items = values.get_ref<Value::object_t&>();
    items.reserve(columns_.size());
    std::vector<std::string> groups = options_.groups;
    std::vector<std::string> tags = options_.tags;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (cells[i].empty()) continue;
      const Column& c = columns_[i];
      if (c.kind == Column::Kind::kField) {
        // A field named by one column only is appended without searching
        // the row for it; a later column of the same field replaces it.
        if (c.repeated) {
          values[c.field] = CellValue(c, cells[i]);
        } else {
          items.Container::emplace_back(c.field, CellValue(c, cells[i]));
        }
      }
      std::vector<std::string>* names = c.kind == Column::Kind::kGroups ? &groups
                                        : c.kind == Column::Kind::kTags ? &tags
                                                                        : nullptr;
      if (names == nullptr) continue;
      for (std::string_view n : Split(cells[i], ';', true)) {
        if (!TrimAscii(n).empty()) names->emplace_back(TrimAscii(n));
      }
    }
    Outcome outcome = Outcome::kCreated;
    int64_t id = 0;
    if (!options_.match.empty()) {
      KITH_ASSIGN_OR_RETURN(std::optional<int64_t> existing, FindMatch(txn, values));
      if (existing) {
        if (options_.on_match == "skip") return Outcome::kSkipped;
        if (options_.on_match == "fail") {
          return AlreadyExists("matches contact " + std::to_string(*existing) + " by " + options_.match);
        }
        KITH_RETURN_IF_ERROR(
            Call(txn, create_.entity, "update",
                 Value{{"where", Value::array({Value::array({"id", "=", *existing})})}, {"values", values}})
                .status());
        id = *existing;
        outcome = Outcome::kUpdated;
      }
    }
    values.erase("id");  // matched by it, or a new record
    if (outcome == Outcome::kCreated) {
      // The transaction's catalog as of this row (a row may change the schema).
      std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
      api::ActionContext ctx{txn, system_, *rt_.dispatcher, *catalog, call_, call_.params};
      KITH_ASSIGN_OR_RETURN(id, entities::v4::CreateWithoutAnswer(ctx, create_.entity, std::move(values),
                                                                  &write_keys_));
    }
    bool existed = outcome == Outcome::kUpdated;
    // By id: a group named once by its name and once by its title is one.
    std::set<int64_t> group_ids;
    std::set<int64_t> tag_ids;
    for (const std::string& g : groups) {
      KITH_ASSIGN_OR_RETURN(int64_t group_id, NamedId(txn, "Group", g, group_ids_));
      if (group_ids.insert(group_id).second) KITH_RETURN_IF_ERROR(AddToGroup(txn, id, group_id, existed));
    }
    for (const std::string& t : tags) {
      KITH_ASSIGN_OR_RETURN(int64_t tag_id, NamedId(txn, "Tag", t, tag_ids_));
      if (tag_ids.insert(tag_id).second) KITH_RETURN_IF_ERROR(AddTag(txn, id, tag_id, existed));
    }
    return outcome;
  }

  // Groups and tags made in a transaction that was rolled back are gone.
  void ForgetMadeIds() {
    group_ids_.clear();
    tag_ids_.clear();
  }

 private:
  StatusOr<Value> Call(store::Transaction& txn, const std::string& entity, const std::string& action,
                       Value params) {
    return rt_.dispatcher->RunIn(txn, api::ApiCall{entity, action, std::move(params), 4}, system_);
  }

  // The first record `params` (a get's) finds, or null.
  StatusOr<Value> First(store::Transaction& txn, const std::string& entity, Value params) {
    params["limit"] = 1;
    KITH_ASSIGN_OR_RETURN(Value result, Call(txn, entity, "get", std::move(params)));
    const Value& rows = result["values"];
    return rows.empty() ? Value() : rows[0];
  }

  StatusOr<std::optional<int64_t>> FindMatch(store::Transaction& txn, const Value& values) {
    bool by_email = options_.match == "email";
    std::string field = by_email ? "email_primary.email" : options_.match;
    if (!values.contains(field)) return std::optional<int64_t>();
    std::string key(TrimAscii(values[field].get<std::string>()));
    Value found;
    if (field == "id" && !ParseInt64(key)) return InvalidArgument("id is not a number: " + key);
    if (by_email) {
      KITH_ASSIGN_OR_RETURN(
          found, First(txn, "Email",
                       Value{{"select", {"contact_id"}},
                             {"where", Value::array({Value::array({"email", "=", AsciiLower(key)}),
                                                     Value::array({"contact_id.is_deleted", "=", false})})},
                             {"orderBy", {{"contact_id", "ASC"}}}}));
      if (!found.is_null()) return std::optional<int64_t>(found["contact_id"].get<int64_t>());
    } else {
      KITH_ASSIGN_OR_RETURN(
          found, First(txn, "Contact",
                       Value{{"select", {"id"}},
                             {"where", Value::array({Value::array({field, "=", key}),
                                                     Value::array({"is_deleted", "=", false})})},
                             {"orderBy", {{"id", "ASC"}}}}));
      if (!found.is_null()) return std::optional<int64_t>(found["id"].get<int64_t>());
    }
    return std::optional<int64_t>();
  }

  // The id of the group or tag named (or titled) `name`, made when missing.
  StatusOr<int64_t> NamedId(store::Transaction& txn, const std::string& entity, const std::string& name,
                            std::unordered_map<std::string, int64_t>& known) {
    if (auto it = known.find(name); it != known.end()) return it->second;
    bool group = entity == "Group";
    Value where = group ? Value::array({Value::array(
                              {"OR", Value::array({Value::array({"name", "=", name}),
                                                   Value::array({"title", "=", name})})})})
                        : Value::array({Value::array({"name", "=", name})});
    KITH_ASSIGN_OR_RETURN(Value found,
                          First(txn, entity, Value{{"select", {"id"}}, {"where", where}, {"orderBy", {{"id", "ASC"}}}}));
    if (found.is_null()) {
      Value values = group ? Value{{"title", name}} : Value{{"name", name}};
      KITH_ASSIGN_OR_RETURN(Value made, Call(txn, entity, "create", Value{{"values", values}}));
      found = made["values"][0];
    }
    int64_t id = found["id"].get<int64_t>();
    known[name] = id;
    return id;
  }

  // Adds the contact to the group (a contact that `existed` may be in it).
  Status AddToGroup(store::Transaction& txn, int64_t contact_id, int64_t group_id, bool existed) {
    if (existed) {
      KITH_ASSIGN_OR_RETURN(
          Value member,
          First(txn, "GroupContact",
                Value{{"select", {"id", "status"}},
                      {"where", Value::array({Value::array({"group_id", "=", group_id}),
                                              Value::array({"contact_id", "=", contact_id})})}}));
      if (!member.is_null()) {
        if (member["status"] == "Added") return Status();
        return Call(txn, "GroupContact", "update",
                    Value{{"where", Value::array({Value::array({"id", "=", member["id"]})})},
                          {"values", {{"status", "Added"}}}})
            .status();
      }
    }
    return Call(txn, "GroupContact", "create",
                Value{{"values", {{"group_id", group_id}, {"contact_id", contact_id}, {"status", "Added"}}}})
        .status();
  }

  // Tags the contact (a contact that `existed` may have the tag).
  Status AddTag(store::Transaction& txn, int64_t contact_id, int64_t tag_id, bool existed) {
    Value link{{"entity_table", "civicrm_contact"}, {"entity_id", contact_id}, {"tag_id", tag_id}};
    if (existed) {
      Value where = Value::array();
      for (const auto& [k, v] : link.items()) where.push_back(Value::array({k, "=", v}));
      KITH_ASSIGN_OR_RETURN(Value tagged, First(txn, "EntityTag", Value{{"select", {"id"}}, {"where", where}}));
      if (!tagged.is_null()) return Status();
    }
    return Call(txn, "EntityTag", "create", Value{{"values", link}}).status();
  }

  Runtime& rt_;
  const ImportOptions& options_;
  const api::ActionSpec& create_;
  std::vector<Column> columns_;
  auth::Caller system_ = auth::Caller::System();
  api::ApiCall call_;  // the create (its values handed over row by row)
  entities::v4::WriteKeys write_keys_;  // the header's fields, resolved once
  std::unordered_map<std::string, int64_t> group_ids_;
  std::unordered_map<std::string, int64_t> tag_ids_;
};

Status CheckOptions(const ImportOptions& o) {
  if (o.on_match != "update" && o.on_match != "skip" && o.on_match != "fail") {
    return InvalidArgument("--on-match takes update, skip or fail, not " + o.on_match);
  }
  if (!o.match.empty() && o.match != "id" && o.match != "external_identifier" && o.match != "email") {
    return InvalidArgument("--match takes id, external_identifier or email, not " + o.match);
  }
  if (o.batch < 1) return InvalidArgument("--batch must be at least 1");
  bool contact_only = !o.match.empty() || !o.groups.empty() || !o.tags.empty();
  if (contact_only && !EqualsIgnoreCase(o.entity, "Contact")) {
    return InvalidArgument("--match, --group and --tag are for contacts, not " + o.entity);
  }
  return Status();
}

// The import of one file: reading rows, running them in transactions,
// rejecting the bad ones, reporting.
class Import {
 public:
  Import(const ImportOptions& options, std::istream& in, int64_t size, Runtime& rt,
         const api::ActionSpec& create)
      : options_(options),
        in_(in),
        reader_(in),
        rt_(rt),
        create_(create),
        progress_(std::cerr, "kith import", StderrIsTerminal(), size, options.progress_every) {}

  Status Run(std::ostream& out) {
    KITH_ASSIGN_OR_RETURN(bool any, reader_.Next(header_));
    if (!any) return InvalidArgument(options_.file + " is empty: the first row names the fields");
    KITH_ASSIGN_OR_RETURN(std::vector<Column> columns,
                          PlanColumns(header_, options_.map, rt_.store->catalog()->Find(create_.entity),
                                      options_.match));
    auth::Caller system = auth::Caller::System();
    for (const std::string& p : create_.permissions) {
      if (!system.Has(p)) return absl::PermissionDeniedError("import needs permission " + p);
    }
    if (!options_.rejects.empty()) {
      rejects_.open(options_.rejects, std::ios::binary | std::ios::trunc);
      if (!rejects_) return absl::UnavailableError("cannot write " + options_.rejects);
      std::vector<std::string> head = {"line", "reason"};
      head.insert(head.end(), header_.begin(), header_.end());
      WriteCsvRecord(rejects_, head);
    }
    importer_.emplace(rt_, options_, create_, std::move(columns));
    KITH_RETURN_IF_ERROR(options_.all_or_nothing ? RunAtOnce() : RunInBatches());
    progress_.Finish();
    return Summarize(out);
  }

 private:
  // The next data row (blank lines skipped), or nullopt at the end. A row
  // with the wrong number of fields comes back refused (an error when all
  // or nothing).
  StatusOr<std::optional<PendingRow>> NextRow() {
    PendingRow row;
    row.cells.reserve(header_.size());
    while (true) {
      KITH_ASSIGN_OR_RETURN(bool more, reader_.Next(row.cells));
      if (!more) return std::optional<PendingRow>();
      row.line = reader_.record_line();
      ++rows_read_;
      if (progress_.Due()) progress_.Report(rows_read_, Position());
      if (row.cells.size() == 1 && row.cells[0].empty()) {
        --rows_read_;
        continue;
      }
      if (row.cells.size() == header_.size()) return std::optional<PendingRow>(std::move(row));
      Status bad = InvalidArgument(std::to_string(row.cells.size()) + " fields, the header has " +
                                   std::to_string(header_.size()));
      if (options_.all_or_nothing) {
        KITH_RETURN_IF_ERROR(AddReject({row.line, std::string(bad.message()), row.cells}));
        return WithLine(row.line, bad);
      }
      // Rejected with its batch's other rows, in line order.
      row.refused = std::string(bad.message());
      return std::optional<PendingRow>(std::move(row));
    }
  }

  int64_t Position() {
    std::streampos p = in_.tellg();
    if (p < 0) return 0;
    return std::max<int64_t>(0, static_cast<int64_t>(p) - reader_.buffered());
  }

  // --all-or-nothing: one transaction, as kith import always did.
  Status RunAtOnce() {
    KITH_ASSIGN_OR_RETURN(auto txn, rt_.store->Begin(true));
    // The rows are written by the store's own thread while the next rows' rules run.
    KITH_RETURN_IF_ERROR(txn->PipelineInserts());
    Counts counts;
    while (true) {
      KITH_ASSIGN_OR_RETURN(std::optional<PendingRow> row, NextRow());
      if (!row) break;
      std::string where = "line " + std::to_string(row->line) + ": ";
      txn->LabelInserts(where);
      StatusOr<Outcome> done = importer_->Import(*txn, row->cells);
      if (!done.ok()) {
        // A row queued before this one that failed is the file's first error.
        Status queued = txn->WaitForInserts();
        if (!queued.ok()) {
          KITH_RETURN_IF_ERROR(AddReject({0, std::string(queued.message()), {}}));
          return queued;
        }
        KITH_RETURN_IF_ERROR(AddReject({row->line, std::string(done.status().message()), row->cells}));
        return WithLine(row->line, done.status());
      }
      counts.Add(*done);
    }
    KITH_RETURN_IF_ERROR(txn->Commit());
    counts_.Add(counts);
    return Status();
  }

  Status RunInBatches() {
    std::vector<PendingRow> batch;
    bool end = false;
    while (!end) {
      batch.clear();
      while (static_cast<int64_t>(batch.size()) < options_.batch) {
        KITH_ASSIGN_OR_RETURN(std::optional<PendingRow> row, NextRow());
        if (!row) {
          end = true;
          break;
        }
        batch.push_back(*std::move(row));
      }
      if (batch.empty()) break;
      Counts counts;
      if (ImportFast(batch, counts).ok()) {
        counts_.Add(counts);
        for (PendingRow& row : batch) {
          if (!row.refused.empty()) KITH_RETURN_IF_ERROR(AddReject({row.line, row.refused, std::move(row.cells)}));
        }
      } else {
        importer_->ForgetMadeIds();
        KITH_RETURN_IF_ERROR(ImportRowByRow(batch));
      }
    }
    return Status();
  }

  // A batch in one transaction with pipelined inserts; any failure fails it.
  Status ImportFast(const std::vector<PendingRow>& batch, Counts& counts) {
    KITH_ASSIGN_OR_RETURN(auto txn, rt_.store->Begin(true));
    KITH_RETURN_IF_ERROR(txn->PipelineInserts());
    for (const PendingRow& row : batch) {
      if (!row.refused.empty()) continue;
      txn->LabelInserts("line " + std::to_string(row.line) + ": ");
      KITH_ASSIGN_OR_RETURN(Outcome o, importer_->Import(*txn, row.cells));
      counts.Add(o);
    }
    return txn->Commit();
  }

  // A batch that failed, again with a savepoint around each row: the rows
  // that fail are rejected, the others committed together.
  Status ImportRowByRow(const std::vector<PendingRow>& batch) {
    Counts counts;
    std::vector<Reject> rejects;
    Status done = store::RunWithRetries([&]() -> Status {
      counts = Counts();
      rejects.clear();
      importer_->ForgetMadeIds();
      KITH_ASSIGN_OR_RETURN(auto txn, rt_.store->Begin(true));
      for (const PendingRow& row : batch) {
        if (!row.refused.empty()) {
          rejects.push_back({row.line, row.refused, row.cells});
          continue;
        }
        KITH_RETURN_IF_ERROR(txn->Savepoint());
        StatusOr<Outcome> o = importer_->Import(*txn, row.cells);
        if (o.ok()) {
          KITH_RETURN_IF_ERROR(txn->ReleaseSavepoint());
          counts.Add(*o);
          continue;
        }
        if (IsFatal(o.status())) return o.status();
        KITH_RETURN_IF_ERROR(txn->RollbackToSavepoint());
        importer_->ForgetMadeIds();
        rejects.push_back({row.line, std::string(o.status().message()), row.cells});
      }
      return txn->Commit();
    });
    KITH_RETURN_IF_ERROR(done);
    counts_.Add(counts);
    for (Reject& r : rejects) KITH_RETURN_IF_ERROR(AddReject(std::move(r)));
    return Status();
  }

  Status AddReject(Reject r) {
    ++rejected_;
    if (rejects_.is_open()) {
      std::vector<std::string> record = {r.line > 0 ? std::to_string(r.line) : "", r.reason};
      record.insert(record.end(), std::make_move_iterator(r.cells.begin()),
                    std::make_move_iterator(r.cells.end()));
      WriteCsvRecord(rejects_, record);
      if (!rejects_) return absl::UnavailableError("cannot write " + options_.rejects);
    } else if (rejected_ <= static_cast<int64_t>(kRejectsShown) && !options_.all_or_nothing) {
      progress_.Finish();
      std::cerr << "kith import: rejected line " << r.line << ": " << r.reason << "\n";
    }
    return Status();
  }

  Status Summarize(std::ostream& out) {
    double seconds = progress_.elapsed_seconds();
    int64_t imported = counts_.created + counts_.updated;
    out << "Imported " << imported << " " << create_.entity << " record" << (imported == 1 ? "" : "s")
        << ": " << counts_.created << " created, " << counts_.updated << " updated, "
        << counts_.skipped << " skipped, " << rejected_ << " rejected; " << rows_read_ << " rows in "
        << std::fixed;
    out.precision(2);
    out << seconds << " s";
    out.precision(0);
    out << " (" << (seconds > 0 ? static_cast<double>(rows_read_) / seconds : 0.0) << " rows/s)\n";
    out << std::defaultfloat;
    if (rejected_ == 0) return Status();
    if (rejects_.is_open()) rejects_.close();
    return absl::FailedPreconditionError(
        std::to_string(rejected_) + (rejected_ == 1 ? " row" : " rows") + " rejected" +
        (options_.rejects.empty() ? std::string() : "; see " + options_.rejects) +
        (rejected_ > static_cast<int64_t>(kRejectsShown) && options_.rejects.empty()
             ? " (the first " + std::to_string(kRejectsShown) + " above; --rejects FILE keeps them all)"
             : ""));
  }

  const ImportOptions& options_;
  std::istream& in_;
  CsvReader reader_;
  Runtime& rt_;
  const api::ActionSpec& create_;
  Progress progress_;
  std::vector<std::string> header_;
  std::optional<RowImporter> importer_;
  std::ofstream rejects_;
  Counts counts_;
  int64_t rows_read_ = 0;
  int64_t rejected_ = 0;
};

}  // namespace

Status RunImport(const ImportOptions& options, std::ostream& out) {
  KITH_RETURN_IF_ERROR(CheckOptions(options));
  std::ifstream file;
  std::istream* in = &std::cin;
  int64_t size = 0;
  if (options.file != "-") {
    file.open(options.file, std::ios::binary);
    if (!file) return absl::NotFoundError("cannot open " + options.file);
    in = &file;
    std::error_code ec;
    auto bytes = std::filesystem::file_size(options.file, ec);
    if (!ec) size = static_cast<int64_t>(bytes);
  }
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  const api::ActionSpec* create = rt->registry.Find(4, options.entity, "create");
  if (create == nullptr) {
    return InvalidArgument("cannot import " + options.entity + ": APIv4 has no create for it");
  }
  Import import(options, *in, size, *rt, *create);
  return import.Run(out);
}

}  // namespace kith::cli
