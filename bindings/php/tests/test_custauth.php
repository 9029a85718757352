<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The seed flows through the PHP package (FFI over custauth_call), in the CLI with Debian's
// default ffi.enable=preload (FFI::cdef is allowed in the CLI). Exits non-zero on any failure.
// Run: CUSTAUTH_LIBRARY=build/dev/libcustauth.so php bindings/php/tests/test_custauth.php
declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Custauth\Custauth;

const SIGN_IN = 'The account sign-in was incorrect or your account is disabled temporarily. '
    . 'Please wait and try again later.';

$failures = 0;
$checks = 0;

function check(bool $ok, string $what): void
{
    global $failures, $checks;
    $checks++;
    if (!$ok) {
        $failures++;
        fwrite(STDERR, "FAILED: $what\n");
    }
}

/** Runs $f, which must throw $class with $message (null: any message). */
function expect(string $class, ?string $message, callable $f, string $what): ?Throwable
{
    try {
        $f();
        check(false, "$what: no exception");
    } catch (Throwable $e) {
        check($e instanceof $class, "$what: " . get_class($e) . ' is not ' . $class . ': ' . $e->getMessage());
        if ($message !== null) {
            check($e->getMessage() === $message, "$what: message '" . $e->getMessage() . "'");
        }
        return $e;
    }
    return null;
}

