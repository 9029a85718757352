<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The tiny shop's own test suite (PHPUnit): how a PHP host tests its sign-in code with custauth's
// test handles — a clock the test moves, fixtures, and the secrets the handle issued.
//
// Run: CUSTAUTH_LIBRARY=build/dev/libcustauth.so \
//        php -d ffi.enable=1 /usr/bin/phpunit --configuration examples/shop/php/phpunit.xml
declare(strict_types=1);

namespace Shop\Tests;

use Custauth\Custauth;
use Custauth\Forbidden;
use PHPUnit\Framework\TestCase;
use Shop\Shop;
use Shop\ShopError;

final class ShopTest extends TestCase
{
    private const SIGN_IN = 'The account sign-in was incorrect or your account is disabled '
        . 'temporarily. Please wait and try again later.';
    private const GRAPHQL = 'https://shop.example/graphql';

    private Custauth $auth;
    private Shop $shop;

    /** Every test gets a fresh test handle with the shop's usual customers. */
    protected function setUp(): void
    {
        $this->auth = Custauth::forTests(seed: 7);
        $this->auth->createCustomers([
            ['email' => 'roni_cost@example.com', 'firstname' => 'Veronica', 'lastname' => 'Costello'],
            ['email' => 'imported@example.com', 'format' => 'legacy'],  // HASH:SALT:VERSIONS
            ['email' => 'assisted@example.com', 'allow_remote_shopping_assistance' => true],
        ], ['password' => 'Password123']);
        $this->shop = new Shop($this->auth);
    }

    protected function tearDown(): void
    {
        $this->auth->close();
    }

    private function assertRefused(string $message, callable $f): void
    {
        try {
            $f();
            $this->fail("not refused; expected: $message");
        } catch (ShopError $e) {
            $this->assertStringContainsString($message, $e->getMessage());
        }
    }

