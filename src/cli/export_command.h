// `kith export`: every record of an entity that matches a where, as CSV
// (a header row `kith import` takes back) or NDJSON, streamed page by page.
#pragma once

#include <ostream>
#include <string>

#include "base/status.h"

namespace kith::cli {

struct ExportOptions {
  std::string data_dir;
  std::string entity = "Contact";
  std::string select;  // "a,b,c"; empty: DefaultExportColumns
  std::string where;   // an APIv4 where (JSON array); empty: every record
  std::string format = "csv";  // csv | ndjson
  std::string output;  // a file; empty: `out`
  int64_t page = 1000;  // records read per APIv4 get
};

// Writes the records through APIv4 get (the system's view, every rule of a
// get applies: contacts in the trash are left out unless the where asks),
// in id order, page by page after the last id seen (keyset paging, in one
// read transaction: a consistent snapshot in constant memory). The default
// columns are id and every field a create takes (the fields kith computes
// left out), with, for contacts, the fields of their primary email, phone
// and address (email_primary.email, ...).
Status RunExport(const ExportOptions& options, std::ostream& out);

}  // namespace kith::cli
