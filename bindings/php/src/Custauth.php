<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth from PHP through FFI and the C ABI (custauth_call, custauth_token_verify_claims).
//
//   $auth = new Custauth\Custauth('shop.db');   // the key file beside it: shop.key
//   $token = $auth->generateCustomerToken('roni_cost@example.com', 'Password123');
//   $claims = $auth->verifyToken($token);      // ['uid' => 6, 'utypid' => 3, ...]
//
// A test handle, for a shop's own test suite: Custauth\Custauth::forTests(seed: 7) (see below).
//
// Failures throw Custauth\CustauthException subclasses (AuthenticationFailed, InvalidInput, ...)
// whose message is custauth's, whose getCode() is custauth.h's negative CUSTAUTH_E* code and
// whose $category is the GraphQL category. A string with a NUL character or invalid UTF-8 is
// InvalidInput, never cut and never a JsonException.
//
// The C declarations: under PHP-FPM (Debian's default ffi.enable=preload) from opcache's preload,
// where preload.php has loaded custauth.h with FFI::load (FFI::scope('CUSTAUTH') here); in the
// CLI, FFI::cdef with the library at $CUSTAUTH_LIBRARY or libcustauth.so on the loader's path.
// Open handles in the request (after the worker forked), never in the preload script.
declare(strict_types=1);

namespace Custauth;

final class Custauth
{
    /** The FFI scope that preload.php defines (custauth.h's FFI_SCOPE). */
    public const FFI_SCOPE = 'CUSTAUTH';

    private const ERRORS = [
        -1 => InvalidInput::class, -2 => NotFound::class, -3 => AlreadyExists::class,
        -4 => AuthenticationFailed::class, -5 => NotConfirmed::class, -6 => Locked::class,
        -7 => Expired::class, -8 => Forbidden::class, -9 => RateLimited::class,
        -10 => Unsupported::class, -11 => StorageError::class, -12 => Busy::class,
        -13 => Conflict::class, -14 => InternalError::class, -15 => InvalidToken::class,
    ];

    private static ?\FFI $ffi = null;
    /** @var \FFI\CData|null custauth_t* */
    private $handle = null;
    /** @var array<string, mixed>|null {"client_ip", "user_agent", "actor", "website_id"} for every call */
    public ?array $context = null;

    /** The C declarations of custauth.h that this package uses (also the preload header). */
    public static function header(): string
    {
        $h = file_get_contents(__DIR__ . '/../custauth.h');
        if ($h === false) {
            throw new InternalError('custauth: cannot read ' . __DIR__ . '/../custauth.h', -14);
        }
        return $h;
    }

    /** The C declarations: the preloaded scope, else FFI::cdef; a clear error when neither works. */
    public static function ffi(): \FFI
    {
        if (self::$ffi !== null) {
            return self::$ffi;
        }
        if (!extension_loaded('ffi')) {
            throw new InternalError(
                'custauth needs PHP\'s FFI extension (ext-ffi), which is not loaded: install it '
                . '(Debian: it is part of php8.2-common) and enable it with extension=ffi, then set '
                . 'ffi.enable=preload and opcache.preload=<vendor>/custauth/custauth/preload.php '
                . '(PHP-FPM; with opcache.preload_user when the master runs as root) or '
                . 'ffi.enable=1 (CLI only)', -14);
        }
        try {
            self::$ffi = \FFI::scope(self::FFI_SCOPE);
            return self::$ffi;
        } catch (\Throwable $notPreloaded) {
            // Not preloaded: FFI::cdef below, which ffi.enable=preload allows only in the CLI.
        }
        $lib = getenv('CUSTAUTH_LIBRARY') ?: 'libcustauth.so';
        try {
            $decls = preg_replace('/^#.*$/m', '', self::header());
            self::$ffi = \FFI::cdef((string) $decls, $lib);
        } catch (\Throwable $e) {
            $enable = (string) ini_get('ffi.enable');
            throw new InternalError(
                "custauth cannot load its C declarations: FFI::scope('CUSTAUTH') is not defined "
                . "(opcache did not preload custauth's preload.php) and FFI::cdef failed ("
                . $e->getMessage() . '). Under PHP-FPM with ffi.enable=' . ($enable === '' ? '?' : $enable)
                . ' set opcache.enable=1, opcache.preload=<vendor>/custauth/custauth/preload.php and, '
                . 'when the master runs as root, opcache.preload_user (README, "Deploying under '
                . 'PHP-FPM"); in the CLI set CUSTAUTH_LIBRARY to libcustauth.so', -14, [], '', $e);
        }
        return self::$ffi;
    }

