// Small helpers shared by the protocol routes of KithService.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The refusal of a credential sent over plain HTTP from another machine
// (kith.toml require_secure_credentials): kPermissionDenied, HTTP 403.
Status InsecureCredentials();

// True for a credential refused unchecked because of earlier failures
// (kResourceExhausted from auth); such answers are 429 with Retry-After.
bool IsThrottled(const Status& status);
// True for a credential that could not be checked at all: refused unchecked
// (IsThrottled), or the database out of reach (kUnavailable: 503). Such a
// refusal is answered as itself, not as a wrong credential.
bool IsUncheckedCredential(const Status& status);
// Adds Retry-After (the status's details retry_after, in seconds) to
// `headers` when `status` IsThrottled.
void AddRetryAfter(const Status& status, std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace kith::server
