// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

#include "storage_internal.h"

namespace custauth {

Storage::~Storage() = default;

Result<std::vector<ImportOutcome>> Storage::import_customers(
    std::span<const ImportedCustomer> /*rows*/, ImportConflict /*on_conflict*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot import customers", describe()));
}

Result<Customer> Storage::delete_customer(std::int64_t /*id*/, TimeMs /*now*/,
                                          std::span<const AuditRecord> /*audit*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot delete customers", describe()));
}

namespace {
Status NoSessions(const Storage& storage) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot keep sessions", storage.describe()));
}
}  // namespace

Result<SessionRecord> Storage::create_session(const SessionRecord& /*s*/) {
  return NoSessions(*this);
}

Result<SessionRecord> Storage::find_session(std::int64_t /*id*/) { return NoSessions(*this); }

Result<std::vector<SessionRecord>> Storage::list_sessions(std::int64_t /*customer_id*/,
                                                          TimeMs /*now*/) {
  return NoSessions(*this);
}

Result<SessionRecord> Storage::revoke_session(std::int64_t /*id*/, TimeMs /*now*/) {
  return NoSessions(*this);
}

Result<SessionRenewal> Storage::renew_session(std::int64_t /*id*/, std::int64_t /*customer_id*/,
                                              TimeMs /*token_issued_at*/, const Clock& /*clock*/) {
  return NoSessions(*this);
}

Result<Customer> Storage::admit_login_attempt(const LoginAttempt& /*attempt*/, TimeMs /*now*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot take login attempts", describe()));
}

Result<SignInResult> Storage::record_sign_in(const LoginAttempt& /*attempt*/,
                                             const SignIn& /*sign_in*/, const Clock& /*clock*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot take login attempts", describe()));
}

Result<LockState> Storage::record_attempt_failure(const LoginAttempt& /*attempt*/, TimeMs /*now*/,
                                                  const AuditOf<LockState>& /*audit*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot take login attempts", describe()));
}

Status Storage::release_login_attempt(const LoginAttempt& /*attempt*/, TimeMs /*now*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot take login attempts", describe()));
}

Result<ThrottleState> Storage::throttle_state(std::int64_t /*website_id*/,
                                              std::string_view /*email_key*/, TimeMs /*now*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot take login attempts", describe()));
}

void Storage::set_retention(const RetentionPolicy& /*policy*/) {}

Result<PruneCounts> Storage::prune(TimeMs /*now*/, const RetentionPolicy& /*policy*/) {
  return Status(Code::kUnsupported, fmt::format("The storage {} cannot prune", describe()));
}

namespace {

bool IsAsciiAlnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

// A byte that may precede an address's last character inside a longer local part.
bool IsLocalPartByte(char ch) {
  return IsAsciiAlnum(ch) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~.").find(ch) != std::string_view::npos;
}

bool IsDomainByte(char ch) { return IsAsciiAlnum(ch) || ch == '-'; }

// Members of a customer's own audit records that hold personal data, whatever their value.
bool IsPersonalMember(std::string_view key) {
  return key == "email" || key == "firstname" || key == "lastname" || key == "client_ip" ||
         key == "user_agent";
}

// Removes from `j` what names `c` (see EraseCustomerFromAuditRecord); true when `j` itself is a
// string naming the email (the caller drops it). Sets *changed when anything went.
bool ScrubDetail(nlohmann::json& j, const Customer& c, bool own, bool* changed) {
  if (j.is_string()) return TextNamesEmail(j.get_ref<const std::string&>(), c.email);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if ((own && IsPersonalMember(it.key())) || ScrubDetail(it.value(), c, own, changed)) {
        it = j.erase(it);
        *changed = true;
      } else {
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto it = j.begin(); it != j.end();) {
      if (ScrubDetail(*it, c, own, changed)) {
        it = j.erase(it);
        *changed = true;
      } else {
        ++it;
      }
    }
  }
  return false;
}

}  // namespace

bool TextNamesEmail(std::string_view text, std::string_view email) {
  if (email.empty() || text.size() < email.size()) return false;
  const std::string key = EmailKey(email);
  const std::string lower = EmailKey(text);  // ASCII lower case, as the key
  for (std::size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
    const std::size_t end = at + key.size();
    if (at > 0 && IsLocalPartByte(lower[at - 1])) continue;
    if (end < lower.size()) {
      if (IsDomainByte(lower[end])) continue;
      if (lower[end] == '.' && end + 1 < lower.size() && IsDomainByte(lower[end + 1])) continue;
    }
    return true;
  }
  return false;
}

