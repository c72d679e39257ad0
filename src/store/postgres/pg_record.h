// A table's row read whole (`SELECT t0 FROM table t0 ...`): PostgreSQL's
// record text format split into the row's fields. One result column in
// place of fifty costs the server less per execution (one column to
// describe and send, one tuple descriptor) and libpq less to read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kith::store::postgres {

// One field of a record: its text as the column's output function wrote it
// (what CAST(column AS TEXT) gives), or NULL.
struct RecordField {
  std::string_view text;
  bool null = true;
};

// Splits `record` ("(1,,\"a \"\"b\"\"\",t)") into its fields, in the
// table's column order. An unquoted empty field is NULL; a quoted one ("")
// the empty text. Quoted fields have their doubled quotes and backslashes
// (and any backslash-escaped character) undone into `scratch`, which the
// fields' texts may view: they stay valid until `scratch` is next used.
// False when `record` is not of that form.
bool SplitRecord(std::string_view record, std::vector<RecordField>& fields, std::string& scratch);

// The failure of a row read whole that is not of the layout its table was
// read with (another server changed the table meanwhile), and its test.
Status RecordShapeError();
bool IsRecordShapeError(const Status& status);

}  // namespace kith::store::postgres
