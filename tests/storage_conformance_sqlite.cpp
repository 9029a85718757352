// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage conformance suite against SQLite (part of storage_conformance_test).
#include "storage_conformance.h"
#define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS SqliteBackend
#include "custauth/testing/storage_conformance.h"
