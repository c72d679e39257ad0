// Contact in APIv3, where it differs from the generic actions: get answers
// CiviCRM's joined row (primary email, phone and address, labels beside ids;
// shared/PROTOCOL.md C.4.1) with the fields of the filters used; trashed
// contacts stay hidden unless asked for; create checks the contact type and
// names, writes a plain `email`, can refuse duplicates (dupe_check) and
// answers every column; delete moves to the trash, deletes for good
// (skip_undelete) or restores (restore).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/option_table.h"
#include "api/records.h"
#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "entities/contact_filters.h"
#include "entities/contact_labels.h"
#include "entities/kept_id_search.h"
#include "entities/row_texts.h"
#include "entities/contact_rules.h"
#include "entities/contact_tags_notes.h"
#include "entities/custom_contact_values.h"
#include "entities/field_conditions.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

// A column of the v3 contact row: its key, its store path ("" for the
// computed ones), and whether a get without `return` shows it.
struct Column {
  const char* key;
  const char* path;
  bool by_default;
};

// In the order CiviCRM 6 answers them (the corpus' default row).
const std::vector<Column>& Columns() {
  static const std::vector<Column> columns = {
      {"contact_id", "id", true},
      {"contact_type", "contact_type", true},
      {"contact_sub_type", "contact_sub_type", true},
      {"sort_name", "sort_name", true},
      {"display_name", "display_name", true},
      {"external_identifier", "external_identifier", true},
      {"organization_name", "organization_name", true},
      {"first_name", "first_name", true},
      {"middle_name", "middle_name", true},
      {"last_name", "last_name", true},
      {"do_not_email", "do_not_email", true},
      {"do_not_phone", "do_not_phone", true},
      {"do_not_mail", "do_not_mail", true},
      {"do_not_sms", "do_not_sms", true},
      {"do_not_trade", "do_not_trade", true},
      {"is_opt_out", "is_opt_out", true},
      {"legal_identifier", "legal_identifier", true},
      {"nick_name", "nick_name", true},
      {"legal_name", "legal_name", true},
      {"image_URL", "image_URL", true},
      {"preferred_communication_method", "preferred_communication_method", true},
      {"preferred_language", "preferred_language", true},
      {"contact_source", "source", true},
      {"prefix_id", "prefix_id", true},
      {"suffix_id", "suffix_id", true},
      {"formal_title", "formal_title", true},
      {"communication_style_id", "communication_style_id", true},
      {"job_title", "job_title", true},
      {"gender_id", "gender_id", true},
      {"birth_date", "birth_date", true},
      {"is_deceased", "is_deceased", true},
      {"deceased_date", "deceased_date", true},
      {"household_name", "household_name", true},
      {"sic_code", "sic_code", true},
      {"contact_is_deleted", "is_deleted", true},
      {"current_employer", "employer_id.organization_name", true},
      {"address_id", "address_primary.id", true},
      {"street_address", "address_primary.street_address", true},
      {"supplemental_address_1", "address_primary.supplemental_address_1", true},
      {"supplemental_address_2", "address_primary.supplemental_address_2", true},
      {"supplemental_address_3", "address_primary.supplemental_address_3", true},
      {"city", "address_primary.city", true},
      {"postal_code_suffix", "address_primary.postal_code_suffix", true},
      {"postal_code", "address_primary.postal_code", true},
      {"geo_code_1", "address_primary.geo_code_1", true},
      {"geo_code_2", "address_primary.geo_code_2", true},
      {"state_province_id", "address_primary.state_province_id", true},
      {"country_id", "address_primary.country_id", true},
      {"phone_id", "phone_primary.id", true},
      {"phone_type_id", "phone_primary.phone_type_id", true},
      {"phone", "phone_primary.phone", true},
      {"email_id", "email_primary.id", true},
      {"email", "email_primary.email", true},
      {"on_hold", "email_primary.on_hold", true},
      {"im_id", "", true},  // kith keeps no IM accounts
      {"provider_id", "", true},
      {"im", "", true},
      {"worldregion_id", "address_primary.country_id.region_id", true},
      {"world_region", "address_primary.country_id.region_id.name", true},
      {"languages", "preferred_language:label", true},
      {"individual_prefix", "prefix_id:label", true},
      {"individual_suffix", "suffix_id:label", true},
      {"communication_style", "communication_style_id:label", true},
      {"gender", "gender_id:label", true},
      {"state_province_name", "address_primary.state_province_id.name", true},
      {"state_province", "address_primary.state_province_id.abbreviation", true},
      {"country", "address_primary.country_id.name", true},
      // Not in the default row; answered when asked for.
      {"hash", "hash", false},
      // The greetings as rendered (*_display) are no APIv3 get column: an id
      // brings its option's label (the template) instead.
      {"email_greeting_id", "email_greeting_id", false},
      {"email_greeting", "email_greeting_id:label", false},
      {"postal_greeting_id", "postal_greeting_id", false},
      {"postal_greeting", "postal_greeting_id:label", false},
      {"addressee_id", "addressee_id", false},
      {"addressee", "addressee_id:label", false},
      {"primary_contact_id", "primary_contact_id", false},
      {"user_unique_id", "user_unique_id", false},
      {"created_date", "created_date", false},
      {"modified_date", "modified_date", false},
      {"groups", "", false},  // ids of the groups the contact is Added to
      {"tags", "", false},    // names of the contact's tags
  };
  return columns;
}

