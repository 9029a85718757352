// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/storage.h"

namespace custauth {
Storage::~Storage() = default;
}  // namespace custauth
