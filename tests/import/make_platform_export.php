<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Writes a fixture export of a shop on the platform (Magento 2 / Adobe Commerce), made the
// platform's way with PHP's own md5(), hash() and sodium functions, for the import tests
// (tests/import/import_e2e.py):
//
//   customers.csv      customer_entity as CSV (header row, comma, RFC 4180 quoting), the NULL
//                      markers of the usual exports ('', NULL, \N) all present
//   customers.jsonl    the same rows as JSON Lines
//   crypt_key.txt      env.php's crypt/key: two whitespace-separated keys, the last one current
//   platform_token.txt a customer JWT the platform issues now, signed with the current key
//   revoked_token.txt  a customer JWT issued 100 s ago for another customer
//   revocations.csv    jwt_auth_revoked rows: that second customer revoked 50 s ago, rows of
//                      other user types (skipped), a customer the export does not hold
//   integration.json   one integration (OAuth 1.0a credentials, 32 characters each)
//   expected.json      per customer: email, website_id, plain password, entity_id, the legacy
//                      VERSIONS, the stored fields, and the outcome of a login with the password
//
// Usage: php make_platform_export.php OUTDIR [--now=UNIX_SECONDS]
//
// Everything is deterministic except the token times (now: time() or --now). Before writing,
// the generator checks its legacy hash code against DOMAIN.md's worked example and the vectors
// of tests/vectors/legacy_hashes.json, and exits non-zero when one differs.

declare(strict_types=1);

const SALT_BYTES = 16;  // SODIUM_CRYPTO_PWHASH_SALTBYTES
const MSG_SIGN_IN = 'The account sign-in was incorrect or your account is disabled temporarily. '
    . 'Please wait and try again later.';
const MSG_NOT_CONFIRMED = "This account isn't confirmed. Verify and try again.";

function fail(string $message): never
{
    fwrite(STDERR, "make_platform_export: $message\n");
    exit(1);
}

// --- The platform's legacy password hash (DOMAIN.md "Password hashes") --------------------------

// salt16: SALT's first 16 bytes, or SALT repeated and cut to 16 bytes when shorter.
function salt16(string $salt): string
{
    if ($salt === '') {
        throw new InvalidArgumentException('an Argon2 step needs a non-empty salt');
    }
    return strlen($salt) < SALT_BYTES ? str_pad($salt, SALT_BYTES, $salt)
                                      : substr($salt, 0, SALT_BYTES);
}

function argon_hex(string $r, string $salt, int $out, int $ops, int $mem): string
{
    return bin2hex(sodium_crypto_pwhash($out, $r, salt16($salt), $ops, $mem,
                                        SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));
}

// The VERSIONS steps applied in order, from r = the plain password; returns the final r (HASH).
function legacy_hash(string $password, string $salt, string $versions): string
{
    $r = $password;
    foreach (explode(':', $versions) as $step) {
        if ($step === '0') {
            $r = md5($salt . $r);
        } elseif ($step === '1') {
            $r = hash('sha256', $salt . $r);
        } elseif ($step === '2') {
            $r = argon_hex($r, $salt, 32, 2, 67108864);
        } elseif (preg_match('/^3_(\d+)_(\d+)_(\d+)$/', $step, $m)) {
            $r = argon_hex($r, $salt, (int)$m[1], (int)$m[2], (int)$m[3]);
        } else {
            throw new InvalidArgumentException("unknown version step '$step'");
        }
    }
    return $r;
}

// Argon2 memory (bytes) of the most expensive step of VERSIONS, 0 for digests only.
function argon_mem(string $versions): int
{
    $mem = 0;
    foreach (explode(':', $versions) as $step) {
        if ($step === '2') {
            $mem = max($mem, 67108864);
        } elseif (preg_match('/^3_\d+_\d+_(\d+)$/', $step, $m)) {
            $mem = max($mem, (int)$m[1]);
        }
    }
    return $mem;
}

