<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
// php_fpm_test: creates the database and its customers from the CLI (FFI::cdef), then closes it.
declare(strict_types=1);

require $argv[1] . '/autoload.php';
$n = (int) $argv[3];
// The key file beside the database (shop.db -> shop.key), mode 0600, as `custauth init` writes it.
$keyFile = preg_replace('/\.db$/', '', $argv[2]) . '.key';
file_put_contents($keyFile, json_encode(Custauth\Custauth::generateKeys()));
chmod($keyFile, 0600);
$auth = new Custauth\Custauth($argv[2], ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);
$customers = [];
for ($i = 0; $i < $n; $i++) {
    $customers[] = ['email' => "c$i@example.com", 'password' => "Password-$i",
                    'allow_remote_shopping_assistance' => true];
}
foreach ($customers as $c) {
    $auth->createCustomer($c['email'], 'F', 'L', $c['password'],
                          ['allow_remote_shopping_assistance' => true]);
}
$ids = [];
foreach ($customers as $c) {
    $ids[$c['email']] = $auth->findCustomer($c['email'])['id'];
}
$auth->close();
echo json_encode($ids);
