#include "entities/contact_greetings.h"

#include <list>
#include <unordered_map>
#include <vector>

#include "api/field_values.h"
#include "base/column_find.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "store/txn_memo.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

struct Greeting {
  const char* id_field;
  const char* custom_field;
  const char* display_field;
  const char* option_group;
};

const std::vector<Greeting>& Greetings() {
  static const std::vector<Greeting> greetings = {
      {"email_greeting_id", "email_greeting_custom", "email_greeting_display", "email_greeting"},
      {"postal_greeting_id", "postal_greeting_custom", "postal_greeting_display", "postal_greeting"},
      {"addressee_id", "addressee_custom", "addressee_display", "addressee"}};
  return greetings;
}

int TypeFilter(const std::string& type) {
  if (type == "Household") return 2;
  if (type == "Organization") return 3;
  return 1;
}

StatusOr<std::string> Template(store::Transaction& txn, const char* group, const Value& value) {
  std::string key = std::string("greeting-template\x1f") + group + "\x1f" + api::ValueAsText(value);
  if (const Value* known = store::Recall(txn, key)) return known->get<std::string>();
  Query q;
  q.entity = "OptionValue";
  q.select = {"label", "name"};
  q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, group),
                            Condition::Leaf("value", Op::kEq, api::ValueAsText(value))});
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  std::string label = rows.empty() ? std::string() : api::ValueAsText(rows[0]["label"]);
  store::Remember(txn, {"OptionValue", "OptionGroup"}, key, label);
  return label;
}

// A contact row as it will be: `changes` over `record` (both objects),
// read without merging them into a copy of the whole row.
struct RowView {
  const Value& record;
  const Value& changes;
  const Value* Find(std::string_view key) const {
    if (const Value* v = FindColumn(changes, key)) return v;
    return FindColumn(record, key);
  }
  Value Get(std::string_view key) const {
    const Value* v = Find(key);
    return v == nullptr ? Value() : *v;
  }
};

std::string FillGreetingIn(const std::string& templ, const RowView& record,
                           const std::string& prefix_label, const std::string& suffix_label);

}  // namespace

std::string FillGreeting(const std::string& templ, const Value& record,
                         const std::string& prefix_label, const std::string& suffix_label) {
  static const Value kNone = Value::object();
  return FillGreetingIn(templ, RowView{record, kNone}, prefix_label, suffix_label);
}

namespace {

// A template in pieces: literal text, tokens ("contact.first_name") and
// "{ }"-style separators that survive only between two non-empty pieces.
struct TemplatePiece {
  enum Kind { kText, kToken, kSeparator } kind;
  std::string text;  // the literal text, the token's name, the separator
  // A token's source, worked out when the template is parsed rather than
  // for every contact filled: the prefix or suffix label, or `column`.
  enum Source { kColumn, kPrefix, kSuffix } source = kColumn;
  std::string column{};  // the token's name without "contact."
};

TemplatePiece TokenPiece(std::string token) {
  TemplatePiece p{TemplatePiece::kToken, std::move(token)};
  if (p.text == "contact.prefix_id:label" || p.text == "contact.individual_prefix") {
    p.source = TemplatePiece::kPrefix;
  } else if (p.text == "contact.suffix_id:label" || p.text == "contact.individual_suffix") {
    p.source = TemplatePiece::kSuffix;
  } else {
    p.column = p.text.substr(8);
  }
  return p;
}

// A token's text: read in place from the row when it is a string (the names
// of every contact written), else made in `owned` (a list: its strings stay
// where they are as it grows).
std::string_view TokenValue(const TemplatePiece& token, const RowView& row, const std::string& prefix,
                            const std::string& suffix, std::list<std::string>& owned) {
  if (token.source == TemplatePiece::kPrefix) return prefix;
  if (token.source == TemplatePiece::kSuffix) return suffix;
  const Value* v = row.Find(token.column);
  if (v == nullptr) return std::string_view();
  if (v->is_string()) return TrimAscii(v->get_ref<const std::string&>());
  owned.push_back(api::ValueAsText(*v));
  return TrimAscii(owned.back());
}

// `templ` split into pieces, once per thread and template: every contact
// written fills the same few templates.
const std::vector<TemplatePiece>& TemplatePieces(const std::string& templ) {
  thread_local std::unordered_map<std::string, std::vector<TemplatePiece>> parsed;
  if (auto it = parsed.find(templ); it != parsed.end()) return it->second;
  if (parsed.size() >= 64) parsed.clear();  // the options' templates are few
  std::vector<TemplatePiece> pieces;
  for (size_t i = 0; i < templ.size();) {
    if (templ[i] == '{') {
      size_t close = templ.find('}', i);
      if (close == std::string::npos) {
        pieces.push_back({TemplatePiece::kText, templ.substr(i)});
        break;
      }
      std::string inner = templ.substr(i + 1, close - i - 1);
      if (inner.rfind("contact.", 0) == 0) {
        pieces.push_back(TokenPiece(std::move(inner)));
      } else {
        pieces.push_back({TemplatePiece::kSeparator, std::move(inner)});
      }
      i = close + 1;
    } else {
      size_t next = templ.find('{', i);
      pieces.push_back({TemplatePiece::kText,
                        templ.substr(i, next == std::string::npos ? std::string::npos : next - i)});
      i = next == std::string::npos ? templ.size() : next;
    }
  }
  return parsed.emplace(templ, std::move(pieces)).first->second;
}

std::string FillGreetingIn(const std::string& templ, const RowView& record,
                           const std::string& prefix_label, const std::string& suffix_label) {
  const std::vector<TemplatePiece>& pieces = TemplatePieces(templ);
  // Each piece's text in the filled template (a separator's own text).
  std::list<std::string> owned;
  // Kept per thread: three greetings a contact each made room for anew.
  thread_local std::vector<std::string_view> texts;
  texts.clear();
  for (const TemplatePiece& p : pieces) {
    if (p.kind != TemplatePiece::kToken) {
      texts.push_back(p.text);
      continue;
    }
    texts.push_back(TokenValue(p, record, prefix_label, suffix_label, owned));
  }
  std::string out;
  out.reserve(64);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].kind != TemplatePiece::kSeparator) {
      out += texts[i];
      continue;
    }
    bool before = !TrimAscii(out).empty();
    bool after = i + 1 < pieces.size() && pieces[i + 1].kind != TemplatePiece::kSeparator &&
                 !texts[i + 1].empty();
    if (before && after && out.back() != ' ') out += texts[i];
  }
  // Collapse the spaces left by empty tokens, in place.
  size_t kept = 0;
  for (char c : out) {
    if (c == ' ' && (kept == 0 || out[kept - 1] == ' ')) continue;
    out[kept++] = c;
  }
  out.resize(kept);
  std::string_view trimmed = TrimAscii(out);
  if (trimmed.size() != out.size()) return std::string(trimmed);
  return out;
}