    public static function version(): string
    {
        return (string) self::ffi()->custauth_libversion();
    }

    /** Fresh keys in the key-file format: pass as ['keys' => ...] or save to a 0600 file. */
    public static function generateKeys(): array
    {
        return self::invoke(null, 'keys_generate', [], null)['keys'];
    }

    /**
     * A test handle on 'memory:' or a throwaway SQLite path: cheap Argon2id, keys derived from
     * $seed (random without one), a clock at 2025-05-29 06:17:01 UTC that only setTime() and
     * advance() move, and with a seed every code and token reproducible.
     */
    public static function forTests(?int $seed = null, string $storage = 'memory:',
                                    array $options = [], ?array $context = null): self
    {
        $options['test'] = true;
        if ($seed !== null) {
            $options['test_seed'] = $seed;
        }
        return new self($storage, $options, $context);
    }

    /**
     * $storage: 'memory:' or a SQLite path. $options: custauth.h's custauth_options fields
     * (keys, keys_json or key_file, token_format 'jwt'|'opaque', argon2_opslimit, ...;
     * 'sessions' => true starts a session at each sign-in, for renewToken and revokeSession).
     */
    /** The verifiers' C structs and closures: they live as long as the handle. */
    private array $verifierRefs = [];

    /**
     * $verifiers: generateCustomerToken's chain in order (null: the platform's). A string names a
     * built-in ('password', 'reset_token', 'otc'); ['name' => ..., 'verify' => callable] is the
     * host's: verify(array $request) gets customer_id, website_id, email, password_hash, secret and
     * client_ip and returns true (matched), false (not mine) or ['matched' => bool, 'rehash' =>
     * bool, 'costly' => bool]; a Throwable is the verifier's failure (InternalError, no token).
     * The lock, the not-confirmed refusal and the audit's "via" apply as for the built-ins.
     */
    public function __construct(string $storage = 'memory:', array $options = [], ?array $context = null,
                                ?array $verifiers = null)
    {
        $ffi = self::ffi();
        self::refuseNul($storage, 'storage');
        $json = $options === [] ? '{}' : self::encode($options, 'an option');
        $handle = $ffi->new('custauth_t*');
        $count = count($verifiers ?? []);
        $chain = $ffi->new('custauth_verifier[' . max(1, $count) . ']');
        foreach (array_values($verifiers ?? []) as $k => $v) {
            $name = is_string($v) ? $v : (is_array($v) ? (string) ($v['name'] ?? '') : null);
            if ($name === null || (!is_string($v) && !is_callable($v['verify'] ?? null))) {
                throw new InvalidInput("a verifier is a built-in's name or ['name' => ..., 'verify' => callable]");
            }
            self::refuseNul($name, "a verifier's name");
            // Copied by custauth_open_json_with_verifiers: kept until it returned.
            $cname = $ffi->new('char[' . (strlen($name) + 1) . ']');
            \FFI::memcpy($cname, $name . "\0", strlen($name) + 1);
            $this->verifierRefs[] = $cname;
            $chain[$k]->version = 1;
            $chain[$k]->name = $ffi->cast('const char*', $cname);
            if (!is_string($v)) {
                $fn = $v['verify'];
                $closure = static function ($user, $req, $answer) use ($fn): int {
                    try {
                        $request = [
                            'customer_id' => (int) $req->customer_id,
                            'website_id' => (int) $req->website_id,
                            'email' => \FFI::string($req->email),
                            'password_hash' => \FFI::string($req->password_hash),
                            'secret' => $req->secret_len > 0 ? \FFI::string($req->secret, $req->secret_len) : '',
                            'client_ip' => \FFI::string($req->client_ip),
                        ];
                        $r = $fn($request);
                        if (is_array($r)) {
                            $answer->rehash = empty($r['rehash']) ? 0 : 1;
                            $answer->costly = empty($r['costly']) ? 0 : 1;
                            return empty($r['matched']) ? 0 : 1;
                        }
                        return $r === true ? 1 : 0;
                    } catch (\Throwable $e) {
                        $m = substr(get_class($e) . ': ' . $e->getMessage(), 0, 255);
                        \FFI::memcpy($answer->message, $m . "\0", strlen($m) + 1);
                        return -1;
                    }
                };
                $this->verifierRefs[] = $closure;
                $chain[$k]->verify = $closure;
            }
        }
        $this->verifierRefs[] = $chain;
        $rc = $ffi->custauth_open_json_with_verifiers(\FFI::addr($handle), $storage, $json,
                                                     $chain, $count);
        if ($rc !== 0) {
            self::fail($rc, []);
        }
        $this->handle = $handle;
        $this->context = $context;
    }

