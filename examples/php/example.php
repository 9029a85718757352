<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A thin example of the custauth PHP package (bindings/php; README, "Deploying under PHP-FPM"):
// sign in, verify, a typed refusal. With Composer, require vendor/autoload.php instead.
// Run: CUSTAUTH_LIBRARY=build/dev/libcustauth.so php examples/php/example.php
declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

$auth = new Custauth\Custauth('memory:', ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);
$auth->createCustomer('roni_cost@example.com', 'Veronica', 'Costello', 'Password123');
$token = $auth->generateCustomerToken('roni_cost@example.com', 'Password123');
echo json_encode($auth->verifyToken($token)), "\n";
try {
    $auth->generateCustomerToken('roni_cost@example.com', 'wrong');
} catch (Custauth\AuthenticationFailed $e) {
    echo $e->getCode(), ' ', $e->category, ' ', $e->getMessage(), "\n";
}
$auth->close();
