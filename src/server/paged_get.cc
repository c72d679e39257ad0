#include "server/paged_get.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>

#include "api/request_budget.h"
#include "base/error_details.h"
#include "base/request_limits.h"
#include "base/strings.h"
#include "server/v4_stream.h"
#include "wire/common/json_writer.h"
#include "wire/common/text_rows.h"
#include "wire/v2/v2_envelope.h"
#include "wire/v3/v3_envelope.h"
#include "wire/v3/v3_request.h"

namespace kith::server {
namespace {

constexpr char kXmlTail[] = "</ResultSet>\n";

// A count, limit or offset given as an integer or as its text; nullopt
// for anything else (the get itself then refuses it).
std::optional<int64_t> NonNegative(const Value& v) {
  std::optional<int64_t> n;
  if (v.is_number_integer()) n = v.get<int64_t>();
  if (v.is_string()) n = ParseInt64(TrimAscii(v.get_ref<const std::string&>()));
  if (n && *n < 0) return std::nullopt;
  return n;
}

// For a sort naming only the id (by a name in `id_names`), ascending or
// descending, or none (ascending): a total order, so pages read by offset
// are the answer cut in pieces. Answers the comparison that finds the rows
// after a given id in that order (">" or "<"); nullopt for any other sort.
std::optional<const char*> IdSortAfter(const Value* sort,
                                       std::initializer_list<std::string_view> id_names) {
  if (sort == nullptr || sort->is_null()) return ">";
  if (!sort->is_string()) return std::nullopt;
  std::vector<std::string_view> words = Split(TrimAscii(sort->get_ref<const std::string&>()), ' ', true);
  if (words.empty()) return ">";
  if (std::find(id_names.begin(), id_names.end(), words[0]) == id_names.end()) return std::nullopt;
  if (words.size() == 1 || (words.size() == 2 && EqualsIgnoreCase(words[1], "asc"))) return ">";
  if (words.size() == 2 && EqualsIgnoreCase(words[1], "desc")) return "<";
  return std::nullopt;
}

// The id (under `key`) of the last of `rows`, a list or an object keyed by
// id, when it shows one.
std::optional<int64_t> LastRowId(const Value& rows, const char* key) {
  if (!(rows.is_array() || rows.is_object()) || rows.empty()) return std::nullopt;
  const Value& row = rows.back();
  if (!row.is_object()) return std::nullopt;
  auto id = row.find(key);
  if (id == row.end()) return std::nullopt;
  if (id->is_number_integer()) return id->get<int64_t>();
  if (id->is_string()) return ParseInt64(id->get_ref<const std::string&>());
  return std::nullopt;
}

// `text` less `head_end` bytes at its start and `tail` at its end: the rows
// of a page as the dialect's renderer wrote them.
StatusOr<std::string> Between(std::string text, size_t head_end, std::string_view tail) {
  if (head_end == std::string::npos || text.size() < head_end + tail.size() ||
      std::string_view(text).substr(text.size() - tail.size()) != tail) {
    return Internal("a page of a streamed get rendered unexpectedly");
  }
  text.resize(text.size() - tail.size());
  text.erase(0, head_end);
  return text;
}

// What a dialect adds to the paging: its calls, and how its answers are
// rendered and cut.
struct Dialect {
  // The get reading `limit` rows from `offset` on.
  std::function<api::ApiCall(int64_t offset, int64_t limit)> page_call;
  // Optional: the parameter that filters the get by id. Pages after the
  // first are then read past the last row's id (page_call from offset 0,
  // with `keyset_filter` {keyset_after: that id}): a page read so costs the
  // same wherever it is; one read by offset costs the rows before it too.
  std::string keyset_filter;
  const char* keyset_after = ">";
  // The id of a page's last row, when the page shows it.
  std::function<std::optional<int64_t>(const Value& result)> last_id;
  // Counts every row the get matches, limit and offset aside (a number).
  api::ApiCall count_call;
  // Where the get can, its rows are written as they are read in this form
  // (ApiCall::rows_out): a page's rows are then the text written, its
  // result holds none.
  std::optional<wire::TextRows::Options> rows_format;
  // The rows a page's result holds.
  std::function<StatusOr<int64_t>(const Value& result)> rows_in;
  // The answer's text before and after its rows, from the first page's
  // result and the answer's row count.
  std::function<Status(const Value& first, int64_t rows, std::string& head, std::string& tail)> frame;
  // A page's rows as the answer holds them.
  std::function<StatusOr<std::string>(Value result)> rows_text;
  std::string separator;  // between two pages' rows
  std::string what;       // for the log: "APIv3 Contact.get"
};

// The pages of one get, read by offset in one transaction under a budget
// of its own: a copy of the request's, so its time and rows go on counting
// after the route has returned.
class GetPages {
 public:
  GetPages(const api::Dispatcher& dispatcher, const auth::Caller& caller, Dialect dialect,
              std::unique_ptr<store::Transaction> txn, const api::RequestBudget& budget,
              int64_t offset, int64_t rows)
      : dispatcher_(dispatcher),
        caller_(caller),
        dialect_(std::move(dialect)),
        txn_(std::move(txn)),
        budget_(budget),
        offset_(offset),
        rows_(rows) {
    if (dialect_.rows_format) written_.emplace(*dialect_.rows_format);
  }

