// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Password hashes written by other shop platforms, verified so that customers imported from them
// keep their passwords until their next successful login upgrades them to Argon2id:
//   - bcrypt `$2a$`, `$2b$`, `$2y$` (PHP's password_hash: Shopware 6, Laravel, Symfony). `$2y$`
//     is `$2b$` under another name (crypt_blowfish's fixed algorithm); `$2a$` is verified as
//     crypt_blowfish and PHP verify it. Through libxcrypt's crypt_rn.
//   - portable phpass `$P$` (WordPress / WooCommerce before 6.8) and `$H$` (phpBB3): iterated MD5.
//   - WordPress 6.8's `$wp$2y$`: bcrypt over base64(HMAC-SHA384(key "wp-sha384", password)).
// `$P$` and `$wp$` are checked as WordPress's login checks them: wp_authenticate trims the
// password (PHP's trim: spaces, \t \n \r \0 \x0B) and wp_check_password then refuses one over
// 4096 bytes; WordPress hashed it trimmed too. bcrypt and `$H$` take the password as given.
//
// Costs are capped so that a stored hash cannot make one login run for minutes: bcrypt cost 4..14
// (2^14 Blowfish key setups, about a second on one core) and phpass 2^7..2^22 MD5 iterations
// (about the same). A hash outside the caps is unreadable (kInvalidInput), as a malformed one is.
//
// Not installed; not part of the API. PasswordHasher::verify routes these formats here and holds
// one of its concurrency slots around each verification.
#ifndef CUSTAUTH_SRC_FOREIGN_HASHES_H_
#define CUSTAUTH_SRC_FOREIGN_HASHES_H_

#include <cstddef>
#include <string_view>

#include "custauth/status.h"

namespace custauth {

// The caps on the costs a stored hash may ask for.
inline constexpr int kMinBcryptCost = 4;  // bcrypt's own minimum
inline constexpr int kMaxBcryptCost = 14;
inline constexpr int kMinPhpassLog2 = 7;  // phpass's own minimum
inline constexpr int kMaxPhpassLog2 = 22;
// WordPress refuses longer passwords (after trimming) for `$P$` and `$wp$` hashes; so does
// custauth.
inline constexpr std::size_t kMaxForeignPasswordBytes = 4096;

// Whether `stored` begins like one of the formats above (`$2a$`, `$2b$`, `$2y$`, `$P$`, `$H$`,
// `$wp$`), readable or not: such a string is judged by CheckForeignHash, not as an Argon2 string.
bool HasForeignPrefix(std::string_view stored);

// Ok when `stored` is a readable hash of one of the formats above, within the caps; otherwise
// kInvalidInput with a message that says what is wrong (for the import's row errors).
Status CheckForeignHash(std::string_view stored);

// CheckForeignHash(stored).ok().
bool IsForeignHash(std::string_view stored);

// Whether `password` matches `stored`. kInvalidInput when `stored` is not a readable hash of the
// function's format; kInternal when libxcrypt or OpenSSL fails. The outputs are compared in
// constant time. A password with a NUL byte never matches a bcrypt hash (bcrypt would stop at
// it); a password longer than kMaxForeignPasswordBytes never matches `$P$`/`$H$`/`$wp$`.
// `$P$` and `$wp$` trim the password first, as said above.
Result<bool> VerifyBcrypt(std::string_view password, std::string_view stored);
Result<bool> VerifyPhpass(std::string_view password, std::string_view stored);
Result<bool> VerifyWordPressBcrypt(std::string_view password, std::string_view stored);

// Dispatches on the prefix to the function above; kInvalidInput for any other string.
Result<bool> VerifyForeignHash(std::string_view password, std::string_view stored);

}  // namespace custauth

#endif  // CUSTAUTH_SRC_FOREIGN_HASHES_H_
