<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The shop's entry point under PHP-FPM in php_fpm_test: one operation per request, answered as
// JSON with the worker's pid. The handle is opened in the request (in the worker, after fork()).
declare(strict_types=1);

require $_SERVER['CUSTAUTH_PACKAGE'] . '/autoload.php';

header('Content-Type: application/json');
$q = $_GET;
$answer = ['pid' => getmypid()];
try {
    $auth = new Custauth\Custauth($_SERVER['CUSTAUTH_DB'],
                                  ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192,
                                   'lockout_max_failures' => -1]);
    $email = $q['email'] ?? '';
    switch ($q['op'] ?? '') {
        case 'login':
            $token = $auth->generateCustomerToken($email, $q['password'] ?? '');
            $answer += ['token' => $token, 'claims' => $auth->verifyToken($token)];
            break;
        case 'verify':
            $answer['claims'] = $auth->verifyToken($q['token'] ?? '');
            break;
        case 'find':
            $answer['customer'] = $auth->findCustomer($email);
            break;
        case 'request_reset':
            $answer['token'] = $auth->requestPasswordReset($email);
            break;
        case 'reset':
            $auth->resetPassword($email, $q['token'] ?? '', $q['password'] ?? '');
            $answer['reset'] = true;
            break;
        case 'issue_otc':
            $answer['code'] = $auth->issueOtc($email, 1, 'support');
            break;
        case 'exchange_otc':
            $token = $auth->exchangeOtc($email, $q['code'] ?? '');
            $answer += ['token' => $token, 'claims' => $auth->verifyToken($token)];
            break;
        default:
            $answer['error'] = ['class' => 'none', 'message' => 'unknown op'];
    }
    $auth->close();
} catch (Throwable $e) {
    $answer['error'] = ['class' => get_class($e), 'code' => $e->getCode(),
                        'message' => $e->getMessage()];
}
echo json_encode($answer);
