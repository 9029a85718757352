// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PasswordVerifier: one link of generateCustomerToken's chain (DESIGN.md, "The pieces"). The
// `password` a customer sends is offered to each verifier of AuthOptions::verifiers in turn; the
// first that matches decides, and what its match does (consume a one-time secret, store a new
// password hash) is done by the write that records the sign-in.
//
// The rules of the login flow hold for every verifier, built in or the host's:
//   - the attempt is admitted before any verifier runs (the throttle and the account lock: a
//     verifier never sees a guess the lock refused); a run in which no verifier matched counts
//     one failure;
//   - timing: when no verifier of a run reported costly work (Verdict::costly), the flow runs one
//     dummy Argon2id verification, so that a run costs what a wrong password costs;
//   - a match of an unconfirmed customer is refused with the not-confirmed message, and a
//     one-time secret it would consume is not spent;
//   - the audit records name the verifier that matched ("via": name()).
//   - a verifier that returns an error, throws, or runs longer than
//     AuthOptions::verifier_time_limit never yields a token: the login answers kInternal (its
//     message names the verifier; kBusy and kStorage a verifier returns are passed on as they
//     are), or kBusy for the time limit. The attempt is counted as a failure when an earlier
//     verifier of the run already answered "not mine" (else a failing verifier placed after the
//     password would give unbounded password guesses); otherwise it is given back.
//
// A verifier is called from many threads at once (one CustomerAuth serves many); it must be
// thread-safe. It must not call back into the CustomerAuth that runs it.
#ifndef CUSTAUTH_VERIFIER_H_
#define CUSTAUTH_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/password.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

struct RequestContext;  // custauth/auth.h
class OtcStore;         // custauth/otc_store.h

// What a verifier may use besides its arguments: the handle's password hasher (Argon2id and the
// other formats, under the handle's concurrency limit) and its one-time secrets.
class CUSTAUTH_EXPORT VerifierServices {
 public:
  virtual ~VerifierServices();
  virtual PasswordHasher& hasher() = 0;
  // The handle's one-time secrets (issue, consume, void; the keyed hash of a secret).
  virtual OtcStore& otc_store() = 0;
};

// One verification's arguments.
struct VerifyRequest {
  const Customer& customer;  // as read by the write that admitted the attempt; active
  std::string_view secret;   // what the customer sent, 1 to 4096 bytes
  const RequestContext& context;
  VerifierServices& services;
};

// A verifier's answer.
struct Verdict {
  bool matched = false;  // false: "not mine", the next verifier is asked
  // Whether this verification cost what an Argon2id verification costs (it ran one, or work of
  // the same order). When no verifier of a run sets it, the flow runs a dummy Argon2id.
  bool costly = false;

  // What a match does, done by the sign-in write:
  // A one-time secret to consume: the customer's unused secret of this kind whose keyed hash is
  // consume_hash (OtcStore::hash_of). Judged at the write: when there is none, or it has expired
  // at the write's time, the match counts as "not mine" and the next verifier is asked.
  std::optional<SecretKind> consume_kind;
  std::string consume_hash;
  // A new password hash to store (e.g. an Argon2id hash of the secret, replacing a legacy one):
  // applied only when the stored hash is still the one this verification read.
  std::optional<std::string> new_password_hash;

  static Verdict NotMine(bool costly = false) {
    Verdict v;
    v.costly = costly;
    return v;
  }
  static Verdict Match(bool costly = false) {
    Verdict v;
    v.matched = true;
    v.costly = costly;
    return v;
  }
};

class CUSTAUTH_EXPORT PasswordVerifier {
 public:
  virtual ~PasswordVerifier();
  // Named in the audit trail ("via"): 1 to 64 bytes of [a-z0-9_.:-], unique within a chain.
  virtual std::string name() const = 0;
  // Matched or "not mine" (a Verdict), or an error (failed: no token, see above).
  virtual Result<Verdict> verify(const VerifyRequest& request) = 0;
};

// The built-in verifiers, in the platform's order:
// The account password: Argon2id, the platform's legacy formats and the foreign formats
// PasswordHasher reads (bcrypt, phpass); a match in a format that needs_rehash() stores a fresh
// Argon2id hash. Named "password".
CUSTAUTH_EXPORT std::shared_ptr<PasswordVerifier> AccountPasswordVerifier();
// A password-reset token (32 letters and digits), consumed by the sign-in. Named "reset_token".
CUSTAUTH_EXPORT std::shared_ptr<PasswordVerifier> ResetTokenVerifier();
// An admin's Login-as-Customer code (32 lowercase hex characters), for a customer who allows
// remote shopping assistance; consumed by the sign-in. Named "otc".
CUSTAUTH_EXPORT std::shared_ptr<PasswordVerifier> AdminOtcVerifier();
// The three, in that order: the default chain.
CUSTAUTH_EXPORT std::vector<std::shared_ptr<PasswordVerifier>> DefaultVerifiers();

// Whether `name` is a valid verifier name (see PasswordVerifier::name).
CUSTAUTH_EXPORT bool IsValidVerifierName(std::string_view name);

}  // namespace custauth

#endif  // CUSTAUTH_VERIFIER_H_
