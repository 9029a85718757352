// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Integrations (OAuth 1.0a consumers) and exchangeExternalCustomerToken: CustomerAuth's
// operations for social login done by a trusted integration.
//
// An integration's consumer secret and token secret are sealed at rest with libsodium's
// crypto_secretbox_easy under keys.seal_key: the stored bytes are a random 24-byte nonce followed
// by the box. The consumer key and access token are identifiers, stored as they are.
//
// exchange_external_customer_token checks, in this order:
//   1. the OAuth request's caps, shape, method, version and body hash (no I/O);
//   2. the integration (a read): known, active, its access token, then the signature (and the
//      body hash), then the timestamp window;
//   3. the nonce: spent now (the first write; a replay stops here), so that whatever is refused
//      after, the signed request cannot serve again with another input;
//   4. the permission;
//   5. the input (CustomerCreateInput);
//   6. an existing customer's state (a read): active and confirmed;
// then finds or creates the customer (exactly once under races) and issues a token. Refusals of
// a known integration are audited; from step 3 on, with the email the input targets. A request
// with a stale timestamp is audited only when its signature verifies (anyone can send one).
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "auth_impl.h"
#include "crypto.h"
#include "custauth/graphql.h"
#include "custauth/oauth1.h"
#include "internal.h"
#include "json.h"

namespace custauth {

namespace {

constexpr std::size_t kCredentialLength = 32;
constexpr std::string_view kCredentialAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kMaxIntegrationName = 255;
// The input of exchangeExternalCustomerToken is small; larger documents are refused unread.
constexpr std::size_t kMaxInputBytes = 64 * 1024;

// The permissions an integration may hold.
bool IsKnownPermission(std::string_view p) { return p == kPermissionExchangeExternalCustomerToken; }

// A secret in memory, zeroed when done.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { sodium_memzero(s_.data(), s_.size()); }
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

std::string Seal(std::string_view key, std::string_view plain, Random& random) {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  random.fill(std::span<std::uint8_t>(nonce, crypto_secretbox_NONCEBYTES));
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nonce,
                        reinterpret_cast<const unsigned char*>(key.data()));
  return out;
}

Result<std::string> Unseal(std::string_view key, std::string_view sealed) {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status(Code::kInternal, "An integration's sealed secret is truncated");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t box = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(box - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, box, nonce,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return Status(Code::kInternal,
                  "An integration's secret does not open under this seal_key (wrong key file?)");
  }
  return plain;
}

Status CheckPermissions(const std::vector<std::string>& permissions) {
  for (const auto& p : permissions) {
    if (!IsKnownPermission(p)) {
      return Status(Code::kInvalidInput, fmt::format("Unknown permission \"{}\"", p));
    }
  }
  return Status::Ok();
}

Status CheckConsumerKey(std::string_view consumer_key) {
  if (consumer_key.empty()) return Status(Code::kInvalidInput, "Specify the consumer key.");
  if (consumer_key.size() > 255) {
    return Status(Code::kInvalidInput, "The consumer key is too long");
  }
  return Status::Ok();
}

// --- The input: {"customer": CustomerCreateInput} -----------------------------------------------

struct ExternalCustomer {
  std::string email;
  std::string firstname;
  std::string lastname;
  bool is_subscribed = false;
};

Status NotDefined(std::string_view field, std::string_view type) {
  return Status(Code::kInvalidInput,
                fmt::format("Field \"{}\" is not defined by type {}.", field, type));
}

Status NotProvided(std::string_view type, std::string_view field, std::string_view field_type) {
  return Status(Code::kInvalidInput, fmt::format("Field {}.{} of required type {} was not provided",
                                                 type, field, field_type));
}

Status WrongType(std::string_view type, std::string_view field, std::string_view field_type) {
  return Status(Code::kInvalidInput,
                fmt::format("Field \"{}.{}\" expects type {}", type, field, field_type));
}

// Reads and validates the mutation's input. Messages follow the platform's GraphQL layer and
// DOMAIN.md; the first problem found is reported, in this order: unknown fields, then email,
// firstname, lastname (missing or of the wrong type), is_subscribed's type, then the email's and
// the names' values.
Result<ExternalCustomer> ParseInput(std::string_view input_json) {
  auto parsed = internal::ParseJsonChecked(input_json, "The input", kMaxInputBytes);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json input = std::move(parsed).value();
  if (!input.is_object()) return Status(Code::kInvalidInput, "The input must be a JSON object");

  constexpr std::string_view kInputType = "ExchangeExternalCustomerTokenInput";
  constexpr std::string_view kCustomerType = "CustomerCreateInput";
  for (const auto& [k, v] : input.items()) {
    if (k != "customer") return NotDefined(k, kInputType);
  }
  auto it = input.find("customer");
  if (it == input.end() || it->is_null()) {
    return NotProvided(kInputType, "customer", "CustomerCreateInput!");
  }
  if (!it->is_object()) return WrongType(kInputType, "customer", "CustomerCreateInput!");
  const nlohmann::json& customer = *it;
  for (const auto& [k, v] : customer.items()) {
    if (k != "email" && k != "firstname" && k != "lastname" && k != "is_subscribed") {
      return NotDefined(k, kCustomerType);
    }
  }
  ExternalCustomer out;
  const std::pair<std::string_view, std::string*> required[] = {
      {"email", &out.email}, {"firstname", &out.firstname}, {"lastname", &out.lastname}};
  for (const auto& [name, target] : required) {
    auto f = customer.find(std::string(name));
    if (f == customer.end()) return NotProvided(kCustomerType, name, "String!");
    if (!f->is_string()) return WrongType(kCustomerType, name, "String!");
    *target = f->get<std::string>();
  }
  if (auto f = customer.find("is_subscribed"); f != customer.end() && !f->is_null()) {
    if (!f->is_boolean()) return WrongType(kCustomerType, "is_subscribed", "Boolean");
    out.is_subscribed = f->get<bool>();
  }
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(out.email));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(out.firstname, "First Name"));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(out.lastname, "Last Name"));
  return out;
}

