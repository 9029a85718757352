// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CUSTAUTH_EXPORT marks the symbols of the public API. The library is built with hidden
// visibility, so everything not marked stays private to it.
#ifndef CUSTAUTH_EXPORT_H_
#define CUSTAUTH_EXPORT_H_

#if defined(CUSTAUTH_STATIC_DEFINE)
#define CUSTAUTH_EXPORT
#elif defined(_WIN32)
#if defined(CUSTAUTH_BUILDING)
#define CUSTAUTH_EXPORT __declspec(dllexport)
#else
#define CUSTAUTH_EXPORT __declspec(dllimport)
#endif
#else
#define CUSTAUTH_EXPORT [[gnu::visibility("default")]]
#endif

#endif  // CUSTAUTH_EXPORT_H_
