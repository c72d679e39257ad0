// APIv4 gets too large to hold at once: read in pages of ids (keyset: the
// rows after the last id read) in one read transaction, and written to the
// client as they are read (http::BodySource, chunked), so that the server
// holds one page whatever the row count and a client that stops reading
// holds the reading back. The bytes are those of the answer built whole.
//
// Limits (base/request_limits.h): max_rows applies to the whole answer and is
// checked before the first byte is sent (an honest 413, as for any answer);
// max_answer_bytes bounds only answers built whole, not streamed ones;
// max_request_seconds applies to the reading and to the writing (a client
// that reads too slowly is cut off). A failure once streaming has begun
// cuts the answer off without its last chunk: no client takes it for whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/action_registry.h"
#include "api/api.h"
#include "base/status.h"
#include "base/value.h"
#include "http/http_message.h"
#include "wire/v4/v4_request.h"

namespace kith::server {

// Rows per page; a get answering more than one page is streamed.
inline constexpr int64_t kStreamPageRows = 1000;

// Whether `call`, of the action `spec`, may be read in id pages: the
// generic get of a stored entity of `catalog` (its rows have unique ids;
// not a derived entity's), its rows in id order (orderBy absent or id
// ascending), nothing that ties rows together or counts them (index, chain,
// join, groupBy, having, an aggregate, row_count), no limit of one page or
// less, and no where naming at most a page of ids (a get by id).
bool ReadsInIdPages(const api::ActionSpec& spec, const schema::Catalog& catalog,
                    const wire::v4::V4Call& call);

// Whether `call`, of the action `spec`, is a get whose rows can be written
// as they are read into the answer: an APIv4 get with no index or chain,
// whose rows nothing reshapes after the action. (The action itself decides
// whether its answer's shape is known: ApiCall::rows_out.)
bool WritesRowsAsRead(const api::ActionSpec& spec, const wire::v4::V4Call& call);

struct V4GetAnswer {
  // Set when every row came in the first page and they were written as they
  // were read: the whole answer's JSON.
  std::string whole_json;
  // Set when every row came in the first page otherwise: the action's
  // result, to be answered as any call's.
  std::optional<Value> whole;
  // Otherwise the answer's first piece and the rest, read page by page.
  std::string first_piece;
  std::shared_ptr<http::BodySource> rest;
};

// Runs the get `call` of `spec` (WritesRowsAsRead) in `txn` (a read
// transaction, owned from here on) for `caller`, with the request's
// RequestBudget active on this thread: in pages of ids when `paged`
// (ReadsInIdPages), else in one read. `params`: the call's params, taken
// (call.params is not read). Errors: the action's, or TooLarge when the
// rows are over max_rows.
StatusOr<V4GetAnswer> AnswerV4Get(const api::Dispatcher& dispatcher, const api::ActionSpec& spec,
                                  const wire::v4::V4Call& call, Value params,
                                  const auth::Caller& caller,
                                  std::unique_ptr<store::Transaction> txn, bool paged);

}  // namespace kith::server
