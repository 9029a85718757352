// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The process generation: a number that changes in the child of every fork(). Whatever records
// the generation it was made in (a custauth_t, an open SQLite file) knows, by comparing, whether
// it was inherited across fork() — with one load of an atomic, not a getpid() system call.
#ifndef CUSTAUTH_SRC_PROCESS_GENERATION_H_
#define CUSTAUTH_SRC_PROCESS_GENERATION_H_

#include <atomic>
#include <cstdint>

namespace custauth::internal {

// Bumped by a pthread_atfork child handler that the library registers when it is loaded (before
// anything can record a generation). Read it only through ProcessGeneration().
extern std::atomic<std::uint64_t> g_process_generation;

// The current process's generation. Thread-safe; costs one relaxed atomic load. Two objects made
// in the same process read the same value; an object made in a parent reads a different one in
// every child (and grandchild) of a later fork().
inline std::uint64_t ProcessGeneration() noexcept {
  return g_process_generation.load(std::memory_order_relaxed);
}

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_PROCESS_GENERATION_H_
