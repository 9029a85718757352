// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_crash: kill -9 at random points, round after round, on one SQLite file
// (synchronous=FULL, the default). Every round the parent puts fresh one-time secrets in storage,
// forks two writer processes and kills both with SIGKILL after a random 1-40 ms. Each writer opens
// its own SqliteStorage and, as fast as it can, alternately creates a customer and consumes one of
// the round's secrets (both writers race for the same ones); AFTER a call returned OK it reports
// the acknowledged write to the parent through a pipe (one fixed-size record per write(), so a
// record is never torn). After the kill the parent checks, through fresh connections:
//   - PRAGMA integrity_check is "ok";
//   - every acknowledged customer is there, with its id;
//   - every acknowledged consumption is there (a second consume of that secret finds it used),
//     and no secret was acknowledged to both writers.
// At the end every acknowledged write of every round is checked again.
//
//   custauth_crash DIR [SECONDS] [MAX_ROUNDS]      (defaults: 20 s, 300 rounds)
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"

using namespace custauth;

namespace {

constexpr int kWriters = 2;
constexpr int kSecretsPerRound = 12;
constexpr TimeMs kNow = 1748499421000;

// One acknowledged write, as a writer reports it.
struct Ack {
  char kind;  // 'c': customer created; 's': secret consumed
  std::int32_t writer;
  std::int32_t round;
  std::int32_t index;  // customer: the writer's n-th; secret: the round's secret index
  std::int64_t id;     // customer id, or the secret's customer id
};
static_assert(sizeof(Ack) <= PIPE_BUF, "a record must be written atomically");

std::string CustomerEmail(int round, int writer, int n) {
  return "crash-" + std::to_string(round) + "-" + std::to_string(writer) + "-" + std::to_string(n) +
         "@example.com";
}
std::string SecretEmail(int round, int i) {
  return "secret-" + std::to_string(round) + "-" + std::to_string(i) + "@example.com";
}
std::string SecretHash(int round, int i) {
  return "hash-" + std::to_string(round) + "-" + std::to_string(i);
}

std::unique_ptr<Storage> Open(const std::string& db, bool full) {
  SqliteOptions o;
  o.synchronous_full = full;
  auto s = OpenSqliteStorage(db, o);
  if (!s.ok()) {
    std::fprintf(stderr, "custauth_crash: open: %s\n", s.status().ToString().c_str());
    return nullptr;
  }
  return std::move(s).value();
}

[[noreturn]] void Writer(const std::string& db, int writer, int round,
                         const std::vector<std::int64_t>& secret_customers, int fd) {
  auto storage = Open(db, /*full=*/true);
  if (!storage) _exit(3);
  int n = 0;
  std::vector<int> order(secret_customers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (writer % 2) std::reverse(order.begin(), order.end());
  std::size_t next_secret = 0;
  while (true) {
    // A customer.
    NewCustomer c;
    c.email = CustomerEmail(round, writer, n);
    c.firstname = "Crash";
    c.lastname = "Test";
    auto created = storage->create_customer(c, kNow);
    if (!created.ok()) {
      std::fprintf(stderr, "custauth_crash: writer %d: %s\n", writer,
                   created.status().ToString().c_str());
      _exit(4);
    }
    Ack a{'c', writer, round, n, created->id};
    if (write(fd, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) _exit(5);
    ++n;
    // A secret, while there are any.
    if (next_secret < order.size()) {
      const int i = order[next_secret++];
      auto used = storage->consume_secret(SecretKind::kAdminOtc, secret_customers[i],
                                          SecretHash(round, i), kNow);
      if (used.ok()) {
        Ack s{'s', writer, round, i, secret_customers[i]};
        if (write(fd, &s, sizeof s) != static_cast<ssize_t>(sizeof s)) _exit(5);
      } else if (used.code() != Code::kNotFound) {
        std::fprintf(stderr, "custauth_crash: writer %d: %s\n", writer,
                     used.status().ToString().c_str());
        _exit(4);
      }
    }
  }
}

bool IntegrityOk(const std::string& db) {
  sqlite3* conn = nullptr;
  if (sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(conn);
    return false;
  }
  std::string result;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      result += ";";
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(conn);
  if (result != "ok;")
    std::fprintf(stderr, "custauth_crash: integrity_check: %s\n", result.c_str());
  return result == "ok;";
}

// Checks acknowledged writes against storage; returns how many are missing.
int CheckAcks(Storage& storage, const std::vector<Ack>& acks) {
  int missing = 0;
  std::map<std::pair<int, int>, int> consumed;  // (round, secret) -> acknowledgements
  for (const Ack& a : acks) {
    if (a.kind == 'c') {
      auto c = storage.find_customer_by_email(kDefaultWebsiteId,
                                              CustomerEmail(a.round, a.writer, a.index));
      if (!c.ok() || c->id != a.id) {
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
                     a.round, a.index, again.status().ToString().c_str());
        ++missing;
      }
    }
  }
  return missing;
}

int Fail(const char* what) {
  std::fprintf(stderr, "custauth_crash: FAILED: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: custauth_crash DIR [SECONDS] [MAX_ROUNDS]\n");
    return 2;
  }
  const std::string db = std::string(argv[1]) + "/crash.db";
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int max_rounds = argc > 3 ? std::atoi(argv[3]) : 300;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  std::mt19937 rng(static_cast<unsigned>(getpid()));
  signal(SIGPIPE, SIG_IGN);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<Ack> all;
  int rounds = 0, missing = 0, bad_exits = 0;
  for (int round = 0; round < max_rounds && std::chrono::steady_clock::now() < deadline; ++round) {
    // The round's secrets, set up and closed before forking (no connection crosses a fork).
    std::vector<std::int64_t> secret_customers;
    {
      auto storage = Open(db, /*full=*/false);
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
        Writer(db, w, round, secret_customers, fds[1]);
      }
      pids.push_back(pid);
    }
    close(fds[1]);
    usleep(1000 + static_cast<useconds_t>(rng() % 40000));
    for (pid_t pid : pids) {
      kill(pid, SIGKILL);
      if (rng() % 2) usleep(static_cast<useconds_t>(rng() % 2000));
    }
    // Read every acknowledgement until both writers are gone (EOF).
    std::vector<Ack> acks;
    Ack a;
    while (true) {
      const ssize_t got = read(fds[0], &a, sizeof a);
      if (got == 0) break;
      if (got != static_cast<ssize_t>(sizeof a)) return Fail("torn acknowledgement");
      acks.push_back(a);
    }
    close(fds[0]);
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      // Killed is expected; an early exit is a writer that saw an error.
      if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) ++bad_exits;
    }

    if (!IntegrityOk(db)) return Fail("integrity_check after a kill");
    auto storage = Open(db, /*full=*/false);
    if (!storage) return Fail("open after a kill");
    missing += CheckAcks(*storage, acks);
    all.insert(all.end(), acks.begin(), acks.end());
    ++rounds;
  }

  // Every acknowledged write of every round is still there.
  if (!IntegrityOk(db)) return Fail("integrity_check at the end");
  {
    auto storage = Open(db, /*full=*/false);
    if (!storage) return Fail("open at the end");
    missing += CheckAcks(*storage, all);
  }
  int created = 0, consumed = 0;
  for (const Ack& a : all) (a.kind == 'c' ? created : consumed)++;
  std::printf(
      "custauth_crash: %d rounds of %d writers killed with SIGKILL; %d acknowledged customers, "
      "%d acknowledged consumptions; %d missing, %d writers that exited early\n",
      rounds, kWriters, created, consumed, missing, bad_exits);
  if (rounds < 10) return Fail("fewer than 10 rounds ran");
  if (missing != 0) return Fail("acknowledged writes were lost");
  if (bad_exits != 0) return Fail("a writer failed before it was killed");
  if (created == 0) return Fail("no write was ever acknowledged");
  return 0;
}
