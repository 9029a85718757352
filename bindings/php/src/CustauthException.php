<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
declare(strict_types=1);

namespace Custauth;

/**
 * A refused operation. getCode(): custauth.h's negative CUSTAUTH_E* code; getMessage(): custauth's
 * message; $category: the GraphQL category (never empty); $response: the GraphQL error response
 * ({"errors": [...]}), [] when the call had none.
 */
class CustauthException extends \RuntimeException
{
    /** src/status.cpp's code_category. */
    public const CATEGORIES = [
        -1 => 'graphql-input', -2 => 'graphql-no-such-entity', -3 => 'graphql-already-exists',
        -4 => 'graphql-authentication', -5 => 'graphql-authentication',
        -6 => 'graphql-authentication', -7 => 'graphql-input', -8 => 'graphql-authorization',
        -9 => 'graphql-input', -10 => 'graphql-input', -11 => 'internal', -12 => 'internal',
        -13 => 'internal', -14 => 'internal', -15 => 'graphql-authentication',
    ];

    /** @var array<string, mixed> */
    public array $response = [];
    public string $category = '';

    /** @param array<string, mixed> $response */
    public function __construct(string $message, int $code, array $response = [], string $category = '',
                                ?\Throwable $previous = null)
    {
        parent::__construct($message, $code, $previous);
        $this->response = $response;
        $this->category = $category !== '' ? $category : (self::CATEGORIES[$code] ?? 'internal');
    }
}
