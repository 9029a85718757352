// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage conformance suite against PostgreSQL with every statement sent as text, as behind a
// pooler in transaction mode (part of storage_conformance_test).
#include "storage_conformance.h"
#if CUSTAUTH_WITH_POSTGRES
#define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS PostgresUnpreparedBackend
#include "custauth/testing/storage_conformance.h"
#endif
