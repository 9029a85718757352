// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/storage.h"

#include <fmt/format.h>

namespace custauth {

Storage::~Storage() = default;

Result<std::vector<ImportOutcome>> Storage::import_customers(
    std::span<const ImportedCustomer> /*rows*/, ImportConflict /*on_conflict*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot import customers", describe()));
}

}  // namespace custauth
