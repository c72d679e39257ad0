// Small helpers shared by the protocol routes of KithService.
#pragma once

#include <string_view>

#include "base/request_limits.h"
#include "base/status.h"

namespace kith::server {

bool EndsWith(std::string_view s, std::string_view suffix);

// json=<non-zero> among urlencoded pairs (a raw query string or form body),
// for answering in the asked format a request whose parameters could not be
// parsed.
bool RawParamsWantJson(std::string_view urlencoded);

// The honest HTTP status of an error, for protocols (3.2, v3) that answer
// 200 unless asked otherwise.
int HonestStatus(const Status& status);

// TooLarge when a rendered answer is over limits.max_answer_bytes; the
// route then answers that error instead.
Status CheckAnswerSize(std::string_view body, const RequestLimits& limits);

}  // namespace kith::server
