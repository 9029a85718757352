// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_crash: kill -9 at random points, round after round, on one customer base: a SQLite file
// (synchronous=FULL, the default) or a PostgreSQL database (a node of a fleet dying mid-call).
// Every round the parent puts fresh one-time secrets in storage and forks two writer processes.
// Each writer opens its own Storage and, as fast as it can, alternately creates a customer and
// consumes one of the round's secrets (both writers race for the same ones); AFTER a call
// returned OK it reports the acknowledged write to the parent through a pipe (one fixed-size
// record per write(), so a record is never torn, stamped with the monotonic clock). Once both
// writers are under way the parent kills one of them with SIGKILL after a random 0-20 ms, then
// waits until the other has acknowledged two more writes (the second begun after the first died:
// the survivors go on, even when the dead one held a lock), then kills it too. After the kills
// the parent checks, through fresh connections:
//   - SQLite: PRAGMA integrity_check is "ok";
//   - every acknowledged customer is there, with its id, and at most one more per writer (the
//     call in flight when it died, committed but never acknowledged);
//   - every acknowledged consumption is there (a second consume of that secret finds it used), no
//     secret was acknowledged to both writers, and at most one more per writer is used;
//   - row by row, in SQL, this run's customers have every field they were made with and its
//     secrets their customer (target.h, CheckRows).
// At the end every acknowledged write of every round is checked again.
//
//   custauth_crash DIR|postgresql://URI|@URIFILE [SECONDS] [MAX_ROUNDS]   (defaults: 20 s, 300)
//
// (target.h: DIR holds crash.db, made anew; on PostgreSQL every row of a run carries its own tag.)
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "custauth/storage.h"
#include "target.h"

using namespace custauth;