const Column* FindColumn(const std::string& key) {
  for (const Column& c : Columns()) {
    if (key == c.key) return &c;
  }
  return nullptr;
}

// Names a `return` or a filter may use for a column.
std::string ColumnKey(const std::string& name) {
  if (name == "id") return "contact_id";
  if (name == "is_deleted") return "contact_is_deleted";
  if (name == "source") return "contact_source";
  if (name == "group") return "groups";
  if (name == "tag") return "tags";
  return name;
}

// Keys answered together with another, as CiviCRM's query adds them.
std::vector<std::string> Companions(const std::string& key) {
  static const std::set<std::string> kAddress = {
      "street_address", "supplemental_address_1", "supplemental_address_2",
      "supplemental_address_3", "city", "postal_code_suffix", "postal_code", "geo_code_1",
      "geo_code_2", "state_province_id", "country_id", "state_province", "state_province_name",
      "country", "world_region", "worldregion_id"};
  std::vector<std::string> out;
  if (kAddress.count(key)) out.push_back("address_id");
  if (key == "state_province") {
    out.push_back("state_province_id");
    out.push_back("state_province_name");
  }
  if (key == "country") out.push_back("country_id");
  if (key == "world_region") out.push_back("worldregion_id");
  if (key == "email" || key == "on_hold") out.push_back("email_id");
  if (key == "phone") {
    out.push_back("phone_id");
    out.push_back("phone_type_id");
  }
  if (key == "im") {
    out.push_back("im_id");
    out.push_back("provider_id");
  }
  if (key == "gender") out.push_back("gender_id");
  if (key == "individual_prefix") out.push_back("prefix_id");
  if (key == "individual_suffix") out.push_back("suffix_id");
  if (key == "communication_style") out.push_back("communication_style_id");
  // An option id brings its label (CiviCRM's query adds the pseudo field).
  static const std::map<std::string, std::string> kLabelOf = {
      {"prefix_id", "individual_prefix"},   {"suffix_id", "individual_suffix"},
      {"gender_id", "gender"},              {"communication_style_id", "communication_style"},
      {"email_greeting_id", "email_greeting"}, {"postal_greeting_id", "postal_greeting"},
      {"addressee_id", "addressee"}};
  auto label = kLabelOf.find(key);
  if (label != kLabelOf.end()) out.push_back(label->second);
  return out;
}

// Which of Columns() a get answers, by their place in it.
class ColumnSet {
 public:
  void Add(const Column& c) { on_[static_cast<size_t>(&c - Columns().data())] = true; }
  void Add(const std::string& key) {
    if (const Column* c = FindColumn(key)) Add(*c);
  }
  bool Has(const Column& c) const { return on_[static_cast<size_t>(&c - Columns().data())]; }
  bool Has(const std::string& key) const {
    const Column* c = FindColumn(key);
    return c != nullptr && Has(*c);
  }

 private:
  std::vector<bool> on_ = std::vector<bool>(Columns().size());
};

struct ContactSelection {
  ColumnSet keys;                                      // standard columns
  std::vector<const schema::CustomFieldInfo*> custom;  // custom fields asked for or filtered
};

void SelectKey(const schema::Catalog& catalog, const std::string& name, ContactSelection& sel) {
  std::string key = ColumnKey(name);
  if (const Column* c = FindColumn(key)) {
    sel.keys.Add(*c);
    for (const std::string& k : Companions(key)) sel.keys.Add(k);
    return;
  }
  const schema::CustomFieldInfo* cf = ContactCustomField(catalog, name);
  if (cf != nullptr &&
      std::find(sel.custom.begin(), sel.custom.end(), cf) == sel.custom.end()) {
    sel.custom.push_back(cf);
  }
}

// Trash filter: hidden unless the criteria name the trash (kith answers
// is_deleted=1 with the trashed contacts; CiviCRM's REST finds none).
bool MentionsTrash(const Value& params) {
  return params.contains("is_deleted") || params.contains("contact_is_deleted") ||
         params.contains("showAll");
}

// A label column answered from the options kept in memory (OptionTable)
// rather than by joining the option tables (contact_labels.h).
struct MemoryLabel : ContactLabel {
  const Column* column;
};

struct ContactQuery {
  Query query;
  ContactSelection selection;
  std::vector<std::string> undefined;
  std::vector<MemoryLabel> labels;
  std::shared_ptr<const api::OptionTable> options;  // holds `labels`' options
};

