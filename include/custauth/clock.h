// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Time and randomness, injected everywhere custauth uses them, so that tests control both
// without sleeping and production code never reaches for a global.
//
// Thread safety: every Clock and Random here may be used from many threads at once.
#ifndef CUSTAUTH_CLOCK_H_
#define CUSTAUTH_CLOCK_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "custauth/export.h"

namespace custauth {

// Milliseconds since the Unix epoch, UTC. Every time custauth stores or compares is one of these.
using TimeMs = std::int64_t;

inline constexpr TimeMs kSecond = 1000;
inline constexpr TimeMs kMinute = 60 * kSecond;
inline constexpr TimeMs kHour = 60 * kMinute;

class CUSTAUTH_EXPORT Clock {
 public:
  virtual ~Clock();
  // The current time. Need not be monotonic (wall clock).
  virtual TimeMs now() const = 0;
};

// The system's wall clock (CLOCK_REALTIME).
class CUSTAUTH_EXPORT SystemClock final : public Clock {
 public:
  TimeMs now() const override;
  // A process-wide instance.
  static std::shared_ptr<Clock> Shared();
};

// A clock that moves only when told to. For tests.
class CUSTAUTH_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1748499421000) : now_(start) {}
  TimeMs now() const override { return now_.load(std::memory_order_acquire); }
  void set(TimeMs t) { now_.store(t, std::memory_order_release); }
  void advance(TimeMs delta) { now_.fetch_add(delta, std::memory_order_acq_rel); }

 private:
  std::atomic<TimeMs> now_;
};

// A source of random bytes for secrets, codes, tokens and salts.
class CUSTAUTH_EXPORT Random {
 public:
  virtual ~Random();
  // Fills `out` with random bytes. Never fails.
  virtual void fill(std::span<std::uint8_t> out) = 0;

  // Convenience: a uniformly random value in [0, upper_bound). REQUIRES: upper_bound > 0.
  std::uint32_t uniform(std::uint32_t upper_bound);
};

// The operating system's CSPRNG through libsodium (randombytes_buf).
class CUSTAUTH_EXPORT SystemRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
  static std::shared_ptr<Random> Shared();
};

// A reproducible stream derived from a seed (libsodium's randombytes_buf_deterministic over a
// counter). For tests only: the same seed gives the same codes, tokens and salts.
class CUSTAUTH_EXPORT SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::mutex mu_;
  std::uint8_t seed_[32];
  std::uint64_t counter_ = 0;
};

}  // namespace custauth

#endif  // CUSTAUTH_CLOCK_H_
