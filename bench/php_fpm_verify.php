<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// One PHP-FPM request (bench/php_fpm_verify.sh): verifies the same custauth-issued token N times
// through the package (FFI::scope from opcache's preload) and N times with what a PHP shop writes
// without custauth (hash_hmac + hash_equals + json_decode, then kid, utypid and exp), best of 5
// rounds each, alternating. Answers JSON.
declare(strict_types=1);

require $_SERVER['CUSTAUTH_PACKAGE'] . '/autoload.php';

$db = $_SERVER['CUSTAUTH_DB'];
$auth = new Custauth\Custauth($db, ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);
$token = $auth->generateCustomerToken('bench@example.com', 'Password123');
$keys = json_decode((string) file_get_contents(preg_replace('/\.db$/', '', $db) . '.key'), true);
$secrets = [];
foreach ($keys['jwt_keys'] as $k) {
    $secrets[$k['kid']] = base64_decode($k['secret']);
}

function b64url(string $s): string|false
{
    return base64_decode(strtr($s, '-_', '+/'), true);
}

// The pure-PHP HS256 check.
function php_verify(string $token, array $secrets): array
{
    $parts = explode('.', $token);
    if (count($parts) !== 3) {
        throw new RuntimeException('malformed');
    }
    $header = json_decode((string) b64url($parts[0]), true, 8, JSON_THROW_ON_ERROR);
    if (($header['alg'] ?? '') !== 'HS256' || !isset($secrets[$header['kid'] ?? ''])) {
        throw new RuntimeException('alg/kid');
    }
    $mac = hash_hmac('sha256', $parts[0] . '.' . $parts[1], $secrets[$header['kid']], true);
    if (!hash_equals($mac, (string) b64url($parts[2]))) {
        throw new RuntimeException('signature');
    }
    $claims = json_decode((string) b64url($parts[1]), true, 8, JSON_THROW_ON_ERROR);
    if (($claims['utypid'] ?? 0) !== 3 || ($claims['exp'] ?? 0) < time()) {
        throw new RuntimeException('claims');
    }
    return $claims;
}

$n = (int) ($_GET['n'] ?? 20000);
$best = ['custauth' => INF, 'php' => INF];
$uid = $auth->verifyToken($token)['uid'];
if (php_verify($token, $secrets)['uid'] !== $uid) {
    throw new RuntimeException('the two checks disagree');
}
for ($r = 0; $r < 5; $r++) {
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $auth->verifyToken($token);
    }
    $best['custauth'] = min($best['custauth'], (hrtime(true) - $t) / $n);
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        php_verify($token, $secrets);
    }
    $best['php'] = min($best['php'], (hrtime(true) - $t) / $n);
}
$auth->close();
echo json_encode(['custauth_ns' => round($best['custauth']), 'php_ns' => round($best['php']),
                  'php_over_custauth' => round($best['php'] / $best['custauth'], 2),
                  'ffi_enable' => ini_get('ffi.enable'), 'n' => $n, 'php' => PHP_VERSION]);