StatusOr<ContactQuery> BuildQuery(ActionContext& ctx, const Value& params, const V3Options& options,
                                  bool for_count) {
  ContactQuery out;
  Value criteria = Value::object();
  for (const auto& [key, value] : params.items()) {
    if (IsMetaParam(key, value)) continue;
    if ((key == "id" || key == "contact_id") && value == "user_contact_id") {
      criteria[key] = ctx.caller.contact_id;
    } else if (key == "showAll") {
      continue;
    } else if (key == "filter.group_id" || key == "filter_group_id") {
      // CiviCRM's older name of the group filter (a list or "1,2,3").
      if (!params.contains("group")) criteria["group"] = value;
    } else {
      criteria[key] = value;
    }
  }
  if (params.contains("showAll")) {
    std::string show = AsciiLower(api::ValueAsText(params["showAll"]));
    if (show == "trash") criteria["is_deleted"] = 1;
    if (show == "active") criteria["is_deleted"] = 0;
  }
  // Custom criteria are columns of the custom group's join.
  std::vector<Condition> custom;
  Value standard = Value::object();
  for (const auto& [key, value] : criteria.items()) {
    const schema::CustomFieldInfo* cf = ContactCustomFilterField(ctx.catalog, key);
    if (cf != nullptr) {
      KITH_ASSIGN_OR_RETURN(Condition c, CustomFieldCriterion(*cf, key, value, true));
      custom.push_back(std::move(c));
    } else {
      standard[key] = value;
    }
  }
  ContactFilterOptions filter_options;
  filter_options.email_substring = false;
  filter_options.txn = &ctx.txn;
  KITH_ASSIGN_OR_RETURN(ContactFilter filter,
                        BuildContactFilter(ctx.catalog, standard, filter_options));
  out.undefined = filter.unknown;
  out.query.entity = "Contact";
  out.query.where = std::move(filter.condition);
  for (Condition& c : custom) out.query.where.children.push_back(std::move(c));
  if (!MentionsTrash(params) && !(params.contains("showAll") &&
                                  AsciiLower(api::ValueAsText(params["showAll"])) == "all")) {
    out.query.where.children.push_back(Condition::Leaf("is_deleted", Op::kEq, 0));
  }
  if (for_count) return out;

  // The columns: those asked for (or the default row), the filters' own,
  // and contact_is_deleted when it filtered by default (no id given).
  ContactSelection& sel = out.selection;
  std::vector<std::string> asked = ReturnFields(params);
  if (asked.empty()) {
    for (const Column& c : Columns()) {
      if (c.by_default) sel.keys.Add(c);
    }
  }
  for (const std::string& name : asked) SelectKey(ctx.catalog, name, sel);
  std::set<std::string> unknown(out.undefined.begin(), out.undefined.end());
  for (const auto& [key, value] : criteria.items()) {
    if (!unknown.count(key)) SelectKey(ctx.catalog, key, sel);
  }
  bool has_id = params.contains("id") && !api::ValueAsText(params["id"]).empty();
  if (!has_id) sel.keys.Add("contact_is_deleted");
  sel.keys.Add("contact_id");
  // Custom fields: by group, then by column name (CiviCRM's order).
  std::sort(sel.custom.begin(), sel.custom.end(),
            [](const schema::CustomFieldInfo* a, const schema::CustomFieldInfo* b) {
              return a->group_id != b->group_id ? a->group_id < b->group_id : a->column < b->column;
            });

  Query& q = out.query;
  q.select = {"id"};
  bool options_read = false;
  for (const Column& c : Columns()) {
    if (sel.keys.Has(c) && c.path[0] != '\0' && std::string_view(c.path) != "id") {
      if (std::string_view(c.path).ends_with(":label")) {
        if (!options_read) {
          KITH_ASSIGN_OR_RETURN(out.options, api::OptionTableFor(ctx.txn));
          options_read = true;
        }
        if (out.options != nullptr) {
          if (std::optional<ContactLabel> label = ContactLabelOf(ctx.catalog, c.path, *out.options)) {
            out.labels.push_back(MemoryLabel{std::move(*label), &c});
            continue;
          }
        }
      }
      q.select.push_back(c.path);
    }
  }
  for (const MemoryLabel& label : out.labels) {
    if (std::find(q.select.begin(), q.select.end(), label.source) == q.select.end()) {
      q.select.push_back(label.source);
    }
  }
  for (const schema::CustomFieldInfo* cf : sel.custom) {
    q.select.push_back(cf->path);
    const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(cf->group_id);
    if (g != nullptr && !g->join.empty()) {
      std::string row_path = g->join + ".id";
      if (std::find(q.select.begin(), q.select.end(), row_path) == q.select.end()) {
        q.select.push_back(row_path);
      }
    }
  }
  KITH_ASSIGN_OR_RETURN(
      q.order_by, ParseSort(options.sort, [&](const std::string& key) -> std::optional<std::string> {
        const Column* c = FindColumn(ColumnKey(key));
        if (c != nullptr && c->path[0] != '\0') return std::string(c->path);
        const schema::CustomFieldInfo* cf = ContactCustomField(ctx.catalog, key);
        if (cf != nullptr) return cf->path;
        return std::nullopt;
      }));
  if (q.order_by.empty()) q.order_by.push_back({"id", false});
  q.limit = options.limit;
  q.offset = options.offset;
  return out;
}

