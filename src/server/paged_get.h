// Gets of APIv3 (any stored entity's get) and of the 3.2 dialect
// (contact/get and contact/search) too large to hold at once, streamed as
// APIv4's are (v4_stream.h): the rows are counted, then read in pages of
// kStreamPageRows in one read transaction (rows in id order, a total order,
// so the pages are the whole answer cut in pieces; an APIv3 Contact.get
// and the 3.2 gets read each page after the first by id, past the last row
// read, other APIv3 gets by offset), and each
// page is written to the client as it is read (http::BodySource, chunked).
// Each page is rendered by the dialect's own renderer (wire/v3, wire/v2)
// and its rows cut out of that text, so the bytes are those of the answer
// built whole, JSON or XML.
//
// A get that answers at most one page is not streamed, nor one whose rows
// are not in id order (a sort on anything else may tie), one with chained
// calls, pretty printing, or an id filter. A failure before the first byte
// leaves the request to the route's usual path, which answers it as
// before; max_rows is checked with the count before the first byte; a
// failure once streaming has begun cuts the answer off without its last
// chunk: no client takes it for whole.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/api.h"
#include "base/status.h"
#include "base/value.h"
#include "http/http_message.h"

namespace kith::server {

// What a streamable get answers: nullopt when it is not streamed (the
// route answers it as any call), a response whose body streams, or an
// error to answer before any byte (TooLarge past max_rows).
using StreamedGet = StatusOr<std::optional<http::HttpResponse>>;

// APIv3 `entity`.get (`entity` canonical, of the store's catalog) with
// `params`, for `caller`, answered in JSON or XML with `content_type`.
// `auth_txn`, when set, is the read transaction the api key was read in.
StreamedGet StreamV3Get(const api::Dispatcher& dispatcher, const auth::Caller& caller,
                        const std::string& entity, const Value& params, bool json,
                        const std::string& content_type,
                        std::unique_ptr<store::Transaction>& auth_txn);

// A 3.2 contact/get or contact/search (`entity` and `action` as the request
// spelled them) with `params`; as above.
StreamedGet StreamV2ContactGet(const api::Dispatcher& dispatcher, const auth::Caller& caller,
                               const std::string& entity, const std::string& action,
                               const Value& params, bool json, const std::string& content_type,
                               std::unique_ptr<store::Transaction>& auth_txn);

}  // namespace kith::server
