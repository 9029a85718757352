<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Generates tests/vectors/legacy_hashes.json: password hashes in the platform's legacy
// `HASH:SALT:VERSIONS` format, computed with PHP's own md5(), hash('sha256', ...) and
// sodium_crypto_pwhash(), exactly as the platform computes them, plus a few Argon2 strings made by
// PHP (sodium_crypto_pwhash_str, password_hash), so that tests/password_test.cpp checks custauth
// against an independent implementation.
//
// Usage: php scripts/gen_legacy_vectors.php > tests/vectors/legacy_hashes.json
//
// The legacy vectors are deterministic (fixed passwords and salts); the Argon2 strings carry
// random salts and change on every run.

declare(strict_types=1);

const SALT_BYTES = 16;  // SODIUM_CRYPTO_PWHASH_SALTBYTES

// salt16: the first 16 bytes of the salt, or the salt repeated and cut to 16 bytes.
function salt16(string $salt): string
{
    if ($salt === '') {
        throw new InvalidArgumentException('Argon2 steps need a non-empty salt');
    }
    if (strlen($salt) < SALT_BYTES) {
        return str_pad($salt, SALT_BYTES, $salt);
    }
    return substr($salt, 0, SALT_BYTES);
}

function argon_hex(string $data, string $salt, int $out, int $ops, int $mem): string
{
    return bin2hex(sodium_crypto_pwhash($out, $data, salt16($salt), $ops, $mem,
                                        SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));
}

// Applies the steps of VERSIONS in order, starting from the plain password.
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

$salt32 = 'abcdefghijklmnopqrstuvwxyzABCDEF';
$cases = [
    // [password, salt, versions, note]
    ['Password123', $salt32, '3_32_2_67108864', 'DOMAIN.md worked example'],
    // Version 0: md5(SALT . r).
    ['Password123', $salt32, '0', 'md5'],
    ['hunter2', 'Xy9', '0', 'md5, short salt'],
    ['', 'salt-for-empty-password', '0', 'md5, empty password'],
    ['no salt at all', '', '0', 'md5, empty salt'],
    // Version 1: sha256(SALT . r).
    ['Password123', $salt32, '1', 'sha256'],
    ['correct horse battery staple', 'Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7', '1', 'sha256'],
    ['no salt at all', '', '1', 'sha256, empty salt'],
    // Version 2: argon2id13, 32 bytes, ops 2, mem 64 MiB.
    ['Password123', $salt32, '2', 'argon2id13 at the platform defaults'],
    // Version 3_S_O_M.
    ['Password123', $salt32, '3_16_1_8192', 'smallest output, cheapest cost'],
    ['Password123', $salt32, '3_64_1_8192', 'largest output'],
    ['S3cure!pass', 'saltsaltsaltsaltsalt', '3_32_3_65536', ''],
    ['S3cure!pass', 'saltsaltsaltsaltsalt', '3_48_2_1048576', ''],
    ['S3cure!pass', 'saltsaltsaltsaltsalt', '3_20_4_16384', 'odd output size'],
    // Short salts: repeated and cut to 16 bytes.
    ['short-salt', 'a', '3_32_1_8192', 'one-byte salt'],
    ['short-salt', 'ab', '3_32_1_8192', ''],
    ['short-salt', 'xyz', '3_32_1_8192', '16 is not a multiple of 3'],
    ['short-salt', 'abcdefghijklmno', '3_32_1_8192', '15-byte salt'],
    ['short-salt', 'abcdefghijklmnop', '3_32_1_8192', 'exactly 16 bytes'],
    ['short-salt', 'abcdefghijklmnopq', '3_32_1_8192', '17-byte salt, cut'],
    ['short-salt', 'xyz', '2', 'short salt at the platform defaults'],
    // Long salts: the digests use all of it, Argon2 its first 16 bytes.
    ['long-salt', str_repeat('0123456789', 10), '1', '100-byte salt'],
    ['long-salt', str_repeat('0123456789', 10), '3_32_1_8192', '100-byte salt'],
    ['long-salt', str_repeat('0123456789', 10), '1:3_32_1_8192', '100-byte salt'],
    // Unicode passwords and salts (UTF-8 bytes; salt16 may cut a character).
    ['pässwörd', $salt32, '0', 'unicode password'],
    ['pässwörd', $salt32, '1', 'unicode password'],
    ['密码123密码', $salt32, '3_32_1_8192', 'unicode password'],
    ['🔑 key 🔑', 'émoji-sålt', '1', 'unicode password and salt'],
    ['🔑 key 🔑', 'ééééééééé', '3_32_1_8192', 'salt16 cuts a two-byte character'],
    ['Ünïcødé', 'ßalt', '3_24_1_8192', 'short unicode salt'],
    // Chained versions: each step hashes the previous step's hex.
    ['Password123', $salt32, '0:1', 'md5 then sha256'],
    ['Password123', $salt32, '1:0', 'sha256 then md5'],
    ['Password123', $salt32, '1:2', 'sha256 then argon2id13 at the platform defaults'],
    ['Password123', $salt32, '0:3_32_2_67108864', 'md5 then argon2id13'],
    ['Password123', $salt32, '0:1:3_16_1_8192', 'three steps'],
    ['Password123', $salt32, '1:3_32_1_8192:0', 'digest after argon'],
    ['Password123', $salt32, '3_32_1_8192:3_16_2_8192', 'argon twice'],
    ['Password123', 'ab', '0:1:3_32_1_8192:1:0:3_64_1_8192:1:0', 'eight steps, short salt'],
];

