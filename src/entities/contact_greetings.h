// Contact greetings: the email greeting, postal greeting and addressee of a
// contact, as CiviCRM keeps them. Each is an option (email_greeting,
// postal_greeting, addressee) whose label is a token template
// ("Dear {contact.first_name}"); the option marked default for the contact's
// type (the option's filter: 1 Individual, 2 Household, 3 Organization) is
// taken when none is given on create, and the *_display columns hold the
// templates filled in ("Customized" takes the *_custom column). Empty tokens
// vanish with their "{ }" separators, as in display_name.
#pragma once

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::entities {

// Adds to `changes` (a contact write, see api::BeforeWriteHook) the greeting
// defaults of a new contact's type and the three *_display columns for the
// row as it will be. `record` is the whole row with `changes` applied;
// `prefix_label`/`suffix_label` are the labels of its prefix and suffix.
Status ApplyContactGreetings(api::ActionContext& ctx, const Value& record, Value& changes,
                             bool creating, const std::string& prefix_label,
                             const std::string& suffix_label);

// A greeting template filled in from `record` (prefix_id:label and
// suffix_id:label from the given labels).
std::string FillGreeting(const std::string& templ, const Value& record,
                         const std::string& prefix_label, const std::string& suffix_label);

}  // namespace kith::entities