  // A page read: the get's result, and its rows' text when they were
  // written as they were read.
  struct Page {
    Value result;
    std::optional<std::string> written;
  };

  // Reads the next page.
  StatusOr<Page> Read() {
    int64_t want = std::min(kStreamPageRows, rows_ - fetched_);
    api::ScopedRequestBudget active(budget_);
    const bool by_keyset = fetched_ > 0 && last_id_ && !dialect_.keyset_filter.empty();
    api::ApiCall call = dialect_.page_call(by_keyset ? 0 : offset_ + fetched_, want);
    if (by_keyset) call.params[dialect_.keyset_filter] = Value{{dialect_.keyset_after, *last_id_}};
    if (written_) {
      written_->Reset();
      call.rows_out = &*written_;
    }
    Page page;
    KITH_ASSIGN_OR_RETURN(page.result, dispatcher_.RunIn(*txn_, std::move(call), caller_));
    int64_t got = 0;
    if (written_ && written_->used()) {
      got = written_->rows();
      page.written = std::move(written_->text());
    } else {
      KITH_ASSIGN_OR_RETURN(got, dialect_.rows_in(page.result));
    }
    // One read transaction: the pages hold what the count counted.
    if (got != want) {
      return Internal("a page of a streamed get held " + std::to_string(got) + " rows, not " +
                      std::to_string(want));
    }
    fetched_ += got;
    if (page.written) {
      last_id_ = ParseInt64(written_->last_id());
    } else {
      last_id_ = dialect_.last_id ? dialect_.last_id(page.result) : std::nullopt;
    }
    return page;
  }

  // A page's rows appended to `out`.
  Status Append(Page page, std::string& out) {
    std::string text;
    if (page.written) {
      text = std::move(*page.written);
    } else {
      KITH_ASSIGN_OR_RETURN(text, dialect_.rows_text(std::move(page.result)));
    }
    if (pages_++ > 0) out += dialect_.separator;
    out += text;
    return Status();
  }

  bool done() const { return fetched_ >= rows_; }
  const Dialect& dialect() const { return dialect_; }
  std::chrono::steady_clock::time_point deadline() const { return budget_.deadline(); }
  Status Finish() { return txn_->Commit(); }

 private:
  const api::Dispatcher& dispatcher_;
  const auth::Caller caller_;
  const Dialect dialect_;
  std::unique_ptr<store::Transaction> txn_;
  api::RequestBudget budget_;
  const int64_t offset_;
  const int64_t rows_;
  int64_t fetched_ = 0;
  int64_t pages_ = 0;
  std::optional<int64_t> last_id_;  // of the last page read, when it showed it
  std::optional<wire::TextRows> written_;  // a page's rows, as they were read
};

// The answer after its first page: one page per piece, then its tail.
class PagedBody final : public http::BodySource {
 public:
  PagedBody(std::unique_ptr<GetPages> pages, std::string tail)
      : pages_(std::move(pages)), tail_(std::move(tail)) {}

  Piece Next(std::string& out) override {
    StatusOr<GetPages::Page> page = pages_->Read();
    Status s = page.status();
    if (s.ok()) s = pages_->Append(std::move(*page), out);
    if (s.ok() && !pages_->done()) return Piece::kMore;
    if (s.ok()) s = pages_->Finish();
    if (!s.ok()) {
      std::fprintf(stderr, "kith: a streamed %s was cut off: %s\n", pages_->dialect().what.c_str(),
                   s.ToString().c_str());
      return Piece::kFailed;
    }
    out += tail_;
    return Piece::kLast;
  }

  std::chrono::steady_clock::time_point deadline() const override { return pages_->deadline(); }