function self_check(): void
{
    $example = legacy_hash('Password123', 'abcdefghijklmnopqrstuvwxyzABCDEF', '3_32_2_67108864');
    if ($example !== 'bce37f2351ff493135f30ab4d05c5a61cd26723012c9d57257ad2a7ec0854447') {
        fail("DOMAIN.md's worked example gives $example");
    }
    $file = __DIR__ . '/../vectors/legacy_hashes.json';
    $vectors = json_decode((string)@file_get_contents($file), true);
    if (!is_array($vectors) || !isset($vectors['legacy'])) {
        fail("cannot read the legacy vectors in $file");
    }
    foreach ($vectors['legacy'] as $v) {
        // The stored form may omit VERSIONS ("HASH:SALT", version 1): check what is spelt out.
        if (argon_mem($v['versions']) >= 67108864) {
            continue;  // one 64 MiB case (the worked example) is enough; keep the check fast
        }
        $got = legacy_hash($v['password'], $v['salt'], $v['versions']);
        if (!hash_equals($v['hash'], $got)) {
            fail("vector {$v['versions']} ({$v['note']}) gives $got, expected {$v['hash']}");
        }
    }
}

// --- Deterministic values -----------------------------------------------------------------------

// $n characters of $alphabet drawn from SHA-256 of a label (the same on every run).
function derived(string $label, int $n, string $alphabet): string
{
    $out = '';
    $counter = 0;
    while (strlen($out) < $n) {
        foreach (str_split(hash('sha256', "custauth-import-fixture|$label|" . $counter++, true))
                 as $byte) {
            $out .= $alphabet[ord($byte) % strlen($alphabet)];
            if (strlen($out) === $n) {
                break;
            }
        }
    }
    return $out;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function base64url(string $bin): string
{
    return rtrim(strtr(base64_encode($bin), '+/', '-_'), '=');
}

// The platform's customer JWT: the exact header and payload bytes it writes, HS256 with its
// crypt key padded with '&' to 2048 characters.
function platform_jwt(string $crypt_key, int $uid, int $iat): string
{
    $header = '{"kid":"1","alg":"HS256"}';
    $payload = '{"uid":' . $uid . ',"utypid":3,"iat":' . $iat . ',"exp":' . ($iat + 3600) . '}';
    $input = base64url($header) . '.' . base64url($payload);
    $secret = str_pad($crypt_key, 2048, '&', STR_PAD_BOTH);
    return $input . '.' . base64url(hash_hmac('sha256', $input, $secret, true));
}

// --- The customers --------------------------------------------------------------------------------

// Fixed times, in the past or far in the future, so that the fixture is the same on every run.
const LOCK_FOREVER = '2099-12-31 23:59:59';

/**
 * One customer: what customer_entity holds, the plain password and the expected login outcome.
 * Defaults: website 1, confirmed, active, no failures, not subscribed, no assistance.
 */
function customer(int $id, string $email, string $first, string $last, ?string $password,
                  string $versions, array $extra = []): array
{
    $c = array_merge([
        'entity_id' => $id,
        'website_id' => 1,
        'email' => $email,
        'firstname' => $first,
        'lastname' => $last,
        'password' => $password,
        'versions' => $versions,
        'salt' => null,
        'confirmation' => null,
        'is_active' => 1,
        'created_at' => sprintf('2021-%02d-%02d %02d:%02d:%02d', 1 + $id % 12, 1 + $id % 28,
                                $id % 24, (7 * $id) % 60, (13 * $id) % 60),
        'updated_at' => sprintf('2024-%02d-%02d %02d:%02d:%02d', 1 + $id % 12, 1 + $id % 28,
                                (5 * $id) % 24, (11 * $id) % 60, (17 * $id) % 60),
        'failures_num' => 0,
        'first_failure' => null,
        'lock_expires' => null,
        'is_subscribed' => 0,
        'allow_remote_shopping_assistance' => 0,
        'outcome' => 'ok',
        'note' => '',
    ], $extra);
    return $c;
}

function customers(): array
{
    $list = [
        // Version 0 (md5): customers migrated from the platform's previous major version,
        // whose salts were two characters.
        customer(1, 'roni_cost@example.com', 'Veronica', 'Costello', 'roni_cost3@example.com', '0',
                 ['salt' => 'Xy', 'is_subscribed' => 1, 'allow_remote_shopping_assistance' => 1,
                  'note' => 'sample-data customer, md5 with a 2-character salt']),
        customer(7, 'jdoe@example.org', 'John', 'Doe', 'hunter2hunter2', '0',
                 ['note' => 'md5, 32-character salt']),
        customer(12, 'Mixed.Case@Example.COM', 'Mixed', 'Case', 'Pässwörd-Äpfel-9', '0',
                 ['note' => 'mixed-case email, unicode password']),
        customer(15, 'legacy.empty.salt@example.com', 'Empty', 'Salt', 'no salt at all 1', '0',
                 ['salt' => '', 'note' => 'md5 with an empty salt']),
        // Version 1 (sha256): the platform's default before Argon2.
        customer(21, 'zoe.adams@example.com', 'Zoë', 'Adams', 'Zoë-Secret-2024', '1',
                 ['is_subscribed' => 1, 'note' => 'unicode firstname']),
        customer(22, 'asa.lindqvist@example.se', 'Åsa', 'Lindqvist', 'Åsa!Lösen0rd', '1',
                 ['note' => 'unicode firstname and password']),
        customer(23, 'lukasz.wojcik@example.pl', 'Łukasz', 'Wójcik', 'Hasło-ŁÓDŹ-77', '1'),
        customer(24, 'yamada.taro@example.jp', '太郎', '山田', '密码123密码abc', '1',
                 ['note' => 'CJK names and password']),
        customer(25, 'eleni@example.gr', 'Ελένη', 'Παπαδοπούλου', 'Κωδικός#2023', '1'),
        customer(26, 'obrien@example.ie', 'Seán "Jack"', "O'Brien, Jr.", 'Quote"Comma,Pass1', '1',
                 ['note' => 'CSV quoting: a comma and double quotes in fields and password']),
        customer(27, 'UPPER.CASE@EXAMPLE.NET', 'Upper', 'Case', 'UpperCase#2022', '1',
                 ['note' => 'upper-case email']),
        customer(28, 'emoji.fan@example.com', 'Emoji', 'Fan 🎉', '🔑 key 🔑 9Aa', '1',
                 ['note' => 'emoji in lastname and password']),
        customer(29, 'sub.assist@example.com', 'Sub', 'Assist', 'SubAssist#1', '1',
                 ['is_subscribed' => 1, 'allow_remote_shopping_assistance' => 1]),
        // Version 2 (argon2id13, 32 bytes, ops 2, 64 MiB): the platform's current default.
        customer(31, 'argon.two@example.com', 'Argon', 'Two', 'Argon2-Default!', '2'),
        // Version 3_S_O_M: argon2id13 with explicit parameters.
        customer(32, 'argon.three@example.com', 'Argon', 'Three', 'Password123',
                 '3_32_2_67108864', ['note' => 'the platform\'s 3_S_O_M at its defaults']),
        customer(33, 'argon.small@example.com', 'Argon', 'Small', 'Small-Argon-16', '3_16_1_8192',
                 ['note' => '16-byte output, 1 pass, 8 KiB']),
        customer(34, 'argon.large@example.com', 'Argon', 'Large', 'Large-Argon-64', '3_64_3_1048576',
                 ['note' => '64-byte output, 3 passes, 1 MiB']),
        // Chained versions: an older hash wrapped by a newer step (the platform's upgrade path).
        customer(41, 'chain.md5.argon@example.com', 'Chain', 'Md5Argon', 'Chained-0-2', '0:2'),
        customer(42, 'chain.sha.argon@example.com', 'Chain', 'ShaArgon', 'Chained-1-2', '1:2'),
        customer(43, 'chain.md5.sha@example.com', 'Chain', 'Md5Sha', 'Chained-0-1', '0:1'),
        customer(44, 'chain.three@example.com', 'Chain', 'Three', 'Chained-0-1-3', '0:1:3_32_1_65536'),
        // Account states.
        customer(51, 'no.password@example.com', 'Social', 'Login', null, '',
                 ['outcome' => 'auth_failed', 'note' => 'created by a social login: no password']),
        customer(52, 'unconfirmed@example.com', 'Not', 'Confirmed', 'Unconfirmed#1', '1',
                 ['confirmation' => derived('confirmation-52', 32, '0123456789abcdef'),
                  'outcome' => 'not_confirmed']),
        customer(53, 'unconfirmed.argon@example.com', 'NotConfirmed', 'Argon', 'Unconfirmed#2', '3_32_1_65536',
                 ['confirmation' => derived('confirmation-53', 32, '0123456789abcdef'),
                  'outcome' => 'not_confirmed']),
        customer(54, 'locked@example.com', 'Locked', 'Out', 'Locked-Out-1', '1',
                 ['failures_num' => 10, 'first_failure' => '2026-01-10 08:00:00',
                  'lock_expires' => LOCK_FOREVER, 'outcome' => 'auth_failed',
                  'note' => 'locked: lock_expires in the future']),
        customer(55, 'lock.expired@example.com', 'Lock', 'Expired', 'Lock-Expired-1', '0',
                 ['failures_num' => 10, 'first_failure' => '2024-03-01 10:00:00',
                  'lock_expires' => '2024-03-01 10:10:00',
                  'note' => 'the lock expired long ago: the login succeeds and resets it']),
        customer(56, 'some.failures@example.com', 'Some', 'Failures', 'Some-Failures-3', '1',
                 ['failures_num' => 3, 'first_failure' => '2025-02-02 02:02:02',
                  'note' => 'three failures, not locked']),
        customer(57, 'inactive@example.com', 'In', 'Active', 'Inactive#Pass1', '1',
                 ['is_active' => 0, 'outcome' => 'auth_failed']),
        customer(58, 'inactive.unconfirmed@example.com', 'Inactive', 'Unconfirmed', 'Inactive#Pass2', '0',
                 ['is_active' => 0, 'confirmation' => derived('confirmation-58', 32, '0123456789abcdef'),
                  'outcome' => 'auth_failed']),
        // The same email on two websites: two customers, two passwords.
        customer(61, 'shared@example.com', 'Shared', 'Website1', 'Shared-Web-One', '1'),
        customer(62, 'shared@example.com', 'Shared', 'Website2', 'Shared-Web-Two', '1',
                 ['website_id' => 2]),
        customer(63, 'Only.Second@Example.com', 'Only', 'Second', 'Only-Second-2', '0',
                 ['website_id' => 2, 'note' => 'mixed-case email on website 2 only']),
        // Large and sparse entity ids.
        customer(1000, 'thousand@example.com', 'Thousand', 'Customer', 'Thousand#1000', '1'),
        customer(98765, 'big.id@example.com', 'Big', 'Id', 'BigId#98765', '1'),
        customer(4294967295, 'max.id@example.com', 'Max', 'Id', 'MaxId#4294967295', '1',
                 ['note' => 'the largest entity_id of customer_entity (int unsigned)']),
        customer(100, 'long.name@example.com', str_repeat('Ä', 40), str_repeat('x', 100),
                 'Long-Names-100', '1', ['note' => 'long unicode firstname']),
    ];
    foreach ($list as &$c) {
        if ($c['password'] === null) {
            $c['password_hash'] = null;
            continue;
        }
        if ($c['salt'] === null) {
            $c['salt'] = derived("salt-{$c['entity_id']}", 32, ALNUM);
        }
        $hash = legacy_hash($c['password'], $c['salt'], $c['versions']);
        $c['password_hash'] = "$hash:{$c['salt']}:{$c['versions']}";
    }
    unset($c);
    return $list;
}

// --- Writers ------------------------------------------------------------------------------------

// The export's columns: customer_entity's own, plus the two joined optional ones and two of
// customer_entity's columns custauth does not use (reported as unknown).
const COLUMNS = ['entity_id', 'website_id', 'email', 'group_id', 'firstname', 'lastname',
                 'password_hash', 'confirmation', 'is_active', 'created_at', 'updated_at',
                 'failures_num', 'first_failure', 'lock_expires', 'created_in', 'is_subscribed',
                 'allow_remote_shopping_assistance'];
const UNKNOWN_COLUMNS = ['group_id', 'created_in'];

function row(array $c): array
{
    return [
        'entity_id' => $c['entity_id'],
        'website_id' => $c['website_id'],
        'email' => $c['email'],
        'group_id' => 1,
        'firstname' => $c['firstname'],
        'lastname' => $c['lastname'],
        'password_hash' => $c['password_hash'],
        'confirmation' => $c['confirmation'],
        'is_active' => $c['is_active'],
        'created_at' => $c['created_at'],
        'updated_at' => $c['updated_at'],
        'failures_num' => $c['failures_num'],
        'first_failure' => $c['first_failure'],
        'lock_expires' => $c['lock_expires'],
        'created_in' => $c['website_id'] === 1 ? 'Default Store View' : 'Second Store View',
        'is_subscribed' => $c['is_subscribed'],
        'allow_remote_shopping_assistance' => $c['allow_remote_shopping_assistance'],
    ];
}

// RFC 4180: quoted when the field holds a comma, a quote, CR or LF; quotes doubled.
function csv_field(string $v): string
{
    return strpbrk($v, ",\"\r\n") === false ? $v : '"' . str_replace('"', '""', $v) . '"';
}

function csv_line(array $fields): string
{
    return implode(',', array_map('csv_field', $fields)) . "\n";
}

function write_file(string $path, string $content): void
{
    if (file_put_contents($path, $content) !== strlen($content)) {
        fail("cannot write $path");
    }
}

function write_customers(string $dir, array $customers): void
{
    // The three NULL markers of the usual exports, in turn, so that each is read as NULL.
    $nulls = ['\N', 'NULL', ''];
    $csv = csv_line(COLUMNS);
    $jsonl = '';
    foreach ($customers as $i => $c) {
        $row = row($c);
        $fields = [];
        foreach ($row as $v) {
            $fields[] = $v === null ? $nulls[$i % 3] : (string)$v;
        }
        $csv .= csv_line($fields);
        $jsonl .= json_encode($row, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES
                              | JSON_THROW_ON_ERROR) . "\n";
    }
    write_file("$dir/customers.csv", $csv);
    write_file("$dir/customers.jsonl", $jsonl);
}

function main(array $argv): int
{
    $dir = null;
    $now = time();
    foreach (array_slice($argv, 1) as $arg) {
        if (preg_match('/^--now=(\d+)$/', $arg, $m)) {
            $now = (int)$m[1];
        } elseif ($dir === null && !str_starts_with($arg, '--')) {
            $dir = $arg;
        } else {
            fwrite(STDERR, "usage: php make_platform_export.php OUTDIR [--now=UNIX_SECONDS]\n");
            return 2;
        }
    }
    if ($dir === null) {
        fwrite(STDERR, "usage: php make_platform_export.php OUTDIR [--now=UNIX_SECONDS]\n");
        return 2;
    }
    if (!function_exists('sodium_crypto_pwhash')) {
        fail('PHP lacks the sodium extension');
    }
    self_check();
    if (!is_dir($dir) && !mkdir($dir, 0700, true)) {
        fail("cannot create $dir");
    }

    $customers = customers();
    write_customers($dir, $customers);

    // env.php's crypt/key: an old key (32 hex characters, as the platform's installer wrote them
    // for years) and the current one (the newer installers' "base64" + 32 random bytes).
    $old_key = derived('crypt-key-old', 32, '0123456789abcdef');
    $current_key = 'base64' . base64_encode(hex2bin(derived('crypt-key-current', 64,
                                                            '0123456789abcdef')));
    write_file("$dir/crypt_key.txt", "$old_key\n$current_key\n");

    $by_id = array_column($customers, null, 'entity_id');
    $a = $by_id[21];  // the platform's token for a customer who signs in fine
    $b = $by_id[22];  // a customer whose tokens the platform revoked
    $token_a = platform_jwt($current_key, $a['entity_id'], $now);
    $token_b = platform_jwt($current_key, $b['entity_id'], $now - 100);
    write_file("$dir/platform_token.txt", "$token_a\n");
    write_file("$dir/revoked_token.txt", "$token_b\n");

    // jwt_auth_revoked: user_type_id 3 = customer, 2 = admin, 1 = integration.
    $missing_id = 555555;
    $revocations = [
        [3, $b['entity_id'], $now - 50],
        [2, 1, $now - 50],
        [1, 3, $now - 20],
        [3, $missing_id, $now - 50],
    ];
    $csv = csv_line(['user_type_id', 'user_id', 'revoke_before']);
    foreach ($revocations as $r) {
        $csv .= csv_line(array_map('strval', $r));
    }
    write_file("$dir/revocations.csv", $csv);

    $integration = [
        'name' => 'Social Login Connector',
        'consumer_key' => derived('consumer_key', 32, LOWER_ALNUM),
        'consumer_secret' => derived('consumer_secret', 32, LOWER_ALNUM),
        'access_token' => derived('access_token', 32, LOWER_ALNUM),
        'token_secret' => derived('token_secret', 32, LOWER_ALNUM),
        'permissions' => ['exchange_external_customer_token'],
    ];
    write_file("$dir/integration.json",
               json_encode($integration, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");

    $messages = ['ok' => null, 'not_confirmed' => MSG_NOT_CONFIRMED, 'auth_failed' => MSG_SIGN_IN];
    $expected = [
        'now' => $now,
        'columns' => COLUMNS,
        'unknown_columns' => UNKNOWN_COLUMNS,
        'crypt_keys' => [$old_key, $current_key],
        'messages' => ['not_confirmed' => MSG_NOT_CONFIRMED, 'auth_failed' => MSG_SIGN_IN],
        'platform_token' => ['file' => 'platform_token.txt', 'uid' => $a['entity_id'],
                             'email' => $a['email'], 'iat' => $now, 'exp' => $now + 3600],
        'revoked_token' => ['file' => 'revoked_token.txt', 'uid' => $b['entity_id'],
                            'email' => $b['email'], 'iat' => $now - 100,
                            'exp' => $now - 100 + 3600, 'revoke_before' => $now - 50],
        'revocations' => ['revoked' => 1, 'skipped_user_types' => 2, 'not_found' => 1,
                          'not_found_user_id' => $missing_id],
        'integration' => $integration,
        'customers' => [],
    ];
    foreach ($customers as $c) {
        $expected['customers'][] = [
            'entity_id' => $c['entity_id'],
            'website_id' => $c['website_id'],
            'email' => $c['email'],
            'firstname' => $c['firstname'],
            'lastname' => $c['lastname'],
            'password' => $c['password'],
            'password_hash' => $c['password_hash'],
            'versions' => $c['password'] === null ? null : $c['versions'],
            'argon2_memlimit' => $c['password'] === null ? 0 : argon_mem($c['versions']),
            'confirmed' => $c['confirmation'] === null,
            'is_active' => $c['is_active'] === 1,
            'is_subscribed' => $c['is_subscribed'] === 1,
            'allow_remote_shopping_assistance' => $c['allow_remote_shopping_assistance'] === 1,
            'created_at' => $c['created_at'],
            'updated_at' => $c['updated_at'],
            'failures_num' => $c['failures_num'],
            'first_failure' => $c['first_failure'],
            'lock_expires' => $c['lock_expires'],
            'outcome' => $c['outcome'],
            'message' => $messages[$c['outcome']],
            'note' => $c['note'],
        ];
    }
    write_file("$dir/expected.json",
               json_encode($expected, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
                           | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR) . "\n");
    fprintf(STDOUT, "make_platform_export: %d customers written to %s\n", count($customers), $dir);
    return 0;
}

exit(main($argv));
