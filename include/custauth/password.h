// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PasswordHasher: stores passwords as Argon2id strings (libsodium crypto_pwhash_str) and verifies
// that format, the platform's legacy `HASH:SALT:VERSIONS` format, and other platforms' hashes
// (bcrypt `$2a$`/`$2b$`/`$2y$`, phpass `$P$`/`$H$`, WordPress 6.8's `$wp$2y$`), so that customers
// imported from the platform or from another one keep their passwords and are upgraded on their
// next login.
//
// Thread safety: one PasswordHasher is shared by all threads. Argon2id runs behind a counting
// semaphore of `max_concurrent` slots, so at most max_concurrent * memlimit bytes are in use for
// hashing at any time; a caller that waits longer than `wait_timeout` gets kBusy.
#ifndef CUSTAUTH_PASSWORD_H_
#define CUSTAUTH_PASSWORD_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "custauth/clock.h"
#include "custauth/export.h"
#include "custauth/status.h"

namespace custauth {

struct Argon2Options {
  // Argon2id passes. Default: the platform's, libsodium's OPSLIMIT_INTERACTIVE (2).
  std::uint64_t opslimit = 2;
  // Argon2id memory in bytes. Default: the platform's, libsodium's MEMLIMIT_INTERACTIVE (64 MiB).
  std::size_t memlimit = 64u * 1024u * 1024u;
  // Argon2id computations allowed at once in this process. Default: 4 (256 MiB at the defaults).
  int max_concurrent = 4;
  // How long a hash or verify waits for a free slot before kBusy. Default: 10 s.
  TimeMs wait_timeout = 10 * kSecond;
};

// The cheapest parameters libsodium accepts (1 pass, 8 KiB): for tests only.
CUSTAUTH_EXPORT Argon2Options CheapArgon2ForTests();

class CUSTAUTH_EXPORT PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Options options = {});
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;
  ~PasswordHasher();

  const Argon2Options& options() const { return options_; }

  // A new `$argon2id$v=19$m=…,t=…,p=1$salt$hash` string for `password` at the current options.
  // kBusy when no slot frees within wait_timeout; kInvalidInput when the options are outside
  // libsodium's limits; kInternal when libsodium fails (out of memory).
  Result<std::string> hash(std::string_view password);

  // Whether `password` matches `stored` (any format above). Comparison is constant-time.
  // kInvalidInput when `stored` is empty, in no known format, or asks for more work than custauth
  // allows (Argon2 and legacy: 1 GiB, 4 GiB·passes; bcrypt: cost 14; phpass: 2^22 iterations);
  // kBusy as for hash(). Argon2, bcrypt and phpass computations each hold a concurrency slot.
  // A wrong password costs at least what an unknown email costs: when `stored` ran no Argon2id at
  // the current options or above (an md5/sha256 legacy hash, bcrypt, phpass, weaker Argon2
  // parameters), a mismatch also runs dummy_verify() (and is kBusy when that finds no slot).
  [[nodiscard]] Result<bool> verify(std::string_view password, std::string_view stored);

  // Costs what verifying a wrong password against a current-format hash costs: what custauth runs
  // for an unknown email, so that timing does not tell it apart. kBusy exactly when verify() of a
  // current-format hash would be kBusy (no slot within wait_timeout), so that a hasher at its
  // limit answers known and unknown emails alike; otherwise OK.
  [[nodiscard]] Status dummy_verify(std::string_view password);

  // True when `stored` is not an Argon2id string at the current options (a legacy, bcrypt or
  // phpass hash, or weaker or different parameters): a successful login should rehash it.
  bool needs_rehash(std::string_view stored) const;

  // True when `stored` looks like the platform's legacy HASH:SALT:VERSIONS format (syntax only).
  static bool IsLegacyFormat(std::string_view stored);

  // Argon2 slots in use right now in this process (a computation needing more than memlimit holds
  // several), for tests and metrics.
  int in_flight() const;
  // Computations (hash, verify, dummy_verify) that got a slot since this hasher was made, in this
  // process: what tests count to show a refusal ran none.
  std::uint64_t computations() const;

  // The work this hasher has done since it was made, for tests that count work instead of timing
  // it: Argon2id verifications (of stored hashes, legacy Argon2 steps, and dummy_verify()) and
  // Argon2id hashes (hash()). A computation is counted when it runs (not when it is kBusy).
  struct WorkCounts {
    std::uint64_t argon2_verifications = 0;
    std::uint64_t hashes = 0;
    std::uint64_t dummies = 0;  // of argon2_verifications: the dummy_verify() runs
  };
  WorkCounts work_counts() const;

 private:
  class Slot;
  // verify() by the stored hash's format.
  Result<bool> verify_foreign(std::string_view password, std::string_view stored);
  Result<bool> verify_argon2(std::string_view password, std::string_view stored);
  Result<bool> verify_legacy(std::string_view password, std::string_view stored);
  // A mismatch: runs the dummy verification unless a full-cost Argon2id already ran.
  Result<bool> mismatch(std::string_view password, bool ran_full_cost);
  // The slot weight of an Argon2 run over `mem` bytes; whether a run with these parameters costs
  // at least a current-format verification.
  int weight_for(std::uint64_t mem) const;
  bool full_cost(std::uint64_t mem, std::uint64_t ops) const;
  Status acquire();
  void release();

  Argon2Options options_;
  std::string dummy_hash_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  std::uint64_t computations_ = 0;
  std::atomic<std::uint64_t> argon2_verifications_{0};
  std::atomic<std::uint64_t> hashes_{0};
  std::atomic<std::uint64_t> dummies_{0};
};

// The platform's legacy format, exposed for tests and for the import tool.
namespace legacy {
// Computes the legacy hash of `password` with `salt` and `versions` (e.g. "3_32_2_67108864" or
// "1:2"): returns the lowercase hex HASH. kInvalidInput for unknown or malformed versions.
CUSTAUTH_EXPORT Result<std::string> Compute(std::string_view password, std::string_view salt,
                                            std::string_view versions);
}  // namespace legacy

}  // namespace custauth

#endif  // CUSTAUTH_PASSWORD_H_