    public function __destruct()
    {
        $this->close();
    }

    /** Frees the handle (PHP runs one request per thread: no call can be in flight). */
    public function close(): void
    {
        if ($this->handle !== null) {
            self::ffi()->custauth_close($this->handle);
            $this->handle = null;
        }
    }

    /** Runs any operation of custauth_call by name; returns its JSON result as an array. */
    public function call(string $operation, array $args = [], ?array $context = null): array
    {
        if ($this->handle === null) {
            throw new InvalidInput('this Custauth is closed', -1);
        }
        return self::invoke($this->handle, $operation, $args, $context ?? $this->context);
    }

    private static function refuseNul(string $s, string $what): void
    {
        if (str_contains($s, "\0")) {
            throw new InvalidInput("$what contains a NUL character", -1);
        }
    }

    /** @param mixed $value */
    private static function refuseNulIn($value, string $what): void
    {
        if (is_string($value)) {
            self::refuseNul($value, $what);
        } elseif (is_array($value)) {
            foreach ($value as $k => $v) {
                if (is_string($k)) {
                    self::refuseNul($k, $what);
                }
                self::refuseNulIn($v, is_string($k) ? "$what ($k)" : $what);
            }
        }
    }

    /** JSON for the C side; InvalidInput (never JsonException) for what JSON cannot carry. */
    private static function encode(array $value, string $what): string
    {
        self::refuseNulIn($value, $what);
        try {
            return json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        } catch (\JsonException $e) {
            throw new InvalidInput("$what cannot be sent as JSON: " . $e->getMessage()
                                   . ' (strings must be valid UTF-8)', -1, [], '', $e);
        }
    }

