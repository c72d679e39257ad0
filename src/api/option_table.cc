#include "api/option_table.h"

#include <mutex>
#include <vector>

#include "api/field_values.h"

namespace kith::api {
namespace {

// `text` in ASCII lower case into `out`; false when it holds another byte.
bool AsciiLowerInto(std::string_view text, std::string& out) {
  out.assign(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return true;
}

std::optional<std::string> OptionalText(const Value& v) {
  if (v.is_null()) return std::nullopt;
  return ValueAsText(v);
}

// The table last read for a catalog (one per store: a catalog is never
// shared between stores), at the option change count it was read at.
struct Kept {
  std::weak_ptr<const schema::Catalog> catalog;
  int64_t count = 0;
  std::shared_ptr<const OptionTable> table;
};
std::mutex kept_mutex;
std::vector<Kept> kept;  // a few: one per store this process serves

}  // namespace

const OptionTable::Option* OptionTable::Keyed::Find(std::string_view text,
                                                   std::string& scratch) const {
  if (by_key_.empty() || !AsciiLowerInto(text, scratch)) return nullptr;
  auto it = by_key_.find(scratch);
  return it == by_key_.end() ? nullptr : &it->second;
}

const OptionTable::Keyed* OptionTable::Find(std::string_view group,
                                            std::string_view key_column) const {
  static const Keyed kNone;
  std::string name;
  if (!AsciiLowerInto(group, name)) return nullptr;
  if (key_column != "value" && key_column != "name") return nullptr;
  if (unanswerable_.count(std::string(key_column) + ":" + name) > 0) return nullptr;
  const auto& groups = key_column == "value" ? by_value_ : by_name_;
  auto it = groups.find(name);
  return it == groups.end() ? &kNone : &it->second;
}

StatusOr<std::shared_ptr<const OptionTable>> OptionTable::Read(store::Transaction& txn) {
  store::Query q;
  q.entity = "OptionValue";
  q.select = {"option_group_id.name", "value", "name", "label"};
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, txn.Select(q));
  auto table = std::make_shared<OptionTable>();
  std::string group, key;
  for (const Value& row : rows) {
    const Value& group_name = row["option_group_id.name"];
    if (group_name.is_null()) continue;
    if (!AsciiLowerInto(ValueAsText(group_name), group)) continue;  // never a schema's group
    Option option{OptionalText(row["label"]), OptionalText(row["name"])};
    for (const char* column : {"value", "name"}) {
      const Value& k = row[column];
      if (k.is_null()) continue;  // equal to nothing
      std::string unanswerable = std::string(column) + ":" + group;
      if (!AsciiLowerInto(ValueAsText(k), key)) {
        table->unanswerable_[unanswerable] = true;
        continue;
      }
      auto& groups = std::string_view(column) == "value" ? table->by_value_ : table->by_name_;
      if (!groups[group].by_key_.emplace(key, option).second) table->unanswerable_[unanswerable] = true;
    }
  }
  return std::shared_ptr<const OptionTable>(std::move(table));
}

StatusOr<std::shared_ptr<const OptionTable>> OptionTableFor(store::Transaction& txn) {
  std::optional<int64_t> count = txn.ChangeCount("OptionValue");
  if (!count) return std::shared_ptr<const OptionTable>();
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  {
    std::lock_guard<std::mutex> lock(kept_mutex);
    for (const Kept& k : kept) {
      if (k.count == *count && k.catalog.lock() == catalog) return k.table;
    }
  }
  KITH_ASSIGN_OR_RETURN(std::shared_ptr<const OptionTable> table, OptionTable::Read(txn));
  std::lock_guard<std::mutex> lock(kept_mutex);
  std::erase_if(kept, [&](const Kept& k) {
    std::shared_ptr<const schema::Catalog> c = k.catalog.lock();
    return c == nullptr || c == catalog;
  });
  if (kept.size() >= 8) kept.erase(kept.begin());
  kept.push_back(Kept{catalog, *count, table});
  return table;
}

}  // namespace kith::api
