#include "server/v4_stream.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/request_limits.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "wire/common/json_writer.h"
#include "wire/v4/v4_envelope.h"

namespace kith::server {
namespace {

// A limit or offset as the get reads it (an integer, or one in a string);
// nullopt for anything else (the get itself then refuses it).
// (Params are found by view, FindMember: Value::find makes a string of the
// name each time.)
std::optional<int64_t> Count(const Value& params, const char* key) {
  const Value* it = FindMember(params, key);
  if (it == nullptr || it->is_null()) return 0;
  std::optional<int64_t> n;
  if (it->is_number_integer()) n = it->get<int64_t>();
  if (it->is_string()) n = ParseInt64(TrimAscii(it->get_ref<const std::string&>()));
  if (n && *n < 0) return std::nullopt;
  return n;
}

// A where that names at most a page of ids (id =, IN a short list): the
// answer is small, and its get keeps its own plan (no page limit added).
bool NamesFewIds(const Value& params) {
  const Value* where = FindMember(params, "where");
  if (where == nullptr || !where->is_array()) return false;
  for (const Value& c : *where) {
    // (Compared as text: a Value compared with "id" is made a Value first.)
    if (!c.is_array() || c.size() < 3 || !c[0].is_string() ||
        c[0].get_ref<const std::string&>() != "id" || !c[1].is_string()) {
      continue;
    }
    const std::string& op = c[1].get_ref<const std::string&>();
    if (op == "=" || (op == "IN" && c[2].is_array() &&
                      static_cast<int64_t>(c[2].size()) <= kStreamPageRows)) {
      return true;
    }
  }
  return false;
}

bool OrderedById(const Value& params) {
  const Value* it = FindMember(params, "orderBy");
  if (it == nullptr || it->is_null() || (it->is_array() && it->empty())) return true;
  if (!it->is_object() || it->size() != 1 || it->begin().key() != "id") return false;
  const Value& dir = it->begin().value();
  return dir.is_string() && EqualsIgnoreCase(dir.get_ref<const std::string&>(), "asc");
}

// The pages of one get, read in one transaction under a budget of its own:
// a copy of the request's, so its time and rows go on counting after the
// route has returned. Rows are written as JSON as they are read where the
// get knows its answer's shape (ApiCall::rows_out).
class PagedGet {
 public:
  // `paged`: read in pages of ids; otherwise in one read of the call as asked.
  // `spec`: the dispatcher's for the call (not looked up again per page).
  PagedGet(const api::Dispatcher& dispatcher, const api::ActionSpec& spec, const auth::Caller& caller,
           const wire::v4::V4Call& call, Value params, std::unique_ptr<store::Transaction> txn,
           const api::RequestBudget& budget, int64_t limit, bool paged)
      : dispatcher_(dispatcher),
        spec_(spec),
        caller_(caller),
        entity_(call.entity),
        action_(call.action),
        params_(std::move(params)),
        txn_(std::move(txn)),
        budget_(budget),
        limit_(limit),
        paged_(paged) {}

