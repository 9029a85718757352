// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The threaded harness of the scaling and PostgreSQL benchmarks: N threads run one operation at
// once from a common start, and the aggregate rate is the operations of all of them over the wall
// time until the last one stops. Measurements of custauth and of its floor alternate in rounds
// (Interleave), so that a change of the machine's load falls on both alike; the figure of each is
// the median of its rounds.
#ifndef CUSTAUTH_BENCH_THREADS_H_
#define CUSTAUTH_BENCH_THREADS_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace custauth_bench {

struct RunLimit {
  double seconds = 1.0;                  // each thread stops at this much wall time...
  std::int64_t max_ops_per_thread = -1;  // ...or after this many operations (-1: no bound)
};

struct RateRun {
  double per_s = 0;  // operations of all threads per second of wall time
  std::int64_t ops = 0;
  std::string error;  // the first failure, "" when none
};

// Runs op(thread_index, i) on `threads` threads from a common start until `limit`; op returns ""
// on success, else what failed (the run then stops).
inline RateRun RunThreads(int threads, RunLimit limit,
                          const std::function<std::string(int, std::int64_t)>& op) {
  using Clock = std::chrono::steady_clock;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> total{0};
  std::mutex error_mu;
  std::string error;
  Clock::time_point start;
  std::vector<Clock::time_point> ends(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(limit.seconds));
      std::int64_t i = 0;
      while (!stop.load(std::memory_order_relaxed) &&
             (limit.max_ops_per_thread < 0 || i < limit.max_ops_per_thread)) {
        std::string failed = op(t, i);
        if (!failed.empty()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (error.empty()) error = std::move(failed);
          stop.store(true);
          break;
        }
        ++i;
        if (Clock::now() >= deadline) break;
      }
      ends[static_cast<std::size_t>(t)] = Clock::now();
      total.fetch_add(i);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  const auto end = *std::max_element(ends.begin(), ends.end());
  RateRun r;
  r.ops = total.load();
  r.per_s = static_cast<double>(r.ops) / std::chrono::duration<double>(end - start).count();
  r.error = error;
  return r;
}

// One measured thing: its name, the implementation ("custauth", "floor", ...), a thread count,
// and the rates of its rounds.
struct Series {
  std::string bench;
  std::string impl;
  int threads = 1;
  std::vector<double> rates;
  std::string error;
  std::string extra_json;  // further members, e.g. "\"round_trips\": 6" (without braces)

  double Median() const {
    if (rates.empty()) return 0;
    std::vector<double> v = rates;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  std::string Json() const {
    std::string s = "{\"bench\": \"" + bench + "\", \"impl\": \"" + impl +
                    "\", \"threads\": " + std::to_string(threads) +
                    ", \"median_per_s\": " + std::to_string(Median()) + ", \"rates\": [";
    for (std::size_t i = 0; i < rates.size(); ++i) {
      s += (i ? ", " : "") + std::to_string(rates[i]);
    }
    s += "]";
    if (!error.empty()) {
      std::string e;
      for (char c : error) e += (c == '"' || c == '\\') ? ' ' : c;
      s += ", \"error\": \"" + e + "\"";
    }
    if (!extra_json.empty()) s += ", " + extra_json;
    return s + "}";
  }
};

// A contender of Interleave: its implementation name and how to run it at a thread count.
struct Contender {
  std::string impl;
  std::function<RateRun(int threads)> run;
};

// Runs every contender at every thread count, `rounds` times, alternating: round r runs the thread
// counts in turn and, at each, the contenders in an order that flips every round. Appends one
// Series per (contender, thread count) to `out`, and prints each run to stderr.
inline void Interleave(const std::string& bench, const std::vector<Contender>& contenders,
                       const std::vector<int>& thread_counts, int rounds,
                       std::vector<Series>* out) {
  const std::size_t first = out->size();
  for (const Contender& c : contenders) {
    for (int t : thread_counts) out->push_back(Series{bench, c.impl, t, {}, {}, {}});
  }
  auto series = [&](std::size_t ci, std::size_t ti) -> Series& {
    return (*out)[first + ci * thread_counts.size() + ti];
  };
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t ti = 0; ti < thread_counts.size(); ++ti) {
      for (std::size_t k = 0; k < contenders.size(); ++k) {
        const std::size_t ci = r % 2 == 0 ? k : contenders.size() - 1 - k;
        Series& s = series(ci, ti);
        if (!s.error.empty()) continue;
        const RateRun run = contenders[ci].run(thread_counts[ti]);
        if (!run.error.empty()) {
          s.error = run.error;
        } else {
          s.rates.push_back(run.per_s);
        }
        std::fprintf(stderr, "%s %s threads=%d round %d: %.1f/s %s\n", bench.c_str(),
                     contenders[ci].impl.c_str(), thread_counts[ti], r, run.per_s,
                     run.error.c_str());
      }
    }
  }
}

// Prints {"series": [...], <meta>} on stdout.
inline void PrintSeries(const std::vector<Series>& all, const std::string& meta_json) {
  std::string s = "{\"series\": [";
  for (std::size_t i = 0; i < all.size(); ++i) s += (i ? ",\n  " : "\n  ") + all[i].Json();
  s += "]";
  if (!meta_json.empty()) s += ", " + meta_json;
  std::printf("%s}\n", s.c_str());
}

}  // namespace custauth_bench

#endif  // CUSTAUTH_BENCH_THREADS_H_