// `text` cut to at most `max` bytes, on a UTF-8 character boundary.
std::string CutUtf8(std::string text, std::size_t max) {
  if (text.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
  }
  return text;
}

// The email an exchange's input targets, for the audit trail of a refusal: input.customer.email
// when the input is a JSON object within the caps and the email a string (cut to 255 bytes on a
// character boundary); nullopt otherwise.
std::optional<std::string> TargetEmail(std::string_view input_json) {
  auto parsed = internal::ParseJsonChecked(input_json, "The input", kMaxInputBytes);
  if (!parsed.ok()) return std::nullopt;
  const nlohmann::json& input = *parsed;
  if (!input.is_object()) return std::nullopt;
  auto customer = input.find("customer");
  if (customer == input.end() || !customer->is_object()) return std::nullopt;
  auto email = customer->find("email");
  if (email == customer->end() || !email->is_string()) return std::nullopt;
  return CutUtf8(email->get<std::string>(), 255);
}

Status NoPermission() { return Status(Code::kForbidden, msg::kNoPermission); }

}  // namespace

// --- Integrations
// ---------------------------------------------------------------------------------

namespace {

Status CheckIntegrationName(std::string_view name) {
  if (internal::Trim(name).empty()) {
    return Status(Code::kInvalidInput, "Specify the integration's name.");
  }
  if (name.size() > kMaxIntegrationName || !internal::IsValidUtf8(name) ||
      internal::HasControlBytes(name)) {
    return Status(Code::kInvalidInput,
                  fmt::format("The integration's name must be valid UTF-8 of at most {} bytes "
                              "without control characters",
                              kMaxIntegrationName));
  }
  return Status::Ok();
}

}  // namespace

Result<IntegrationCredentials> CustomerAuth::Impl::StoreIntegration(
    IntegrationCredentials creds, std::string_view name,
    const std::vector<std::string>& permissions, const RequestContext& ctx, const char* event) {
  Impl& impl = *this;
  Integration i;
  i.name = std::string(name);
  i.consumer_key = creds.consumer_key;
  i.access_token = creds.access_token;
  i.consumer_secret_sealed =
      Seal(impl.options.keys.seal_key, creds.consumer_secret, *impl.options.random);
  i.token_secret_sealed =
      Seal(impl.options.keys.seal_key, creds.token_secret, *impl.options.random);
  i.permissions = permissions;
  std::sort(i.permissions.begin(), i.permissions.end());
  i.permissions.erase(std::unique(i.permissions.begin(), i.permissions.end()), i.permissions.end());
  i.active = true;
  i.created_at = impl.now();
  auto created = impl.storage->create_integration(i);
  if (!created.ok()) return created.status();
  creds.integration = std::move(created).value();
  impl.Audit(event, nullptr, ctx,
             nlohmann::json({{"consumer_key", creds.consumer_key},
                             {"name", creds.integration.name},
                             {"permissions", creds.integration.permissions}})
                 .dump());
  return creds;
}