StatusOr<std::string> GroupsOf(ActionContext& ctx, const Value& contact_id) {
  const schema::Entity* gc = ctx.catalog.Find("GroupContact");
  if (gc == nullptr) return std::string();
  Query q;
  q.entity = "GroupContact";
  q.select = {"group_id"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact_id),
                            Condition::Leaf("status", Op::kEq, "Added")});
  q.order_by = {{"group_id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  std::vector<std::string> ids;
  for (const Value& r : rows) ids.push_back(api::ValueAsText(r["group_id"]));
  return Join(ids, ",");
}

// A column of the answer's rows: where its value is among the selected
// columns (the option field's, for a label looked up in memory).
struct Wanted {
  const Column* column;
  std::optional<size_t> at;
  const MemoryLabel* label = nullptr;
};

// The rows of a contact get written to an AnswerRows as they are read: the
// members ContactRows builds for each row, in its order, as text.
class ContactCells final : public CellRows {
 public:
  // Where a member's text comes from.
  enum class Source : uint8_t {
    kNone,    // "": a column kith does not keep
    kCell,    // the text of a cell
    kCustom,  // a custom field's text of a cell
    kLabel,   // the label of the option a cell names
  };
  // One member of a row (`source` is set from the others by CellMembers).
  struct Member {
    std::string_view key;  // a Column's, or a custom field's (CustomKey)
    std::optional<size_t> cell;
    const schema::CustomFieldInfo* custom = nullptr;
    const MemoryLabel* label = nullptr;
    Source source = Source::kNone;
  };

  ContactCells(store::Transaction& txn, const std::vector<Member>& members,
               const std::shared_ptr<const RowKeys>& keys, AnswerRows& out)
      : txn_(txn),
        members_(members),
        out_(out),
        texts_(members.size()),
        row_(texts_.Views(members.size())),
        marks_(texts_.Marks(members.size())) {
    out_.SharedKeys(keys);
    // CellMembers ends the members with the id, the text of cell 0: the
    // first row's key is its text.
    const Member& last = members.back();
    id_member_ = last.source == Source::kCell && last.cell == 0 ? members.size() - 1 : members.size();
  }

  Status Row(std::span<const Cell> cells) override {
    // Each member's text, the row written in one call: a view of a cell,
    // of a kept label, or of its own text (a number's, a custom value's).
    // (A cell's text or a number's is made here, the commonest members,
    // not by CellAsText: as it makes them.) The texts that are neither
    // empty nor a number's are marked for the writer to look at.
    const size_t count = members_.size();  // (read once: the row's texts are written between)
    std::string_view* row = row_;
    size_t* marks = marks_;
    size_t marked = 0;
    for (size_t i = 0; i < count; ++i) {
      const Member& m = members_[i];
      std::string_view text = "";
      switch (m.source) {
        case Source::kNone:
          break;
        case Source::kCell: {
          const Cell& cell = cells[*m.cell];
          if (cell.kind == Cell::Kind::kText) {
            text = cell.text;
            if (!text.empty()) marks[marked++] = i;
          } else if (cell.kind == Cell::Kind::kInt) {
            text = texts_.Number(i, cell.integer);
          } else if (cell.kind != Cell::Kind::kNull) {
            text = api::CellAsText(cell, texts_[i]);
            marks[marked++] = i;
          }
          break;
        }
        case Source::kCustom:
          texts_[i] = api::CustomValueText(*m.custom, cells[*m.cell].ToValue());
          text = texts_[i];
          marks[marked++] = i;
          break;
        case Source::kLabel: {
          const Cell& key = cells[*m.cell];
          const std::string* label = nullptr;
          if (key.kind != Cell::Kind::kNull) {
            KITH_ASSIGN_OR_RETURN(label, ContactLabelText(txn_, *m.label, api::CellAsText(key, scratch_),
                                                          lower_, fetched_));
          }
          if (label == &fetched_) {
            texts_[i] = fetched_;  // fetched_ is the next label's too
            label = &texts_[i];
          }
          if (label != nullptr) {
            text = *label;
            marks[marked++] = i;
          }
          break;
        }
      }
      row[i] = text;
    }
    out_.KeyOrderTextRow(std::span(row, count), std::span(marks, marked));
    if (rows_++ == 0) {
      first_key_ = id_member_ < count ? row[id_member_] : api::CellAsText(cells[0], scratch_);
    }
    return Status();
  }

  int64_t rows() const { return rows_; }
  const std::string& first_key() const { return first_key_; }

 private:
  store::Transaction& txn_;
  const std::vector<Member>& members_;
  AnswerRows& out_;
  RowTexts texts_;  // a member's own text, by member
  std::string_view* const row_;  // in texts_: each member's text, its key's index its own
  size_t* const marks_;          // in texts_: the indexes of the texts to look at
  size_t id_member_ = 0;  // the member holding cell 0's text (members_.size(): none)
  std::string scratch_;
  std::string lower_;    // ContactLabelText's
  std::string fetched_;  // ContactLabelText's
  std::string first_key_;
  int64_t rows_ = 0;
};

// The members of ContactRows' rows as ContactCells writes them; nullopt
// when a row needs more than its cells (groups, tags), or a column is not
// where it is looked for.
// (`custom_keys` holds the custom members' keys: it must not be resized
// while they are in use.)
std::optional<std::vector<ContactCells::Member>> CellMembers(
    const schema::Catalog& catalog, const ContactQuery& cq,
    const std::vector<Wanted>& wanted,
    std::vector<std::string>& custom_keys) {
  const std::vector<std::string>& select = cq.query.SelectedPaths();
  auto cell_of = [&](const std::string& path) -> std::optional<size_t> {
    auto it = std::find(select.begin(), select.end(), path);
    if (it == select.end()) return std::nullopt;
    return static_cast<size_t>(it - select.begin());
  };
  std::vector<ContactCells::Member> members;
  members.reserve(wanted.size() + 2 * cq.selection.custom.size() + 1);
  custom_keys.clear();
  custom_keys.reserve(2 * cq.selection.custom.size());
  for (const auto& [c, at, label] : wanted) {
    std::string_view key = c->key;
    if (key == "groups" || key == "tags") return std::nullopt;
    if (c->path[0] == '\0') {
      members.push_back({c->key, std::nullopt, nullptr});
    } else if (!at) {
      return std::nullopt;
    } else {
      members.push_back({c->key, at, nullptr, label});
    }
  }
  int64_t last_group = 0;
  for (const schema::CustomFieldInfo* cf : cq.selection.custom) {
    if (cf->group_id != last_group) {
      last_group = cf->group_id;
      const schema::CustomGroupInfo* g = catalog.FindCustomGroup(cf->group_id);
      if (g != nullptr && !g->join.empty()) {
        std::optional<size_t> at = cell_of(g->join + ".id");
        if (!at) return std::nullopt;
        custom_keys.push_back(g->table + "_id");
        members.push_back({custom_keys.back(), at, nullptr});
      }
    }
    std::optional<size_t> at = cell_of(cf->path);
    if (!at) return std::nullopt;
    custom_keys.push_back(cf->key());
    members.push_back({custom_keys.back(), at, cf});
  }
  members.push_back({"id", 0, nullptr});
  for (ContactCells::Member& m : members) {
    using Source = ContactCells::Source;
    m.source = !m.cell ? Source::kNone : m.custom != nullptr ? Source::kCustom
               : m.label != nullptr ? Source::kLabel : Source::kCell;
  }
  // Columns() keys are distinct, and none is "id"; a custom key that is
  // set twice in a row built whole keeps its first place and last value:
  // left to that path.
  for (const std::string& key : custom_keys) {
    int seen = 0;
    for (const ContactCells::Member& m : members) seen += m.key == key;
    if (seen > 1) return std::nullopt;
  }
  return members;
}

// How a query's rows become the answer's: the columns where they are
// among the selected ones, and the members ContactCells writes (when the
// cells are all a row needs).
struct RowPlan {
  std::vector<Wanted> wanted;
  std::vector<std::string> custom_keys;  // viewed by `members`
  std::optional<std::vector<ContactCells::Member>> members;
  std::shared_ptr<const RowKeys> keys;  // the members' keys, with `members`
};

void PlanRows(const schema::Catalog& catalog, const ContactQuery& cq, RowPlan& plan) {
  // The selected columns, resolved once for all rows: the stored rows hold
  // them in the query's select order (looked up by name if they do not).
  // BuildQuery selected them in Columns() order after "id", so each is
  // found by looking ahead from the last one found, not through a hash of
  // 80 paths per call (a path selected twice reads the same value at
  // either place).
  const std::vector<std::string>& select = cq.query.SelectedPaths();
  size_t next = 0;
  for (const Column& c : Columns()) {
    if (!cq.selection.keys.Has(c)) continue;
    const MemoryLabel* label = nullptr;
    for (const MemoryLabel& l : cq.labels) {
      if (l.column == &c) label = &l;
    }
    const std::string_view path = label != nullptr ? std::string_view(label->source) : c.path;
    std::optional<size_t> at;
    for (size_t n = 0; n < select.size() && !at; ++n) {
      size_t i = (next + n) % select.size();
      if (select[i] == path) at = i;
    }
    if (at && label == nullptr) next = *at + 1;
    plan.wanted.push_back({&c, at, label});
  }
  if (select.front() == "id") plan.members = CellMembers(catalog, cq, plan.wanted, plan.custom_keys);
  if (plan.members) {
    std::vector<std::string> keys;
    keys.reserve(plan.members->size());
    for (const ContactCells::Member& m : *plan.members) keys.emplace_back(m.key);
    plan.keys = std::make_shared<const RowKeys>(std::move(keys));
  }
}

// The query and row plan of a get by id alone, the commonest call (a
// client reading one contact): kept per thread and reused with the next
// id, so that they are built once per catalog, kept options and paging,
// not per request.
struct ByIdGet {
  std::shared_ptr<const schema::Catalog> catalog;
  std::shared_ptr<const api::OptionTable> options;
  Value::value_t id_type = Value::value_t::null;
  int64_t limit = 0;
  int64_t offset = 0;
  std::string sort;
  ContactQuery cq;
  Condition* id_leaf = nullptr;  // in cq.query.where: the one leaf comparing the id
  RowPlan plan;
  bool in_use = false;
};

// The id of a get whose only criterion is `id`, a number or digits (with
// parameters that change neither query nor rows); nullptr otherwise.
const Value* IdAlone(const Value& params) {
  static const std::set<std::string, std::less<>> kInert = {
      "version", "json", "key", "api_key", "entity", "action", "q", "sequential",
      "prettyprint", "check_permissions", "debug", "_", "callback"};
  const Value* id = nullptr;
  for (const auto& [key, value] : Members(params)) {
    if (key == "id") {
      id = &value;
    } else if (kInert.find(key) == kInert.end()) {
      return nullptr;
    }
  }
  return KeptSearchId(id);
}

StatusOr<V3Rows> ContactRows(ActionContext& ctx, const Value& params, const V3Options& options) {
  thread_local ByIdGet by_id;
  // A query built for this call only (not made, nor freed, on the kept path).
  std::optional<ContactQuery> built;
  std::optional<RowPlan> built_plan;
  const ContactQuery* query = nullptr;
  const RowPlan* plan = nullptr;
  const Value* id = by_id.in_use ? nullptr : IdAlone(params);
  struct Release {
    ByIdGet* held = nullptr;
    ~Release() {
      if (held != nullptr) held->in_use = false;
    }
  } release;
  if (id != nullptr) {
    std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
    KITH_ASSIGN_OR_RETURN(std::shared_ptr<const api::OptionTable> kept, api::OptionTableFor(ctx.txn));
    if (by_id.id_leaf == nullptr || by_id.catalog != catalog || &*catalog != &ctx.catalog ||
        by_id.options != kept || by_id.id_type != id->type() || by_id.limit != options.limit ||
        by_id.offset != options.offset || by_id.sort != options.sort) {
      by_id.id_leaf = nullptr;
      by_id.plan = RowPlan();
      KITH_ASSIGN_OR_RETURN(by_id.cq, BuildQuery(ctx, params, options, false));
      int found = 0;
      Condition* leaf = IdLeaf(by_id.cq.query.where, *id, found);
      if (found == 1 && by_id.cq.options == kept && &*catalog == &ctx.catalog) {
        PlanRows(ctx.catalog, by_id.cq, by_id.plan);
        // Named, so that the store knows it by number on the next calls.
        Query& kept_query = by_id.cq.query;
        kept_query.kept_select = std::make_shared<const store::KeptSelect>(std::move(kept_query.select));
        kept_query.select.clear();
        by_id.id_leaf = leaf;
        by_id.catalog = std::move(catalog);
        by_id.options = std::move(kept);
        by_id.id_type = id->type();
        by_id.limit = options.limit;
        by_id.offset = options.offset;
        by_id.sort = options.sort;
      }
    } else {
      by_id.id_leaf->value = *id;
    }
    if (by_id.id_leaf != nullptr) {
      query = &by_id.cq;
      plan = &by_id.plan;
      by_id.in_use = true;
      release.held = &by_id;
    } else {
      built.emplace(std::move(by_id.cq));
      built_plan.emplace();
      PlanRows(ctx.catalog, *built, *built_plan);
    }
  } else {
    KITH_ASSIGN_OR_RETURN(built, BuildQuery(ctx, params, options, false));
    built_plan.emplace();
    PlanRows(ctx.catalog, *built, *built_plan);
  }
  if (query == nullptr) {
    query = &*built;
    plan = &*built_plan;
  }
  const ContactQuery& cq = *query;
  V3Rows out;
  out.undefined = cq.undefined;
  const ContactSelection& sel = cq.selection;
  const std::vector<Wanted>& wanted = plan->wanted;
  if (options.rows_out != nullptr && plan->members) {
    ContactCells written(ctx.txn, *plan->members, plan->keys, *options.rows_out);
    KITH_RETURN_IF_ERROR(ctx.txn.SelectEach(cq.query, written));
    if (api::RequestBudget* budget = api::RequestBudget::Current()) {
      KITH_RETURN_IF_ERROR(budget->AddRowCount(written.rows()));
    }
    out.written = true;
    out.written_rows = written.rows();
    out.first_key = written.first_key();
    return out;
  }
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(cq.query));
  std::string lower, fetched;  // ContactLabelText's
  for (const Value& row : rows) {
    std::string id = api::ValueAsText(row["id"]);
    Value r = Value::object();
    // Columns() has distinct keys: appended without a search per key.
    auto& fields = r.get_ref<Value::object_t&>();
    fields.reserve(wanted.size() + sel.custom.size() + 1);
    for (const auto& [c, at, label] : wanted) {
      std::string_view key = c->key;
      if (key == "groups") {
        KITH_ASSIGN_OR_RETURN(std::string groups, GroupsOf(ctx, row["id"]));
        fields.Container::emplace_back(c->key, groups);
      } else if (key == "tags") {
        KITH_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                              TagNames(ctx.txn, kContactTable, row["id"].get<int64_t>()));
        fields.Container::emplace_back(c->key, Join(tags, ","));
      } else if (c->path[0] == '\0') {
        fields.Container::emplace_back(c->key, "");
      } else if (label != nullptr) {
        const Value& key_value = at ? store::SelectedColumn(row, cq.query, *at) : row[label->source];
        const std::string* text = nullptr;
        if (!key_value.is_null()) {
          KITH_ASSIGN_OR_RETURN(text, ContactLabelText(ctx.txn, *label, api::ValueAsText(key_value), lower, fetched));
        }
        fields.Container::emplace_back(c->key, text != nullptr ? Value(*text) : Value(""));
      } else {
        fields.Container::emplace_back(
            c->key, V3Text(at ? store::SelectedColumn(row, cq.query, *at) : row[c->path]));
      }
    }
    int64_t last_group = 0;
    for (const schema::CustomFieldInfo* cf : sel.custom) {
      if (cf->group_id != last_group) {
        last_group = cf->group_id;
        const schema::CustomGroupInfo* g = ctx.catalog.FindCustomGroup(cf->group_id);
        if (g != nullptr && !g->join.empty()) r[g->table + "_id"] = V3Text(row[g->join + ".id"]);
      }
      r[cf->key()] = api::CustomValueText(*cf, row[cf->path]);
    }
    r["id"] = id;
    out.rows[id] = std::move(r);
  }
  return out;
}