namespace {

constexpr int kWriters = 2;
constexpr int kSecretsPerRound = 12;
constexpr TimeMs kNow = 1748499421000;
// How long a surviving writer may take for two writes: past the other's lock, which a loaded
// machine's fsync or a sanitizer can hold for seconds.
constexpr int kStallMs = 30000;

// One acknowledged write, as a writer reports it.
struct Ack {
  char kind;  // 'c': customer created; 's': secret consumed
  std::int32_t writer;
  std::int32_t round;
  std::int32_t index;  // customer: the writer's n-th; secret: the round's secret index
  std::int64_t id;     // customer id, or the secret's customer id
  std::int64_t at_ns;  // stress::NowNs() after the call returned
};
static_assert(sizeof(Ack) <= PIPE_BUF, "a record must be written atomically");

std::string tag;  // this run's, in every email and hash (target.h)

std::string CustomerPrefix(int round, int writer) {
  return "crash-" + tag + "-" + std::to_string(round) + "-" + std::to_string(writer) + "-";
}
std::string CustomerEmail(int round, int writer, int n) {
  return CustomerPrefix(round, writer) + std::to_string(n) + "@example.com";
}
std::string SecretPrefix(int round) { return "secret-" + tag + "-" + std::to_string(round) + "-"; }
std::string SecretEmail(int round, int i) {
  return SecretPrefix(round) + std::to_string(i) + "@example.com";
}
std::string SecretHash(int round, int i) {
  return "hash-" + tag + "-" + std::to_string(round) + "-" + std::to_string(i);
}

[[noreturn]] void Writer(const stress::Target& target, int writer, int round,
                         const std::vector<std::int64_t>& secret_customers, int fd) {
  auto storage = target.Open(1, /*synchronous_full=*/true);
  if (!storage) _exit(3);
  int n = 0;
  std::vector<int> order(secret_customers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (writer % 2) std::reverse(order.begin(), order.end());
  std::size_t next_secret = 0;
  auto report = [&](char kind, int index, std::int64_t id) {
    Ack a{kind, writer, round, index, id, stress::NowNs()};
    if (write(fd, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) _exit(5);
  };
  while (true) {
    // A customer.
    NewCustomer c;
    c.email = CustomerEmail(round, writer, n);
    c.firstname = "Crash";
    c.lastname = "Test";
    auto created = storage->create_customer(c, kNow);
    if (!created.ok()) {
      std::fprintf(stderr, "custauth_crash: writer %d: %s\n", writer,
                   created.status().to_string().c_str());
      _exit(4);
    }
    report('c', n, created->id);
    ++n;
    // A secret, while there are any.
    if (next_secret < order.size()) {
      const int i = order[next_secret++];
      auto used = storage->consume_secret(SecretKind::kAdminOtc, secret_customers[i],
                                          SecretHash(round, i), kNow);
      if (used.ok()) {
        report('s', i, secret_customers[i]);
      } else if (used.code() != Code::kNotFound) {
        std::fprintf(stderr, "custauth_crash: writer %d: %s\n", writer,
                     used.status().to_string().c_str());
        _exit(4);
      }
    }
  }
}

// Checks acknowledged writes against storage; returns how many are missing.
int CheckAcks(Storage& storage, const std::vector<Ack>& acks) {
  int missing = 0;
  std::map<std::pair<int, int>, int> consumed;  // (round, secret) -> acknowledgements
  for (const Ack& a : acks) {
    if (a.kind == 'c') {
      auto c = storage.find_customer_by_email(kDefaultWebsiteId,
                                              CustomerEmail(a.round, a.writer, a.index));
      if (!c.ok() || c->id != a.id || c->firstname != "Crash" || c->lastname != "Test" ||
          c->created_at != kNow) {
        std::fprintf(stderr, "custauth_crash: round %d: acknowledged customer %s is missing\n",
                     a.round, CustomerEmail(a.round, a.writer, a.index).c_str());
        ++missing;
      }
    } else {
      if (++consumed[{a.round, a.index}] > 1) {
        std::fprintf(stderr, "custauth_crash: round %d: secret %d consumed twice\n", a.round,
                     a.index);
        ++missing;
      }
      auto again =
          storage.consume_secret(SecretKind::kAdminOtc, a.id, SecretHash(a.round, a.index), kNow);
      if (again.code() != Code::kNotFound) {
        std::fprintf(stderr,
                     "custauth_crash: round %d: acknowledged use of secret %d is lost (%s)\n",
                     a.round, a.index, again.status().to_string().c_str());
        ++missing;
      }
    }
  }
  return missing;
}

// Counts in SQL what a round left: per writer, the acknowledged customers and at most the one in
// flight; used secrets, the acknowledged ones and at most one in flight per writer.
int CheckRoundCounts(const stress::Target& target, int round, const std::vector<Ack>& acks) {
  int bad = 0;
  // `in_flight`: how many calls may have committed without being acknowledged.
  auto within = [&](const std::string& what, const std::string& sql, std::int64_t acked,
                    int in_flight) {
    const std::int64_t n = target.Count(sql);
    if (n < acked || n > acked + in_flight) {
      std::fprintf(stderr, "custauth_crash: round %d: %s: %lld in storage, %lld acknowledged\n",
                   round, what.c_str(), static_cast<long long>(n), static_cast<long long>(acked));
      ++bad;
    }
  };
  for (int w = 0; w < kWriters; ++w) {
    const auto acked = std::count_if(acks.begin(), acks.end(),
                                     [&](const Ack& a) { return a.kind == 'c' && a.writer == w; });
    within(
        "customers of writer " + std::to_string(w),
        "SELECT count(*) FROM customers WHERE email_key LIKE '" + CustomerPrefix(round, w) + "%'",
        acked, 1);
  }
  within("used secrets",
         "SELECT count(*) FROM secrets s JOIN customers c ON c.id = s.customer_id WHERE "
         "s.used_at IS NOT NULL AND c.email_key LIKE '" +
             SecretPrefix(round) + "%'",
         std::count_if(acks.begin(), acks.end(), [](const Ack& a) { return a.kind == 's'; }),
         kWriters);
  return bad;
}

// Reads one acknowledgement, waiting at most `ms`: 1 read, 0 end of file, -1 timeout or error.
int ReadAck(int fd, Ack* a, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -1;
  const ssize_t got = read(fd, a, sizeof *a);
  if (got == 0) return 0;
  return got == static_cast<ssize_t>(sizeof *a) ? 1 : -1;
}

int Fail(const char* what) {
  std::fprintf(stderr, "custauth_crash: FAILED: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  stress::Target target;
  if (argc < 2 || !target.Parse(argv[1], "crash.db")) {
    std::fprintf(stderr,
                 "usage: custauth_crash DIR|postgresql://URI|@URIFILE [SECONDS] [MAX_ROUNDS]\n");
    return 2;
  }
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int max_rounds = argc > 3 ? std::atoi(argv[3]) : 300;
  target.Clear();
  tag = stress::RunTag();
  std::mt19937 rng(static_cast<unsigned>(getpid()));
  signal(SIGPIPE, SIG_IGN);

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  std::vector<Ack> all;
  int rounds = 0, missing = 0, bad_exits = 0, stalls = 0;
  for (int round = 0; round < max_rounds && std::chrono::steady_clock::now() < deadline; ++round) {
    // The round's secrets, set up and closed before forking (no connection crosses a fork).
    std::vector<std::int64_t> secret_customers;
    {
      auto storage = target.Open(1, /*synchronous_full=*/false);
      if (!storage) return Fail("open for setup");
      for (int i = 0; i < kSecretsPerRound; ++i) {
        NewCustomer c;
        c.email = SecretEmail(round, i);
        c.firstname = "Secret";
        c.lastname = "Holder";
        c.allow_remote_shopping_assistance = true;
        auto created = storage->create_customer(c, kNow);
        if (!created.ok()) return Fail("create secret holder");
        SecretRecord s;
        s.kind = SecretKind::kAdminOtc;
        s.customer_id = created->id;
        s.hash = SecretHash(round, i);
        s.created_at = kNow;
        s.expires_at = kNow + kHour;
        s.admin_id = 1;
        if (!storage->put_secret(s).ok()) return Fail("put_secret");
        secret_customers.push_back(created->id);
      }
    }

    int fds[2];
    if (pipe(fds) != 0) return Fail("pipe");
    std::vector<pid_t> pids;
    for (int w = 0; w < kWriters; ++w) {
      const pid_t pid = fork();
      if (pid < 0) return Fail("fork");
      if (pid == 0) {
        close(fds[0]);
        Writer(target, w, round, secret_customers, fds[1]);
      }
      pids.push_back(pid);
    }
    close(fds[1]);
    std::vector<Ack> acks;
    Ack a;
    // Both under way (each acknowledged a write), then a random moment.
    std::vector<bool> started(kWriters, false);
    while (std::count(started.begin(), started.end(), true) < kWriters &&
           ReadAck(fds[0], &a, kStallMs) == 1) {
      acks.push_back(a);
      started[a.writer] = true;
    }
    usleep(static_cast<useconds_t>(rng() % 20000));
    // One dies; the other goes on: two more acknowledged writes after the death.
    const int victim = static_cast<int>(rng() % kWriters);
    kill(pids[victim], SIGKILL);
    std::vector<int> status(kWriters, 0);
    waitpid(pids[victim], &status[victim], 0);
    const std::int64_t died = stress::NowNs();
    int after = 0;
    while (after < 2 && ReadAck(fds[0], &a, kStallMs) == 1) {
      acks.push_back(a);
      if (a.writer != victim && a.at_ns > died) ++after;
    }
    if (after < 2) {
      std::fprintf(stderr, "custauth_crash: round %d: the writer that lived on stalled\n", round);
      ++stalls;
    }
    if (rng() % 2) usleep(static_cast<useconds_t>(rng() % 2000));
    for (int w = 0; w < kWriters; ++w) {
      if (w != victim) kill(pids[w], SIGKILL);
    }
    // Read every acknowledgement until both writers are gone (EOF).
    int got;
    while ((got = ReadAck(fds[0], &a, kStallMs)) == 1) acks.push_back(a);
    if (got != 0) return Fail("torn or missing acknowledgement");
    close(fds[0]);
    for (int w = 0; w < kWriters; ++w) {
      if (w != victim) waitpid(pids[w], &status[w], 0);
      // Killed is expected; an early exit is a writer that saw an error.
      if (!(WIFSIGNALED(status[w]) && WTERMSIG(status[w]) == SIGKILL)) ++bad_exits;
    }

    if (!target.PagesOk()) return Fail("integrity_check after a kill");
    auto storage = target.Open(1, /*synchronous_full=*/false);
    if (!storage) return Fail("open after a kill");
    missing += CheckAcks(*storage, acks) + CheckRoundCounts(target, round, acks);
    all.insert(all.end(), acks.begin(), acks.end());
    ++rounds;
  }

  // Every acknowledged write of every round is still there.
  if (!target.PagesOk()) return Fail("integrity_check at the end");
  {
    auto storage = target.Open(1, /*synchronous_full=*/false);
    if (!storage) return Fail("open at the end");
    missing += CheckAcks(*storage, all) + target.CheckRows(tag);
  }
  int created = 0, consumed = 0;
  for (const Ack& ack : all) (ack.kind == 'c' ? created : consumed)++;
  std::printf(
      "custauth_crash: %s, %d rounds in %.1f s of %d writers killed with SIGKILL, one while the "
      "other went on; %d acknowledged customers, %d acknowledged consumptions; %d missing or "
      "inconsistent, %d writers that exited early, %d stalled\n",
      target.postgres ? "postgresql" : "sqlite", rounds,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), kWriters,
      created, consumed, missing, bad_exits, stalls);
  if (rounds < 10) return Fail("fewer than 10 rounds ran");
  if (missing != 0) return Fail("acknowledged writes were lost");
  if (bad_exits != 0) return Fail("a writer failed before it was killed");
  if (stalls != 0) return Fail("a writer stalled after the other was killed");
  if (created == 0) return Fail("no write was ever acknowledged");
  return 0;
}