Result<IntegrationCredentials> CustomerAuth::create_integration(
    std::string_view name, const std::vector<std::string>& permissions, const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckIntegrationName(name));
  CUSTAUTH_RETURN_IF_ERROR(CheckPermissions(permissions));
  Impl& impl = *impl_;
  // Fresh credentials collide with probability ~2^-165; retry a few times anyway.
  for (int attempt = 0;; ++attempt) {
    IntegrationCredentials creds;
    creds.consumer_key = impl.RandomString(kCredentialAlphabet, kCredentialLength);
    creds.consumer_secret = impl.RandomString(kCredentialAlphabet, kCredentialLength);
    creds.access_token = impl.RandomString(kCredentialAlphabet, kCredentialLength);
    creds.token_secret = impl.RandomString(kCredentialAlphabet, kCredentialLength);
    auto created =
        impl.StoreIntegration(std::move(creds), name, permissions, ctx, "integration.create");
    if (created.code() == Code::kAlreadyExists && attempt < 3) continue;
    return created;
  }
}

Result<IntegrationCredentials> CustomerAuth::import_integration(
    std::string_view name, const std::vector<std::string>& permissions,
    const IntegrationCredentials& credentials, const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckIntegrationName(name));
  CUSTAUTH_RETURN_IF_ERROR(CheckPermissions(permissions));
  const std::pair<const char*, const std::string*> fields[] = {
      {"consumer_key", &credentials.consumer_key},
      {"consumer_secret", &credentials.consumer_secret},
      {"access_token", &credentials.access_token},
      {"token_secret", &credentials.token_secret}};
  for (const auto& [field, value] : fields) {
    const bool printable = std::all_of(value->begin(), value->end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0;
    });
    if (value->size() != kCredentialLength || !printable) {
      return Status(Code::kInvalidInput,
                    fmt::format("The integration's {} must be {} letters and digits", field,
                                kCredentialLength));
    }
  }
  IntegrationCredentials creds;
  creds.consumer_key = credentials.consumer_key;
  creds.consumer_secret = credentials.consumer_secret;
  creds.access_token = credentials.access_token;
  creds.token_secret = credentials.token_secret;
  return impl_->StoreIntegration(std::move(creds), name, permissions, ctx, "integration.import");
}

Result<std::vector<Integration>> CustomerAuth::list_integrations() {
  return impl_->storage->list_integrations();
}

Status CustomerAuth::revoke_integration(std::string_view consumer_key, const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckConsumerKey(consumer_key));
  CUSTAUTH_RETURN_IF_ERROR(impl_->storage->revoke_integration(consumer_key, impl_->now()));
  impl_->Audit("integration.revoke", nullptr, ctx,
               nlohmann::json({{"consumer_key", std::string(consumer_key)}}).dump());
  return Status::Ok();
}

Status CustomerAuth::set_integration_permissions(std::string_view consumer_key,
                                                 const std::vector<std::string>& permissions,
                                                 const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckConsumerKey(consumer_key));
  CUSTAUTH_RETURN_IF_ERROR(CheckPermissions(permissions));
  CUSTAUTH_RETURN_IF_ERROR(impl_->storage->set_integration_permissions(consumer_key, permissions));
  std::vector<std::string> sorted = permissions;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  impl_->Audit(
      "integration.permissions", nullptr, ctx,
      nlohmann::json({{"consumer_key", std::string(consumer_key)}, {"permissions", sorted}})
          .dump());
  return Status::Ok();
}

// --- exchangeExternalCustomerToken
// ----------------------------------------------------------------