StatusOr<int64_t> ContactCount(ActionContext& ctx, const Value& params) {
  KITH_ASSIGN_OR_RETURN(ContactQuery cq, BuildQuery(ctx, params, V3Options{}, true));
  return ctx.txn.Count(cq.query);
}

// ---- create ----

bool HasText(const Value& params, const char* key) {
  return params.contains(key) && !params[key].is_object() && !params[key].is_array() &&
         !api::ValueAsText(params[key]).empty();
}

// v3's older names of a few fields.
void ApplyAliases(Value& input) {
  static const std::vector<std::pair<const char*, const char*>> kAliases = {
      {"individual_prefix", "prefix_id"}, {"individual_prefix_id", "prefix_id"},
      {"prefix", "prefix_id"},           {"individual_suffix", "suffix_id"},
      {"individual_suffix_id", "suffix_id"}, {"suffix", "suffix_id"},
      {"gender", "gender_id"},           {"contact_source", "source"},
      {"contact_is_deleted", "is_deleted"}};
  for (auto [from, to] : kAliases) {
    if (!input.contains(from)) continue;
    if (!input.contains(to)) input[to] = input[from];
    input.erase(from);
  }
}

StatusOr<std::vector<int64_t>> FindDuplicates(ActionContext& ctx, const Value& params) {
  std::string type = api::ValueAsText(params["contact_type"]);
  std::vector<Condition> match = {Condition::Leaf("contact_type", Op::kEq, type),
                                  Condition::Leaf("is_deleted", Op::kEq, 0)};
  if (type == "Individual" && HasText(params, "email")) {
    ContactFilterOptions o;
    o.email_substring = false;
    o.txn = &ctx.txn;
    KITH_ASSIGN_OR_RETURN(ContactFilter by_email,
                          BuildContactFilter(ctx.catalog,
                                             Value{{"email", AsciiLower(api::ValueAsText(params["email"]))}}, o));
    match.push_back(std::move(by_email.condition));
  } else if (type == "Individual") {
    for (const char* k : {"first_name", "last_name"}) {
      match.push_back(Condition::Leaf(k, Op::kEq, api::ValueAsText(params.value(k, Value()))));
    }
  } else {
    const char* k = type == "Household" ? "household_name" : "organization_name";
    match.push_back(Condition::Leaf(k, Op::kEq, api::ValueAsText(params.value(k, Value()))));
  }
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::And(std::move(match));
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  std::vector<int64_t> ids;
  for (const Value& r : rows) ids.push_back(r["id"].get<int64_t>());
  return ids;
}

