#include "entities/group_rules.h"

#include <algorithm>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

constexpr size_t kTitleToVarLength = 31;
constexpr size_t kNameLength = 64;

// True when a group other than `except_id` has `value` in `column`.
StatusOr<bool> Taken(store::Transaction& txn, const char* column, const std::string& value,
                     int64_t except_id) {
  Query q;
  q.entity = "Group";
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf(column, Op::kEq, value),
                            Condition::Leaf("id", Op::kNe, except_id)});
  KITH_ASSIGN_OR_RETURN(int64_t n, txn.Count(q));
  return n > 0;
}

// group_type as stored: option values between \x01 bookends. Accepts values,
// names or labels, \x01- or comma-separated.
StatusOr<Value> NormalizeGroupType(store::Transaction& txn, const Value& given) {
  if (given.is_null()) return given;
  std::string text = api::ValueAsText(given);
  for (char& c : text) {
    if (c == ',') c = '\x01';
  }
  std::vector<std::string> values;
  for (std::string_view part : Split(text, '\x01', true)) {
    std::string token(TrimAscii(part));
    if (token.empty()) continue;
    KITH_ASSIGN_OR_RETURN(auto value, api::ResolveOption(txn, "group_type", token));
    if (!value) {
      return InvalidArgument("group_type is not valid: " + token,
                             {{"error_code", 2001}, {"error_field", "group_type"}});
    }
    if (std::find(values.begin(), values.end(), *value) == values.end()) values.push_back(*value);
  }
  if (values.empty()) return Value(nullptr);
  return Value("\x01" + Join(values, "\x01") + "\x01");
}

Status GroupBeforeWrite(api::ActionContext& ctx, const Value& record, Value& changes,
                        bool creating) {
  int64_t id = record["id"].is_number_integer() ? record["id"].get<int64_t>() : 0;
  std::string title = api::ValueAsText(record["title"]);
  if (title.empty()) {
    return InvalidArgument("Required parameter title missing",
                           {{"error_code", "mandatory_missing"}, {"error_field", "title"}});
  }
  if (creating || changes.contains("title")) {
    KITH_ASSIGN_OR_RETURN(bool taken, Taken(ctx.txn, "title", title, id));
    if (taken) {
      return AlreadyExists("A group titled \"" + title + "\" already exists",
                           {{"error_code", "already-exists"}, {"error_field", "title"}});
    }
  }
  std::string name = api::ValueAsText(record["name"]);
  if (name.empty()) {
    KITH_ASSIGN_OR_RETURN(changes["name"], UniqueGroupName(ctx.txn, GroupNameFromTitle(title), id));
  } else if (creating || changes.contains("name")) {
    KITH_ASSIGN_OR_RETURN(bool taken, Taken(ctx.txn, "name", name, id));
    if (taken) {
      return AlreadyExists("A group named \"" + name + "\" already exists",
                           {{"error_code", "already-exists"}, {"error_field", "name"}});
    }
  }
  if (changes.contains("visibility")) {
    std::string visibility = api::ValueAsText(changes["visibility"]);
    if (visibility.empty()) {
      changes["visibility"] = "User and User Admin Only";
    } else if (visibility != "User and User Admin Only" && visibility != "Public Pages") {
      return InvalidArgument(
          "visibility is not valid: " + visibility +
              " (one of \"User and User Admin Only\", \"Public Pages\")",
          {{"error_code", 2001}, {"error_field", "visibility"}});
    }
  }
  if (changes.contains("group_type")) {
    KITH_ASSIGN_OR_RETURN(changes["group_type"], NormalizeGroupType(ctx.txn, changes["group_type"]));
  }
  if (creating && api::ValueAsText(record["frontend_title"]).empty()) {
    changes["frontend_title"] = title;
  }
  if (ctx.caller.contact_id > 0) {
    if (creating && record["created_id"].is_null()) changes["created_id"] = ctx.caller.contact_id;
    changes["modified_id"] = ctx.caller.contact_id;
  }
  return Status();
}

}  // namespace

std::string GroupNameFromTitle(const std::string& title) {
  std::string out;
  bool last_sep = false;
  for (char c : TrimAscii(title)) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_';
    if (word) {
      out += c;
      last_sep = false;
    } else if (!last_sep) {
      out += '_';
      last_sep = true;
    }
  }
  if (out.size() > kTitleToVarLength) out.resize(kTitleToVarLength);
  return out.empty() ? "group" : out;
}

std::string GroupNameWithId(const std::string& title, int64_t id) {
  std::string base = GroupNameFromTitle(title);
  base = base.size() > 4 ? base.substr(0, base.size() - 4) : "";
  return base + "_" + std::to_string(id);
}

Status NameGroupAfterId(api::ActionContext& ctx, int64_t id) {
  const schema::Entity* e = ctx.catalog.Find("Group");
  KITH_ASSIGN_OR_RETURN(Value row, api::LoadRecord(ctx.txn, *e, id));
  return api::UpdateRecord(ctx, "Group", id,
                           Value{{"name", GroupNameWithId(api::ValueAsText(row["title"]), id)}});
}

StatusOr<std::string> UniqueGroupName(store::Transaction& txn, const std::string& base,
                                      int64_t except_id) {
  KITH_ASSIGN_OR_RETURN(bool taken, Taken(txn, "name", base, except_id));
  for (int n = 2; taken; ++n) {
    std::string suffix = "_" + std::to_string(n);
    std::string candidate = base.substr(0, kNameLength - suffix.size()) + suffix;
    KITH_ASSIGN_OR_RETURN(taken, Taken(txn, "name", candidate, except_id));
    if (!taken) return candidate;
  }
  return base;
}

void RegisterGroupRules(api::RulesRegistry& rules) {
  api::EntityRules group;
  group.before_write = GroupBeforeWrite;
  rules.Set("Group", std::move(group));
}

}  // namespace kith::entities
