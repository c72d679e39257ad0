// The write rules of Tag, Note and Activity, for every dialect: who made a
// tag or note and when, a tag's label from its name, a note's and an
// activity's dates.
#pragma once

#include "api/records.h"

namespace kith::entities {

void RegisterTagNoteActivityRules(api::RulesRegistry& rules);

}  // namespace kith::entities