// The checks of civicrm_api3_contact_create for a new contact.
Status CheckNewContact(const Value& params) {
  if (!HasText(params, "contact_type")) return MandatoryMissing({"contact_type"});
  std::string type = api::ValueAsText(params["contact_type"]);
  if (type == "Individual") {
    bool named = HasText(params, "first_name") || HasText(params, "last_name") ||
                 HasText(params, "email") || HasText(params, "display_name");
    if (!named) return MandatoryMissing({"one of (first_name, last_name, email, display_name)"});
  } else if (type == "Household" && !HasText(params, "household_name")) {
    return MandatoryMissing({"household_name"});
  } else if (type == "Organization" && !HasText(params, "organization_name")) {
    return MandatoryMissing({"organization_name"});
  }
  return Status();
}

// The create answer: every column, as CiviCRM's contact DAO holds it.
// CiviCRM renders the greetings after its answer is made: the answer shows
// them as stored before the write (`before`; none for a new contact), while
// display_name and sort_name are already the new ones.
StatusOr<Value> ContactAnswerRow(ActionContext& ctx, int64_t id, const Value& written,
                                 const Value* before) {
  const schema::Entity* e = ctx.catalog.Find("Contact");
  KITH_ASSIGN_OR_RETURN(Value record, api::LoadRecord(ctx.txn, *e, id));
  Value row = Value::object();
  for (const schema::Field& f : e->fields) {
    if (f.internal || f.name == "employer_id" || f.name == "is_deleted") continue;
    if (f.name == "source" && !written.contains("source")) continue;
    bool greeting = f.name.size() > 8 && f.name.substr(f.name.size() - 8) == "_display";
    row[f.name] = f.name == "id" ? Value(std::to_string(id))
                  : greeting       ? (before ? V3Text(before->value(f.name, Value())) : Value(""))
                                   : V3Text(record[f.name]);
    if (f.name == "hash") row["api_key"] = "";  // kith keeps api keys hashed, apart
  }
  row["preferred_mail_format"] = "Both";
  return row;
}

