// `kith import`: records from a CSV file created (or matched and updated)
// through APIv4, in batches or all at once, with rejects, groups and tags.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace kith::cli {

struct ImportOptions {
  std::string data_dir;
  std::string entity = "Contact";  // an APIv4 entity name
  std::string file;                // a CSV file; "-" reads standard input
  // "COLUMN=field,...": the APIv4 field a header column fills (an empty
  // field ignores the column). Unmapped columns name their field.
  std::string map;
  // Contacts only: "external_identifier" or "email" finds an existing
  // contact for a row (not in the trash; the lowest id when several), and
  // on_match says what then: "update" it with the row, "skip" the row, or
  // "fail" (reject) it.
  std::string match;
  std::string on_match = "skip";
  // Contacts only: groups and tags (by name or title; made when missing)
  // every row's contact gets, besides those of a `groups` or `tags` column
  // (names separated by ';').
  std::vector<std::string> groups;
  std::vector<std::string> tags;
  int64_t batch = 10000;        // rows per transaction (README: why 10,000)
  bool all_or_nothing = false;  // one transaction: the first bad row stops all
  std::string rejects;          // a CSV file for the rows refused: line, reason, cells
  double progress_every = 10;   // seconds between progress lines when stderr is no terminal
};

// Creates one record of `entity` per CSV row through APIv4's create (every
// rule, check and joined write applies: the header row names APIv4 fields,
// email_primary.email, custom fields as Group.field; an empty cell leaves
// its field out). Rows commit in batches of `batch`; a row that fails is
// rejected (written to `rejects`, or its line and reason to stderr) and the
// rest of its batch is imported. With all_or_nothing everything is one
// transaction and the first bad row stops the import with nothing written,
// its line named. Prints a summary; kFailedPrecondition when rows were
// rejected.
Status RunImport(const ImportOptions& options, std::ostream& out);

}  // namespace kith::cli
