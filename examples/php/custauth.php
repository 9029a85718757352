<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth from PHP through FFI and the C ABI's one JSON entry point (custauth_call).
//
//   require 'custauth.php';
//   $auth = new Custauth\Custauth('memory:', ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);
//   $auth->createCustomer('roni_cost@example.com', 'Veronica', 'Costello', 'Password123');
//   $token = $auth->generateCustomerToken('roni_cost@example.com', 'Password123');
//   $claims = $auth->verifyToken($token);      // ['uid' => 1, 'utypid' => 3, ...]
//
// A test handle, for a shop's own test suite (a clock that moves only when told to, random values
// reproducible from a seed, the secrets it issued readable back, fixtures):
//
//   $auth = Custauth\Custauth::forTests(seed: 7);   // 'memory:', or a throwaway SQLite path
//   $auth->createCustomers(['roni_cost@example.com'], ['password' => 'Password123']);
//   $auth->requestPasswordReset('roni_cost@example.com');
//   $token = $auth->lastResetToken('roni_cost@example.com');
//   $auth->advance(31000);
//
// Failures throw Custauth\CustauthException subclasses (AuthenticationFailed, InvalidInput, ...)
// whose message is custauth's and whose getCode() is custauth.h's negative CUSTAUTH_E* code.
//
// The library: $CUSTAUTH_LIBRARY, else libcustauth.so on the loader's path. FFI must be enabled
// (ffi.enable=1, or "preload" for the CLI). Under PHP-FPM, open the handle in each worker (after
// fork), never in a preloaded script that runs before the workers fork.
declare(strict_types=1);

namespace Custauth;

class CustauthException extends \RuntimeException
{
    /** @var array the GraphQL error response ({"errors": [...]}) */
    public array $response = [];
    public string $category = '';
}
class InvalidInput extends CustauthException {}
class NotFound extends CustauthException {}
class AlreadyExists extends CustauthException {}
class AuthenticationFailed extends CustauthException {}
class NotConfirmed extends CustauthException {}
class Locked extends CustauthException {}
class Expired extends CustauthException {}
class Forbidden extends CustauthException {}
class RateLimited extends CustauthException {}
class Unsupported extends CustauthException {}
class StorageError extends CustauthException {}
class Busy extends CustauthException {}
class Conflict extends CustauthException {}
class InternalError extends CustauthException {}
class InvalidToken extends CustauthException {}

final class Custauth
{
    private const CDEF = <<<'C'
        typedef struct custauth_handle custauth_t;
        int custauth_open_json(custauth_t** out, const char* storage, const char* options_json);
        void custauth_close(custauth_t* db);
        int custauth_call(custauth_t* db, const char* operation, const char* args_json,
                          const char* context_json, char** out_json);
        void custauth_free(void* ptr);
        const char* custauth_error_last(void);
        int custauth_error_last_code(void);
        const char* custauth_libversion(void);
        C;

    private const ERRORS = [
        -1 => InvalidInput::class, -2 => NotFound::class, -3 => AlreadyExists::class,
        -4 => AuthenticationFailed::class, -5 => NotConfirmed::class, -6 => Locked::class,
        -7 => Expired::class, -8 => Forbidden::class, -9 => RateLimited::class,
        -10 => Unsupported::class, -11 => StorageError::class, -12 => Busy::class,
        -13 => Conflict::class, -14 => InternalError::class, -15 => InvalidToken::class,
    ];

    private static ?\FFI $ffi = null;
    private $handle = null;
    /** @var array|null {"client_ip", "user_agent", "actor", "website_id"} for every call */
    public ?array $context = null;

    public static function ffi(): \FFI
    {
        if (self::$ffi === null) {
            $path = getenv('CUSTAUTH_LIBRARY') ?: 'libcustauth.so';
            self::$ffi = \FFI::cdef(self::CDEF, $path);
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
     * (keys, keys_json or key_file, token_format 'jwt'|'opaque', argon2_opslimit, ...).
     */
    public function __construct(string $storage = 'memory:', array $options = [], ?array $context = null)
    {
        $ffi = self::ffi();
        $handle = $ffi->new('custauth_t*');
        $json = $options === [] ? '{}' : json_encode($options, JSON_THROW_ON_ERROR);
        $rc = $ffi->custauth_open_json(\FFI::addr($handle), $storage, $json);
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

    private static function invoke($handle, string $operation, array $args, ?array $context): array
    {
        $ffi = self::ffi();
        $out = $ffi->new('char*');
        $rc = $ffi->custauth_call(
            $handle,
            $operation,
            $args === [] ? '{}' : json_encode($args, JSON_THROW_ON_ERROR),
            $context === null ? null : json_encode($context, JSON_THROW_ON_ERROR),
            \FFI::addr($out)
        );
        $response = [];
        if (!\FFI::isNull($out)) {
            $response = json_decode(\FFI::string($out), true, 512, JSON_THROW_ON_ERROR);
            $ffi->custauth_free($out);
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
        $e = new $class($message, $rc);
        $e->response = $response;
        $e->category = $error['extensions']['category'] ?? '';
        throw $e;
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

    // --- Tokens ---
    public function verifyToken(string $token): array
    {
        return $this->call('verify_token', ['token' => $token])['claims'];
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