    private static function invoke($handle, string $operation, array $args, ?array $context): array
    {
        $ffi = self::ffi();
        self::refuseNul($operation, 'the operation name');
        $argsJson = $args === [] ? '{}' : self::encode($args, 'an argument');
        $contextJson = $context === null ? null : self::encode($context, 'a context value');
        $out = $ffi->new('char*');
        $rc = $ffi->custauth_call(\FFI::addr($out), $handle, $operation, $argsJson, $contextJson);
        $response = [];
        if (!\FFI::isNull($out)) {
            $text = \FFI::string($out);
            $ffi->custauth_free($out);
            try {
                $response = json_decode($text, true, 512, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
            } catch (\JsonException $e) {
                throw new InternalError('custauth answered with JSON PHP cannot read: ' . $e->getMessage(),
                                        -14, [], '', $e);
            }
        }
        if ($rc !== 0) {
            self::fail($rc, $response);
        }
        return $response;
    }

    /** @return never */
    private static function fail(int $rc, array $response): void
    {
        $error = $response['errors'][0] ?? [];
        $message = $error['message'] ?? (string) self::ffi()->custauth_error_last();
        $class = self::ERRORS[$rc] ?? CustauthException::class;
        throw new $class($message, $rc, $response, $error['extensions']['category'] ?? '');
    }

    // --- Customers ---
    public function createCustomer(string $email, string $firstname, string $lastname,
                                   ?string $password = null, array $fields = []): array
    {
        $args = $fields + ['email' => $email, 'firstname' => $firstname, 'lastname' => $lastname];
        if ($password !== null) {
            $args['password'] = $password;
        }
        return $this->call('customer_create', $args)['customer'];
    }

    public function updateCustomer(string $email, array $changes): array
    {
        return $this->call('customer_update', ['email' => $email] + $changes)['customer'];
    }

    public function findCustomer(string $email): array
    {
        return $this->call('customer_find', ['email' => $email])['customer'];
    }

    /**
     * Erases the customer (the right to erasure) and returns its id: its secrets and tokens go,
     * its tokens stop verifying, its audit records lose email and IP.
     */
    public function deleteCustomer(string $email, ?array $context = null): int
    {
        return $this->call('customer_delete', ['email' => $email], $context)['id'];
    }

    // --- Sign-in and one-time secrets ---
    public function generateCustomerToken(string $email, string $password, ?array $context = null): string
    {
        return $this->call('generate_customer_token', ['email' => $email, 'password' => $password],
                           $context)['token'];
    }

    /** The reset token to mail, or null for an unknown email. */
    public function requestPasswordReset(string $email, ?array $context = null): ?string
    {
        return $this->call('request_password_reset', ['email' => $email], $context)['token'];
    }

    public function resetPassword(string $email, string $token, string $newPassword): void
    {
        $this->call('reset_password', ['email' => $email, 'token' => $token,
                                       'new_password' => $newPassword]);
    }

    public function changePassword(string $email, string $current, string $newPassword): void
    {
        $this->call('change_password', ['email' => $email, 'current_password' => $current,
                                        'new_password' => $newPassword]);
    }

    public function issueOtc(string $email, int $adminId, string $reason = '', ?array $context = null): string
    {
        return $this->call('issue_otc', ['email' => $email, 'admin_id' => $adminId,
                                         'reason' => $reason], $context)['code'];
    }

    public function exchangeOtc(string $email, string $code): string
    {
        return $this->call('exchange_otc', ['email' => $email, 'code' => $code])['token'];
    }

    /**
     * generateCustomerToken with what a client needs besides the token: ['token' => ...,
     * 'expires_at' => seconds since the epoch, 'session_id' => ... (with the option sessions)].
     */
    public function signIn(string $email, string $password, ?array $context = null): array
    {
        return $this->call('sign_in', ['email' => $email, 'password' => $password], $context);
    }

    // --- Sessions (the option 'sessions' => true; 'max_session_age_s', default 30 days) ---
    /**
     * A fresh token for the session of a valid token: ['token', 'expires_at', 'session_id'], its
     * expiry capped at the session's maximum age. InvalidInput ('The token has no session.') for
     * a token issued with sessions off.
     */
    public function renewToken(string $token, ?array $context = null): array
    {
        return $this->call('renew_token', ['token' => $token], $context);
    }

    /** Signs one device out: every token of the token's session is refused. */
    public function revokeSession(string $token, ?array $context = null): void
    {
        $this->call('revoke_session', ['token' => $token], $context);
    }

    /**
     * The customer's live sessions, oldest first: id, created_at, renewed_at, expires_at,
     * client_ip, user_agent, method.
     */
    public function listSessions(string $email, ?array $context = null): array
    {
        return $this->call('list_sessions', ['email' => $email], $context)['sessions'];
    }

    // --- Tokens ---
    /**
     * The token's claims: uid, utypid, iat, exp, format ('jwt'|'opaque'), kid (JWT only), sid
     * (only when the token names a session).
     */
    public function verifyToken(string $token): array
    {
        if ($this->handle === null) {
            throw new InvalidInput('this Custauth is closed', -1);
        }
        self::refuseNul($token, 'the token');
        $ffi = self::ffi();
        $claims = $ffi->new('custauth_claims');
        $claims->version = 2;
        $rc = $ffi->custauth_token_verify_claims(\FFI::addr($claims), $this->handle, $token);
        if ($rc !== 0) {
            self::fail($rc, []);
        }
        $out = ['uid' => $claims->uid, 'utypid' => $claims->utypid, 'iat' => $claims->iat,
                'exp' => $claims->exp, 'format' => $claims->format === 0 ? 'jwt' : 'opaque'];
        $kid = \FFI::string($claims->kid);
        if ($kid !== '') {
            $out['kid'] = $kid;
        }
        if ($claims->session_id > 0) {
            $out['sid'] = $claims->session_id;
        }
        return $out;
    }

    public function revokeCustomerTokens(string $email): void
    {
        $this->call('revoke_customer_tokens', ['email' => $email]);
    }

    public function audit(?string $email = null, int $afterId = 0, int $limit = 100): array
    {
        $args = ['after_id' => $afterId, 'limit' => $limit];
        if ($email !== null) {
            $args['email'] = $email;
        }
        return $this->call('audit_list', $args)['audit'];
    }

    /**
     * Removes at once what is past its retention (audit records after the handle's
     * audit_retention_days option, default 180, 0 forever); returns the rows removed per table:
     * rate_events, rate_buckets, nonces, secrets, opaque_tokens, audit.
     */
    public function prune(): array
    {
        return $this->call('prune')['pruned'];
    }

    // --- Integrations and exchangeExternalCustomerToken ---
    /** A new integration's credentials (consumer_key, consumer_secret, access_token, token_secret). */
    public function createIntegration(string $name, array $permissions = []): array
    {
        return $this->call('integration_create', ['name' => $name,
                                                  'permissions' => array_values($permissions)])['integration'];
    }

    /** Returns the GraphQL response; a refusal throws, with that response in ->response. */
    /** Imports the platform's customer_entity export (CSV or JSON Lines); returns the report. */
    public function importCustomers(string $path, string $onConflict = 'skip', bool $strict = false,
                                    string $format = 'auto'): array
    {
        return $this->call('customer_import', ['path' => $path, 'on_conflict' => $onConflict,
            'strict' => $strict, 'format' => $format])['report'];
    }

    /** Imports the platform's jwt_auth_revoked rows; returns the report. */
    public function importRevocations(string $path, bool $strict = false): array
    {
        return $this->call('revocations_import', ['path' => $path, 'strict' => $strict])['report'];
    }

    /** Stores an integration moved over from the platform with its credentials. */
    public function importIntegration(string $name, array $credentials, array $permissions = []): array
    {
        return $this->call('integration_import', ['name' => $name, 'permissions' => $permissions,
            'consumer_key' => $credentials['consumer_key'],
            'consumer_secret' => $credentials['consumer_secret'],
            'access_token' => $credentials['access_token'],
            'token_secret' => $credentials['token_secret']])['integration'];
    }

    public function exchangeExternalCustomerToken(array $request, array $input): array
    {
        return $this->call('exchange_external_customer_token',
                           ['request' => $request, 'input' => $input]);
    }

    // --- Test handles only (Custauth::forTests); a normal handle throws Forbidden ---
    /** The test clock, in ms since the Unix epoch. */
    public function now(): int
    {
        return $this->call('test.now')['now'];
    }

    /** Sets the test clock (ms since the Unix epoch); returns it. */
    public function setTime(int $ms): int
    {
        return $this->call('test.set_time', ['time_ms' => $ms])['now'];
    }

    /** Moves the test clock forward by $ms; returns it. */
    public function advance(int $ms): int
    {
        return $this->call('test.advance', ['ms' => $ms])['now'];
    }

    /** The last password-reset token this handle issued to the customer (used or not). */
    public function lastResetToken(string $email): string
    {
        return $this->call('test.last_reset_token', ['email' => $email])['token'];
    }

    /** The last admin one-time code this handle issued to the customer (used or not). */
    public function lastOtc(string $email): string
    {
        return $this->call('test.last_otc', ['email' => $email])['code'];
    }

    /**
     * Fixture customers at once: entries are emails or arrays ('email', 'password', 'format' =>
     * 'current'|'legacy', 'legacy_salt', 'legacy_versions', 'firstname', 'lastname', 'confirmed',
     * 'allow_remote_shopping_assistance', ...); $defaults ('password', 'format',
     * 'legacy_versions', 'firstname', 'lastname') apply to entries without them.
     */
    public function createCustomers(array $customers, array $defaults = []): array
    {
        return $this->call('test.create_customers',
                           ['customers' => array_values($customers)] + $defaults)['customers'];
    }
}
