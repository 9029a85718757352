// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Small helpers for custauth's tests.
#ifndef CUSTAUTH_TESTS_TEST_UTIL_H_
#define CUSTAUTH_TESTS_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "custauth/memory_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"

namespace custauth::testing {

// A fresh temporary directory, removed with everything in it when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "custauth-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A storage of the named backend ("memory" or "sqlite"); sqlite files live in `dir`.
inline std::shared_ptr<Storage> MakeStorage(const std::string& backend, const TempDir& dir) {
  if (backend == "memory") return MakeMemoryStorage();
  auto s = OpenSqliteStorage(dir.file("custauth.db"));
  if (!s.ok()) throw std::runtime_error("OpenSqliteStorage: " + s.status().to_string());
  return std::move(s).value();
}

}  // namespace custauth::testing

#endif  // CUSTAUTH_TESTS_TEST_UTIL_H_