 private:
  std::unique_ptr<GetPages> pages_;
  const std::string tail_;
};

// Counts, then streams when the answer is over a page. `limit` 0: none.
StreamedGet Stream(const api::Dispatcher& dispatcher, const auth::Caller& caller, Dialect dialect,
                   int64_t offset, int64_t limit, const std::string& content_type,
                   std::unique_ptr<store::Transaction>& auth_txn) {
  std::optional<http::HttpResponse> not_streamed;
  StatusOr<std::unique_ptr<store::Transaction>> txn =
      auth_txn ? std::move(auth_txn) : dispatcher.store().Begin(/*write=*/false);
  if (!txn.ok()) return not_streamed;
  const api::RequestBudget* current = api::RequestBudget::Current();
  api::RequestBudget own(RequestLimits(), nullptr);
  const api::RequestBudget& budget = current != nullptr ? *current : own;
  StatusOr<Value> count = dispatcher.RunIn(**txn, dialect.count_call, caller);
  if (!count.ok() || !count->is_number_integer()) return not_streamed;
  int64_t rows = std::max<int64_t>(0, count->get<int64_t>() - offset);
  if (limit > 0) rows = std::min(rows, limit);
  if (rows <= kStreamPageRows) return not_streamed;
  if (rows > budget.rows_left()) {
    return TooLarge("The answer would hold more than " + std::to_string(budget.limits().max_rows) +
                    " rows (chained rows included)");
  }
  auto pages = std::make_unique<GetPages>(dispatcher, caller, std::move(dialect), std::move(*txn),
                                             budget, offset, rows);
  StatusOr<GetPages::Page> first = pages->Read();
  if (!first.ok()) return not_streamed;
  std::string head, tail;
  if (!pages->dialect().frame(first->result, rows, head, tail).ok()) return not_streamed;
  if (!pages->Append(std::move(*first), head).ok()) return not_streamed;
  http::HttpResponse answer{200, content_type, {}, std::move(head)};
  answer.stream = std::make_shared<PagedBody>(std::move(pages), std::move(tail));
  return std::optional<http::HttpResponse>(std::move(answer));
}

}  // namespace

StreamedGet StreamV3Get(const api::Dispatcher& dispatcher, const auth::Caller& caller,
                        const std::string& entity, const Value& params, bool json,
                        const std::string& content_type,
                        std::unique_ptr<store::Transaction>& auth_txn) {
  std::optional<http::HttpResponse> not_streamed;
  if (!params.is_object() || params.contains("id")) return not_streamed;
  // options[...] first, then the older spellings, as APIv3 reads them.
  auto options = params.find("options");
  if (options != params.end() && !options->is_object()) return not_streamed;
  auto pick = [&](const char* name, std::initializer_list<const char*> aliases) -> const Value* {
    if (options != params.end() && options->contains(name)) return &(*options)[name];
    for (const char* a : aliases) {
      if (auto it = params.find(a); it != params.end()) return &*it;
    }
    return nullptr;
  };
  const Value* limit_given = pick("limit", {"option.limit", "option_limit", "rowCount"});
  const Value* offset_given = pick("offset", {"option.offset", "option_offset", "offset"});
  std::optional<int64_t> limit = limit_given != nullptr ? NonNegative(*limit_given) : std::optional<int64_t>(25);
  std::optional<int64_t> offset = offset_given != nullptr ? NonNegative(*offset_given) : std::optional<int64_t>(0);
  std::optional<const char*> after = IdSortAfter(pick("sort", {"option.sort", "option_sort", "sort"}), {"id"});
  std::optional<bool> sequential = wire::v3::WantsSequential(params);
  if (!limit || !offset || (*limit > 0 && *limit <= kStreamPageRows) || !after) {
    return not_streamed;
  }
  Dialect d;
  d.what = "APIv3 " + entity + ".get";
  if (sequential) d.rows_format = wire::v3::RowsOptions(json, *sequential);
  d.page_call = [entity, params](int64_t from, int64_t n) {
    Value p = params;
    Value& o = p["options"];
    if (!o.is_object()) o = Value::object();
    o["limit"] = n;
    o["offset"] = from;
    return api::ApiCall{entity, "get", std::move(p), 3};
  };
  // A Contact's later pages by id: the rows past the last one read, through
  // contact_id (a filter on `id` would also change the answer's keys: a get
  // naming its id shows no contact_is_deleted). Other entities' gets are
  // single tables, whose pages by offset stay cheap.
  if (entity == "Contact" && !params.contains("contact_id")) {
    d.keyset_filter = "contact_id";
    d.keyset_after = *after;
    d.last_id = [](const Value& result) -> std::optional<int64_t> {
      auto values = result.find("values");
      return values == result.end() ? std::nullopt : LastRowId(*values, "id");
    };
  }
  d.count_call = api::ApiCall{entity, "getcount", params, 3};
  d.rows_in = [](const Value& result) -> StatusOr<int64_t> {
    auto values = result.find("values");
    if (wire::v3::IsV3Error(result) || values == result.end() ||
        !(values->is_object() || values->is_array())) {
      return Internal("a page of an APIv3 get answered no rows");
    }
    return static_cast<int64_t>(values->size());
  };
  d.frame = [json](const Value& first, int64_t rows, std::string& head, std::string& tail) -> Status {
    // The first page's envelope with the answer's count, around its values.
    Value envelope = Value::object();
    for (const auto& [k, v] : first.items()) {
      envelope[k] = k != "values" ? v : v.is_array() ? Value::array() : Value::object();
    }
    envelope["count"] = rows;
    return wire::v3::RowsFrame(envelope, json, head, tail);
  };
  d.rows_text = [json](Value result) -> StatusOr<std::string> {
    Value values = std::move(result["values"]);
    if (json) return Between(wire::v3::RenderV3Json(values), 1, values.is_array() ? "]" : "}");
    std::string text = wire::v3::RenderV3Xml(Value{{"values", std::move(values)}});
    size_t rows_at = text.find("<Result>");
    return Between(std::move(text), rows_at, kXmlTail);
  };
  d.separator = json ? "," : "";
  return Stream(dispatcher, caller, std::move(d), *offset, *limit, content_type, auth_txn);
}

StreamedGet StreamV2ContactGet(const api::Dispatcher& dispatcher, const auth::Caller& caller,
                               const std::string& entity, const std::string& action,
                               const Value& params, bool json, const std::string& content_type,
                               std::unique_ptr<store::Transaction>& auth_txn) {
  std::optional<http::HttpResponse> not_streamed;
  if (!params.is_object() || params.contains("id") || params.contains("contact_id")) {
    return not_streamed;
  }
  auto given = [&](const char* key) -> const Value* {
    auto it = params.find(key);
    return it == params.end() ? nullptr : &*it;
  };
  std::optional<int64_t> limit = given("rowCount") != nullptr ? NonNegative(*given("rowCount")) : std::optional<int64_t>(25);
  std::optional<int64_t> offset = given("offset") != nullptr ? NonNegative(*given("offset")) : std::optional<int64_t>(0);
  std::optional<const char*> after = IdSortAfter(given("sort"), {"id", "contact_id"});
  if (!limit || !offset || (*limit > 0 && *limit <= kStreamPageRows) || !after) {
    return not_streamed;
  }
  Dialect d;
  d.what = "3.2 contact/" + action;
  d.rows_format = wire::v2::RowsOptions(json);
  d.page_call = [entity, action, params](int64_t from, int64_t n) {
    Value p = params;
    p["rowCount"] = n;
    p["offset"] = from;
    return api::ApiCall{entity, action, std::move(p), 2};
  };
  // Later pages by contact_id past the last row read (the request names
  // none: such a get is not streamed).
  d.keyset_filter = "contact_id";
  d.keyset_after = *after;
  d.last_id = [](const Value& result) { return LastRowId(result, "contact_id"); };
  d.count_call = api::ApiCall{entity, "search_count", params, 2};
  d.rows_in = [](const Value& result) -> StatusOr<int64_t> {
    if (!result.is_object()) return Internal("a page of a 3.2 contact get answered no rows");
    return static_cast<int64_t>(result.size());
  };
  // The rows' text: a page rendered whole, less what is not its rows.
  d.rows_text = [json](Value result) -> StatusOr<std::string> {
    if (json) return Between(wire::v2::RenderV2Json(wire::v2::NormalizeV2Result(std::move(result))), 1, "]");
    std::string text = wire::v2::RenderV2Xml(wire::v2::NormalizeV2Result(std::move(result)));
    size_t rows_at = text.find("<Result>");
    return Between(std::move(text), rows_at, kXmlTail);
  };
  d.frame = [json](const Value&, int64_t, std::string& head, std::string& tail) -> Status {
    wire::v2::RowsFrame(json, head, tail);
    return Status();
  };
  // Rows follow one another as "}\n,{" in 3.2's JSON.
  d.separator = json ? "\n," : "";
  return Stream(dispatcher, caller, std::move(d), *offset, *limit, content_type, auth_txn);
}

}  // namespace kith::server
