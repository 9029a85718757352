<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A tiny shop that uses custauth for its customers' sign-in: what a PHP host's own code looks
// like, for ShopTest.php to test the way a shop tests its code (with a custauth test handle).
declare(strict_types=1);

namespace Shop;

require_once __DIR__ . '/../../../bindings/php/autoload.php';  // the custauth package

use Custauth\Custauth;
use Custauth\CustauthException;

/** What the shop shows the customer when something is refused (custauth's message). */
class ShopError extends \RuntimeException {}

final class Shop
{
    private const CONTEXT = ['client_ip' => '203.0.113.7', 'user_agent' => 'shop'];

    /** @var callable(string, string): void the shop's outgoing mail (to, reset token) */
    private $mailer;

    public function __construct(private Custauth $auth, ?callable $mailer = null)
    {
        $this->mailer = $mailer ?? static function (string $to, string $token): void {};
    }

    /** mutation generateCustomerToken: a password, a reset token or an admin's code. */
    public function signIn(string $email, string $password): string
    {
        return $this->shown(fn () => $this->auth->generateCustomerToken($email, $password, self::CONTEXT));
    }

    /** GET /customer/account with "Authorization: Bearer <token>": the customer's id. */
    public function whoAmI(string $token): int
    {
        return $this->shown(fn () => $this->auth->verifyToken($token)['uid']);
    }

    /** Mails a reset link; the page never says whether the email is known. */
    public function forgotPassword(string $email): string
    {
        $token = $this->shown(fn () => $this->auth->requestPasswordReset($email, self::CONTEXT));
        if ($token !== null) {
            ($this->mailer)($email, $token);
        }
        return "If there is an account for $email, you will receive an email.";
    }

    public function resetPassword(string $email, string $token, string $newPassword): void
    {
        $this->shown(fn () => $this->auth->resetPassword($email, $token, $newPassword));
    }

    /** Admin "Login as Customer": a one-time code for the customer's storefront. */
    public function adminLoginAs(int $adminId, string $email): string
    {
        return $this->shown(fn () => $this->auth->issueOtc($email, $adminId, 'customer asked for help'));
    }

    /** mutation exchangeExternalCustomerToken: the GraphQL response the shop returns. */
    public function socialLogin(string $url, string $authorization, string $body, array $input): array
    {
        $request = ['method' => 'POST', 'url' => $url, 'authorization' => $authorization,
                    'content_type' => 'application/json', 'body' => $body];
        try {
            return $this->auth->exchangeExternalCustomerToken($request, $input);
        } catch (CustauthException $e) {
            return $e->response;
        }
    }

    private function shown(callable $f): mixed
    {
        try {
            return $f();
        } catch (CustauthException $e) {
            throw new ShopError($e->getMessage(), $e->getCode(), $e);
        }
    }
}