StatusOr<Value> ContactCreate(ActionContext& ctx) {
  const Value& params = ctx.params;
  const schema::Entity* contact = ctx.catalog.Find("Contact");
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Contact", params));
  Value input = Value::object();
  for (const auto& [key, value] : params.items()) {
    if (IsMetaParam(key, value) || key == "id" || key == "contact_id" || key == "email" ||
        key == "display_name") {
      continue;
    }
    input[key] = value;
  }
  KITH_ASSIGN_OR_RETURN(std::vector<api::CustomValueWrite> custom_writes,
                        TakeContactCustomValues(ctx, input));
  ApplyAliases(input);
  for (auto it = input.begin(); it != input.end(); ++it) {
    const schema::Field* f = contact->FindField(it.key());
    if (f == nullptr || f->internal) {
      return InvalidArgument("Unknown field: " + it.key(),
                             Value{{"error_code", 2001}, {"error_field", it.key()}});
    }
    KITH_ASSIGN_OR_RETURN(*it, ResolvePseudoValue(ctx, *f, *it));
  }
  KITH_ASSIGN_OR_RETURN(V3Options options, ParseOptions(params));
  if (!id && !options.match.empty()) {
    std::vector<Condition> eq = {Condition::Leaf("is_deleted", Op::kEq, 0)};
    for (const std::string& m : options.match) {
      const schema::Field* f = contact->FindField(m);
      if (f == nullptr || f->internal || !HasText(params, m.c_str())) return MandatoryMissing({m});
      eq.push_back(Condition::Leaf(m, Op::kEq, api::ValueAsText(params[m])));
    }
    Query q;
    q.entity = "Contact";
    q.select = {"id"};
    q.where = Condition::And(std::move(eq));
    q.limit = 2;
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    if (rows.size() > 1) {
      return InvalidArgument("Found more than one Contact matching " + Join(options.match, ", "));
    }
    if (rows.size() == 1) {
      id = rows[0]["id"].get<int64_t>();
      KITH_RETURN_IF_ERROR(CheckPermissions(ctx, "Contact", "create", contact->update_permissions));
    } else if (options.match_mandatory) {
      return InvalidArgument("Failed to match existing record", Value{{"error_code", "not-found"}});
    }
  }
  if (!id) {
    KITH_RETURN_IF_ERROR(CheckNewContact(params));
    if (Truthy(params.value("dupe_check", Value()))) {
      KITH_ASSIGN_OR_RETURN(auto dupes, FindDuplicates(ctx, params));
      if (!dupes.empty()) {
        std::vector<std::string> texts;
        Value ids = Value::array();
        for (int64_t d : dupes) {
          texts.push_back(std::to_string(d));
          ids.push_back(std::to_string(d));
        }
        return AlreadyExists("Found matching contacts: " + Join(texts, ","),
                             Value{{"ids", ids}, {"error_code", "duplicate"}});
      }
    }
  }
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*contact, input, /*ignore_unknown=*/false));
  Value written = Value::object();
  int64_t contact_id;
  std::optional<Value> before;
  if (id) {
    contact_id = *id;
    KITH_ASSIGN_OR_RETURN(before, api::LoadRecord(ctx.txn, *contact, contact_id));
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Contact", contact_id, values, &written));
  } else {
    KITH_ASSIGN_OR_RETURN(contact_id, api::CreateRecord(ctx, "Contact", values, &written));
  }
  if (!id && HasText(params, "email")) {
    // (on an update CiviCRM leaves the contact's emails as they are)
    Value block{{"email", params["email"]}, {"is_primary", 1}};
    KITH_RETURN_IF_ERROR(SaveLocationBlock(ctx, "Email", contact_id, block).status());
  }
  if (HasText(params, "display_name")) {
    // A contact named only by display_name keeps it (CiviCRM's fallback).
    KITH_ASSIGN_OR_RETURN(Value record, api::LoadRecord(ctx.txn, *contact, contact_id));
    if (api::ValueAsText(record["display_name"]).empty()) {
      std::string name = api::ValueAsText(params["display_name"]);
      KITH_RETURN_IF_ERROR(ctx.txn.Update("Contact", contact_id,
                                          Value{{"display_name", name}, {"sort_name", name}}));
    }
  }
  if (!custom_writes.empty()) {
    KITH_RETURN_IF_ERROR(SaveContactCustomValues(ctx, contact_id, custom_writes));
  }
  KITH_ASSIGN_OR_RETURN(Value row, ContactAnswerRow(ctx, contact_id, written, before ? &*before : nullptr));
  return V3Success(Value{{std::to_string(contact_id), row}},
                   Truthy(params.value("sequential", Value())));
}

