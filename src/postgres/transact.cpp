// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's transactions (storage.h, "Transactions", "Retries"): Transact's runs, the
// retries, and the resolution of a call whose connection broke after its write was sent.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "postgres/storage.h"

namespace custauth::postgres_backend {

struct PostgresStorage::Attempt {
  Status failure;
  bool done = false;             // the call succeeded: the kept result answers it
  bool committed = false;        // run succeeded; its COMMIT failed
  bool outcome_unknown = false;  // the write may have committed; the reply was lost
  std::string sqlstate;
  bool stale = false;
  bool unsent = false;
  std::string marker;
  bool usable = false;  // the connection went back to the pool
};

Status PostgresStorage::RunCall(Tx tx, const std::function<Status(Connection&)>& run,
                                const std::function<Status(const std::string&)>& decode) {
  const bool marked_statement = tx == Tx::kStatement && decode;
  // Every pooled connection may have lost its statements at once (a DISCARD ALL on each), and
  // each forgets them on its first failure: pool_size + 1 runs get past them all. The same
  // bound holds for connections found broken: every idle one may have been.
  const std::size_t max_reruns = std::max<std::size_t>(options_.pool_size, 1) + 1;
  std::size_t stale_reruns = 0;
  std::size_t fresh_reruns = 0;
  for (int attempt = 0;;) {
    Result<Attempt> a = RunOnce(tx, marked_statement, run);
    if (!a.ok()) return a.status();
    if (a->done) {
      if (tx == Tx::kTransaction || marked_statement) MaybePruneOutcomes();
      return Status::Ok();
    }
    if (!a->usable) {
      std::optional<Status> settled = SettleBroken(*a, tx, marked_statement, decode);
      if (settled) return *settled;
      if (fresh_reruns < max_reruns) {
        ++fresh_reruns;
        broken_reruns_.fetch_add(1, std::memory_order_relaxed);
        continue;  // nothing was applied: again, on a fresh connection
      }
      return a->failure;
    }
    const Status& failure = a->failure;
    if (a->stale) {
      // The statement failed before it ran, and the transaction was rolled back: nothing
      // applied. No backoff: this is no contention.
      if (stale_reruns < max_reruns) {
        ++stale_reruns;
        stale_reruns_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      return Status(Code::kStorage,
                    fmt::format("{} (prepared statements went stale {} times in a row; behind a "
                                "connection pooler in transaction mode, set "
                                "PostgresOptions::prepare_statements = false)",
                                failure.message(), stale_reruns + 1));
    }
    if (!IsRetryable(a->sqlstate)) return failure;
    if (attempt >= std::max(options_.max_retries, 0)) {
      return Status(Code::kStorage,
                    fmt::format("{} (still failing after {} retries)", failure.message(), attempt));
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    Backoff(attempt);
    ++attempt;
  }
}

Result<PostgresStorage::Attempt> PostgresStorage::RunOnce(
    Tx tx, bool marked_statement, const std::function<Status(Connection&)>& run) {
  std::unique_ptr<Connection> conn;
  CUSTAUTH_RETURN_IF_ERROR(pool_.Acquire(&conn));
  Connection& c = *conn;
  c.ClearError();
  if (tx == Tx::kTransaction || marked_statement) c.NewMarker();
  Attempt a;
  if (tx == Tx::kTransaction) a.failure = c.RunUnprepared("BEGIN ISOLATION LEVEL READ COMMITTED");
  if (a.failure.ok()) {
    const Status ran = run(c);
    if (ran.ok()) {
      if (tx == Tx::kTransaction) {
        a.failure = c.CommitMarked();
        a.outcome_unknown = !a.failure.ok() && !c.unsent();
      }
      if (a.failure.ok()) {
        pool_.Release(std::move(conn));
        a.done = true;
        return a;
      }
      a.committed = true;
    } else {
      a.failure = ran;
      a.outcome_unknown = marked_statement && !c.unsent();
    }
  }
  a.sqlstate = c.sqlstate();
  a.stale = c.stale_statement();
  a.unsent = c.unsent();
  a.marker = c.marker();
  a.usable = c.Reset();
  if (a.usable) {
    pool_.Release(std::move(conn));
  } else {
    conn.reset();
    pool_.Discard();
  }
  return a;
}

std::optional<Status> PostgresStorage::SettleBroken(
    const Attempt& attempt, Tx tx, bool marked_statement,
    const std::function<Status(const std::string&)>& decode) {
  // The connection broke. A transaction that did not reach its COMMIT was rolled back by the
  // server; a statement that was never sent, or a read, applied nothing.
  if (attempt.outcome_unknown) {
    Result<std::optional<std::optional<std::string>>> outcome = Resolve(attempt.marker);
    if (!outcome.ok()) return outcome.status();
    if (attempt.committed) {
      if (outcome->has_value()) return Status::Ok();  // committed: run's result
    } else if (outcome->has_value() && outcome->value().has_value()) {
      return decode(*outcome->value());
    }
    // Not committed, or a marked statement that committed having changed nothing (it
    // stores a result only when it changes something): as if it had not run.
  } else if (tx == Tx::kStatement && !marked_statement && !attempt.unsent) {
    return attempt.failure;  // a write whose outcome custauth cannot learn
  }
  return std::nullopt;
}

Result<std::optional<std::optional<std::string>>> PostgresStorage::Resolve(
    const std::string& marker) {
  resolutions_.fetch_add(1, std::memory_order_relaxed);
  static constexpr const char* kFence =
      "INSERT INTO custauth_call_outcomes (marker, at) VALUES ($1, " CUSTAUTH_PG_SERVER_NOW_MS
      ") ON CONFLICT (marker) DO NOTHING RETURNING 1";
  static constexpr const char* kRead =
      "SELECT result FROM custauth_call_outcomes WHERE marker = $1";
  const auto deadline =
      SteadyClock::now() + std::chrono::milliseconds(std::max(options_.connect_timeout_ms, 2000));
  Status last;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn;
    last = pool_.Acquire(&conn);
    if (last.ok()) {
      Result<Rows> fenced = conn->ExecUnprepared(kFence, Params().Bytes(marker));
      Result<Rows> read = Status(Code::kInternal, "");
      if (fenced.ok() && fenced->empty())
        read = conn->ExecUnprepared(kRead, Params().Bytes(marker));
      last = !fenced.ok() ? fenced.status() : fenced->empty() ? read.status() : Status::Ok();
      if (conn->Reset()) {
        pool_.Release(std::move(conn));
      } else {
        conn.reset();
        pool_.Discard();
      }
      if (fenced.ok() && !fenced->empty()) return std::optional<std::optional<std::string>>();
      if (read.ok() && !read->empty()) {
        std::optional<std::string> result;
        if (!read->IsNull(0, 0)) result = read->Text(0, 0);
        return std::optional<std::optional<std::string>>(std::move(result));
      }
    }
    if (SteadyClock::now() >= deadline) break;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(50 << std::min(attempt, 3), 400)));
  }
  return Status(Code::kStorage,
                fmt::format("postgresql: the connection broke after the write was sent, and "
                            "whether it committed is unknown ({})",
                            last.message()));
}

void PostgresStorage::MaybePruneOutcomes() {
  if (marked_calls_.fetch_add(1, std::memory_order_relaxed) % 1024 != 1023) return;
  (void)Transact(Tx::kStatement, [](Connection& conn) {
    return conn.Run("DELETE FROM custauth_call_outcomes WHERE at < " CUSTAUTH_PG_SERVER_NOW_MS
                    " - 3600000");
  });
}

void PostgresStorage::Backoff(int attempt) {
  thread_local std::minstd_rand rng(static_cast<unsigned>(
      std::hash<std::thread::id>()(std::this_thread::get_id()) ^
      static_cast<std::size_t>(SteadyClock::now().time_since_epoch().count())));
  const int cap_us = 1000 << std::min(attempt, 5);  // 1 ms .. 32 ms
  std::this_thread::sleep_for(std::chrono::microseconds(100 + static_cast<int>(rng() % cap_us)));
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
