// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "process_generation.h"

#include <pthread.h>

#include <cstdlib>

namespace custauth::internal {

std::atomic<std::uint64_t> g_process_generation{1};

namespace {

// Runs in the child, in the thread that called fork(), before fork() returns there: only
// async-signal-safe work (a lock-free atomic add).
void OnForkChild() noexcept { g_process_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered when the library is loaded. glibc ties the handler to this library's image and
// removes it if the library is unloaded (dlclose), so a host that unloads custauth keeps forking
// safely. Without the handler an inherited handle could not be told apart: fail loudly instead.
struct RegisterAtFork {
  RegisterAtFork() noexcept {
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
    if (pthread_atfork(nullptr, nullptr, &OnForkChild) != 0) std::abort();
  }
};
const RegisterAtFork g_register_at_fork;

}  // namespace

}  // namespace custauth::internal
