// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Where the stress programs (stress.cpp, crash.cpp, restart.cpp) keep their customer base: the
// first argument of each names it.
//   DIR                 a SQLite file in that directory (removed and made anew by the program)
//   postgresql://...    a PostgreSQL database (libpq URI; "postgres://" too), used as it is:
//                       every run writes only rows of its own (emails carrying RunTag()), so a
//                       database that holds other data, or an earlier run's, is fine
//   @FILE               the URI on the first line of FILE (ctest passes the URI file that
//                       tests/postgres/start_server.sh writes)
// Target::Count runs one "SELECT count(*) ..." on either backend (the schemas share table and
// column names), so that a program checks what storage holds row by row, not only through the
// Storage API.
#ifndef CUSTAUTH_TESTS_STRESS_TARGET_H_
#define CUSTAUTH_TESTS_STRESS_TARGET_H_

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "custauth/auth.h"
#include "custauth/postgres_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"

#if CUSTAUTH_WITH_POSTGRES
#include <libpq-fe.h>
#endif

namespace custauth::stress {

struct Target {
  bool postgres = false;
  std::string location;  // the SQLite file, or the PostgreSQL URI

  // Parses a program's first argument; `file` names the SQLite file inside DIR. False (with a
  // message on stderr) when @FILE cannot be read.
  bool Parse(const std::string& arg, const std::string& file) {
    std::string uri = arg;
    if (!arg.empty() && arg[0] == '@') {
      std::ifstream in(arg.substr(1));
      if (!std::getline(in, uri) || uri.empty()) {
        std::fprintf(stderr, "no URI in %s\n", arg.c_str() + 1);
        return false;
      }
    }
    postgres = uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0;
    location = postgres ? uri : arg + "/" + file;
    if (!postgres && arg[0] == '@') {
      std::fprintf(stderr, "%s does not hold a postgresql:// URI\n", arg.c_str() + 1);
      return false;
    }
    return true;
  }

  // Starts afresh: removes the SQLite file (PostgreSQL data stays; runs are told apart by tag).
  void Clear() const {
    if (postgres) return;
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((location + suffix).c_str());
  }

  // A storage on the target with `connections` connections; nullptr (reason on stderr) on error.
  std::unique_ptr<Storage> Open(std::size_t connections, bool synchronous_full) const {
    Result<std::unique_ptr<Storage>> s = Status(Code::kInternal, "");
    if (postgres) {
      PostgresOptions o;
      o.pool_size = connections;
      s = OpenPostgresStorage(location, o);
    } else {
      SqliteOptions o;
      o.synchronous_full = synchronous_full;
      o.max_connections = connections;
      // The programs check what survives a kill, not how fast a lock comes free: a writer waits out
      // the other's fsync however long a loaded machine (or a sanitizer) makes it.
      o.busy_timeout_ms = 60000;
      s = OpenSqliteStorage(location, o);
    }
    if (!s.ok()) {
      std::fprintf(stderr, "open %s: %s\n", location.c_str(), s.status().to_string().c_str());
      return nullptr;
    }
    return std::move(s).value();
  }

  // The single integer `sql` selects; -1 (reason on stderr) when the query fails.
  std::int64_t Count(const std::string& sql) const {
    std::string value, error;
    if (postgres) {
#if CUSTAUTH_WITH_POSTGRES
      PGconn* pg = PQconnectdb(location.c_str());
      PGresult* r = PQexec(pg, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        value = PQgetvalue(r, 0, 0);
      } else {
        error = PQerrorMessage(pg);
      }
      PQclear(r);
      PQfinish(pg);
#else
      error = "built without PostgreSQL";
#endif
    } else {
      sqlite3* db = nullptr;
      sqlite3_stmt* st = nullptr;
      if (sqlite3_open_v2(location.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
          sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        value = std::to_string(sqlite3_column_int64(st, 0));
      } else {
        error = sqlite3_errmsg(db);
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
    if (value.empty()) {
      std::fprintf(stderr, "%s: %s\n", sql.c_str(), error.c_str());
      return -1;
    }
    return std::stoll(value);
  }

  // SQLite: PRAGMA integrity_check is "ok". PostgreSQL keeps its own pages consistent; what a
  // killed client could leave behind is checked by CheckRows instead. Problems go to stderr.
  bool PagesOk() const {
    if (postgres) return true;
    sqlite3* db = nullptr;
    std::string result;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_open_v2(location.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        result += ";";
      }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (result != "ok;") std::fprintf(stderr, "integrity_check: %s\n", result.c_str());
    return result == "ok;";
  }

  // Row-level consistency of this run's customers (email_key containing `tag`) and their
  // secrets, on either backend: every customer row has its expected fields (email_key is the
  // lower-cased email, names set, website 1, times in order), no secret lacks its customer or
  // was used before it was made. Returns the number of problems (each printed).
  int CheckRows(const std::string& tag) const {
    const std::string mine = "email_key LIKE '%" + tag + "%'";
    struct Rule {
      const char* what;
      std::string sql;
    };
    const Rule rules[] = {
        {"customer rows without their expected fields",
         "SELECT count(*) FROM customers WHERE " + mine +
             " AND (email_key <> lower(email) OR firstname = '' OR lastname = '' OR "
             "website_id <> 1 OR created_at <= 0 OR updated_at < created_at OR failures_num < 0)"},
        {"secrets without their customer",
         "SELECT count(*) FROM secrets s LEFT JOIN customers c ON c.id = s.customer_id "
         "WHERE c.id IS NULL"},
        {"secrets of this run used before they were made or with no hash",
         "SELECT count(*) FROM secrets s JOIN customers c ON c.id = s.customer_id WHERE c." + mine +
             " AND ((s.used_at IS NOT NULL AND s.used_at < s.created_at) OR " +
             "length(s.hash) = 0 OR s.expires_at <= s.created_at)"},
    };
    int problems = 0;
    for (const Rule& rule : rules) {
      const std::int64_t n = Count(rule.sql);
      if (n != 0) {
        std::fprintf(stderr, "%s: %lld\n", rule.what, static_cast<long long>(n));
        ++problems;
      }
    }
    return problems;
  }
};

// The errors of a run: how many, and the first one's text. Lives in memory the forked workers
// share (MAP_SHARED), so only atomics and a plain buffer.
struct Errors {
  std::atomic<int> count;
  std::atomic<int> first_taken;
  char first[512];

  void Report(const char* program, const std::string& what) {
    count.fetch_add(1);
    if (first_taken.exchange(1) == 0) std::snprintf(first, sizeof first, "%s", what.c_str());
    std::fprintf(stderr, "%s: %s\n", program, what.c_str());
  }
};

// The keys of every handle a stress program opens (the same on every node).
inline Keys TestKeys() {
  Keys k;
  k.secret_key = std::string(32, 's');
  k.seal_key = std::string(32, 'e');
  k.jwt_keys.push_back({"1", std::string(32, 'k')});
  return k;
}

// A tag no other run shares (process id and start time), for emails, nonces and hashes.
inline std::string RunTag() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "t" + std::to_string(ms % 100000000000) + "p" + std::to_string(getpid());
}

// Monotonic nanoseconds, comparable across the processes of one machine (CLOCK_MONOTONIC).
inline std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace custauth::stress

#endif  // CUSTAUTH_TESTS_STRESS_TARGET_H_
