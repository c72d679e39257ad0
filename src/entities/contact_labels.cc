#include "entities/contact_labels.h"

#include <algorithm>

#include "api/field_values.h"

namespace kith::entities {

using store::Condition;
using store::Op;

std::optional<ContactLabel> ContactLabelOf(const schema::Catalog& catalog, std::string_view path,
                                           const api::OptionTable& options) {
  constexpr std::string_view kLabel = ":label";
  if (path.size() <= kLabel.size() || !path.ends_with(kLabel)) return std::nullopt;
  std::string source(path.substr(0, path.size() - kLabel.size()));
  const schema::Entity* contact = catalog.Find("Contact");
  const schema::Field* f = contact == nullptr ? nullptr : contact->FindField(source);
  if (f == nullptr || f->option_group.empty() || !f->choices.empty() || !f->fk_entity.empty()) {
    return std::nullopt;
  }
  const api::OptionTable::Keyed* keyed = options.Find(f->option_group, f->option_key);
  if (keyed == nullptr) return std::nullopt;
  return ContactLabel{std::move(source), f, keyed};
}

StatusOr<const std::string*> ContactLabelText(store::Transaction& txn, const ContactLabel& label,
                                              std::string_view text, std::string& scratch,
                                              std::string& fetched) {
  bool ascii = std::all_of(text.begin(), text.end(),
                           [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
  if (ascii) {
    const api::OptionTable::Option* o = label.options->Find(text, scratch);
    return o != nullptr && o->label ? &*o->label : nullptr;
  }
  store::Query q;
  q.entity = "OptionValue";
  q.select = {"label"};
  q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, label.field->option_group),
                            Condition::Leaf(label.field->option_key, Op::kEq, std::string(text))});
  q.order_by = {{"id", false}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty() || rows[0]["label"].is_null()) return nullptr;
  fetched = api::ValueAsText(rows[0]["label"]);
  return &fetched;
}

}  // namespace kith::entities