bool AuditRecordNamesCustomer(const AuditRecord& r, const Customer& c) {
  return r.customer_id == c.id || TextNamesEmail(r.detail, c.email);
}

bool EraseCustomerFromAuditRecord(AuditRecord& r, const Customer& c) {
  const bool own = r.customer_id == c.id;
  bool changed = false;
  auto clear = [&changed](std::string& field) {
    if (field.empty()) return;
    field.clear();
    changed = true;
  };
  clear(r.client_ip);
  if ((own && r.actor == fmt::format("customer:{}", c.id)) || TextNamesEmail(r.actor, c.email)) {
    clear(r.actor);
  }
  if (TextNamesEmail(r.reason, c.email)) clear(r.reason);
  if (!r.detail.empty()) {
    nlohmann::json j = nlohmann::json::parse(r.detail, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (TextNamesEmail(r.detail, c.email)) clear(r.detail);
    } else {
      bool scrubbed = false;
      if (ScrubDetail(j, c, own, &scrubbed)) {
        clear(r.detail);
      } else if (scrubbed) {
        r.detail = j.dump();
        changed = true;
      }
    }
  }
  return changed;
}

std::vector<std::string> ErasedRateBucketSuffixes(const Customer& c,
                                                  std::span<const std::string> client_ips) {
  std::vector<std::string> out;
  out.push_back(":" + EmailKey(c.email));
  for (const std::string& ip : client_ips) {
    if (!ip.empty()) out.push_back(":" + ip);
  }
  return internal::SortedUnique(std::move(out));
}

bool RateBucketNamesErased(std::string_view bucket, std::span<const std::string> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(),
                     [&](const std::string& s) { return bucket.ends_with(s); });
}

LockState ApplyLoginFailure(Customer& c, TimeMs now, const LockoutPolicy& policy) {
  const bool was_locked = c.locked_at(now);
  const bool lock_expired = c.lock_expires.has_value() && *c.lock_expires <= now;
  const bool no_failure_yet = c.failures_num <= 0 || !c.first_failure.has_value();
  const bool window_passed = c.first_failure.has_value() && now - *c.first_failure >= policy.window;
  if (lock_expired || no_failure_yet || (window_passed && !was_locked)) {
    c.failures_num = 1;
    c.first_failure = now;
    c.lock_expires.reset();
  } else {
    ++c.failures_num;
  }
  if (policy.max_failures > 0 && c.failures_num >= policy.max_failures) {
    c.lock_expires = now + policy.lock_duration;
  }
  LockState state;
  state.failures_num = c.failures_num;
  state.first_failure = c.first_failure;
  state.lock_expires = c.lock_expires;
  state.locked = c.locked_at(now);
  state.newly_locked = state.locked && !was_locked;
  return state;
}