// One exchangeExternalCustomerToken request, step by step. From the moment the integration is
// named, refusals are audited under its name; once the signature passed, they also name the email
// the input targets (a customer's id instead, when the refusal is about that customer).
struct CustomerAuth::Impl::ExchangeRun {
  Impl& impl;
  std::string_view input_json;
  OAuth1Verifier& verifier;
  OAuthRequest oauth;
  Status window;  // the timestamp's verdict, judged once the signature is known
  RequestContext as_integration;
  bool signed_by_integration = false;

  Status Refuse(Status s, std::string_view why, const Customer* customer = nullptr) {
    // A message may quote the input (an unknown field's name): bounded like the email.
    nlohmann::json detail = {{"why", why}, {"message", CutUtf8(s.message(), 512)}};
    if (signed_by_integration && customer == nullptr) {
      if (auto email = TargetEmail(input_json)) detail["email"] = *email;
    }
    impl.Audit("exchange.refused", customer, as_integration,
               detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return s;
  }

  // 2. The integration, the signature and the timestamp: reads only.
  Result<Integration> Authenticate() {
    auto integration = impl.storage->find_integration(oauth.consumer_key);
    if (!integration.ok()) {
      if (integration.code() != Code::kNotFound) return integration.status();
      // An unknown consumer key is not audited: anyone can send one.
      return window.ok() ? NoPermission() : window;
    }
    if (!integration->active) return window.ok() ? Refuse(NoPermission(), "revoked") : window;
    if (!internal::ConstantTimeEquals(integration->access_token, oauth.token)) {
      return window.ok() ? Refuse(NoPermission(), "unknown_token") : window;
    }
    auto consumer_secret = Unseal(impl.options.keys.seal_key, integration->consumer_secret_sealed);
    if (!consumer_secret.ok()) return consumer_secret.status();
    SecretString cs(std::move(consumer_secret).value());
    auto token_secret = Unseal(impl.options.keys.seal_key, integration->token_secret_sealed);
    if (!token_secret.ok()) return token_secret.status();
    SecretString ts(std::move(token_secret).value());
    Status signature = verifier.check_signature(oauth, cs.get(), ts.get());
    // A stale request with a bad signature is anyone's: its timestamp is the answer, unaudited.
    if (!signature.ok() && !window.ok()) return window;
    if (!signature.ok()) {
      return Refuse(signature, verifier.check_body(oauth).ok() ? "signature" : "body_hash");
    }
    signed_by_integration = true;
    // A stale or future timestamp under a valid signature: the integration's own request (or a
    // replay of it after the window), audited; its nonce is not recorded (it could not live).
    if (!window.ok()) return Refuse(window, "timestamp");
    return integration;
  }

  // 3. The request is the integration's: its nonce is spent now, before any other check, so that
  // a request refused below cannot be sent again (with another input, say).
  Status SpendNonce() {
    Status nonce = verifier.record_nonce(oauth);
    if (!nonce.ok()) return nonce.code() == Code::kForbidden ? Refuse(nonce, "replay") : nonce;
    // Expired nonces are pruned now and then, by whichever exchange comes along.
    if (impl.options.oauth_nonce_prune_every > 0 &&
        impl.exchanges.fetch_add(1, std::memory_order_relaxed) %
                static_cast<std::uint64_t>(impl.options.oauth_nonce_prune_every) ==
            0) {
      (void)impl.storage->prune_nonces(impl.now());
    }
    return Status::Ok();
  }

  // An existing customer must be able to sign in (read only).
  Status CheckState(const Customer& c) {
    if (!c.is_active) return Refuse(SignInIncorrect(), "inactive", &c);
    if (!c.confirmed) {
      return Refuse(Status(Code::kNotConfirmed, msg::kNotConfirmed), "unconfirmed", &c);
    }
    return Status::Ok();
  }

  // 6. The customer the input names: found (and checked), or created confirmed.
  Result<FindOrCreateResult> FindOrCreate(const ExternalCustomer& input, std::int64_t website_id) {
    auto existing = impl.storage->find_customer_by_email(website_id, input.email);
    FindOrCreateResult out;
    if (existing.ok()) {
      CUSTAUTH_RETURN_IF_ERROR(CheckState(*existing));
      // Re-checked by the sign-in write.
      out.customer = std::move(existing).value();
      return out;
    }
    if (existing.code() != Code::kNotFound) return existing.status();
    NewCustomer nc;
    nc.website_id = website_id;
    nc.email = input.email;
    nc.firstname = input.firstname;
    nc.lastname = input.lastname;
    nc.is_subscribed = input.is_subscribed;
    nc.confirmed = true;
    auto created = impl.storage->find_or_create_customer(nc, impl.now());
    if (!created.ok()) return created.status();
    out = std::move(created).value();
    // Another request may have created it meanwhile: its state is checked like any other's.
    if (!out.created) CUSTAUTH_RETURN_IF_ERROR(CheckState(out.customer));
    if (out.created) impl.Audit("customer.create", &out.customer, as_integration);
    return out;
  }

  // 7. The sign-in write: the customer is re-read under its lock, so that a deactivation (or an
  // erasure) committed since the read above wins; the token's iat is the time read inside it.
  Result<ExternalLoginResult> SignInAndIssue(FindOrCreateResult found, std::int64_t website_id,
                                             std::string_view email) {
    SignIn sign_in;
    sign_in.holds_attempt = false;
    sign_in.check_lock = false;  // the lock stops password-type verifiers only
    auto signed_in = impl.storage->record_sign_in(
        impl.Attempt(website_id, email, found.customer.id), sign_in, *impl.options.clock);
    if (!signed_in.ok()) {
      if (signed_in.code() == Code::kAuthenticationFailed) {
        return Refuse(SignInIncorrect(), "inactive", &found.customer);
      }
      if (signed_in.code() == Code::kNotConfirmed) {
        return Refuse(signed_in.status(), "unconfirmed", &found.customer);
      }
      return signed_in.status();
    }
    found.customer = std::move(signed_in->customer);
    auto token = impl.IssueForSignIn(found.customer, signed_in->at, as_integration, "external");
    if (!token.ok()) return token.status();
    impl.Audit("exchange.success", &found.customer, as_integration,
               nlohmann::json({{"created", found.created}}).dump());
    ExternalLoginResult out;
    out.customer = std::move(found.customer);
    out.token = std::move(token->token);
    out.expires_at = token->expires_at;
    out.session_id = token->session_id;
    out.created = found.created;
    return out;
  }
};

Result<ExternalLoginResult> CustomerAuth::exchange_external_customer_token(
    const HttpRequest& request, std::string_view input_json, const RequestContext& ctx,
    std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  if (website_id <= 0) return Status(Code::kInvalidInput, "website_id must be positive");
  Impl& impl = *impl_;
  OAuth1Options oauth_options;
  oauth_options.timestamp_window = impl.options.oauth_timestamp_window;
  oauth_options.require_body_hash = impl.options.exchange_require_body_hash;
  OAuth1Verifier verifier(*impl.storage, *impl.options.clock, oauth_options);

  // 1. The request's shape: no I/O. The timestamp is judged once the signature is known.
  auto oauth = verifier.read(request);
  if (!oauth.ok()) return oauth.status();
  Impl::ExchangeRun run{impl,         input_json, verifier, std::move(oauth).value(),
                        Status::Ok(), ctx,        false};
  run.window = verifier.check_timestamp(run.oauth);
  run.as_integration.actor = "integration:" + run.oauth.consumer_key;

  auto integration = run.Authenticate();
  if (!integration.ok()) return integration.status();
  CUSTAUTH_RETURN_IF_ERROR(run.SpendNonce());
  // 4. The permission.
  const auto& perms = integration->permissions;
  if (std::find(perms.begin(), perms.end(), kPermissionExchangeExternalCustomerToken) ==
      perms.end()) {
    return run.Refuse(NoPermission(), "permission");
  }
  // 5. The input.
  auto input = ParseInput(input_json);
  if (!input.ok()) return run.Refuse(input.status(), "input");
  auto found = run.FindOrCreate(*input, website_id);
  if (!found.ok()) return found.status();
  return run.SignInAndIssue(std::move(found).value(), website_id, input->email);
}

std::string CustomerAuth::exchange_external_customer_token_graphql(const HttpRequest& request,
                                                                   std::string_view input_json,
                                                                   const RequestContext& ctx,
                                                                   std::int64_t website_id) {
  // Shaped by custauth/graphql.h, the one place that shapes GraphQL.
  return graphql::ExchangeExternalCustomerToken(*this, request, input_json, {}, ctx, website_id)
      .body;
}

}  // namespace custauth
