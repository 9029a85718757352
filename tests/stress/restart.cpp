// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_restart: the PostgreSQL server stops and starts again under load. It makes a cluster
// of its own (tests/postgres/start_server.sh, so that stopping it disturbs no other test), and
// runs 2 processes x 4 threads, each process with its own PostgresStorage and CustomerAuth (two
// nodes of a fleet), logging customers in, reading them, creating customers and recording nonces
// without pause. Meanwhile the parent lets them run, stops the server (server_ctl.sh stop: a fast
// shutdown, which ends the sessions in flight), keeps it down, starts it again and lets them run
// once more. Every call is classed by the phase it began and ended in (a call that spans a
// change of phase may go either way) and must be:
//   up, before the stop      OK, every one;
//   down                     kStorage with "postgresql: ..." (a clean storage error, never a
//                            hang: each within kDownCallBoundMs), never OK;
//   back, after the start    OK, every one, on every thread of every node: the handles opened
//                            before the stop reconnect by themselves; no process restarts.
// Any other code fails the run. At the end the run's rows are checked in SQL (target.h).
//
//   custauth_restart SCRIPTS_DIR STATE_DIR [SECONDS]   (default 8 s; the phases share them)
//
// SCRIPTS_DIR is tests/postgres; STATE_DIR a directory for the cluster's state files.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "target.h"

using namespace custauth;

namespace {

constexpr int kProcesses = 2;
constexpr int kThreads = 4;
constexpr int kWorkers = kProcesses * kThreads;
constexpr int kCustomers = 8;
constexpr std::int64_t kDownCallBoundMs = 3000;
constexpr char kPassword[] = "R3start-Password";
constexpr char kConsumer[] = "restart-consumer-key-0123456789a";

enum Phase : int { kUp, kStopping, kDown, kStarting, kBack, kPhases };
const char* const kPhaseNames[] = {"up", "stopping", "down", "starting", "back"};

struct Shared {
  std::atomic<int> phase;
  std::atomic<int> stop;
  std::atomic<std::int64_t> ok[kPhases];
  std::atomic<std::int64_t> storage_errors[kPhases];
  std::atomic<std::int64_t> slowest_down_ns;
  std::atomic<std::int64_t> ok_back[kWorkers];
  stress::Errors errors;
};

Shared* g = nullptr;
std::string tag;

void Error(const std::string& what) { g->errors.Report("custauth_restart", what); }

std::string CustomerEmail(int k) {
  return "restart-" + tag + "-" + std::to_string(k) + "@example.com";
}

AuthOptions Options() {
  AuthOptions o;
  o.keys = stress::TestKeys();
  o.argon2 = CheapArgon2ForTests();
  o.argon2.max_concurrent = kThreads;
  // Every worker signs in to the same few customers with the right password, all at once: more
  // than the throttle's 6 attempts in flight on one email would be refused (a guess is counted
  // before it is verified), which is not what this test is about.
  o.login_throttle.max_failures = 0;
  return o;
}

// One call, by worker `worker`, the n-th: its status.
Status Call(Storage& storage, CustomerAuth& auth, int worker, int n) {
  const TimeMs now = auth.clock().now();
  const std::string me = std::to_string(worker) + "-" + std::to_string(n);
  switch (n % 4) {
    case 0:
      return auth.generate_customer_token(CustomerEmail(n % kCustomers), kPassword).status();
    case 1:
      return storage.find_customer_by_email(kDefaultWebsiteId, CustomerEmail(n % kCustomers))
          .status();
    case 2: {
      NewCustomer c;
      c.email = "restart-" + tag + "-new-" + me + "@example.com";
      c.firstname = "Restart";
      c.lastname = "Load";
      return storage.create_customer(c, now).status();
    }
    default:
      return storage.insert_nonce(kConsumer, "restart-" + tag + "-" + me, now + kHour, now);
  }
}

void Worker(Storage& storage, CustomerAuth& auth, int worker) {
  for (int n = 0; !g->stop.load(); ++n) {
    const int before = g->phase.load();
    const std::int64_t start = stress::NowNs();
    Status s = Call(storage, auth, worker, n);
    const std::int64_t took = stress::NowNs() - start;
    const int after = g->phase.load();
    if (!s.ok() && (s.code() != Code::kStorage || s.message().rfind("postgresql: ", 0) != 0)) {
      Error("worker " + std::to_string(worker) + ", " + kPhaseNames[after] + ": " + s.to_string());
    }
    if (before != after) continue;  // spans a change: either outcome is right
    (s.ok() ? g->ok : g->storage_errors)[after].fetch_add(1);
    if (after == kBack && s.ok()) g->ok_back[worker].fetch_add(1);
    if (after == kDown) {
      std::int64_t slowest = g->slowest_down_ns.load();
      while (took > slowest && !g->slowest_down_ns.compare_exchange_weak(slowest, took)) {
      }
    }
    if (!s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // no busy loop
  }
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "custauth_restart: FAILED: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: custauth_restart SCRIPTS_DIR STATE_DIR [SECONDS]\n");
    return 2;
  }
  const std::string scripts = argv[1], state = argv[2];
  const int seconds = std::max(argc > 3 ? std::atoi(argv[3]) : 8, 4);
  // Runs SCRIPTS_DIR/script STATE_DIR [arg].
  const auto sh = [&](const std::string& script, const std::string& arg = "") {
    return std::system(
               (scripts + "/" + script + " " + state + " " + arg + " > /dev/null").c_str()) == 0;
  };
  if (!sh("start_server.sh")) return Fail("start_server.sh");
  struct Cleanup {
    std::function<bool(const std::string&, const std::string&)> sh;
    ~Cleanup() { sh("stop_server.sh", ""); }
  } cleanup{sh};
  stress::Target target;
  if (!target.Parse("@" + state + "/uri", "")) return Fail("no URI");
  tag = stress::RunTag();