  // Reads the next page (or the whole get) and answers the action's result.
  // Its rows are appended to `out` as JSON after the rows already written
  // (comma-joined): all of them when they were written as they were read
  // (the result's "values" are then empty), else those of a page.
  StatusOr<Value> Next(std::string& out) {
    // A get read at once is read once: its params are not needed again.
    Value params = paged_ ? params_ : std::move(params_);
    int64_t page = kStreamPageRows;
    if (paged_) {
      if (limit_ > 0) page = std::min(page, limit_ - fetched_);
      params["limit"] = page;
      if (fetched_ > 0) {
        // The rows after the last one read; the offset was the first page's.
        params.erase("offset");
        Value where = params.value("where", Value::array());
        where.push_back(Value::array({"id", ">", last_id_}));
        params["where"] = std::move(where);
      }
    }
    api::ScopedRequestBudget active(budget_);
    const int64_t written_before = rows_.rows();
    api::ApiCall call{entity_, action_, std::move(params), 4, &rows_, &spec_};
    KITH_ASSIGN_OR_RETURN(Value result, dispatcher_.RunIn(*txn_, call, caller_));
    const Value* values = FindMember(result, "values");
    if (values == nullptr || !values->is_array()) return Internal("a get answered no rows");
    int64_t n = 0;
    if (rows_.used()) {
      n = rows_.rows() - written_before;
      if (n > 0 && rows_.last_id()) {
        last_id_ = *rows_.last_id();
      } else if (n > 0 && paged_) {
        return Internal("a paged get's row has no id");
      }
      out.append(rows_.text());
      rows_.ClearText();
    } else {
      n = static_cast<int64_t>(values->size());
      if (n > 0) {
        const Value& last = values->back();
        auto id = last.find("id");
        if (id != last.end() && id->is_number_integer()) {
          last_id_ = id->get<int64_t>();
        } else if (paged_) {
          return Internal("a paged get's row has no id");
        }
      }
      if (paged_) AppendRows(*values, fetched_, out);
    }
    fetched_ += n;
    done_ = !paged_ || n < page || (limit_ > 0 && fetched_ >= limit_);
    return result;
  }

  // The rows the rest of the get will answer, `offset` and `limit` as asked:
  // TooLarge when over the request's max_rows.
  Status CheckRowsLeft(int64_t offset) {
    Value params = Value::object();
    params["select"] = Value::array({"row_count"});
    if (params_.contains("where")) params["where"] = params_["where"];
    api::ScopedRequestBudget active(budget_);
    KITH_ASSIGN_OR_RETURN(Value result, dispatcher_.RunIn(*txn_, {entity_, action_, std::move(params), 4},
                                                          caller_));
    int64_t total = std::max<int64_t>(0, result.value("count", int64_t{0}) - offset);
    if (limit_ > 0) total = std::min(total, limit_);
    if (total - fetched_ > budget_.rows_left()) {
      return TooLarge("The answer would hold more than " +
                      std::to_string(budget_.limits().max_rows) + " rows (chained rows included)");
    }
    return Status();
  }

  bool written_as_read() const { return rows_.used(); }
  bool done() const { return done_; }
  int64_t fetched() const { return fetched_; }
  std::chrono::steady_clock::time_point deadline() const { return budget_.deadline(); }
  Status Finish() { return txn_->Commit(); }

 private:
  // Appends `rows` to the answer's "values" (`written` rows already there).
  static void AppendRows(const Value& rows, int64_t written, std::string& out) {
    for (const Value& row : rows) {
      if (written++ > 0) out += ',';
      wire::AppendJson(out, row);
    }
  }

  const api::Dispatcher& dispatcher_;
  const api::ActionSpec& spec_;
  const auth::Caller caller_;
  const std::string entity_;
  const std::string action_;
  Value params_;  // moved out by the read of a get that is not paged
  std::unique_ptr<store::Transaction> txn_;
  api::RequestBudget budget_;
  const int64_t limit_;  // 0: none
  const bool paged_;
  wire::JsonRows rows_;
  int64_t fetched_ = 0;
  int64_t last_id_ = 0;
  bool done_ = false;
};

// The answer after its first page: one page per piece, then the envelope's tail.
class V4GetBody final : public http::BodySource {
 public:
  V4GetBody(std::unique_ptr<PagedGet> get, std::string entity, std::string action)
      : get_(std::move(get)), entity_(std::move(entity)), action_(std::move(action)) {}

  Piece Next(std::string& out) override {
    Status s = get_->Next(out).status();
    if (s.ok() && !get_->done()) return Piece::kMore;
    if (s.ok()) s = get_->Finish();
    if (!s.ok()) {
      std::fprintf(stderr, "kith: a streamed APIv4 %s.%s was cut off: %s\n", entity_.c_str(),
                   action_.c_str(), s.ToString().c_str());
      return Piece::kFailed;
    }
    wire::v4::AppendStreamedEnvelopeTail(out, entity_, action_, get_->fetched());
    return Piece::kLast;
  }

