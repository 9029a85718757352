// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/clock.h"

#include <sodium.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "internal.h"

namespace custauth {
namespace {
// libsodium must be initialised once before use; sodium_init is thread-safe and idempotent.
struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) throw std::runtime_error("custauth: libsodium failed to initialise");
  }
};
}  // namespace

void EnsureSodium() {
  static SodiumInit init;
  (void)init;
}

Clock::~Clock() = default;
Random::~Random() = default;

TimeMs SystemClock::now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::shared_ptr<Clock> SystemClock::Shared() {
  static std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

std::uint32_t Random::uniform(std::uint32_t upper_bound) {
  // Rejection sampling, as libsodium's randombytes_uniform, over this source's bytes.
  if (upper_bound < 2) return 0;
  const std::uint32_t min = (1U + ~upper_bound) % upper_bound;  // 2**32 mod upper_bound
  std::uint32_t r;
  do {
    std::uint8_t b[4];
    fill(b);
    std::memcpy(&r, b, sizeof r);
  } while (r < min);
  return r % upper_bound;
}

void SystemRandom::fill(std::span<std::uint8_t> out) {
  EnsureSodium();
  randombytes_buf(out.data(), out.size());
}

std::shared_ptr<Random> SystemRandom::Shared() {
  static std::shared_ptr<Random> random = std::make_shared<SystemRandom>();
  return random;
}

SeededRandom::SeededRandom(std::uint64_t seed) {
  EnsureSodium();
  std::memset(seed_, 0, sizeof seed_);
  const char tag[] = "custauth-seeded-random";
  std::memcpy(seed_, tag, sizeof tag - 1);
  for (int i = 0; i < 8; ++i) seed_[24 + i] = static_cast<std::uint8_t>(seed >> (8 * i));
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  std::lock_guard<std::mutex> lock(mu_);
  // Each call draws from a fresh deterministic stream keyed by (seed, counter).
  std::uint8_t key[32];
  std::memcpy(key, seed_, sizeof key);
  for (int i = 0; i < 8; ++i) key[16 + i] ^= static_cast<std::uint8_t>(counter_ >> (8 * i));
  ++counter_;
  randombytes_buf_deterministic(out.data(), out.size(), key);
  sodium_memzero(key, sizeof key);
}

}  // namespace custauth