    public function testSignInWithPassword(): void
    {
        $token = $this->shop->signIn('roni_cost@example.com', 'Password123');
        $this->assertSame($this->auth->findCustomer('roni_cost@example.com')['id'],
                          $this->shop->whoAmI($token));
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('roni_cost@example.com', 'Password124'));
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('nobody@example.com', 'Password123'));
        $this->assertNotEmpty($this->shop->signIn('imported@example.com', 'Password123'));
    }

    public function testAdminCodeWorksOnceAndExpiresAfterThirtySeconds(): void
    {
        $code = $this->shop->adminLoginAs(7, 'assisted@example.com');
        $this->auth->advance(29_000);
        $this->assertNotEmpty($this->shop->signIn('assisted@example.com', $code));
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('assisted@example.com', $code));

        $code = $this->shop->adminLoginAs(7, 'assisted@example.com');
        $this->assertSame($code, $this->auth->lastOtc('assisted@example.com'));
        $this->auth->advance(30_000);
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('assisted@example.com', $code));
    }

    public function testResetTokenIsUsedOnce(): void
    {
        $this->shop->forgotPassword('roni_cost@example.com');
        $token = $this->auth->lastResetToken('roni_cost@example.com');  // instead of the mailbox
        $this->shop->resetPassword('roni_cost@example.com', $token, 'N3w-Password');
        $this->assertNotEmpty($this->shop->signIn('roni_cost@example.com', 'N3w-Password'));
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('roni_cost@example.com', 'Password123'));
        $this->assertRefused('The password token is mismatched',
            fn () => $this->shop->resetPassword('roni_cost@example.com', $token, 'Other-Passw0rd'));
    }

    public function testThrottleAfterSixFailuresLiftsAfterThirtyMinutes(): void
    {
        for ($i = 0; $i < 6; $i++) {
            $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('roni_cost@example.com', "wrong-$i"));
        }
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('roni_cost@example.com', 'Password123'));
        $this->auth->advance(30 * 60_000 - 1);
        $this->assertRefused(self::SIGN_IN, fn () => $this->shop->signIn('roni_cost@example.com', 'Password123'));
        $this->auth->advance(1);
        $this->assertNotEmpty($this->shop->signIn('roni_cost@example.com', 'Password123'));
    }

    /** The Authorization header an integration sends: RFC 5849, HMAC-SHA256 with hash_hmac. */
    private static function sign(array $creds, int $timestamp, string $nonce, ?string $tokenSecret = null): string
    {
        $oauth = [
            'oauth_consumer_key' => $creds['consumer_key'],
            'oauth_nonce' => $nonce,
            'oauth_signature_method' => 'HMAC-SHA256',
            'oauth_timestamp' => (string) $timestamp,
            'oauth_token' => $creds['access_token'],
            'oauth_version' => '1.0',
        ];
        $pairs = [];
        foreach ($oauth as $k => $v) {
            $pairs[] = rawurlencode($k) . '=' . rawurlencode($v);
        }
        sort($pairs, SORT_STRING);
        $base = 'POST&' . rawurlencode(self::GRAPHQL) . '&' . rawurlencode(implode('&', $pairs));
        $key = rawurlencode($creds['consumer_secret']) . '&'
            . rawurlencode($tokenSecret ?? $creds['token_secret']);
        $oauth['oauth_signature'] = base64_encode(hash_hmac('sha256', $base, $key, true));
        $parts = [];
        foreach ($oauth as $k => $v) {
            $parts[] = $k . '="' . rawurlencode($v) . '"';
        }
        return 'OAuth ' . implode(', ', $parts);
    }

    public function testSocialLoginSignedByATestIntegration(): void
    {
        $creds = $this->auth->createIntegration('social login', ['exchange_external_customer_token']);
        $now = intdiv($this->auth->now(), 1000);  // the handle's clock, not the machine's
        $body = '{"query":"mutation { exchangeExternalCustomerToken(...) }"}';
        $new = ['customer' => ['email' => 'new@example.com', 'firstname' => 'New', 'lastname' => 'Customer']];

        $response = $this->shop->socialLogin(self::GRAPHQL, self::sign($creds, $now, 'nonce-1'), $body, $new);
        $this->assertSame('new@example.com',
                          $response['data']['exchangeExternalCustomerToken']['customer']['email']);
        // The same nonce again is a replay; another secret is an invalid signature.
        $replay = $this->shop->socialLogin(self::GRAPHQL, self::sign($creds, $now, 'nonce-1'), $body, $new);
        $this->assertArrayHasKey('errors', $replay);
        $wrong = $this->shop->socialLogin(self::GRAPHQL, self::sign($creds, $now, 'nonce-2', str_repeat('x', 32)),
                                          $body, $new);
        $this->assertSame('The signature is invalid. Verify and try again.', $wrong['errors'][0]['message']);
    }

    public function testTheSameSeedGivesTheSameCodes(): void
    {
        $codes = [];
        foreach ([7, 7, 8] as $seed) {
            $auth = Custauth::forTests(seed: $seed);
            $auth->createCustomers(['assisted@example.com'],
                                   ['password' => 'Password123']);
            $auth->updateCustomer('assisted@example.com', ['allow_remote_shopping_assistance' => true]);
            $codes[] = [$auth->issueOtc('assisted@example.com', 1),
                        $auth->requestPasswordReset('assisted@example.com'),
                        $auth->generateCustomerToken('assisted@example.com', 'Password123')];
            $auth->close();
        }
        $this->assertSame($codes[0], $codes[1]);
        $this->assertNotSame($codes[0], $codes[2]);
    }

    public function testAProductionHandleRefusesTestControls(): void
    {
        $production = new Custauth('memory:', ['argon2_opslimit' => 1, 'argon2_memlimit' => 8192]);
        try {
            $production->advance(600_000);
            $this->fail('a production handle moved its clock');
        } catch (Forbidden $e) {
            $this->assertSame('the clock can only be set on a test handle', $e->getMessage());
            $this->assertSame(-8, $e->getCode());
        }
        $this->expectException(Forbidden::class);
        $production->lastResetToken('roni_cost@example.com');
    }
}
