#include "schema/custom_schema.h"

#include <algorithm>
#include <map>
#include <utility>

#include "base/strings.h"
#include "schema/entity_builder.h"

namespace kith::schema {
namespace {

struct DataTypeRule {
  const char* data_type;
  std::vector<const char*> html_types;  // the first is the default
};

// CiviCRM's data type / html type pairs (CRM_Core_BAO_CustomField's
// dataToHtml), with 3.2's AdvMulti-Select kept for old clients.
const std::vector<DataTypeRule>& DataTypeRules() {
  static const std::vector<DataTypeRule> rules = {
      {"String", {"Text", "Select", "Radio", "CheckBox", "Multi-Select", "AdvMulti-Select",
                  "Autocomplete-Select"}},
      {"Int", {"Text", "Select", "Radio", "CheckBox", "Multi-Select"}},
      {"Float", {"Text", "Select", "Radio", "CheckBox", "Multi-Select"}},
      {"Money", {"Text", "Select", "Radio", "CheckBox", "Multi-Select"}},
      {"Memo", {"TextArea", "RichTextEditor"}},
      {"Date", {"Select Date"}},
      {"Boolean", {"Radio"}},
      {"Link", {"Link"}},
      {"Country", {"Select Country", "Multi-Select Country", "Select", "Multi-Select"}},
      {"StateProvince", {"Select State/Province", "Multi-Select State/Province", "Select",
                         "Multi-Select"}},
      {"ContactReference", {"Autocomplete-Select"}},
  };
  return rules;
}

const DataTypeRule* FindRule(std::string_view data_type) {
  for (const DataTypeRule& r : DataTypeRules()) {
    if (data_type == r.data_type) return &r;
  }
  return nullptr;
}

std::string Text(const Value& row, const char* key) {
  if (!row.contains(key) || row[key].is_null()) return "";
  const Value& v = row[key];
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

int64_t Int(const Value& row, const char* key, int64_t fallback = 0) {
  if (!row.contains(key)) return fallback;
  const Value& v = row[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_string()) return ParseInt64(v.get<std::string>()).value_or(fallback);
  return fallback;
}

// "\x01A\x01B\x01" (or a plain "A") -> {"A", "B"}.
std::vector<std::string> Unpad(const std::string& text) {
  std::vector<std::string> out;
  for (std::string_view part : Split(text, '\x01', /*skip_empty=*/true)) {
    std::string_view trimmed = TrimAscii(part);
    if (!trimmed.empty()) out.emplace_back(trimmed);
  }
  return out;
}

// The schema field holding one custom field's values.
Field ColumnField(const CustomFieldInfo& info, const Value& row) {
  Field f;
  f.name = info.column;
  f.title = info.label;
  f.option_group = info.option_group;
  if (info.serialized) {
    f.type = FieldType::kText;
    f.serialized = true;
    return f;
  }
  const std::string& dt = info.data_type;
  if (dt == "Int") {
    f.type = FieldType::kInt;
  } else if (dt == "Float") {
    f.type = FieldType::kFloat;
  } else if (dt == "Money") {
    f.type = FieldType::kMoney;
  } else if (dt == "Memo") {
    f.type = FieldType::kText;
  } else if (dt == "Date") {
    f.type = FieldType::kDateTime;  // CiviCRM keeps custom dates as datetime
  } else if (dt == "Boolean") {
    f.type = FieldType::kBool;
    f.nullable = true;
    f.choices = {{"1", "Yes"}, {"0", "No"}};  // CiviCRM's options of a Boolean custom field
  } else if (std::string target = CustomDataTypeEntity(dt); !target.empty()) {
    f.type = FieldType::kInt;
    f.fk_entity = target;
  } else {
    f.type = FieldType::kString;
    int64_t length = Int(row, "text_length");
    f.max_length = length > 0 ? static_cast<int>(length) : 255;
  }
  return f;
}

CustomGroupInfo GroupInfo(const Catalog& base, const Value& row) {
  CustomGroupInfo g;
  g.id = Int(row, "id");
  g.name = Text(row, "name");
  g.title = Text(row, "title");
  g.extends = Text(row, "extends");
  g.sub_types = Unpad(Text(row, "extends_entity_column_value"));
  g.base_entity = ExtendsBaseEntity(base, g.extends);
  g.entity = CustomGroupEntityName(g.name);
  g.table = Text(row, "table_name");
  g.is_multiple = Int(row, "is_multiple") != 0;
  g.is_active = Int(row, "is_active", 1) != 0;
  if (!g.is_multiple) g.join = CustomGroupJoinName(g.name);
  return g;
}

CustomFieldInfo FieldInfo(const CustomGroupInfo& group, const Value& row) {
  CustomFieldInfo f;
  f.id = Int(row, "id");
  f.group_id = group.id;
  f.name = Text(row, "name");
  f.label = Text(row, "label");
  f.data_type = Text(row, "data_type");
  f.html_type = Text(row, "html_type");
  f.column = Text(row, "column_name");
  f.entity = group.entity;
  if (!group.join.empty()) f.path = group.join + "." + f.column;
  f.option_group = Text(row, kOptionGroupNamePath);
  f.default_value = Text(row, "default_value");
  f.serialized = Int(row, "serialize") != 0;
  f.is_active = Int(row, "is_active", 1) != 0;
  f.is_required = Int(row, "is_required") != 0;
  f.is_searchable = Int(row, "is_searchable") != 0;
  f.is_view = Int(row, "is_view") != 0;
  return f;
}

bool IsIdentifier(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<CustomKey> ParseCustomKey(std::string_view key) {
  constexpr std::string_view kPrefix = "custom_";
  if (key.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = key.substr(kPrefix.size());
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits == 0 || digits > 18) return std::nullopt;
  CustomKey out;
  out.field_id = *ParseInt64(rest.substr(0, digits));
  std::string_view row = rest.substr(digits);
  if (!row.empty() && row[0] == '_') row.remove_prefix(1);
  if (row.empty()) return out;
  if (row.size() > 19) return std::nullopt;
  auto n = ParseInt64(row);
  if (!n || row[0] == '+') return std::nullopt;
  out.row = *n;
  return out;
}

std::string MungeName(std::string_view text, size_t max_length) {
  std::string out;
  bool in_run = false;
  for (char c : TrimAscii(text)) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (keep) {
      out += c;
      in_run = false;
    } else if (!in_run) {
      out += '_';
      in_run = true;
    }
  }
  if (out.size() > max_length) out.resize(max_length);
  return out;
}

bool IsCustomDataType(std::string_view data_type) { return FindRule(data_type) != nullptr; }

bool HtmlTypeFits(std::string_view data_type, std::string_view html_type) {
  const DataTypeRule* rule = FindRule(data_type);
  if (rule == nullptr) return false;
  return std::any_of(rule->html_types.begin(), rule->html_types.end(),
                     [&](const char* h) { return html_type == h; });
}

std::string DefaultHtmlType(std::string_view data_type) {
  const DataTypeRule* rule = FindRule(data_type);
  return rule == nullptr ? "Text" : rule->html_types.front();
}

bool HtmlTypeIsMultiple(std::string_view html_type) {
  return html_type == "CheckBox" || html_type == "Multi-Select" ||
         html_type == "AdvMulti-Select" || html_type == "Multi-Select Country" ||
         html_type == "Multi-Select State/Province";
}

std::string CustomDataTypeEntity(std::string_view data_type) {
  if (data_type == "Country") return "Country";
  if (data_type == "StateProvince") return "StateProvince";
  if (data_type == "ContactReference") return "Contact";
  return "";
}

std::string ExtendsBaseEntity(const Catalog& catalog, std::string_view extends) {
  if (extends == "Contact" || extends == "Individual" || extends == "Household" ||
      extends == "Organization") {
    return "Contact";
  }
  if ((extends == "Group" || extends == "Relationship") && catalog.Find(extends) != nullptr) {
    return std::string(extends);
  }
  return "";
}

std::string CustomGroupEntityName(std::string_view group_name) {
  return "Custom_" + std::string(group_name);
}

std::string CustomGroupJoinName(std::string_view group_name) {
  return "custom_" + std::string(group_name);
}

std::shared_ptr<const Catalog> DeriveCatalog(const Catalog& base, const std::vector<Value>& groups,
                                             const std::vector<Value>& fields) {
  auto catalog = std::make_shared<Catalog>(base);
  std::map<std::string, Entity> extended;  // entities gaining joins, by name
  std::vector<CustomFieldInfo> infos;
  for (const Value& group_row : groups) {
    CustomGroupInfo g = GroupInfo(base, group_row);
    const Entity* target = g.base_entity.empty() ? nullptr : base.Find(g.base_entity);
    // Names reach SQL text: derive only from rows kith wrote (munged names).
    if (target == nullptr || !IsIdentifier(g.name) || !IsIdentifier(g.table)) continue;
    EntityBuilder b(g.entity, g.table);
    b.Int("entity_id", "Entity ID").Fk(g.base_entity).Required();
    if (!g.is_multiple) b.Unique().Hidden();  // APIv4 serves only multi-record groups as entities
    b.Permissions(target->get_permissions, target->update_permissions,
                  target->update_permissions, target->update_permissions);
    Entity e = b.Build();
    for (const Value& row : fields) {
      if (Int(row, "custom_group_id") != g.id) continue;
      CustomFieldInfo f = FieldInfo(g, row);
      if (!IsIdentifier(f.column) || e.FindField(f.column) != nullptr) continue;
      e.fields.push_back(ColumnField(f, row));
      // (value, entity_id): the entities having a value, in id order, from
      // the index alone (a page of them stops early).
      if (f.is_searchable) e.indexes.push_back({f.column, "entity_id"});
      infos.push_back(std::move(f));
    }
    if (!g.join.empty()) {
      auto it = extended.find(g.base_entity);
      if (it == extended.end()) it = extended.emplace(g.base_entity, *target).first;
      it->second.joins.push_back(ReverseJoin{g.join, g.entity, "entity_id", {}});
    }
    catalog->Add(std::move(e));
    catalog->AddCustomGroup(std::move(g));
  }
  for (auto& [name, entity] : extended) catalog->Add(std::move(entity));
  for (CustomFieldInfo& f : infos) catalog->AddCustomField(std::move(f));
  return catalog;
}

}  // namespace kith::schema
