#include "store/bulk_writes.h"

#include "store/internal/sql_transaction.h"

namespace kith::store {

Status EndPipelinedInserts(Transaction& txn) {
  auto* sql = dynamic_cast<internal::SqlTransaction*>(&txn);
  return sql == nullptr ? Status() : sql->EndPipelinedInserts();
}

int64_t InsertWaits(Transaction& txn) {
  auto* sql = dynamic_cast<internal::SqlTransaction*>(&txn);
  return sql == nullptr ? 0 : sql->InsertWaits();
}

std::optional<Value> ReadBack(const schema::Field& field, const Value& written) {
  using schema::FieldType;
  // A flag is never NULL: a null one is stored as its default (InsertBinds).
  if (written.is_null() && field.type == FieldType::kBool && !field.nullable) {
    return field.default_value.is_null() ? Value(0) : ReadBack(field, field.default_value);
  }
  if (written.is_null()) return Value();
  switch (field.type) {
    case FieldType::kInt:
    case FieldType::kBool:
      if (written.is_boolean()) return Value(written.get<bool>() ? 1 : 0);
      if (written.is_number_integer()) return written;
      return std::nullopt;
    case FieldType::kFloat:
    case FieldType::kMoney:
      if (written.is_number_float()) return written;
      if (written.is_number_integer()) return Value(written.get<double>());
      return std::nullopt;
    default:
      if (written.is_string()) return written;
      return std::nullopt;
  }
}

}  // namespace kith::store
