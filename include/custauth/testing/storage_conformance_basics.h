// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the storage conformance suite (custauth/testing/storage_conformance.h) and a backend's own
// fixtures and tests share: a fixed start time, a customer to create, a temporary directory for
// database files. Catch2 (v2) based; includes no test case, so any number of files may use it.
#ifndef CUSTAUTH_TESTING_STORAGE_CONFORMANCE_BASICS_H_
#define CUSTAUTH_TESTING_STORAGE_CONFORMANCE_BASICS_H_

#include <stdlib.h>  // mkdtemp

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/storage_records.h"

namespace custauth::conformance {

// A directory made with mkdtemp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/custauth-conformance-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed for " << pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fixed start time; every test passes times explicitly.
inline constexpr TimeMs kT0 = 1748499421000;

// A customer to create on `website_id` with `email` and otherwise default fields.
inline NewCustomer Person(std::string email, std::int64_t website_id = kDefaultWebsiteId) {
  NewCustomer c;
  c.website_id = website_id;
  c.email = std::move(email);
  c.firstname = "Veronica";
  c.lastname = "Costello";
  c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA";
  return c;
}

}  // namespace custauth::conformance

#endif  // CUSTAUTH_TESTING_STORAGE_CONFORMANCE_BASICS_H_
