#include "entities/v2/v2_actions.h"

#include "api/custom_data.h"
#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_tags_notes.h"
#include "entities/group_ops.h"
#include "entities/v2/v2_params.h"

namespace kith::entities::v2 {
namespace {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

StatusOr<Value> TagGet(ActionContext& ctx) {
  const Value& p = ctx.params;
  std::string id = p.contains("id") ? api::ValueAsText(p["id"]) : "";
  std::string name = p.contains("name") ? api::ValueAsText(p["name"]) : "";
  if (id.empty() && name.empty()) return InvalidArgument("Required parameters missing.");
  const schema::Entity& tag = *ctx.catalog.Find("Tag");
  Query q;
  q.entity = "Tag";
  for (const schema::Field& f : tag.fields) q.select.push_back(f.name);
  std::vector<Condition> where;
  if (!id.empty()) {
    KITH_ASSIGN_OR_RETURN(int64_t n, IdValue(p["id"], "id"));
    where.push_back(Condition::Leaf("id", Op::kEq, n));
  }
  if (!name.empty()) where.push_back(Condition::Leaf("name", Op::kEq, name));
  q.where = Condition::And(std::move(where));
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) return InvalidArgument("Exact match not found");
  Value out = Value::object();
  for (const schema::Field& f : tag.fields) {
    const Value& v = rows[0][f.name];
    if (v.is_null()) continue;  // 3.2 leaves NULL columns out
    std::string text = api::ValueAsText(v);
    if (f.serialized) text = Join(schema::SplitStoredValues(f, text), ",");
    out[f.name] = text;
  }
  return out;
}

// The records a call names (contact_id..., else entity_id...) and their table.
struct Tagged {
  std::string table = kContactTable;
  std::vector<int64_t> ids;
};

StatusOr<Tagged> TaggedRecords(const Value& p) {
  Tagged t;
  KITH_ASSIGN_OR_RETURN(t.ids, PrefixedIds(p, "contact_id"));
  if (t.ids.empty()) {
    KITH_ASSIGN_OR_RETURN(t.ids, PrefixedIds(p, "entity_id"));
    if (p.contains("entity_table") && !api::ValueAsText(p["entity_table"]).empty()) {
      t.table = api::ValueAsText(p["entity_table"]);
    }
  }
  if (t.ids.empty()) return InvalidArgument("contact_id is a required field");
  return t;
}

StatusOr<Value> EntityTagChange(ActionContext& ctx, bool removing) {
  KITH_ASSIGN_OR_RETURN(Tagged records, TaggedRecords(ctx.params));
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> tags, PrefixedIds(ctx.params, "tag_id"));
  if (tags.empty()) return InvalidArgument("tag_id is a required field");
  if (records.table == kContactTable) {
    KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", records.ids));
  }
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Tag", "tag_id", tags));
  KITH_ASSIGN_OR_RETURN(TagCounts counts,
                        ChangeEntityTags(ctx, records.table, records.ids, tags, removing));
  return Value{{"is_error", 0},
               {"total_count", counts.total},
               {removing ? "removed" : "added", counts.changed},
               {removing ? "not_removed" : "not_added", counts.unchanged}};
}

StatusOr<Value> EntityTagGet(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(Tagged records, TaggedRecords(ctx.params));
  Query q;
  q.entity = "EntityTag";
  q.select = {"tag_id"};
  q.where = Condition::And({Condition::Leaf("entity_id", Op::kEq, records.ids[0]),
                            Condition::Leaf("entity_table", Op::kEq, records.table)});
  q.order_by = {{"tag_id"}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  Value out = Value::array();
  for (const Value& r : rows) out.push_back(Value{{"tag_id", api::ValueAsText(r["tag_id"])}});
  return out;
}

StatusOr<Value> EntityTagDisplay(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(Tagged records, TaggedRecords(ctx.params));
  KITH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                        TagNames(ctx.txn, records.table, records.ids[0]));
  return Value(Join(names, ","));
}

}  // namespace

void RegisterTagV2Actions(api::ActionRegistry& registry) {
  const std::vector<std::string> kRead = {"access CiviCRM", "view all contacts"};
  const std::vector<std::string> kEdit = {"access CiviCRM", "edit all contacts"};
  registry.Register({2, "Tag", "get", kRead, false, "One tag by id or name", TagGet});
  registry.Register({2, "EntityTag", "add", kEdit, true, "Tags contacts",
                     [](ActionContext& ctx) { return EntityTagChange(ctx, false); }});
  registry.Register({2, "EntityTag", "remove", kEdit, true, "Untags contacts",
                     [](ActionContext& ctx) { return EntityTagChange(ctx, true); }});
  registry.Register({2, "EntityTag", "get", kRead, false, "The tags of a contact", EntityTagGet});
  registry.Register({2, "EntityTag", "display", kRead, false,
                     "The names of a contact's tags, comma-separated", EntityTagDisplay});
}

}  // namespace kith::entities::v2