// ---- delete ----

StatusOr<bool> HasLoginUser(store::Transaction& txn, int64_t contact_id) {
  Query q;
  q.entity = "User";
  q.select = {"id"};
  q.where = Condition::Leaf("contact_id", Op::kEq, contact_id);
  KITH_ASSIGN_OR_RETURN(int64_t n, txn.Count(q));
  return n > 0;
}

StatusOr<Value> ContactDelete(ActionContext& ctx) {
  const Value& params = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Contact", params));
  if (!id) return MandatoryMissing({"id"});
  const schema::Entity* contact = ctx.catalog.Find("Contact");
  Value done{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}};
  auto existing = api::LoadRecord(ctx.txn, *contact, *id);
  if (!existing.ok()) {
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return InvalidArgument("Could not delete contact");
  }
  if (Truthy(params.value("restore", Value()))) {
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Contact", *id, Value{{"is_deleted", 0}}));
    return done;
  }
  if (*id == ctx.caller.contact_id) {
    return InvalidArgument(
        "This contact record is linked to the currently logged in user account - and cannot be "
        "deleted.");
  }
  if (Truthy(params.value("skip_undelete", Value()))) {
    // A login user's contact stays: deleting it would delete the user.
    KITH_ASSIGN_OR_RETURN(bool linked, HasLoginUser(ctx.txn, *id));
    if (linked) return InvalidArgument("Could not delete contact");
    KITH_RETURN_IF_ERROR(DeleteContactTagsAndNotes(ctx.txn, *id));
    KITH_RETURN_IF_ERROR(ctx.txn.Delete("Contact", *id));
    return done;
  }
  if (existing->value("is_deleted", Value()) == 1) return InvalidArgument("Could not delete contact");
  KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Contact", *id, Value{{"is_deleted", 1}}));
  return done;
}

}  // namespace

void AddContactHooks(V3HooksTable& table) {
  V3Hooks& h = table["Contact"];
  h.rows = ContactRows;
  h.count = ContactCount;
  h.create = ContactCreate;
  h.remove = ContactDelete;
}

}  // namespace kith::entities::v3
