// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What a storage backend's writer needs beyond the interface (custauth/storage.h), as libgit2's
// git2/sys/ headers are for its backends: a host never includes this.
//
// Writing a backend:
//   - derive from custauth::Storage and implement every method; each is ONE atomic write (or
//     read) of the contract its comment states, across threads and, for a shared backend, across
//     processes and servers;
//   - apply the rules below where the contract names them, so that every backend decides alike:
//     ApplyLoginFailure (the lock), RevocationTime (a revocation's time), and the erasure rules
//     (TextNamesEmail, AuditRecordNamesCustomer, EraseCustomerFromAuditRecord,
//     ErasedRateBucketSuffixes, RateBucketNamesErased);
//   - run the conformance suite (custauth/testing/storage_conformance.h) against it.
#ifndef CUSTAUTH_SYS_STORAGE_BACKEND_H_
#define CUSTAUTH_SYS_STORAGE_BACKEND_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/storage.h"
#include "custauth/storage_records.h"

namespace custauth {

// ---------------------------------------------------------------------------------------------
// Lockout and revocation

// Applies one failed login to c's failures_num, first_failure and lock_expires, by the rule
// Storage::record_login_failure documents, and returns the state after it. Pure: for backends,
// which read the customer and write these fields back in one transaction.
CUSTAUTH_EXPORT LockState ApplyLoginFailure(Customer& c, TimeMs now, const LockoutPolicy& policy);

// The revocation time to store when revoking at `now` a customer whose tokens were last revoked at
// `previous`. Tokens carry iat in whole seconds, and a token issued in the same second as a
// revocation gets the next second as its iat (TokenIssuer::issue); a second revocation within that
// second must cover such tokens too, so it is moved to the start of the next second.
inline TimeMs RevocationTime(TimeMs previous, TimeMs now) {
  if (previous > 0 && previous / 1000 >= now / 1000) return (previous / 1000 + 1) * 1000;
  return now;
}

// ---------------------------------------------------------------------------------------------
// Erasure (Storage::delete_customer): what a backend removes and rewrites. Pure, for backends.

// Whether `text` holds `email` (ASCII case-insensitively) as a whole address: not as the tail or
// head of a longer one ("xa@b.co" does not hold "a@b.co", "a@b.com" does not either).
CUSTAUTH_EXPORT bool TextNamesEmail(std::string_view text, std::string_view email);

// Whether delete_customer(c.id) rewrites `r`: r.customer_id is c.id, or r.detail names c's email
// (TextNamesEmail; on any website: a detail does not say which).
CUSTAUTH_EXPORT bool AuditRecordNamesCustomer(const AuditRecord& r, const Customer& c);

// Erases `c` from a record that names it: keeps id, at, event, customer_id and admin_id; clears
// client_ip; clears actor when it is "customer:<id>" or names the email, reason when it names the
// email; drops from detail (a JSON object) every member or array element whose string names the
// email and, in c's own records, the members "email", "firstname", "lastname", "client_ip" and
// "user_agent" at any depth (a detail that is not JSON and names the email becomes ""). Returns
// whether anything changed.
CUSTAUTH_EXPORT bool EraseCustomerFromAuditRecord(AuditRecord& r, const Customer& c);

// The suffixes (":" + value) of the rate-limit bucket names delete_customer removes: the email's
// EmailKey and each non-empty client IP of the customer's records (`client_ips`), without
// duplicates. A bucket goes when its name ends with one of them (RateBucketNamesErased).
CUSTAUTH_EXPORT std::vector<std::string> ErasedRateBucketSuffixes(
    const Customer& c, std::span<const std::string> client_ips);
CUSTAUTH_EXPORT bool RateBucketNamesErased(std::string_view bucket,
                                           std::span<const std::string> suffixes);

}  // namespace custauth

#endif  // CUSTAUTH_SYS_STORAGE_BACKEND_H_