  std::chrono::steady_clock::time_point deadline() const override { return get_->deadline(); }

 private:
  std::unique_ptr<PagedGet> get_;
  const std::string entity_;
  const std::string action_;
};

}  // namespace

bool WritesRowsAsRead(const api::ActionSpec& spec, const wire::v4::V4Call& call) {
  if (spec.version != 4 || spec.action != "get" || spec.writes) return false;
  if (!call.index.is_null() || !call.params.is_object()) return false;
  const Value* chain = FindMember(call.params, "chain");
  return chain == nullptr || chain->is_null() || chain->empty();
}

bool ReadsInIdPages(const api::ActionSpec& spec, const schema::Catalog& catalog,
                    const wire::v4::V4Call& call) {
  const Value& params = call.params;
  if (spec.version != 4 || spec.action != "get" || !call.index.is_null() || !params.is_object()) {
    return false;
  }
  // The commonest get, by id, is told first: the entity's lookups and the
  // other params' below cost more than this look at its where.
  if (NamesFewIds(params)) return false;
  // Every stored api entity's get is the generic one (entities/v4/v4_register.cc).
  const schema::Entity* entity = catalog.Find(spec.entity);
  if (entity == nullptr || !entity->api || !entity->derived.empty() ||
      entity->FindField("id") == nullptr) {
    return false;
  }
  for (const char* key : {"chain", "join", "groupBy", "having"}) {
    const Value* it = FindMember(params, key);
    if (it != nullptr && !it->is_null() && !it->empty()) return false;
  }
  if (const Value* select = FindMember(params, "select"); select != nullptr) {
    if (!select->is_array()) return false;
    for (const Value& s : *select) {
      if (!s.is_string()) return false;
      const std::string& text = s.get_ref<const std::string&>();
      if (text == "row_count" || text.find('(') != std::string::npos) return false;
    }
  }
  std::optional<int64_t> limit = Count(params, "limit");
  std::optional<int64_t> offset = Count(params, "offset");
  if (!limit || !offset || (*limit > 0 && *limit <= kStreamPageRows)) return false;
  return OrderedById(params);
}

StatusOr<V4GetAnswer> AnswerV4Get(const api::Dispatcher& dispatcher, const api::ActionSpec& spec,
                                  const wire::v4::V4Call& call, Value params,
                                  const auth::Caller& caller,
                                  std::unique_ptr<store::Transaction> txn, bool paged) {
  const api::RequestBudget* budget = api::RequestBudget::Current();
  api::RequestBudget own(RequestLimits(), nullptr);
  const int64_t limit = Count(params, "limit").value_or(0);
  const int64_t offset = Count(params, "offset").value_or(0);
  auto get = std::make_unique<PagedGet>(dispatcher, spec, caller, call, std::move(params), std::move(txn),
                                        budget != nullptr ? *budget : own, limit, paged);
  V4GetAnswer answer;
  // The rows go after the envelope's head, in the text answered: no copy of them.
  // (A whole record's answer fits in the room made at once.)
  std::string text;
  text.reserve(4096);
  text = wire::v4::kStreamedEnvelopeHead;
  KITH_ASSIGN_OR_RETURN(Value result, get->Next(text));
  if (get->done()) {
    KITH_RETURN_IF_ERROR(get->Finish());
    if (!get->written_as_read() && !paged) {
      answer.whole = std::move(result);
      return answer;
    }
    if (!get->written_as_read()) {
      answer.whole = Value::object();
      (*answer.whole)["values"] = std::move(result["values"]);
      return answer;
    }
    // The bytes of the same rows answered whole (StreamedEnvelopeTail).
    wire::v4::AppendStreamedEnvelopeTail(text, spec.entity, spec.action, get->fetched());
    answer.whole_json = std::move(text);
    return answer;
  }
  KITH_RETURN_IF_ERROR(get->CheckRowsLeft(offset));
  answer.first_piece = std::move(text);
  answer.rest = std::make_shared<V4GetBody>(std::move(get), spec.entity, spec.action);
  return answer;
}

}  // namespace kith::server
