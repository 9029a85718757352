// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Version macros (what a host compiled against) paired with runtime functions (what it runs with).
#ifndef CUSTAUTH_VERSION_H_
#define CUSTAUTH_VERSION_H_

#include "custauth/export.h"

#define CUSTAUTH_VERSION_MAJOR 0
#define CUSTAUTH_VERSION_MINOR 1
#define CUSTAUTH_VERSION_PATCH 0
#define CUSTAUTH_VERSION_STRING "0.1.0"
// MAJOR * 1000000 + MINOR * 1000 + PATCH
#define CUSTAUTH_VERSION_NUMBER 1000

namespace custauth {
// The runtime library's version: CUSTAUTH_VERSION_STRING / CUSTAUTH_VERSION_NUMBER of the build.
CUSTAUTH_EXPORT const char* VersionString() noexcept;
CUSTAUTH_EXPORT int VersionNumber() noexcept;
}  // namespace custauth

#endif  // CUSTAUTH_VERSION_H_
