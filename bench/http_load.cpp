// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_http_load: a bounded local HTTP load on keep-alive connections (cpp-httplib's
// client), for scripts/bench's section on custauth-http-host. N threads, one connection each,
// send GET PATH back to back for S seconds; every request's latency is kept (steady_clock, µs).
// Prints one JSON line: {"path","connections","seconds","requests","errors","rps","p50_us",
// "p99_us","max_us"}. A response other than EXPECT_STATUS counts as an error.
//
// usage: custauth_http_load HOST PORT PATH CONNECTIONS SECONDS [BEARER_TOKEN] [EXPECT_STATUS]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: custauth_http_load HOST PORT PATH CONNECTIONS SECONDS [TOKEN] [STATUS]\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int connections = std::max(1, std::atoi(argv[4]));
  const double seconds = std::atof(argv[5]);
  const std::string token = argc > 6 ? argv[6] : "";
  const int expect = argc > 7 ? std::atoi(argv[7]) : 200;

  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<std::uint32_t>> latencies(connections);
  std::vector<std::uint64_t> errors(connections, 0);
  std::atomic<bool> go{false};
  const auto duration = std::chrono::duration<double>(seconds);
  Clock::time_point start;
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      httplib::Headers headers;
      if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
      latencies[i].reserve(1 << 20);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const auto end = start + std::chrono::duration_cast<Clock::duration>(duration);
      while (true) {
        const auto t0 = Clock::now();
        if (t0 >= end) break;
        auto res = client.Get(path, headers);
        const auto t1 = Clock::now();
        if (!res || res->status != expect) ++errors[i];
        latencies[i].push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      }
    });
  }
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<std::uint32_t> all;
  std::uint64_t error_count = 0;
  for (int i = 0; i < connections; ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    error_count += errors[i];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> std::uint32_t {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p * (all.size() - 1) + 0.5))];
  };
  std::printf(
      "{\"path\":\"%s\",\"connections\":%d,\"seconds\":%.3f,\"requests\":%zu,\"errors\":%llu,"
      "\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
      path.c_str(), connections, elapsed, all.size(), static_cast<unsigned long long>(error_count),
      all.size() / elapsed, pct(0.50), pct(0.99), all.empty() ? 0u : all.back());
  return error_count == 0 && !all.empty() ? 0 : 1;
}
