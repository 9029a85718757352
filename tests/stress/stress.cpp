// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_stress: races across processes on one SQLite file. 4 processes x 4 threads (each
// process with its own SqliteStorage and CustomerAuth), round after round; at the start of every
// round all 16 workers meet at a process-shared barrier and then race, at once, on:
//   otc      one admin one-time code, exchanged by all 16 (exchange_otc)  -> exactly one token
//   reset    one password-reset token, used by all 16 (reset_password)     -> exactly one OK
//   create   one new email, find-or-created by all 16                      -> exactly one created,
//                                                                             all the same id
//   nonce    one (consumer, nonce), inserted by all 16 (insert_nonce)      -> exactly one OK
//   failure  record_login_failure on one customer, kFailuresPerRound times by every worker, with
//            max_failures 0                                               -> no lost update
// Every other outcome — kStorage above all, which is how SQLITE_BUSY would surface — fails the
// run. At the end the parent checks the counts against storage: each code and token is used,
// each created customer exists once, the failure counter equals the attempts.
//
//   custauth_stress DIR [SECONDS] [MAX_ROUNDS]     (defaults: 20 s, 400 rounds)
//
// Exit status 0 when every round held every rule; the failures are printed.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/sqlite_storage.h"

using namespace custauth;

namespace {

constexpr int kProcesses = 4;
constexpr int kThreads = 4;
constexpr int kWorkers = kProcesses * kThreads;
constexpr int kMaxRounds = 1000;
constexpr int kFailuresPerRound = 2;
constexpr char kConsumer[] = "stress-consumer-key-0123456789ab";

// What the workers share: the barrier, the stop flags, and the outcome counters of every round.
struct Shared {
  pthread_barrier_t barrier;
  // stop[r]: the leader's decision, before round r's barrier, that there is no round r. One flag
  // per round, never written again, so that a worker that reads it late reads the same answer.
  std::atomic<int> stop[kMaxRounds + 1];
  std::atomic<int> rounds;
  std::atomic<int> errors;
  std::atomic<int> otc_ok[kMaxRounds];
  std::atomic<int> reset_ok[kMaxRounds];
  std::atomic<int> created[kMaxRounds];
  std::atomic<std::int64_t> created_id[kMaxRounds];
  std::atomic<int> nonce_ok[kMaxRounds];
  std::atomic<std::int64_t> failures;  // record_login_failure calls that returned OK
  char first_error[512];
  std::atomic<int> first_error_taken;
};

Shared* g = nullptr;

void Error(const std::string& what) {
  g->errors.fetch_add(1);
  if (g->first_error_taken.exchange(1) == 0) {
    std::snprintf(g->first_error, sizeof g->first_error, "%s", what.c_str());
  }
  std::fprintf(stderr, "custauth_stress: %s\n", what.c_str());
}

std::string OtcEmail(int r) { return "otc-" + std::to_string(r) + "@example.com"; }
std::string ResetEmail(int r) { return "reset-" + std::to_string(r) + "@example.com"; }
std::string NewEmail(int r) { return "New-" + std::to_string(r) + "@Example.com"; }
constexpr char kLockEmail[] = "lock@example.com";

Keys TheKeys() {
  Keys k;
  k.secret_key = std::string(32, 's');
  k.seal_key = std::string(32, 'e');
  k.jwt_keys.push_back({"1", std::string(32, 'k')});
  return k;
}

AuthOptions Options() {
  AuthOptions o;
  o.keys = TheKeys();
  o.argon2 = CheapArgon2ForTests();
  o.argon2.max_concurrent = kThreads;
  o.lockout.max_failures = 0;  // count, never lock: the count must equal the attempts
  o.lockout.window = 24 * kHour;
  o.otc_lifetime = kHour;
  return o;
}

struct Handle {
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
};

Handle Open(const std::string& db) {
  SqliteOptions so;
  so.synchronous_full = false;  // the crash test covers durability; this one covers atomicity
  so.max_connections = kThreads;
  auto s = OpenSqliteStorage(db, so);
  if (!s.ok()) {
    std::fprintf(stderr, "custauth_stress: open: %s\n", s.status().ToString().c_str());
    std::exit(3);
  }
  Handle h;
  h.storage = std::move(s).value();
  auto a = CustomerAuth::Open(h.storage, Options());
  if (!a.ok()) {
    std::fprintf(stderr, "custauth_stress: auth: %s\n", a.status().ToString().c_str());
    std::exit(3);
  }
  h.auth = std::move(a).value();
  return h;
}

// One worker thread: rounds until the leader says stop.
void Worker(Handle& h, int worker, const std::vector<std::string>& codes,
            const std::vector<std::string>& resets, std::int64_t lock_id,
            std::chrono::steady_clock::time_point deadline, int max_rounds) {
  const bool leader = worker == 0;
  for (int r = 0;; ++r) {
    if (leader && (r >= max_rounds || std::chrono::steady_clock::now() >= deadline)) {
      g->stop[r].store(1);
    }
    pthread_barrier_wait(&g->barrier);
    if (g->stop[r].load()) break;
    if (leader) g->rounds.store(r + 1);
    const std::string ctx_tag = "w" + std::to_string(worker) + " r" + std::to_string(r);
    // The operations in a different order per worker, so that they overlap in every pairing.
    for (int k = 0; k < 5; ++k) {
      switch ((k + worker) % 5) {
        case 0: {
          auto t = h.auth->exchange_otc(OtcEmail(r), codes[r]);
          if (t.ok()) {
            g->otc_ok[r].fetch_add(1);
          } else if (t.code() != Code::kAuthenticationFailed) {
            Error(ctx_tag + " exchange_otc: " + t.status().ToString());
          }
          break;
        }
        case 1: {
          Status s = h.auth->reset_password(ResetEmail(r), resets[r], "N3w-Password-" + ctx_tag);
          if (s.ok()) {
            g->reset_ok[r].fetch_add(1);
          } else if (s.code() != Code::kInvalidInput || s.message() != msg::kResetTokenMismatch) {
            Error(ctx_tag + " reset_password: " + s.ToString());
          }
          break;
        }
        case 2: {
          NewCustomer c;
          c.email = worker % 2 ? NewEmail(r) : EmailKey(NewEmail(r));  // case differs: same key
          c.firstname = "New";
          c.lastname = ctx_tag;
          auto f = h.storage->find_or_create_customer(c, h.auth->clock().now());
          if (!f.ok()) {
            Error(ctx_tag + " find_or_create_customer: " + f.status().ToString());
            break;
          }
          if (f->created) g->created[r].fetch_add(1);
          // Everyone must get the same id: the first to arrive records it, the others compare.
          std::atomic<std::int64_t>& id = g->created_id[r];
          std::int64_t zero = 0;
          if (!id.compare_exchange_strong(zero, f->customer.id) && zero != f->customer.id) {
            Error(ctx_tag + " find_or_create_customer: id " + std::to_string(f->customer.id) +
                  " where another worker got " + std::to_string(zero));
          }
          break;
        }
        case 3: {
          const TimeMs now = h.auth->clock().now();
          Status s =
              h.storage->insert_nonce(kConsumer, "nonce-" + std::to_string(r), now + kHour, now);
          if (s.ok()) {
            g->nonce_ok[r].fetch_add(1);
          } else if (s.code() != Code::kAlreadyExists) {
            Error(ctx_tag + " insert_nonce: " + s.ToString());
          }
          break;
        }
        case 4: {
          LockoutPolicy p = Options().lockout;
          for (int i = 0; i < kFailuresPerRound; ++i) {
            auto l = h.storage->record_login_failure(lock_id, h.auth->clock().now(), p);
            if (!l.ok()) {
              Error(ctx_tag + " record_login_failure: " + l.status().ToString());
            } else {
              g->failures.fetch_add(1);
              if (l->locked) Error(ctx_tag + " record_login_failure: locked with max_failures 0");
            }
          }
          break;
        }
      }
    }
  }
}

int Fail(const char* what) {
  std::fprintf(stderr, "custauth_stress: FAILED: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: custauth_stress DIR [SECONDS] [MAX_ROUNDS]\n");
    return 2;
  }
  const std::string db = std::string(argv[1]) + "/stress.db";
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int max_rounds = std::min(argc > 3 ? std::atoi(argv[3]) : 400, kMaxRounds);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());

  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Fail("mmap");
  g = new (mem) Shared();
  pthread_barrierattr_t attr;
  pthread_barrierattr_init(&attr);
  pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&g->barrier, &attr, kWorkers);

  // Set up every round's customers and secrets, then close everything before forking.
  std::vector<std::string> codes, resets;
  std::int64_t lock_id = 0;
  {
    Handle h = Open(db);
    for (int r = 0; r < max_rounds; ++r) {
      CustomerInput in;
      in.email = OtcEmail(r);
      in.firstname = "Otc";
      in.lastname = "Round";
      in.allow_remote_shopping_assistance = true;
      if (!h.auth->create_customer(in).ok()) return Fail("create otc customer");
      auto code = h.auth->issue_otc(in.email, 1, "stress");
      if (!code.ok()) return Fail("issue_otc");
      codes.push_back(*code);
      in.email = ResetEmail(r);
      if (!h.auth->create_customer(in).ok()) return Fail("create reset customer");
      auto token = h.auth->request_password_reset(in.email);
      if (!token.ok() || !token->has_value()) return Fail("request_password_reset");
      resets.push_back(**token);
    }
    CustomerInput in;
    in.email = kLockEmail;
    in.firstname = "Lock";
    in.lastname = "Counter";
    auto c = h.auth->create_customer(in);
    if (!c.ok()) return Fail("create lock customer");
    lock_id = c->id;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    if (pid < 0) return Fail("fork");
    if (pid == 0) {
      Handle h = Open(db);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(Worker, std::ref(h), p * kThreads + t, std::cref(codes),
                             std::cref(resets), lock_id, deadline, max_rounds);
      }
      for (auto& t : threads) t.join();
      h.auth.reset();
      h.storage.reset();
      _exit(0);
    }
    pids.push_back(pid);
  }
  bool children_ok = true;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) children_ok = false;
  }
  if (!children_ok) return Fail("a worker process died");

  // Every round: exactly once, every time.
  const int rounds = g->rounds.load();
  int bad = 0;
  Handle h = Open(db);
  for (int r = 0; r < rounds; ++r) {
    if (g->otc_ok[r] != 1 || g->reset_ok[r] != 1 || g->created[r] != 1 || g->nonce_ok[r] != 1) {
      std::fprintf(
          stderr,
          "custauth_stress: round %d: otc %d, reset %d, created %d, nonce %d (want 1 each)\n", r,
          g->otc_ok[r].load(), g->reset_ok[r].load(), g->created[r].load(), g->nonce_ok[r].load());
      ++bad;
    }
    auto c = h.storage->find_customer_by_email(kDefaultWebsiteId, NewEmail(r));
    if (!c.ok() || c->id != g->created_id[r].load()) {
      std::fprintf(stderr, "custauth_stress: round %d: the created customer is not the one found\n",
                   r);
      ++bad;
    }
    // The code and the token are used: a second use fails.
    if (h.auth->exchange_otc(OtcEmail(r), codes[r]).ok()) ++bad;
    if (h.auth->reset_password(ResetEmail(r), resets[r], "An0ther-Password").ok()) ++bad;
  }
  auto lock = h.storage->find_customer_by_email(kDefaultWebsiteId, kLockEmail);
  const std::int64_t attempts = static_cast<std::int64_t>(rounds) * kWorkers * kFailuresPerRound;
  if (!lock.ok() || lock->failures_num != attempts || g->failures.load() != attempts) {
    std::fprintf(stderr, "custauth_stress: failures_num %d, acknowledged %lld, attempts %lld\n",
                 lock.ok() ? lock->failures_num : -1, static_cast<long long>(g->failures.load()),
                 static_cast<long long>(attempts));
    ++bad;
  }
  std::printf(
      "custauth_stress: %d processes x %d threads, %d rounds: %d otc, %d reset, %d create, %d "
      "nonce races, %lld counted failures; %d errors, %d bad rounds\n",
      kProcesses, kThreads, rounds, rounds, rounds, rounds, rounds,
      static_cast<long long>(attempts), g->errors.load(), bad);
  if (rounds < 10) return Fail("fewer than 10 rounds ran");
  if (g->errors.load() != 0) return Fail(g->first_error);
  if (bad != 0) return Fail("a rule was broken");
  return 0;
}