$legacy = [];
foreach ($cases as [$password, $salt, $versions, $note]) {
    $hash = legacy_hash($password, $salt, $versions);
    $legacy[] = [
        'password' => $password,
        'salt' => $salt,
        'versions' => $versions,
        'hash' => $hash,
        'stored' => "$hash:$salt:$versions",
        'note' => $note,
    ];
}

// VERSIONS omitted: the platform's default then is version 1 (sha256).
foreach ([['Password123', $salt32], ['pässwörd', 'Xy9'], ['no salt at all', '']] as [$password, $salt]) {
    $hash = legacy_hash($password, $salt, '1');
    $legacy[] = [
        'password' => $password,
        'salt' => $salt,
        'versions' => '1',
        'hash' => $hash,
        'stored' => "$hash:$salt",
        'note' => 'VERSIONS omitted, version 1 implied',
    ];
}

// Argon2 strings made by PHP (random salts): libsodium's and PHP's password_hash().
$argon2 = [];
foreach (['Password123', 'pässwörd', 'correct horse battery staple'] as $password) {
    $argon2[] = [
        'password' => $password,
        'stored' => sodium_crypto_pwhash_str($password, 1, 8192),
        'algorithm' => 'argon2id',
        'maker' => 'sodium_crypto_pwhash_str',
    ];
}
$cheap = ['memory_cost' => 8, 'time_cost' => 1, 'threads' => 1];
$argon2[] = [
    'password' => 'Password123',
    'stored' => password_hash('Password123', PASSWORD_ARGON2ID, $cheap),
    'algorithm' => 'argon2id',
    'maker' => 'password_hash',
];
$argon2[] = [
    'password' => 'Password123',
    'stored' => password_hash('Password123', PASSWORD_ARGON2I, ['memory_cost' => 8, 'time_cost' => 3, 'threads' => 1]),
    'algorithm' => 'argon2i',
    'maker' => 'password_hash',
];

$out = [
    'copyright' => 'custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0',
    'generator' => 'php scripts/gen_legacy_vectors.php (PHP ' . PHP_VERSION . ', libsodium '
        . SODIUM_LIBRARY_VERSION . ')',
    'legacy' => $legacy,
    'argon2_strings' => $argon2,
];
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
                       | JSON_THROW_ON_ERROR), "\n";
