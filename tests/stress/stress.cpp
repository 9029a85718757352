// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_stress: races across processes on one customer base, a SQLite file or a PostgreSQL
// database (a fleet of servers). 4 processes x 4 threads (each process with its own Storage and
// CustomerAuth: one node of a fleet), round after round; at the start of every round all 16
// workers meet at a process-shared barrier and then race, at once, on the round's own data:
//   otc      one admin one-time code, exchanged by all 16 (exchange_otc)  -> exactly one token
//   reset    one password-reset token, used by all 16 (reset_password)     -> exactly one OK
//   create   one new email, find-or-created by all 16                      -> exactly one created,
//                                                                             all the same id
//   nonce    one (consumer, nonce), inserted by all 16 (insert_nonce)      -> exactly one OK
//   login    kFailuresPerRound wrong passwords by every worker against one account, through
//            generate_customer_token (lockout: the platform's 10 failures) -> the sign-in refusal
//            every time; ONE customer.lock in the audit trail, at failures_num 10
//   count    record_login_failure on one customer, kFailuresPerRound times by every worker, with
//            max_failures 10                                              -> failures_num takes
//            every value 1..32 once (no lost update), the lock engages at exactly the 10th,
//            whichever node recorded it, and every later failure sees it
// Every other outcome — kStorage above all, which is how SQLITE_BUSY or a PostgreSQL
// serialization failure beyond its retries would surface — fails the run. At the end the parent
// checks each round against storage: each code and token is used (a second use fails), each
// created customer exists once, the locked account refuses its password, its reset token and its
// admin code (which stay unused); and, row by row in SQL, this run's customers have their fields,
// its secrets are used exactly where a race was won, and the counts add up.
//
//   custauth_stress DIR|postgresql://URI|@URIFILE [SECONDS] [MAX_ROUNDS]   (defaults: 20 s, 400)
//
// (target.h: DIR holds stress.db, made anew; on PostgreSQL every row of a run carries its own tag,
// so runs never meet.) Every round's customers and secrets are made before the clock starts.
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
#include "target.h"

using namespace custauth;