try {
    check(preg_match('/^\d+\.\d+\.\d+$/', Custauth::version()) === 1, 'version');
    $auth = new Custauth('memory:', ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);

    // Create a customer; generateCustomerToken with the password.
    $customer = $auth->createCustomer('roni_cost@example.com', 'Veronica', 'Costello', 'Password123');
    check($customer['email'] === 'roni_cost@example.com', 'customer email');
    $token = $auth->generateCustomerToken('roni_cost@example.com', 'Password123');
    check(str_starts_with($token, 'eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.'), 'JWT header');
    $claims = $auth->verifyToken($token);
    check($claims['uid'] === $customer['id'] && $claims['utypid'] === 3, 'claims');

    // Wrong password, unknown email, empty input.
    $e = expect(\Custauth\AuthenticationFailed::class, SIGN_IN,
        fn() => $auth->generateCustomerToken('roni_cost@example.com', 'Wrong123!'), 'wrong password');
    check($e !== null && $e->getCode() === -4, 'wrong password code');
    check($e !== null && $e->category === 'graphql-authentication', 'wrong password category');
    expect(\Custauth\AuthenticationFailed::class, SIGN_IN,
        fn() => $auth->generateCustomerToken('nobody@example.com', 'Password123'), 'unknown email');
    expect(\Custauth\InvalidInput::class, 'Specify the "email" value.',
        fn() => $auth->generateCustomerToken('', 'Password123'), 'empty email');
    expect(\Custauth\InvalidInput::class, 'Specify the "password" value.',
        fn() => $auth->generateCustomerToken('roni_cost@example.com', ''), 'empty password');

    // Unconfirmed.
    $auth->createCustomer('new@example.com', 'N', 'C', 'Password123', ['confirmed' => false]);
    expect(\Custauth\NotConfirmed::class, "This account isn't confirmed. Verify and try again.",
        fn() => $auth->generateCustomerToken('new@example.com', 'Password123'), 'unconfirmed');

    // A reset token signs in, once.
    $reset = $auth->requestPasswordReset('roni_cost@example.com');
    check(is_string($reset) && strlen($reset) === 32, 'reset token');
    $viaReset = $auth->generateCustomerToken('roni_cost@example.com', $reset);
    check($auth->verifyToken($viaReset)['uid'] === $customer['id'], 'reset token login');
    expect(\Custauth\AuthenticationFailed::class, SIGN_IN,
        fn() => $auth->generateCustomerToken('roni_cost@example.com', $reset), 'reset token reuse');
    check($auth->requestPasswordReset('nobody@example.com') === null, 'unknown email reset');
    expect(\Custauth\RateLimited::class,
        'We received too many requests for password resets. Please wait and try again later.',
        fn() => $auth->requestPasswordReset('roni_cost@example.com'), 'reset rate limit');

    // Reset the password.
    $auth->createCustomer('reset@example.com', 'R', 'S', 'Password123');
    $reset = $auth->requestPasswordReset('reset@example.com');
    expect(\Custauth\InvalidInput::class, 'The password token is mismatched. Reset and try again.',
        fn() => $auth->resetPassword('reset@example.com', str_repeat('x', 32), 'NewPassword456'),
        'mismatched reset token');
    expect(\Custauth\InvalidInput::class, 'newPassword must be specified',
        fn() => $auth->resetPassword('reset@example.com', $reset, ''), 'empty new password');
    $auth->resetPassword('reset@example.com', $reset, 'NewPassword456');
    $auth->generateCustomerToken('reset@example.com', 'NewPassword456');

    // Change the password: the platform's messages.
    expect(\Custauth\InvalidInput::class, 'Specify the "currentPassword" value.',
        fn() => $auth->changePassword('reset@example.com', '', 'Changed789x'), 'empty current');
    expect(\Custauth\InvalidInput::class, 'Specify the "newPassword" value.',
        fn() => $auth->changePassword('reset@example.com', 'NewPassword456', ''), 'empty new');
    expect(\Custauth\AuthenticationFailed::class, 'Invalid login or password.',
        fn() => $auth->changePassword('reset@example.com', 'Wrong456xyz', 'Changed789x'),
        'wrong current password');
    $auth->changePassword('reset@example.com', 'NewPassword456', 'Changed789x');
    $auth->generateCustomerToken('reset@example.com', 'Changed789x');

    // Admin one-time codes: issue and exchange.
    $admin = ['actor' => 'admin:7', 'client_ip' => '203.0.113.7'];
    expect(\Custauth\Forbidden::class, 'Login as Customer assistance is disabled for this Customer.',
        fn() => $auth->issueOtc('roni_cost@example.com', 7, 'ticket 42', $admin), 'otc without consent');
    $auth->updateCustomer('roni_cost@example.com', ['allow_remote_shopping_assistance' => true]);
    $code = $auth->issueOtc('roni_cost@example.com', 7, 'ticket 42', $admin);
    check(preg_match('/^[0-9a-f]{32}$/', $code) === 1, 'otc shape');
    $viaOtc = $auth->exchangeOtc('roni_cost@example.com', $code);
    check($auth->verifyToken($viaOtc)['uid'] === $customer['id'], 'otc exchange');
    expect(\Custauth\AuthenticationFailed::class, SIGN_IN,
        fn() => $auth->exchangeOtc('roni_cost@example.com', $code), 'otc reuse');
    $code = $auth->issueOtc('roni_cost@example.com', 7, 'again', $admin);
    $auth->generateCustomerToken('roni_cost@example.com', $code);
    $events = array_column($auth->audit('roni_cost@example.com'), 'event');
    check(count(array_filter($events, fn($e) => str_starts_with($e, 'otc.'))) > 0, 'otc audit');

    // Verify and revoke.
    $auth->revokeCustomerTokens('roni_cost@example.com');
    expect(\Custauth\InvalidToken::class, null, fn() => $auth->verifyToken($token), 'revoked token');
    expect(\Custauth\InvalidToken::class, null, fn() => $auth->verifyToken('garbage'), 'garbage token');
    expect(\Custauth\NotFound::class, null,
        fn() => $auth->revokeCustomerTokens('nobody@example.com'), 'revoke unknown');

    // Malformed calls.
    expect(\Custauth\InvalidInput::class, null, fn() => $auth->call('no_such_operation'), 'unknown op');
    expect(\Custauth\InvalidInput::class, null,
        fn() => $auth->call('customer_find', ['email' => 'roni_cost@example.com', 'typo' => 1]),
        'unknown argument');

    // Moving from the platform: a customer_entity export with a legacy hash.
    $csv = sys_get_temp_dir() . '/custauth_php_import_' . getmypid() . '.csv';
    $salt = 'abcdefghijklmnopqrstuvwxyzABCDEF';
    file_put_contents($csv, "entity_id,email,firstname,lastname,password_hash\n"
        . "42,imported@example.com,Imp,Orted," . hash('sha256', $salt . 'Password123') . ":$salt:1\n"
        . "43,bad-email,Bad,Row,\n");
    $report = $auth->importCustomers($csv);
    check($report['completed'] === true && $report['created'] === 1, 'import creates the good row');
    check($report['rejected'] === 1 && $report['errors'][0]['line'] === 3, 'import reports line 3');
    check($auth->importCustomers($csv)['skipped'] === 1, 'import again skips');
    $claims = $auth->verifyToken($auth->generateCustomerToken('imported@example.com', 'Password123'));
    check($claims['uid'] === 42, 'an imported customer logs in with the platform password');
    unlink($csv);
    check($auth->importCustomers($csv)['completed'] === false, 'a missing file stops the import');

    // Erasure: the customer, its tokens and its email and IP in the audit trail go.
    $erin = $auth->createCustomer('Erin.Erase@example.com', 'Erin', 'Erase', 'Password123');
    $erinToken = $auth->generateCustomerToken('erin.erase@example.com', 'Password123',
                                              ['client_ip' => '198.51.100.23']);
    check($auth->deleteCustomer('ERIN.ERASE@example.com') === $erin['id'], 'delete returns the id');
    expect(\Custauth\InvalidToken::class, null, fn() => $auth->verifyToken($erinToken),
        'a deleted customer\'s token');
    expect(\Custauth\NotFound::class, null, fn() => $auth->findCustomer('erin.erase@example.com'),
        'a deleted customer is gone');
    expect(\Custauth\NotFound::class, null, fn() => $auth->deleteCustomer('erin.erase@example.com'),
        'delete twice');
    $trail = $auth->audit(null, 0, 100000);
    check(end($trail)['event'] === 'customer.delete' && end($trail)['customer_id'] === $erin['id'],
        'customer.delete audited with the id');
    $dump = strtolower(json_encode($trail));
    check(!str_contains($dump, 'erin.erase@example.com') && !str_contains($dump, '198.51.100.23'),
        'no email or IP left in the audit trail');

    // Keys and a SQLite database.
    $dir = sys_get_temp_dir() . '/custauth_php_' . getmypid();
    @mkdir($dir);
    $keys = Custauth::generateKeys();
    $db = new Custauth("$dir/shop.db", ['keys' => $keys, 'argon2_opslimit' => 1,
                                         'argon2_memlimit' => 8192]);
    $db->createCustomer('sqlite@example.com', 'S', 'Q', 'Password123');
    $db->close();
    $db = new Custauth("$dir/shop.db", ['keys' => $keys, 'argon2_opslimit' => 1,
                                         'argon2_memlimit' => 8192]);
    check($db->findCustomer('sqlite@example.com')['lastname'] === 'Q', 'sqlite persists');
    $db->close();
    array_map('unlink', glob("$dir/*"));
    @rmdir($dir);
    expect(\Custauth\NotFound::class, null, fn() => new Custauth("$dir/none.db"), 'missing key file');
    array_map('unlink', glob("$dir/*") ?: []);
    @rmdir($dir);

    // The boundary (issue 20): NUL refused, not cut; invalid UTF-8 is InvalidInput, never a
    // JsonException; every failure typed, with its GraphQL category.
    $t = $auth->generateCustomerToken('roni_cost@example.com', 'Password123');
    foreach ([
        'token + NUL' => fn() => $auth->verifyToken($t . "\0junk"),
        'operation + NUL' => fn() => $auth->call("customer_find\0junk", ['email' => 'roni_cost@example.com']),
        'email + NUL' => fn() => $auth->findCustomer("roni_cost@example.com\0junk"),
        'password + NUL' => fn() => $auth->generateCustomerToken('roni_cost@example.com', "Password123\0x"),
        'storage + NUL' => fn() => new Custauth("memory:\0shop.db"),
    ] as $what => $f) {
        $e = expect(\Custauth\InvalidInput::class, null, $f, $what);
        check($e !== null && str_contains($e->getMessage(), 'NUL') && $e->category === 'graphql-input',
              "$what: NUL named, category");
    }
    foreach ([
        'password \\xff\\xfe' => fn() => $auth->generateCustomerToken('roni_cost@example.com', "\xff\xfe"),
        'email \\xff' => fn() => $auth->findCustomer("\xff@example.com"),
        'option \\xff' => fn() => new Custauth('memory:', ['key_file' => "\xff"]),
    ] as $what => $f) {
        $e = expect(\Custauth\InvalidInput::class, null, $f, $what);
        check($e !== null && $e->getCode() === -1 && $e->category === 'graphql-input'
              && !($e instanceof JsonException), "$what: InvalidInput, not JsonException");
    }
    $e = expect(\Custauth\InvalidToken::class, null, fn() => $auth->verifyToken('not.a.token'), 'bad token');
    check($e !== null && $e->category === 'graphql-authentication', 'fast path carries a category');
    $e = expect(\Custauth\NotFound::class, null, fn() => $auth->findCustomer('nobody@example.com'), 'not found');
    check($e !== null && $e->category === 'graphql-no-such-entity', 'not found category');
    $claims = $auth->verifyToken($t);
    check($claims['utypid'] === 3 && $claims['format'] === 'jwt' && $claims['kid'] !== '', 'fast verify');
    // Retention: prune after the audit retention has passed.
    $ret = Custauth::forTests(23, 'memory:', ['audit_retention_days' => 1]);
    $ret->requestPasswordReset('nobody@example.com', ['client_ip' => '203.0.113.7']);
    check($ret->prune()['rate_buckets'] === 0, 'prune: nothing expired yet');
    $ret->advance(2 * 86400 * 1000);
    $pruned = $ret->prune();
    check($pruned['rate_buckets'] === 2 && $pruned['rate_events'] === 2, 'prune: expired buckets');
    check($pruned['audit'] === 0 && $ret->audit() === [], 'prune: no audit of an unknown email');
    $ret->close();
    expect(\Custauth\InvalidInput::class, null,
           fn() => Custauth::forTests(null, 'memory:', ['audit_retention_days' => 36601]),
           'audit_retention_days checked');

    // A host verifier written in PHP (an FFI closure over custauth_verifier), in the chain order
    // set; the lock bounds its guesses; one that throws gives InternalError, never a token.
    $calls = 0;
    $host = ['name' => 'host_table', 'verify' => function (array $r) use (&$calls): bool {
        $calls++;
        return $r['email'] === 'pin@example.com' && $r['secret'] === 'pin-4711';
    }];
    $vopts = ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192, 'login_throttle_max_failures' => -1];
    $hv = new Custauth('memory:', $vopts, null, ['password', $host]);
    $hv->createCustomer('pin@example.com', 'Veronica', 'Costello', 'Password123');
    $hv->generateCustomerToken('pin@example.com', 'pin-4711');
    $hv->generateCustomerToken('pin@example.com', 'Password123');
    check($calls === 1, 'host verifier: asked after the password only when it said no');
    $vias = [];
    foreach ($hv->audit('pin@example.com') as $rec) {
        if ($rec['event'] === 'login.success') {
            $vias[] = $rec['detail']['via'] ?? null;
        }
    }
    check($vias === ['host_table', 'password'], 'host verifier: audit via');
    for ($k = 0; $k < 10; $k++) {
        expect(\Custauth\AuthenticationFailed::class, null,
               fn() => $hv->generateCustomerToken('pin@example.com', "wrong-$k"), 'host verifier: wrong');
    }
    $before = $calls;
    expect(\Custauth\AuthenticationFailed::class, null,
           fn() => $hv->generateCustomerToken('pin@example.com', 'pin-4711'), 'host verifier: locked');
    check($calls === $before, 'host verifier: a locked account does not ask it');
    $hv->close();
    $bad = ['name' => 'host_bad', 'verify' => function (array $r): bool {
        throw new RuntimeException('directory down');
    }];
    $hb = new Custauth('memory:', $vopts, null, [$bad]);
    $hb->createCustomer('pin@example.com', 'Veronica', 'Costello', 'Password123');
    expect(\Custauth\InternalError::class,
           'the verifier "host_bad" failed: RuntimeException: directory down',
           fn() => $hb->generateCustomerToken('pin@example.com', 'pin-4711'), 'host verifier: throws');
    $hb->close();

    // Sessions: two devices, one signed out; a renewal; sessions off has none.
    $ss = Custauth::forTests(null, 'memory:', ['sessions' => true]);
    $ss->createCustomer('roni_cost@example.com', 'Veronica', 'Costello', 'Password123');
    $phone = $ss->signIn('roni_cost@example.com', 'Password123', ['client_ip' => '198.51.100.1']);
    $ss->advance(60000);
    $laptop = $ss->signIn('roni_cost@example.com', 'Password123');
    check($phone['session_id'] > 0 && $laptop['session_id'] > $phone['session_id'], 'sessions: ids');
    check(is_int($laptop['expires_at']), 'sessions: expires_at');
    $lclaims = $ss->verifyToken($laptop['token']);
    check($lclaims['sid'] === $laptop['session_id'] && $lclaims['exp'] === $laptop['expires_at'],
          'sessions: claims');
    $list = $ss->listSessions('roni_cost@example.com');
    check(array_column($list, 'id') === [$phone['session_id'], $laptop['session_id']], 'sessions: list');
    check($list[0]['client_ip'] === '198.51.100.1' && $list[0]['method'] === 'password',
          'sessions: list fields');
    $ss->revokeSession($phone['token']);
    check($ss->verifyToken($laptop['token'])['uid'] === $lclaims['uid'], 'sessions: the other device');
    expect(\Custauth\InvalidToken::class, null, fn() => $ss->verifyToken($phone['token']),
           'sessions: the signed-out device');
    expect(\Custauth\InvalidToken::class, null, fn() => $ss->renewToken($phone['token']),
           'sessions: no renewal of a revoked session');
    check(array_column($ss->listSessions('roni_cost@example.com'), 'id') === [$laptop['session_id']],
          'sessions: list after the revocation');
    $ss->advance(300000);
    $renewed = $ss->renewToken($laptop['token']);
    check($renewed['expires_at'] > $laptop['expires_at'], 'sessions: renewed expiry');
    check($renewed['session_id'] === $laptop['session_id'], 'sessions: renewed session');
    check($ss->verifyToken($renewed['token'])['sid'] === $laptop['session_id'], 'sessions: renewed token');
    $ss->close();
    $off = Custauth::forTests();
    $off->createCustomer('roni_cost@example.com', 'Veronica', 'Costello', 'Password123');
    $plain = $off->signIn('roni_cost@example.com', 'Password123');
    check(!isset($plain['session_id']) && !isset($off->verifyToken($plain['token'])['sid']),
          'sessions off: no session');
    expect(\Custauth\InvalidInput::class, 'The token has no session.',
           fn() => $off->renewToken($plain['token']), 'sessions off: renew');
    expect(\Custauth\InvalidInput::class, 'The token has no session.',
           fn() => $off->revokeSession($plain['token']), 'sessions off: revoke');
    $off->close();

    $auth->close();
} catch (Throwable $e) {
    $failures++;
    fwrite(STDERR, 'FAILED: unexpected ' . get_class($e) . ': ' . $e->getMessage() . "\n");
}

printf("php_ffi: %d checks, %d failures\n", $checks, $failures);
exit($failures === 0 ? 0 : 1);
