<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
declare(strict_types=1);

namespace Custauth;

/** custauth.h's code -1. */
class InvalidInput extends CustauthException
{
}
