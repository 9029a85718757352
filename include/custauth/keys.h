// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Keys: what custauth signs, keys and seals with. The host passes them in (AuthOptions::keys);
// for the embedded default and the command-line tool they live in a key file beside the database,
// created by `custauth init` with mode 0600. Keys are never stored in the database.
//
// Key file format (JSON, one object):
//   {"version": 1,
//    "secret_key": "<base64 of 32 bytes>",   // keys the hashes of one-time secrets and tokens
//    "seal_key":   "<base64 of 32 bytes>",   // encrypts integrations' secrets at rest
//    "jwt_keys": [ {"kid": "1", "secret": "<base64>"} |
//                  {"kid": "1", "platform_crypt_key": "<the shop's crypt key>"}, ... ]}
// The last entry of jwt_keys signs; every entry verifies.
#ifndef CUSTAUTH_KEYS_H_
#define CUSTAUTH_KEYS_H_

#include <string>
#include <string_view>
#include <vector>

#include "custauth/clock.h"
#include "custauth/export.h"
#include "custauth/status.h"

namespace custauth {

// One HS256 key of the JWT key ring.
struct JwtKey {
  std::string kid;     // 1..64 printable ASCII characters
  std::string secret;  // the HMAC key, at least 32 bytes (binary)
};

// The platform's JWT key: its crypt key padded with '&' on both sides to 2048 characters
// (PHP str_pad($key, 2048, '&', STR_PAD_BOTH): the left side gets the smaller half). Keys of
// 2048 characters or more are used as they are.
CUSTAUTH_EXPORT std::string PlatformJwtSecret(std::string_view crypt_key);

// The JWT key the platform signs customer tokens with, from its `crypt/key` setting (env.php):
// whitespace-separated keys, the last one current. Only the current key signs and verifies
// there, so only it is returned: kid "1", secret PlatformJwtSecret(last key). kInvalidInput when
// the value holds no key.
CUSTAUTH_EXPORT Result<JwtKey> PlatformJwtKey(std::string_view crypt_key_setting);

struct Keys {
  std::string secret_key;        // 32 bytes (binary)
  std::string seal_key;          // 32 bytes (binary)
  std::vector<JwtKey> jwt_keys;  // at least one; the last one signs
};

// Fresh random keys: secret_key, seal_key and one JWT key with kid "1".
CUSTAUTH_EXPORT Keys GenerateKeys(Random& random);

// Checks sizes, kids (unique, 1..64 printable ASCII) and that there is a JWT key.
CUSTAUTH_EXPORT Status ValidateKeys(const Keys& keys);

// Reads a key file. kNotFound when it does not exist; kInvalidInput when it is not a valid key file
// (the message says what is wrong); kForbidden when it is readable by group or others.
CUSTAUTH_EXPORT Result<Keys> LoadKeyFile(const std::string& path);

// Writes `keys` to `path` with mode 0600, atomically (a temporary file renamed into place).
// kAlreadyExists when the file exists and `overwrite` is false.
CUSTAUTH_EXPORT Status SaveKeyFile(const std::string& path, const Keys& keys,
                                   bool overwrite = false);

// The key file that belongs beside a database file: "shop.db" → "shop.key", "shop" → "shop.key",
// "shop.sqlite" → "shop.sqlite.key".
CUSTAUTH_EXPORT std::string DefaultKeyFilePath(const std::string& database_path);

}  // namespace custauth

#endif  // CUSTAUTH_KEYS_H_