namespace internal {

std::string AccountCounterKey(std::int64_t customer_id) {
  return fmt::format("account:{}", customer_id);
}

std::string ThrottleCounterKey(std::int64_t website_id, std::string_view email_key) {
  return fmt::format("throttle:{}:{}", website_id, email_key);
}

namespace {

// The failures of c's current window at `now`: the ones a new failure would add to.
int WindowFailures(const Customer& c, TimeMs now, const LockoutPolicy& policy) {
  if (c.lock_expires.has_value() && *c.lock_expires <= now) return 0;
  if (c.failures_num <= 0 || !c.first_failure.has_value()) return 0;
  if (now - *c.first_failure >= policy.window && !c.locked_at(now)) return 0;
  return c.failures_num;
}

bool ThrottleOn(const LoginAttempt& a) { return a.throttle.max_failures > 0; }

// Takes (+1) or gives back (-1) one attempt on `key`.
Status MoveInFlight(LoginTxn& tx, const std::string& key, int delta, TimeMs now, TimeMs lifetime) {
  Result<LoginCounter> counter = tx.counter(key);
  if (!counter.ok()) return counter.status();
  LoginCounter c = *counter;
  c.in_flight = std::max(0, c.live_in_flight(now) + delta);
  if (delta > 0) c.in_flight_expires = now + lifetime;
  return tx.write_counter(key, c, now);
}

// Gives back the attempt `a` holds, on both its keys.
Status GiveBack(LoginTxn& tx, const LoginAttempt& a, TimeMs now) {
  if (ThrottleOn(a)) {
    CUSTAUTH_RETURN_IF_ERROR(
        MoveInFlight(tx, ThrottleCounterKey(a.website_id, a.email_key), -1, now, 0));
  }
  if (a.customer_id > 0) {
    CUSTAUTH_RETURN_IF_ERROR(MoveInFlight(tx, AccountCounterKey(a.customer_id), -1, now, 0));
  }
  return Status::Ok();
}

}  // namespace

Result<Customer> AdmitLoginAttempt(LoginTxn& tx, const LoginAttempt& a, TimeMs now) {
  // The customer's row first: every login operation locks in this order (customer, throttle key,
  // account key), so that concurrent ones on a server with row locks never deadlock.
  Customer c;
  if (a.customer_id > 0) {
    Result<std::optional<Customer>> found = tx.customer(a.customer_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return NoSuchCustomerId(a.customer_id);
    c = std::move(**found);
  }
  const std::string throttle_key = ThrottleCounterKey(a.website_id, a.email_key);
  if (ThrottleOn(a)) {
    Result<LoginCounter> t = tx.counter(throttle_key);
    if (!t.ok()) return t.status();
    if (t->live_failures(now) + t->live_in_flight(now) >= a.throttle.max_failures) {
      return Status(Code::kRateLimited, "Too many failed sign-in attempts for this email");
    }
  }
  if (a.customer_id > 0) {
    if (c.locked_at(now)) return LockedCustomer();
    Result<LoginCounter> acct = tx.counter(AccountCounterKey(a.customer_id));
    if (!acct.ok()) return acct.status();
    if (a.lockout.max_failures > 0 &&
        WindowFailures(c, now, a.lockout) + acct->live_in_flight(now) >= a.lockout.max_failures) {
      return LockedCustomer();
    }
  }
  if (ThrottleOn(a)) {
    CUSTAUTH_RETURN_IF_ERROR(MoveInFlight(tx, throttle_key, +1, now, a.slot_lifetime));
  }
  if (a.customer_id > 0) {
    CUSTAUTH_RETURN_IF_ERROR(
        MoveInFlight(tx, AccountCounterKey(a.customer_id), +1, now, a.slot_lifetime));
  }
  return c;
}

Result<SignInResult> SignInAnswer(Result<SignInCommit> committed) {
  if (!committed.ok()) return committed.status();
  if (!committed->refusal.ok()) return committed->refusal;
  return std::move(committed->result);
}

Result<SignInCommit> RecordSignIn(LoginTxn& tx, const LoginAttempt& a, const SignIn& s,
                                  const Clock& clock) {
  Result<std::optional<Customer>> found = tx.customer(a.customer_id);
  if (!found.ok()) return found.status();
  // Read once the customer is locked: a revocation that commits after this write reads a later
  // time, one that committed before it is seen here.
  const TimeMs now = clock.now();
  // Gives the attempt back and commits that, answering `why`.
  auto refuse = [&](Status why) -> Result<SignInCommit> {
    if (s.holds_attempt) CUSTAUTH_RETURN_IF_ERROR(GiveBack(tx, a, now));
    return SignInCommit{std::move(why), {}};
  };
  if (!found->has_value() || !(*found)->is_active) {
    return refuse(Status(Code::kAuthenticationFailed, msg::kSignInIncorrect));
  }
  SignInCommit commit;
  SignInResult& out = commit.result;
  out.customer = std::move(**found);
  out.at = now;
  Customer& c = out.customer;
  if (s.check_lock && c.locked_at(now)) return refuse(LockedCustomer());
  if (s.secret_kind) {
    Result<std::optional<SecretRecord>> secret =
        tx.unused_secret(*s.secret_kind, c.id, s.secret_hash);
    if (!secret.ok()) return secret.status();
    if (!secret->has_value()) return Status(Code::kNotFound, "No such secret");
    if (now >= (*secret)->expires_at) return Status(Code::kExpired, "The secret is expired");
    out.secret = std::move(**secret);
  }
  if (!c.confirmed) return refuse(Status(Code::kNotConfirmed, msg::kNotConfirmed));
  if (out.secret) {
    CUSTAUTH_RETURN_IF_ERROR(tx.mark_secret_used(*s.secret_kind, c.id, now));
    out.secret->used_at = now;
  }
  bool changed = false;
  if (s.holds_attempt) {
    CUSTAUTH_RETURN_IF_ERROR(GiveBack(tx, a, now));
    if (ThrottleOn(a)) {
      const std::string key = ThrottleCounterKey(a.website_id, a.email_key);
      Result<LoginCounter> t = tx.counter(key);
      if (!t.ok()) return t.status();
      LoginCounter cleared = *t;
      cleared.failures = 0;
      cleared.expires_at = 0;
      CUSTAUTH_RETURN_IF_ERROR(tx.write_counter(key, cleared, now));
    }
    if (c.failures_num != 0 || c.first_failure || c.lock_expires) {
      c.failures_num = 0;
      c.first_failure.reset();
      c.lock_expires.reset();
      changed = true;
    }
  }
  if (s.password_hash && c.password_hash == s.expect_password_hash) {
    c.password_hash = *s.password_hash;
    out.rehashed = true;
    changed = true;
  }
  if (changed) {
    c.updated_at = now;
    CUSTAUTH_RETURN_IF_ERROR(tx.write_customer(c));
  }
  if (s.audit) CUSTAUTH_RETURN_IF_ERROR(tx.append_audit(s.audit(out)));
  return commit;
}

Result<LockState> RecordAttemptFailure(LoginTxn& tx, const LoginAttempt& a, TimeMs now,
                                       const AuditOf<LockState>& audit) {
  std::optional<Customer> c;
  if (a.customer_id > 0) {
    Result<std::optional<Customer>> found = tx.customer(a.customer_id);
    if (!found.ok()) return found.status();
    c = std::move(found).value();
  }
  CUSTAUTH_RETURN_IF_ERROR(GiveBack(tx, a, now));
  if (ThrottleOn(a)) {
    const std::string key = ThrottleCounterKey(a.website_id, a.email_key);
    Result<LoginCounter> t = tx.counter(key);
    if (!t.ok()) return t.status();
    LoginCounter counted = *t;
    counted.failures = counted.live_failures(now) + 1;
    counted.expires_at = now + a.throttle.lifetime;
    CUSTAUTH_RETURN_IF_ERROR(tx.write_counter(key, counted, now));
  }
  LockState state;
  if (c) {
    state = ApplyLoginFailure(*c, now, a.lockout);
    c->updated_at = now;
    CUSTAUTH_RETURN_IF_ERROR(tx.write_customer(*c));
  }
  if (audit) CUSTAUTH_RETURN_IF_ERROR(tx.append_audit(audit(state)));
  return state;
}

Status ReleaseLoginAttempt(LoginTxn& tx, const LoginAttempt& a, TimeMs now) {
  if (a.customer_id > 0) {
    Result<std::optional<Customer>> found = tx.customer(a.customer_id);
    if (!found.ok()) return found.status();
  }
  return GiveBack(tx, a, now);
}

Result<ThrottleState> ReadThrottleState(LoginTxn& tx, std::int64_t website_id,
                                        std::string_view email_key, TimeMs now) {
  Result<LoginCounter> t = tx.counter(ThrottleCounterKey(website_id, email_key));
  if (!t.ok()) return t.status();
  ThrottleState out;
  out.failures = t->live_failures(now);
  if (out.failures > 0) out.expires_at = t->expires_at;
  return out;
}

// (Built by appending: g++ 12 at -O2 warns falsely about std::string::replace here, -Wrestrict.)
Status NoSuchEmail(std::string_view email) {
  constexpr std::string_view kTemplate = msg::kCustomerNotFound;
  const std::size_t at = kTemplate.find("%s");
  if (at == std::string_view::npos) return Status(Code::kNotFound, kTemplate);
  std::string text;
  text.reserve(kTemplate.size() + email.size());
  text.append(kTemplate.substr(0, at)).append(email).append(kTemplate.substr(at + 2));
  return Status(Code::kNotFound, std::move(text));
}

Status LockedCustomer() { return Status(Code::kLocked, "The account is locked."); }

Status NoSuchCustomerId(std::int64_t id) {
  return Status(Code::kNotFound, fmt::format("No such entity with customerId = {}", id));
}

Status NoSuchIntegration(std::string_view consumer_key) {
  return Status(Code::kNotFound, fmt::format("No such entity with consumerKey = {}", consumer_key));
}

Status CustomerIdTaken(std::int64_t id) {
  return Status(Code::kAlreadyExists,
                fmt::format("A customer with customerId = {} already exists", id));
}

Status CustomerIdTooLarge(std::int64_t id) {
  return Status(Code::kInvalidInput,
                fmt::format("A customer id must be at most {} (2^53 - 1, exact in JSON); {} is not",
                            kMaxCustomerId, id));
}

Status NoCustomerIdLeft(std::string_view backend) {
  return Status(Code::kStorage,
                fmt::format("{}: no customer id is left to assign (ids go up to {}, 2^53 - 1)",
                            backend, kMaxCustomerId));
}

Status RateLimited() {
  return Status(Code::kRateLimited, "Too many requests. Please wait and try again later.");
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string PermissionsToJson(const std::vector<std::string>& permissions) {
  return nlohmann::json(SortedUnique(permissions)).dump();
}

Result<std::vector<std::string>> PermissionsFromJson(const std::string& text,
                                                     std::string_view backend) {
  const Status corrupt(Code::kStorage, fmt::format("{}: corrupt integration permissions", backend));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return corrupt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) return corrupt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

Status ApplyCustomerPatch(Customer& c, const CustomerPatch& patch, TimeMs now,
                          const std::function<Status()>& void_admin_otc,
                          const std::function<Status()>& bump_epoch) {
  if (patch.expect_password_hash && *patch.expect_password_hash != c.password_hash) {
    return Status(Code::kConflict,
                  fmt::format("The password of customerId = {} changed concurrently", c.id));
  }
  if (patch.refuse_when_locked && c.locked_at(now)) return LockedCustomer();
  if (patch.firstname) c.firstname = *patch.firstname;
  if (patch.lastname) c.lastname = *patch.lastname;
  if (patch.is_subscribed) c.is_subscribed = *patch.is_subscribed;
  if (patch.confirmed) c.confirmed = *patch.confirmed;
  if (patch.is_active) c.is_active = *patch.is_active;
  if (patch.allow_remote_shopping_assistance) {
    c.allow_remote_shopping_assistance = *patch.allow_remote_shopping_assistance;
    if (!c.allow_remote_shopping_assistance) CUSTAUTH_RETURN_IF_ERROR(void_admin_otc());
  }
  if (patch.password_hash) c.password_hash = *patch.password_hash;
  if (patch.revoke_tokens_at && *patch.revoke_tokens_at > c.tokens_revoked_at) {
    c.tokens_revoked_at = *patch.revoke_tokens_at;
    CUSTAUTH_RETURN_IF_ERROR(bump_epoch());
  }
  if (patch.revoke_clock != nullptr) {
    c.tokens_revoked_at = RevocationTime(c.tokens_revoked_at, patch.revoke_clock->now());
    CUSTAUTH_RETURN_IF_ERROR(bump_epoch());
  }
  if (patch.clear_lock) {
    c.failures_num = 0;
    c.first_failure.reset();
    c.lock_expires.reset();
  }
  c.updated_at = now;
  return Status::Ok();
}

Result<Customer> CustomerFoundByEmail(Result<std::optional<Customer>> found,
                                      std::string_view email) {
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NoSuchEmail(email);
  return std::move(**found);
}

std::map<std::string_view, RateBucketTake> RateBucketTakes(std::span<const RateRule> rules,
                                                           TimeMs now) {
  std::map<std::string_view, RateBucketTake> takes;
  for (const RateRule& rule : rules) {
    auto [it, inserted] = takes.try_emplace(rule.bucket);
    RateBucketTake& take = it->second;
    take.window = inserted ? rule.window : std::max(take.window, rule.window);
    take.keep_until = std::max(take.keep_until, now + std::max(rule.window, rule.min_interval));
  }
  return takes;
}

Status PruneTables(TimeMs now, const RetentionPolicy& policy, PruneCounts* counts,
                   const std::function<Result<std::int64_t>(PruneTable, TimeMs)>& batch) {
  const TimeMs grace_cutoff = GraceCutoff(policy, now);
  const std::pair<PruneTable, TimeMs> tables[] = {{PruneTable::kNonces, now},
                                                  {PruneTable::kExpiredSecrets, grace_cutoff},
                                                  {PruneTable::kUsedSecrets, grace_cutoff},
                                                  {PruneTable::kOpaqueTokens, grace_cutoff},
                                                  {PruneTable::kSessions, grace_cutoff},
                                                  {PruneTable::kAudit, AuditCutoff(policy, now)}};
  std::int64_t* const into[] = {&counts->nonces,        &counts->secrets,  &counts->secrets,
                                &counts->opaque_tokens, &counts->sessions, &counts->audit};
  for (std::size_t k = 0; k < std::size(tables); ++k) {
    for (;;) {
      Result<std::int64_t> n = batch(tables[k].first, tables[k].second);
      if (!n.ok()) return n.status();
      *into[k] += *n;
      if (*n < kPruneBatch) break;
    }
  }
  return Status::Ok();
}

}  // namespace internal

}  // namespace custauth
