// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A third party's storage backend, built against an installed custauth: it derives from the
// installed interface (custauth/sys/storage_backend.h, custauth/storage_wrapper.h) and runs the
// installed conformance suite (custauth/testing/storage_conformance.h) against itself.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "custauth/memory_storage.h"
#include "custauth/storage_wrapper.h"
#include "custauth/sys/storage_backend.h"

namespace thirdparty {

// A backend of the host's: here the memory backend under another name.
class ShopStorage final : public custauth::StorageWrapper {
 public:
  ShopStorage()
      : StorageWrapper(std::shared_ptr<custauth::Storage>(custauth::MakeMemoryStorage())) {}
  std::string describe() const override { return "shop:" + StorageWrapper::describe(); }
};

struct ShopBackend {
  std::unique_ptr<custauth::Storage> storage = std::make_unique<ShopStorage>();
};

}  // namespace thirdparty

#define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS thirdparty::ShopBackend
#include "custauth/testing/storage_conformance.h"
