// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// JSON shapes shared by the C ABI and the command-line tool. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_JSON_H_
#define CUSTAUTH_SRC_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "custauth/auth.h"
#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// "2026-11-23 12:48:27" (UTC), the platform's timestamp format.
std::string FormatTime(TimeMs t);

// A customer as a host shows it. `admin` adds the lock state and revocation time.
nlohmann::json CustomerToJson(const Customer& c, bool admin = false);

// {"errors":[{"message":"…","extensions":{"category":"…","code":"…"}}]}
nlohmann::json ErrorToJson(const Status& s);

nlohmann::json AuditToJson(const AuditRecord& r);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_JSON_H_
