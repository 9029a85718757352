// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_bench_storage: what unauthenticated requests store on a SQLite file (a plain program,
// not a benchmark; prints one JSON object). On a test handle's clock, cheap Argon2id (storage is
// what is measured):
//   - bytes per request of each kind: N requests, each for a new random unknown email (and, where
//     named, a random client IP), spread over one hour; the growth of the pages in use (after a
//     WAL checkpoint: page_count - freelist_count, times page_size) divided by N;
//   - the plateau: a steady stream of failed logins and reset requests (random IPs) over four
//     retention periods (audit_retention_days = 1), the pages in use at the end of each day.
//
// Usage: custauth_bench_storage [--quick]

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"

namespace {

using custauth::kHour;
using custauth::TimeMs;
constexpr TimeMs kDay = 24 * kHour;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "custauth_bench_storage: %s\n", what.c_str());
  std::exit(1);
}

std::int64_t PragmaInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  if (sqlite3_step(st) != SQLITE_ROW) Die(sqlite3_errmsg(db));
  const std::int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

struct Db {
  std::string path;
  std::shared_ptr<custauth::Storage> storage;
  std::unique_ptr<custauth::CustomerAuth> auth;
  sqlite3* raw = nullptr;

  explicit Db(const std::string& dir, const std::string& name, int retention_days) {
    path = dir + "/" + name + ".db";
    custauth::SqliteOptions so;
    so.synchronous_full = false;  // bytes are measured, not time
    auto opened = custauth::OpenSqliteStorage(path, so);
    if (!opened.ok()) Die(opened.status().to_string());
    storage = std::move(opened).value();
    custauth::AuthOptions o;
    o.test_mode = true;
    o.test_seed = 23;
    o.argon2 = custauth::CheapArgon2ForTests();
    o.audit_retention_days = retention_days;
    auto a = custauth::CustomerAuth::Open(storage, o);
    if (!a.ok()) Die(a.status().to_string());
    auth = std::move(a).value();
    if (sqlite3_open(path.c_str(), &raw) != SQLITE_OK) Die("cannot open " + path);
  }
  ~Db() {
    sqlite3_close(raw);
    auth.reset();
    storage.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  }
  std::int64_t BytesInUse() {
    PragmaInt(raw, "PRAGMA wal_checkpoint(TRUNCATE)");
    return (PragmaInt(raw, "PRAGMA page_count") - PragmaInt(raw, "PRAGMA freelist_count")) *
           PragmaInt(raw, "PRAGMA page_size");
  }
};

std::string Ip(std::mt19937_64& rng) {
  return fmt::format("198.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256);
}

enum class Kind { kFailedLogin, kResetNoIp, kResetRandomIp, kResetRefused };

void One(custauth::CustomerAuth& auth, Kind kind, std::mt19937_64& rng) {
  custauth::RequestContext ctx;
  const std::string email = fmt::format("nobody{}@example.com", rng());
  switch (kind) {
    case Kind::kFailedLogin:
      ctx.client_ip = Ip(rng);
      if (auth.generate_customer_token(email, "Wrong-Password-1", ctx).ok()) Die("login passed");
      break;
    case Kind::kResetNoIp:
      if (!auth.request_password_reset(email, ctx).ok()) Die("reset refused");
      break;
    case Kind::kResetRandomIp:
      ctx.client_ip = Ip(rng);
      if (!auth.request_password_reset(email, ctx).ok()) Die("reset refused");
      break;
    case Kind::kResetRefused:
      ctx.client_ip = "203.0.113.66";  // one IP: past its 5 per hour, every request is refused
      (void)auth.request_password_reset(email, ctx);
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int n = quick ? 2000 : 10000;
  const int per_day = quick ? 2000 : 6000;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/custauth-bench-storage-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp");
  std::mt19937_64 rng(23);

  std::string out = fmt::format("{{\"requests\": {}, \"kinds\": {{", n);
  const std::pair<const char*, Kind> kinds[] = {{"failed_login", Kind::kFailedLogin},
                                                {"reset_no_ip", Kind::kResetNoIp},
                                                {"reset_random_ip", Kind::kResetRandomIp},
                                                {"reset_refused", Kind::kResetRefused}};
  bool first = true;
  for (const auto& [name, kind] : kinds) {
    Db db(dir, name, 180);
    if (kind == Kind::kResetRefused) {
      for (int k = 0; k < 5; ++k) One(*db.auth, Kind::kResetRefused, rng);  // fill the IP's hour
    }
    const std::int64_t before = db.BytesInUse();
    for (int k = 0; k < n; ++k) {
      One(*db.auth, kind, rng);
      (void)db.auth->test_advance(kHour / (2 * n));  // within one window: nothing expires
    }
    const std::int64_t after = db.BytesInUse();
    out +=
        fmt::format("{}\"{}\": {{\"bytes_per_request\": {:.1f}, \"bytes\": {}}}", first ? "" : ", ",
                    name, static_cast<double>(after - before) / n, after - before);
    first = false;
  }
  out += "}, ";

  // The plateau: per day `per_day` failed logins and `per_day` reset requests (random IPs).
  {
    Db db(dir, "plateau", 1);
    out += fmt::format("\"plateau\": {{\"per_day\": {}, \"audit_retention_days\": 1, \"days\": [",
                       2 * per_day);
    for (int day = 0; day < 4; ++day) {
      for (int k = 0; k < per_day; ++k) {
        (void)db.auth->test_advance(kDay / per_day);
        One(*db.auth, Kind::kFailedLogin, rng);
        One(*db.auth, Kind::kResetRandomIp, rng);
      }
      out += fmt::format("{}{}", day == 0 ? "" : ", ", db.BytesInUse());
    }
    auto pruned = db.auth->prune();
    if (!pruned.ok()) Die(pruned.status().to_string());
    out += fmt::format("], \"left_for_prune\": {}, \"after_prune\": {}}}", pruned->total(),
                       db.BytesInUse());
  }
  out += "}";
  rmdir(dir.c_str());
  std::printf("%s\n", out.c_str());
  return 0;
}
