#include "entities/contact_tags_notes.h"

#include "api/records.h"

namespace kith::entities {

using store::Condition;
using store::Op;
using store::Query;

Condition TaggedWith(const std::vector<int64_t>& tag_ids, bool negate) {
  Value ids = Value::array();
  for (int64_t id : tag_ids) ids.push_back(id);
  Query q;
  q.entity = "EntityTag";
  q.select = {"entity_id"};
  // One tag as an equality: then (entity_id, entity_table, tag_id) is unique
  // and the store walks the tagged contacts in id order, stopping after a page.
  Condition tag = tag_ids.size() == 1 ? Condition::Leaf("tag_id", Op::kEq, tag_ids[0])
                                      : Condition::Leaf("tag_id", Op::kIn, std::move(ids));
  q.where = Condition::And({std::move(tag), Condition::Leaf("entity_table", Op::kEq, kContactTable)});
  return Condition::InQuery("id", std::move(q), negate);
}

StatusOr<TagCounts> ChangeEntityTags(api::ActionContext& ctx, const std::string& entity_table,
                                     const std::vector<int64_t>& entity_ids,
                                     const std::vector<int64_t>& tag_ids, bool removing) {
  TagCounts counts;
  for (int64_t tag : tag_ids) {
    for (int64_t entity_id : entity_ids) {
      ++counts.total;
      Query q;
      q.entity = "EntityTag";
      q.select = {"id"};
      q.where = Condition::And({Condition::Leaf("entity_id", Op::kEq, entity_id),
                                Condition::Leaf("entity_table", Op::kEq, entity_table),
                                Condition::Leaf("tag_id", Op::kEq, tag)});
      KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
      if (rows.empty() == removing) {
        ++counts.unchanged;
        continue;
      }
      ++counts.changed;
      if (removing) {
        KITH_RETURN_IF_ERROR(ctx.txn.Delete("EntityTag", rows[0]["id"].get<int64_t>()));
      } else {
        Value row{{"entity_table", entity_table}, {"entity_id", entity_id}, {"tag_id", tag}};
        KITH_RETURN_IF_ERROR(api::CreateRecord(ctx, "EntityTag", std::move(row)).status());
      }
    }
  }
  return counts;
}

namespace {

// The EntityTag rows of record `entity_id` of `entity_table`, in tag id order.
StatusOr<std::vector<Value>> TagRows(store::Transaction& txn, const std::string& entity_table,
                                     int64_t entity_id, std::vector<std::string> select) {
  Query q;
  q.entity = "EntityTag";
  q.select = std::move(select);
  q.where = Condition::And({Condition::Leaf("entity_id", Op::kEq, entity_id),
                            Condition::Leaf("entity_table", Op::kEq, entity_table)});
  q.order_by = {{"tag_id"}};
  return txn.Select(q);
}

}  // namespace

StatusOr<std::vector<std::string>> TagNames(store::Transaction& txn, const std::string& entity_table,
                                            int64_t entity_id) {
  KITH_ASSIGN_OR_RETURN(auto rows, TagRows(txn, entity_table, entity_id, {"tag_id", "tag_id.name"}));
  std::vector<std::string> names;
  for (const Value& r : rows) names.push_back(r["tag_id.name"].get<std::string>());
  return names;
}

StatusOr<std::vector<int64_t>> TagIds(store::Transaction& txn, const std::string& entity_table,
                                      int64_t entity_id) {
  KITH_ASSIGN_OR_RETURN(auto rows, TagRows(txn, entity_table, entity_id, {"tag_id"}));
  std::vector<int64_t> ids;
  for (const Value& r : rows) ids.push_back(r["tag_id"].get<int64_t>());
  return ids;
}

Status DeleteContactTagsAndNotes(store::Transaction& txn, int64_t contact_id) {
  for (const char* entity : {"EntityTag", "Note"}) {
    Query q;
    q.entity = entity;
    q.select = {"id"};
    q.where = Condition::And({Condition::Leaf("entity_id", Op::kEq, contact_id),
                              Condition::Leaf("entity_table", Op::kEq, kContactTable)});
    KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
    for (const Value& r : rows) KITH_RETURN_IF_ERROR(txn.Delete(entity, r["id"].get<int64_t>()));
  }
  return Status();
}

}  // namespace kith::entities
