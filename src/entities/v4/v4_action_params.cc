// The parameters of kith's generic APIv4 actions, as getActions lists them
// under "params": each one's type, default and whether it is required, in
// CiviCRM's order. The descriptions are kith's own words.
#include "api/records.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

namespace {

struct Param {
  const char* name;
  const char* type;   // CiviCRM's php type: array, int, bool, string
  Value default_value;
  std::string description;
  bool required = false;
};

// The parameters every action takes, after its own.
std::vector<Param> Common() {
  return {{"language", "string", nullptr, "Preferred language of the answer (optional)."},
          {"chain", "array", Value::array(), "Further calls made for every record of the result."},
          {"checkPermissions", "bool", true, "Whether the caller's permissions are checked (always, over REST)."},
          {"debug", "bool", false, "Adds debugging information to the result."}};
}

std::vector<Param> Paging(const std::string& plural, bool where_required, const char* where_text) {
  return {{"where", "array", Value::array(), where_text, where_required},
          {"orderBy", "array", Value::array(), "Field(s) the records are ordered by (default: id)."},
          {"limit", "int", 0, "The most " + plural + " to return (0: all)."},
          {"offset", "int", 0, "How many of the matching records to skip."}};
}

std::vector<Param> OwnParams(const std::string& action, const std::string& plural, const V4Hooks& hooks) {
  std::vector<Param> own;
  auto add = [&](std::vector<Param> more) { own.insert(own.end(), more.begin(), more.end()); };
  if (action == "get") {
    own = {{"select", "array", Value::array(), "Fields to return (default: every standard field, '*')."},
           {"join", "array", Value::array(), "Joins to other entities: [entity, required, conditions...]."}};
    add(Paging(plural, false, "Conditions the records must meet."));
  } else if (action == "create") {
    own = {{"values", "array", Value::array(), "Field values of the new record."}};
  } else if (action == "update") {
    own = {{"values", "array", Value::array(), "Field values to set on every matching record."},
           {"reload", "bool", false, "Answers the records as stored after the update."}};
    add(Paging(plural, true, "Conditions selecting the records to update."));
  } else if (action == "save" || action == "replace") {
    own = {{"records", "array", Value::array(), "The records to create or update (those with an id).",
            action == "save"},
           {"defaults", "array", Value::array(), "Field values every record takes unless it gives its own."},
           {"reload", "bool", false, "Answers the records as stored after the save."},
           {"match", "array", Value::array(), "Fields that find an existing record to update."}};
    if (action == "replace") {
      add({{"where", "array", Value::array(), "Conditions selecting the records replaced.", true}});
    }
  } else if (action == "delete") {
    if (hooks.delete_params.count("useTrash")) {
      own = {{"useTrash", "bool", true, "Moves the records to the trash instead of deleting them."}};
    }
    add(Paging(plural, true, "Conditions selecting the records to delete."));
  } else if (action == "getFields") {
    own = {{"loadOptions", "bool", false, "Lists each field's options: true as {id: label}, or a list of properties."},
           {"action", "string", "get", "The action whose fields are listed."},
           {"values", "array", Value::array(), "Values that narrow the fields listed."},
           {"select", "array", Value::array(), "Properties of each field to return."}};
    add(Paging("fields", false, "Conditions the fields must meet."));
  } else if (action == "getActions") {
    own = {{"select", "array", Value::array(), "Properties of each action to return."}};
    add(Paging("actions", false, "Conditions the actions must meet."));
  } else if (action == "checkAccess") {
    own = {{"action", "string", nullptr, "The action whose access is checked.", true},
           {"values", "array", Value::array(), "The values the action would be given."}};
  }
  return own;
}

}  // namespace

StatusOr<Value> ActionParams(api::ActionContext& ctx, const std::string& entity, const std::string& action,
                             const std::string& plural) {
  // The languages a call may name, as CiviCRM lists them: their names, sorted.
  store::Query q;
  q.entity = "OptionValue";
  q.select = {"name"};
  q.where = store::Condition::Leaf("option_group_id.name", store::Op::kEq, "languages");
  q.order_by = {{"name", false}};
  KITH_ASSIGN_OR_RETURN(auto languages, ctx.txn.Select(q));
  Value names = Value::array();
  for (const Value& l : languages) names.push_back(l["name"]);

  std::vector<Param> params = OwnParams(action, plural, HooksOf(entity));
  std::vector<Param> common = Common();
  std::vector<Param> last;
  if (action == "get") {  // grouping comes after the common ones in CiviCRM's list
    last = {{"groupBy", "array", Value::array(), "Field(s) the results are grouped by."},
            {"having", "array", Value::array(), "Conditions on the grouped results."}};
  }
  Value out = Value::object();
  for (const std::vector<Param>* list : {&params, &common, &last}) {
    for (const Param& p : *list) {
      Value spec{{"description", p.description}, {"comment", nullptr}, {"type", Value::array({p.type})}};
      if (p.required) spec["required"] = true;
      spec["default"] = p.default_value;
      if (std::string(p.name) == "language") spec["options"] = names;
      out[p.name] = std::move(spec);
    }
  }
  return out;
}

}  // namespace kith::entities::v4
