#include "extensions/answers.h"

#include <set>
#include <vector>

#include "api/field_values.h"
#include "base/strings.h"

namespace kith::extensions {
namespace {

struct Records {
  std::vector<Value> rows;
  bool single = false;  // run returned one flat record
};

Status NotRecords(const std::string& what, const std::string& detail) {
  return Status(absl::StatusCode::kUnknown,
                what + " must return a list of records (tables) or one record; " + detail);
}

bool AllRowsKeyedById(const Value& object) {
  for (const auto& [key, row] : object.items()) {
    if (!ParseInt64(key) || !row.is_object()) return false;
  }
  return true;
}

StatusOr<Records> ToRecords(const Value& returned, const std::string& what) {
  Records r;
  if (returned.is_null()) return r;
  if (returned.is_array()) {
    size_t n = 0;
    for (const Value& row : returned) {
      ++n;
      if (!row.is_object()) {
        return NotRecords(what, "item " + std::to_string(n) + " is not a table of fields");
      }
      r.rows.push_back(row);
    }
    return r;
  }
  if (!returned.is_object()) return NotRecords(what, "it returned a " + std::string(returned.type_name()));
  if (returned.empty()) return r;
  if (AllRowsKeyedById(returned)) {  // {[5] = {...}, [7] = {...}}
    for (const auto& [key, row] : returned.items()) r.rows.push_back(row);
    return r;
  }
  r.rows.push_back(returned);
  r.single = true;
  return r;
}

// 3.2 and v3 values are text. `keep_null`: v3 shows NULL as "", 3.2 leaves it out.
Value AsText(const Value& v, bool keep_null) {
  if (v.is_object()) {
    Value out = Value::object();
    for (const auto& [k, x] : v.items()) {
      if (x.is_null() && !keep_null) continue;
      out[k] = AsText(x, keep_null);
    }
    return out;
  }
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v) out.push_back(AsText(x, keep_null));
    return out;
  }
  return Value(api::ValueAsText(v));
}

// The key of each row: its id when every row has a distinct one, otherwise
// its position (0, 1, ...), as PHP numbers a plain list.
std::vector<std::string> RowKeys(const std::vector<Value>& rows) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Value& row : rows) {
    std::string id = row.contains("id") ? api::ValueAsText(row["id"]) : "";
    if (id.empty() || !seen.insert(id).second) {
      keys.clear();
      for (size_t i = 0; i < rows.size(); ++i) keys.push_back(std::to_string(i));
      return keys;
    }
    keys.push_back(id);
  }
  return keys;
}

}  // namespace

bool Truthy(const Value& flag) {
  if (flag.is_boolean()) return flag.get<bool>();
  if (flag.is_number()) return flag != 0;
  if (flag.is_string()) {
    const std::string& s = flag.get_ref<const std::string&>();
    return !s.empty() && s != "0" && s != "false";
  }
  return false;
}

StatusOr<Value> V2Answer(const Value& returned, const std::string& what) {
  KITH_ASSIGN_OR_RETURN(Records records, ToRecords(returned, what));
  if (records.single) return AsText(records.rows[0], false);
  Value rows = Value::object();
  std::vector<std::string> keys = RowKeys(records.rows);
  for (size_t i = 0; i < records.rows.size(); ++i) rows[keys[i]] = AsText(records.rows[i], false);
  return rows;
}

StatusOr<Value> V3Answer(const Value& returned, bool sequential, const std::string& what) {
  KITH_ASSIGN_OR_RETURN(Records records, ToRecords(returned, what));
  std::vector<std::string> keys = RowKeys(records.rows);
  Value values = sequential || records.rows.empty() ? Value::array() : Value::object();
  for (size_t i = 0; i < records.rows.size(); ++i) {
    Value row = AsText(records.rows[i], true);
    if (values.is_array()) {
      values.push_back(std::move(row));
    } else {
      values[keys[i]] = std::move(row);
    }
  }
  Value answer{{"is_error", 0}, {"version", 3}, {"count", records.rows.size()}};
  if (records.rows.size() == 1) {
    auto n = ParseInt64(keys[0]);
    answer["id"] = n ? Value(*n) : Value(keys[0]);
  }
  answer["values"] = std::move(values);
  return answer;
}

StatusOr<Value> V4Answer(const Value& returned, const std::string& what) {
  KITH_ASSIGN_OR_RETURN(Records records, ToRecords(returned, what));
  Value values = Value::array();
  for (Value& row : records.rows) values.push_back(std::move(row));
  return Value{{"values", std::move(values)}};
}

Value ScriptResult(const Value& answer) {
  Value out = Value::object();
  Value list = Value::array();
  if (answer.is_object() && answer.contains("values")) {
    const Value& values = answer["values"];
    if (values.is_object()) {
      for (const auto& [k, row] : values.items()) list.push_back(row);
    } else if (values.is_array()) {
      list = values;
    } else {
      out["result"] = values;  // delete's "values": 1
    }
    out["values"] = list;
    out["count"] = answer.contains("count") && answer["count"].is_number_integer()
                       ? answer["count"]
                       : Value(list.size());
    if (answer.contains("id")) out["id"] = answer["id"];
    return out;
  }
  if (answer.is_object() && !answer.empty()) {  // a bare record (getsingle)
    list.push_back(answer);
    out["values"] = list;
    out["count"] = 1;
    return out;
  }
  out["values"] = list;
  out["count"] = answer.is_number_integer() ? answer : Value(0);
  out["result"] = answer;
  return out;
}

}  // namespace kith::extensions