// The default option of each greeting for contacts of type `filter` (the
// option's filter: 1 Individual, 2 Household, 3 Organization) with its
// label, the template: [[id, template], ...] in Greetings() order (null and
// "" when the type has none). One query, once per transaction: every
// contact created asks for the same three.
StatusOr<const Value*> GreetingDefaults(store::Transaction& txn, int filter) {
  static const std::string kKeys[] = {"greeting-defaults\x1f" "1", "greeting-defaults\x1f" "2",
                                      "greeting-defaults\x1f" "3"};
  const std::string& key = kKeys[filter - 1];
  if (const Value* known = store::Recall(txn, key)) return known;
  Value groups = Value::array();
  for (const Greeting& g : Greetings()) groups.push_back(g.option_group);
  // The groups by id (IN a subquery): SQLite does not drive a LEFT JOIN
  // from a list of names, and would read every option value instead.
  Query group_ids;
  group_ids.entity = "OptionGroup";
  group_ids.select = {"id"};
  group_ids.where = Condition::Leaf("name", Op::kIn, groups);
  Query q;
  q.entity = "OptionValue";
  q.select = {"option_group_id.name", "value", "label"};
  q.where = Condition::And({Condition::InQuery("option_group_id", std::move(group_ids)),
                            Condition::Leaf("is_default", Op::kEq, 1),
                            Condition::Leaf("filter", Op::kEq, filter),
                            Condition::Leaf("is_active", Op::kEq, 1)});
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  Value defaults = Value::array();
  for (const Greeting& g : Greetings()) {
    Value chosen = Value::array({Value(), ""});
    for (const Value& row : rows) {  // the first default of the group
      if (api::ValueAsText(row["option_group_id.name"]) != g.option_group) continue;
      if (auto n = ParseInt64(api::ValueAsText(row["value"]))) {
        chosen = Value::array({*n, api::ValueAsText(row["label"])});
      }
      break;
    }
    defaults.push_back(std::move(chosen));
  }
  store::Remember(txn, {"OptionValue", "OptionGroup"}, key, std::move(defaults));
  const Value* kept = store::Recall(txn, key);
  if (kept == nullptr) return Internal("greeting defaults not kept");
  return kept;
}

}  // namespace

Status ApplyContactGreetings(api::ActionContext& ctx, const Value& record, Value& changes,
                             bool creating, const std::string& prefix_label,
                             const std::string& suffix_label) {
  // The row as it will be: the greeting ids set below count, the displays
  // made below do not (they are written once all three are made).
  RowView row{record, changes};
  std::vector<std::pair<const char*, Value>> displays;
  displays.reserve(Greetings().size());
  int filter = TypeFilter(api::ValueAsText(row.Get("contact_type")));
  const Value* defaults = nullptr;
  if (creating) {
    KITH_ASSIGN_OR_RETURN(defaults, GreetingDefaults(ctx.txn, filter));
  }
  const std::vector<Greeting>& greetings = Greetings();
  auto fill = [&](const Greeting& g, const std::string& templ) {
    return templ == "Customized" ? api::ValueAsText(row.Get(g.custom_field))
                                 : FillGreetingIn(templ, row, prefix_label, suffix_label);
  };
  for (size_t i = 0; i < greetings.size(); ++i) {
    const Greeting& g = greetings[i];
    std::string display;
    if (defaults != nullptr && FindColumn(changes, g.id_field) == nullptr) {
      // A new contact without this greeting gets its type's default.
      const Value& chosen = (*defaults)[i];
      SetColumn(changes, g.id_field, chosen[0]);
      if (!chosen[0].is_null()) display = fill(g, chosen[1].get_ref<const std::string&>());
    } else if (const Value* id = row.Find(g.id_field); id != nullptr && !id->is_null()) {
      KITH_ASSIGN_OR_RETURN(std::string templ, Template(ctx.txn, g.option_group, *id));
      display = fill(g, templ);
    }
    displays.emplace_back(g.display_field, display.empty() ? Value() : Value(std::move(display)));
  }
  for (auto& [field, display] : displays) SetColumn(changes, field, std::move(display));
  return Status();
}

}  // namespace kith::entities
