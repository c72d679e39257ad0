#include "entities/custom_contact_values.h"

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/field_conditions.h"
#include "schema/schema.h"

namespace kith::entities {

using store::Condition;
using store::Op;
using store::Query;

StatusOr<std::vector<api::CustomValueWrite>> TakeContactCustomValues(api::ActionContext& ctx,
                                                                     Value& input) {
  Value custom = Value::object();
  for (auto it = input.begin(); it != input.end();) {
    if (api::ResolveCustomKey(ctx.catalog, it.key())) {
      custom[it.key()] = it.value();
      it = input.erase(it);
    } else {
      ++it;
    }
  }
  return api::PrepareCustomValues(ctx.txn, ctx.catalog, "Contact", custom);
}

Status SaveContactCustomValues(api::ActionContext& ctx, int64_t contact_id,
                               const std::vector<api::CustomValueWrite>& writes) {
  if (writes.empty()) return Status();
  Query q;
  q.entity = "Contact";
  q.select = {"contact_type", "contact_sub_type"};
  q.where = Condition::Leaf("id", Op::kEq, contact_id);
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) {
    return NotFound("Contact id " + std::to_string(contact_id) + " not found",
                    {{"error_code", "not-found"}});
  }
  std::string type = api::ValueAsText(rows[0]["contact_type"]);
  std::vector<std::string> sub_types =
      schema::SplitPaddedValues(api::ValueAsText(rows[0]["contact_sub_type"]));
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  for (const api::CustomValueWrite& w : writes) {
    const schema::CustomGroupInfo* g = catalog->FindCustomGroup(w.field->group_id);
    if (g != nullptr && g->is_active && w.field->is_active &&
        api::CustomGroupFitsContact(*g, type, sub_types)) {
      continue;
    }
    std::string message = "Invalid Custom Field Contact Type: " + type;
    if (!sub_types.empty()) message += " or Mismatched SubType: " + Join(sub_types, ", ");
    return InvalidArgument(message, {{"error_code", 2001}, {"error_field", w.key}});
  }
  return api::WriteCustomValues(ctx.txn, contact_id, writes);
}

const schema::CustomFieldInfo* ContactCustomField(const schema::Catalog& catalog,
                                                  const std::string& key) {
  const schema::CustomFieldInfo* f = catalog.FindCustomFieldByKey(key);
  if (f == nullptr || f->path.empty() || f->key() != key) return nullptr;
  const schema::CustomGroupInfo* g = catalog.FindCustomGroup(f->group_id);
  return g != nullptr && g->base_entity == "Contact" ? f : nullptr;
}

const schema::CustomFieldInfo* ContactCustomFilterField(const schema::Catalog& catalog,
                                                        const std::string& key) {
  const schema::CustomFieldInfo* f = catalog.FindCustomFieldByKey(key);
  if (f == nullptr || f->key() != key) return nullptr;
  const schema::CustomGroupInfo* g = catalog.FindCustomGroup(f->group_id);
  return g != nullptr && g->base_entity == "Contact" ? f : nullptr;
}

namespace {

// The values a multi-value criterion asks for: a list, the {value: 1} form,
// or one value.
std::vector<std::string> WantedValues(const Value& value) {
  std::vector<std::string> out;
  if (value.is_object()) {
    bool positional = true;
    size_t i = 0;
    for (const auto& [k, v] : value.items()) positional = positional && k == std::to_string(i++);
    for (const auto& [k, v] : value.items()) {
      std::string text = api::ValueAsText(v);
      if (positional) {
        out.push_back(text);
      } else if (!text.empty() && text != "0") {
        out.push_back(k);
      }
    }
  } else if (value.is_array()) {
    for (const Value& v : value) out.push_back(api::ValueAsText(v));
  } else {
    out.push_back(api::ValueAsText(value));
  }
  return out;
}

}  // namespace

StatusOr<Condition> CustomFieldCriterion(const schema::CustomFieldInfo& field,
                                         const std::string& key, const Value& value,
                                         bool percent_means_like) {
  Condition on_column;
  bool plain = !IsOperatorObject(value);
  if (field.serialized && (plain || (value.begin().key() == "IN"))) {
    std::vector<Condition> any;
    for (const std::string& v : WantedValues(plain ? value : value.begin().value())) {
      any.push_back(Condition::Leaf(field.column, Op::kContains, v));
    }
    on_column = any.size() == 1 ? std::move(any[0]) : Condition::Or(std::move(any));
  } else {
    Value criterion = value;
    if (plain && field.data_type == "Date" && !value.is_object() && !value.is_array()) {
      if (auto d = api::NormalizeDate(api::ValueAsText(value), true)) criterion = *d;
    }
    KITH_ASSIGN_OR_RETURN(on_column, BuildFieldCondition(field.column, key, criterion,
                                                         FieldMatchOptions{false, percent_means_like}));
  }
  return api::CustomFieldCondition(field, std::move(on_column));
}

}  // namespace kith::entities