namespace {

constexpr int kProcesses = 4;
constexpr int kThreads = 4;
constexpr int kWorkers = kProcesses * kThreads;
constexpr int kMaxRounds = 1000;
constexpr int kFailuresPerRound = 2;
constexpr int kMaxFailures = 10;  // the platform's lockout
constexpr int kFailuresCounted = kWorkers * kFailuresPerRound;
static_assert(kFailuresCounted < 64 && kMaxFailures <= kFailuresCounted);
constexpr std::uint64_t kAllCounts = ((std::uint64_t{1} << kFailuresCounted) - 1) << 1;  // 1..32
constexpr char kConsumer[] = "stress-consumer-key-0123456789ab";
constexpr char kLockPassword[] = "L0ck-Password";

// What the workers share: the barrier, the stop flags, and the outcome counters of every round.
struct Shared {
  pthread_barrier_t barrier;
  // stop[r]: the leader's decision, before round r's barrier, that there is no round r. One flag
  // per round, never written again, so that a worker that reads it late reads the same answer.
  std::atomic<int> stop[kMaxRounds + 1];
  std::atomic<int> rounds;
  stress::Errors errors;
  std::atomic<int> otc_ok[kMaxRounds];
  std::atomic<int> reset_ok[kMaxRounds];
  std::atomic<int> created[kMaxRounds];
  std::atomic<std::int64_t> created_id[kMaxRounds];
  std::atomic<int> nonce_ok[kMaxRounds];
  std::atomic<std::uint64_t> counted[kMaxRounds];  // bit n: a failure was counted as the n-th
  std::atomic<int> newly_locked[kMaxRounds];
};

Shared* g = nullptr;
std::string tag;  // this run's, in every email and nonce (target.h)

void Error(const std::string& what) { g->errors.Report("custauth_stress", what); }

std::string Email(const char* what, int r) {
  return std::string(what) + "-" + tag + "-" + std::to_string(r) + "@example.com";
}
std::string OtcEmail(int r) { return Email("otc", r); }
std::string ResetEmail(int r) { return Email("reset", r); }
std::string NewEmail(int r) { return Email("New", r); }  // EmailKey differs: "new-..."
std::string LockEmail(int r) { return Email("lock", r); }
std::string CounterEmail(int r) { return Email("counter", r); }
std::string Nonce(int r) { return "nonce-" + tag + "-" + std::to_string(r); }

LockoutPolicy Lockout() {
  LockoutPolicy p;
  p.max_failures = kMaxFailures;
  p.window = 24 * kHour;  // no window closes during a run
  return p;
}

AuthOptions Options() {
  AuthOptions o;
  o.keys = stress::TestKeys();
  o.argon2 = CheapArgon2ForTests();
  o.argon2.max_concurrent = kThreads;
  o.lockout = Lockout();
  o.login_throttle.max_failures = 0;  // the account lock is what the login race checks
  o.otc_lifetime = kHour;
  return o;
}

struct Handle {
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
};

Handle Open(const stress::Target& target) {
  Handle h;
  // Durability is the crash test's; this one is about atomicity (SQLite: synchronous=NORMAL).
  h.storage = target.Open(kThreads, /*synchronous_full=*/false);
  if (h.storage == nullptr) std::exit(3);
  auto a = CustomerAuth::Open(h.storage, Options());
  if (!a.ok()) {
    std::fprintf(stderr, "custauth_stress: auth: %s\n", a.status().to_string().c_str());
    std::exit(3);
  }
  h.auth = std::move(a).value();
  return h;
}

// What a round races on, made before the race.
struct Round {
  std::string code;        // OtcEmail's admin code
  std::string reset;       // ResetEmail's reset token
  std::string lock_code;   // LockEmail's admin code and reset token: refused once it is locked
  std::string lock_reset;  //
  std::int64_t counter_id = 0;
};

bool SetUp(Handle& h, int r, Round* out) {
  auto customer = [&](const std::string& email, const char* password) {
    CustomerInput in;
    in.email = email;
    in.firstname = "Stress";
    in.lastname = "Round " + std::to_string(r);
    in.allow_remote_shopping_assistance = true;
    if (password != nullptr) in.password = password;
    auto c = h.auth->create_customer(in);
    if (!c.ok())
      std::fprintf(stderr, "create %s: %s\n", email.c_str(), c.status().to_string().c_str());
    return c.ok() ? c->id : 0;
  };
  auto code = [&](const std::string& email, std::string* out_code) {
    auto c = h.auth->issue_otc(email, 1, "stress");
    if (!c.ok())
      std::fprintf(stderr, "issue_otc %s: %s\n", email.c_str(), c.status().to_string().c_str());
    if (c.ok()) *out_code = *c;
    return c.ok();
  };
  auto reset = [&](const std::string& email, std::string* out_token) {
    auto t = h.auth->request_password_reset(email);
    if (!t.ok())
      std::fprintf(stderr, "request_password_reset %s: %s\n", email.c_str(),
                   t.status().to_string().c_str());
    if (t.ok() && t->has_value()) *out_token = **t;
    return t.ok() && t->has_value();
  };
  return customer(OtcEmail(r), nullptr) != 0 && code(OtcEmail(r), &out->code) &&
         customer(ResetEmail(r), nullptr) != 0 && reset(ResetEmail(r), &out->reset) &&
         customer(LockEmail(r), kLockPassword) != 0 && code(LockEmail(r), &out->lock_code) &&
         reset(LockEmail(r), &out->lock_reset) &&
         (out->counter_id = customer(CounterEmail(r), nullptr)) != 0;
}

// One worker thread: rounds until the leader says stop.
void Worker(Handle& h, int worker, const std::vector<Round>& rounds,
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
    for (int k = 0; k < 6; ++k) {
      switch ((k + worker) % 6) {
        case 0: {
          auto t = h.auth->exchange_otc(OtcEmail(r), rounds[r].code);
          if (t.ok()) {
            g->otc_ok[r].fetch_add(1);
          } else if (t.code() != Code::kAuthenticationFailed) {
            Error(ctx_tag + " exchange_otc: " + t.status().to_string());
          }
          break;
        }
        case 1: {
          Status s =
              h.auth->reset_password(ResetEmail(r), rounds[r].reset, "N3w-Password-" + ctx_tag);
          if (s.ok()) {
            g->reset_ok[r].fetch_add(1);
          } else if (s.code() != Code::kInvalidInput || s.message() != msg::kResetTokenMismatch) {
            Error(ctx_tag + " reset_password: " + s.to_string());
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
            Error(ctx_tag + " find_or_create_customer: " + f.status().to_string());
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
          Status s = h.storage->insert_nonce(kConsumer, Nonce(r), now + kHour, now);
          if (s.ok()) {
            g->nonce_ok[r].fetch_add(1);
          } else if (s.code() != Code::kAlreadyExists) {
            Error(ctx_tag + " insert_nonce: " + s.to_string());
          }
          break;
        }
        case 4: {
          for (int i = 0; i < kFailuresPerRound; ++i) {
            auto t = h.auth->generate_customer_token(LockEmail(r), "Wr0ng-Password-" + ctx_tag);
            if (t.ok() || t.code() != Code::kAuthenticationFailed ||
                t.status().message() != msg::kSignInIncorrect) {
              Error(ctx_tag + " generate_customer_token with a wrong password: " +
                    (t.ok() ? "a token" : t.status().to_string()));
            }
          }
          break;
        }
        case 5: {
          for (int i = 0; i < kFailuresPerRound; ++i) {
            auto l = h.storage->record_login_failure(rounds[r].counter_id, h.auth->clock().now(),
                                                     Lockout());
            if (!l.ok()) {
              Error(ctx_tag + " record_login_failure: " + l.status().to_string());
              continue;
            }
            const std::uint64_t bit = std::uint64_t{1} << std::clamp(l->failures_num, 0, 63);
            if (l->failures_num < 1 || l->failures_num > kFailuresCounted ||
                (g->counted[r].fetch_or(bit) & bit) != 0) {
              Error(ctx_tag + " record_login_failure: counted as failure " +
                    std::to_string(l->failures_num) + " again, or out of range");
            }
            if (l->locked != (l->failures_num >= kMaxFailures) ||
                l->newly_locked != (l->failures_num == kMaxFailures)) {
              Error(ctx_tag + " record_login_failure: failure " + std::to_string(l->failures_num) +
                    (l->locked ? " locked" : " did not lock") +
                    (l->newly_locked ? " (newly)" : ""));
            }
            if (l->newly_locked) g->newly_locked[r].fetch_add(1);
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

// The locked account of round r: locked once, at the 10th failure, and every path refused.
int CheckLocked(Handle& h, int r, const Round& round) {
  int bad = 0;
  auto c = h.storage->find_customer_by_email(kDefaultWebsiteId, LockEmail(r));
  if (!c.ok() || !c->locked_at(h.auth->clock().now()) || c->failures_num < kMaxFailures ||
      c->failures_num > kFailuresCounted) {
    std::fprintf(stderr, "custauth_stress: round %d: %s is not locked (failures_num %d)\n", r,
                 LockEmail(r).c_str(), c.ok() ? c->failures_num : -1);
    return 1;
  }
  AuditQuery q;
  q.customer_id = c->id;
  q.limit = 1000;
  auto trail = h.storage->list_audit(q);
  int locks = 0;
  for (const AuditRecord& a : trail.ok() ? *trail : std::vector<AuditRecord>{}) {
    if (a.event != "customer.lock") continue;
    ++locks;
    if (a.detail.find("\"failures_num\":" + std::to_string(kMaxFailures) + ",") ==
        std::string::npos) {
      std::fprintf(stderr, "custauth_stress: round %d: locked at %s\n", r, a.detail.c_str());
      ++bad;
    }
  }
  if (locks != 1) {
    std::fprintf(stderr, "custauth_stress: round %d: %d customer.lock events (want 1)\n", r, locks);
    ++bad;
  }
  for (const std::string& secret :
       {std::string(kLockPassword), round.lock_reset, round.lock_code}) {
    auto t = h.auth->generate_customer_token(LockEmail(r), secret);
    if (t.code() != Code::kAuthenticationFailed) {
      std::fprintf(stderr, "custauth_stress: round %d: a locked account was not refused: %s\n", r,
                   t.ok() ? "a token" : t.status().to_string().c_str());
      ++bad;
    }
  }
  if (h.auth->exchange_otc(LockEmail(r), round.lock_code).ok()) ++bad;
  return bad;
}

// Row by row, in SQL: what this run's rounds left in storage adds up.
int CheckCounts(const stress::Target& target, int rounds) {
  const std::string used =
      "SELECT count(*) FROM secrets s JOIN customers c ON c.id = s.customer_id "
      "WHERE s.used_at IS NOT NULL AND c.email_key LIKE ";
  struct Want {
    const char* what;
    std::string sql;
    std::int64_t want;
  };
  const Want wants[] = {
      {"used admin codes", used + "'otc-" + tag + "-%' AND s.kind = 2", rounds},
      {"used reset tokens", used + "'reset-" + tag + "-%' AND s.kind = 1", rounds},
      {"used secrets of locked accounts", used + "'lock-" + tag + "-%'", 0},
      {"created customers",
       "SELECT count(*) FROM customers WHERE email_key LIKE 'new-" + tag + "-%'", rounds},
      {"nonces",
       "SELECT count(*) FROM nonces WHERE consumer_key = '" + std::string(kConsumer) +
           "' AND nonce LIKE 'nonce-" + tag + "-%'",
       rounds},
      {"counters at 32 failures, locked",
       "SELECT count(*) FROM customers WHERE email_key LIKE 'counter-" + tag +
           "-%' AND failures_num = " + std::to_string(kFailuresCounted) +
           " AND lock_expires IS NOT NULL",
       rounds},
  };
  int bad = target.CheckRows(tag);
  for (const Want& w : wants) {
    const std::int64_t n = target.Count(w.sql);
    if (n != w.want) {
      std::fprintf(stderr, "custauth_stress: %s: %lld (want %lld)\n", w.what,
                   static_cast<long long>(n), static_cast<long long>(w.want));
      ++bad;
    }
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  stress::Target target;
  if (argc < 2 || !target.Parse(argv[1], "stress.db")) {
    std::fprintf(stderr,
                 "usage: custauth_stress DIR|postgresql://URI|@URIFILE [SECONDS] [MAX_ROUNDS]\n");
    return 2;
  }
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int max_rounds = std::min(argc > 3 ? std::atoi(argv[3]) : 400, kMaxRounds);
  target.Clear();
  tag = stress::RunTag();

  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Fail("mmap");
  g = new (mem) Shared();
  pthread_barrierattr_t attr;
  pthread_barrierattr_init(&attr);
  pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&g->barrier, &attr, kWorkers);

  // Set up every round's customers and secrets (kThreads at a time), then close everything
  // before forking: no connection crosses a fork.
  const auto setup_start = std::chrono::steady_clock::now();
  std::vector<Round> rounds(static_cast<std::size_t>(std::max(max_rounds, 0)));
  {
    Handle h = Open(target);
    std::atomic<bool> ok{true};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int r = t; r < max_rounds && ok; r += kThreads) {
          if (!SetUp(h, r, &rounds[r])) ok = false;
        }
      });
    }
    for (auto& t : threads) t.join();
    if (!ok) return Fail("setting up the rounds");
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    if (pid < 0) return Fail("fork");
    if (pid == 0) {
      Handle h = Open(target);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(Worker, std::ref(h), p * kThreads + t, std::cref(rounds), deadline,
                             max_rounds);
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
  const auto raced = std::chrono::steady_clock::now();

  // Every round: exactly once, every time.
  const int ran = g->rounds.load();
  int bad = 0;
  Handle h = Open(target);
  for (int r = 0; r < ran; ++r) {
    if (g->otc_ok[r] != 1 || g->reset_ok[r] != 1 || g->created[r] != 1 || g->nonce_ok[r] != 1 ||
        g->newly_locked[r] != 1 || g->counted[r] != kAllCounts) {
      std::fprintf(stderr,
                   "custauth_stress: round %d: otc %d, reset %d, created %d, nonce %d, newly "
                   "locked %d (want 1 each), counted %llx (want %llx)\n",
                   r, g->otc_ok[r].load(), g->reset_ok[r].load(), g->created[r].load(),
                   g->nonce_ok[r].load(), g->newly_locked[r].load(),
                   static_cast<unsigned long long>(g->counted[r].load()),
                   static_cast<unsigned long long>(kAllCounts));
      ++bad;
    }
    auto c = h.storage->find_customer_by_email(kDefaultWebsiteId, NewEmail(r));
    if (!c.ok() || c->id != g->created_id[r].load()) {
      std::fprintf(stderr, "custauth_stress: round %d: the created customer is not the one found\n",
                   r);
      ++bad;
    }
    // The code and the token are used: a second use fails.
    if (h.auth->exchange_otc(OtcEmail(r), rounds[r].code).ok()) ++bad;
    if (h.auth->reset_password(ResetEmail(r), rounds[r].reset, "An0ther-Password").ok()) ++bad;
    bad += CheckLocked(h, r, rounds[r]);
  }
  bad += CheckCounts(target, ran);
  const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "custauth_stress: %s, %d processes x %d threads, %d rounds in %.1f s (set-up %.1f s, "
      "checks %.1f s): %d otc, reset, create, nonce, login and count races each, %d wrong "
      "passwords and %d counted failures per round (lock at %d); %d errors, %d bad rounds\n",
      target.postgres ? "postgresql" : "sqlite", kProcesses, kThreads, ran, secs(raced - start),
      secs(start - setup_start), secs(std::chrono::steady_clock::now() - raced), ran,
      kFailuresCounted, kFailuresCounted, kMaxFailures, g->errors.count.load(), bad);
  if (ran < 10) return Fail("fewer than 10 rounds ran");
  if (g->errors.count.load() != 0) return Fail(g->errors.first);
  if (bad != 0) return Fail("a rule was broken");
  return 0;
}
