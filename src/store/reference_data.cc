#include "store/reference_data.h"

#include <map>

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::store {
namespace {

std::string_view FindFile(std::string_view name) {
  for (const auto& [n, content] : EmbeddedReferenceFiles()) {
    if (n == name) return content;
  }
  return {};
}

Value Cell(std::string_view text) {
  if (text == "NULL") return nullptr;
  if (auto n = ParseInt64(text); n && (text.size() == 1 || text[0] != '0')) return *n;
  return std::string(text);
}

}  // namespace

Status SeedReferenceFile(Transaction& txn, std::string_view file, std::string_view entity) {
  std::string_view content = FindFile(file);
  if (content.empty()) return Internal("no embedded reference file " + std::string(file));
  std::vector<std::string_view> lines = Split(content, '\n', true);
  std::vector<std::string_view> header = Split(lines[0], '\t');
  std::map<std::string, int64_t> group_ids;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string_view> cells = Split(lines[i], '\t');
    Value row = Value::object();
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) {
      std::string column(header[c]);
      if (column == "option_group") {
        std::string group(cells[c]);
        if (!group_ids.count(group)) {
          Query q;
          q.entity = "OptionGroup";
          q.select = {"id"};
          q.where = Condition::Leaf("name", Op::kEq, group);
          KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
          if (rows.empty()) return Internal("reference data names unknown option group " + group);
          group_ids[group] = rows[0]["id"].get<int64_t>();
        }
        row["option_group_id"] = group_ids[group];
        continue;
      }
      // Option values and names are text even when they look numeric.
      bool text_column = column == "value" || column == "name" || column == "label" ||
                         column == "iso_code" || column == "abbreviation" ||
                         column == "country_code";
      row[column] = text_column && cells[c] != "NULL" ? Value(std::string(cells[c]))
                                                      : Cell(cells[c]);
    }
    KITH_RETURN_IF_ERROR(txn.Insert(entity, row).status());
  }
  return Status();
}

}  // namespace kith::store