  {
    auto storage = target.Open(1, true);
    if (storage == nullptr) return Fail("open for setup");
    auto auth = CustomerAuth::Open(std::move(storage), Options());
    if (!auth.ok()) return Fail(auth.status().to_string());
    for (int k = 0; k < kCustomers; ++k) {
      CustomerInput in;
      in.email = CustomerEmail(k);
      in.firstname = "Restart";
      in.lastname = "Customer";
      in.password = kPassword;
      if (!(*auth)->create_customer(in).ok()) return Fail("create_customer");
    }
  }

  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Fail("mmap");
  g = new (mem) Shared();
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    if (pid < 0) return Fail("fork");
    if (pid == 0) {
      std::shared_ptr<Storage> storage = target.Open(kThreads, true);
      if (storage == nullptr) _exit(3);
      auto auth = CustomerAuth::Open(storage, Options());
      if (!auth.ok()) _exit(3);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(Worker, std::ref(*storage), std::ref(**auth), p * kThreads + t);
      }
      for (auto& t : threads) t.join();
      _exit(0);
    }
    pids.push_back(pid);
  }

  // The phases: a quarter of the time up, a quarter down, half back (reconnecting takes some).
  const auto quarter = std::chrono::milliseconds(seconds * 250);
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(quarter);
  g->phase.store(kStopping);
  const bool stopped = sh("server_ctl.sh", "stop");
  g->phase.store(kDown);
  const auto down_at = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(quarter);
  g->phase.store(kStarting);
  const bool started = sh("server_ctl.sh", "start");
  g->phase.store(kBack);
  const auto back_at = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2 * quarter);
  g->stop.store(1);
  bool children_ok = true;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) children_ok = false;
  }
  if (!stopped || !started) return Fail("server_ctl.sh could not stop or start the server");

  const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "custauth_restart: %d processes x %d threads; the server down %.1f s after %.1f s, "
      "back for %.1f s\n",
      kProcesses, kThreads, secs(back_at - down_at), secs(down_at - start),
      secs(std::chrono::steady_clock::now() - back_at));
  for (int p = 0; p < kPhases; ++p) {
    std::printf("  %-8s %6lld OK, %6lld storage errors\n", kPhaseNames[p],
                static_cast<long long>(g->ok[p].load()),
                static_cast<long long>(g->storage_errors[p].load()));
  }
  std::printf("  slowest call while down: %.0f ms\n", g->slowest_down_ns.load() / 1e6);
  if (!children_ok) return Fail("a worker process died");
  if (g->errors.count.load() != 0) return Fail(g->errors.first);
  if (g->ok[kUp] == 0 || g->storage_errors[kUp] != 0) return Fail("calls failed before the stop");
  if (g->ok[kDown] != 0 || g->storage_errors[kDown] == 0) {
    return Fail("calls did not fail while the server was down");
  }
  if (g->slowest_down_ns.load() > kDownCallBoundMs * 1000000) {
    return Fail("a call took too long to fail while the server was down");
  }
  if (g->storage_errors[kBack] != 0) return Fail("calls failed after the server was back");
  for (int w = 0; w < kWorkers; ++w) {
    if (g->ok_back[w] == 0) return Fail("worker " + std::to_string(w) + " never got through again");
  }
  if (target.CheckRows(tag) != 0) return Fail("inconsistent rows");
  return 0;
}
