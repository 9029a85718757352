// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// An in-memory Storage: the whole state in one process, behind one mutex. For tests and for
// hosts that want a throwaway customer base. Meets every contract of storage.h within the process.
#ifndef CUSTAUTH_MEMORY_STORAGE_H_
#define CUSTAUTH_MEMORY_STORAGE_H_

#include <memory>

#include "custauth/export.h"
#include "custauth/storage.h"

namespace custauth {

// A new, empty in-memory storage. The caller owns it (share it with std::shared_ptr as needed).
CUSTAUTH_EXPORT std::unique_ptr<Storage> MakeMemoryStorage();

}  // namespace custauth

#endif  // CUSTAUTH_MEMORY_STORAGE_H_
