// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth on PostgreSQL at 1, 2 and 4 client threads (one CustomerAuth, one PostgresStorage with
// its default pool of 4 connections), each next to its floor at the same thread count:
//
//   login     generate_customer_token(email, password) with CheapArgon2ForTests() (1 pass, 8 KiB)
//   otc       issue_otc + exchange_otc
//   exchange  exchange_external_customer_token for an existing customer (requests signed before
//             the timed runs, each with its own nonce)
//
// The floor of an operation is what a minimal implementation on plain libpq would need: as many
// single-statement autocommit round trips as custauth makes Storage calls for it (counted by
// CountingStorage), each a prepared statement on the thread's own connection: an INSERT of a
// secret-sized row for each call that writes, a SELECT of one row by primary key for each call
// that reads. The login's floor also verifies the stored Argon2id hash once (crypto_pwhash_str_
// verify, same cheap parameters), which no implementation can skip.
//
// custauth's own libpq round trips (BEGIN and COMMIT of its transactions included) are counted by
// wrapping PQexecPrepared, PQexecParams and PQexec below, to say where a gap to the floor comes
// from. custauth prepares each statement once per pooled connection (PQprepare), as the floor
// does; those PQprepare round trips happen once per connection and statement, not per operation,
// and are left out of the count.
//
// Usage: CUSTAUTH_BENCH_POSTGRES_URI=postgresql://... custauth_bench_pg [--quick | --costs]
// (--costs: only what each operation costs alone, no timed runs). Works in
// schemas of its own (custauth_bench_<pid>_<n>, one per benchmark and one for the floor, dropped
// at the end). Prints one JSON object: {"series":
// [...], "ops": {...}, "server_version": ...}; progress on stderr.
#include <dlfcn.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/postgres_storage.h"
#include "fixtures.h"
#include "threads.h"

namespace {
std::atomic<std::int64_t> g_round_trips{0};

template <class Fn>
Fn Real(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "pg bench: no %s in libpq\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}
}  // namespace

// custauth's PostgresStorage runs every statement through these three (see
// src/postgres/connection.cpp): each call is one round trip to the server.
extern "C" PGresult* PQexecPrepared(PGconn* conn, const char* name, int n,
                                    const char* const* values, const int* lengths,
                                    const int* formats, int result_format) {
  using Fn =
      PGresult* (*)(PGconn*, const char*, int, const char* const*, const int*, const int*, int);
  static const Fn real = Real<Fn>("PQexecPrepared");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, name, n, values, lengths, formats, result_format);
}

extern "C" PGresult* PQexecParams(PGconn* conn, const char* command, int n, const Oid* types,
                                  const char* const* values, const int* lengths, const int* formats,
                                  int result_format) {
  using Fn = PGresult* (*)(PGconn*, const char*, int, const Oid*, const char* const*, const int*,
                           const int*, int);
  static const Fn real = Real<Fn>("PQexecParams");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, command, n, types, values, lengths, formats, result_format);
}

extern "C" PGresult* PQexec(PGconn* conn, const char* query) {
  using Fn = PGresult* (*)(PGconn*, const char*);
  static const Fn real = Real<Fn>("PQexec");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, query);
}

// custauth sends its statements asynchronously (PQsendQueryPrepared, PQsendQueryParams,
// PQsendQuery) and waits for each result before the next: each call is one round trip too. Its
// PQsendPrepare (once per connection and statement) is left out, as PQprepare is.
extern "C" int PQsendQueryPrepared(PGconn* conn, const char* name, int n, const char* const* values,
                                   const int* lengths, const int* formats, int result_format) {
  using Fn = int (*)(PGconn*, const char*, int, const char* const*, const int*, const int*, int);
  static const Fn real = Real<Fn>("PQsendQueryPrepared");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, name, n, values, lengths, formats, result_format);
}

extern "C" int PQsendQueryParams(PGconn* conn, const char* command, int n, const Oid* types,
                                 const char* const* values, const int* lengths, const int* formats,
                                 int result_format) {
  using Fn = int (*)(PGconn*, const char*, int, const Oid*, const char* const*, const int*,
                     const int*, int);
  static const Fn real = Real<Fn>("PQsendQueryParams");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, command, n, types, values, lengths, formats, result_format);
}

extern "C" int PQsendQuery(PGconn* conn, const char* query) {
  using Fn = int (*)(PGconn*, const char*);
  static const Fn real = Real<Fn>("PQsendQuery");
  g_round_trips.fetch_add(1, std::memory_order_relaxed);
  return real(conn, query);
}

namespace custauth_bench {
namespace {

const std::vector<int> kThreadCounts = {1, 2, 4};
constexpr int kMaxThreads = 4;

[[noreturn]] void PgDie(const char* what, PGconn* conn) {
  std::fprintf(stderr, "pg bench: %s: %s\n", what, conn ? PQerrorMessage(conn) : "?");
  std::exit(1);
}

// A plain libpq connection: the floor's, or the one that makes and drops the schema.
class RawPg {
 public:
  explicit RawPg(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) PgDie("connect", conn_);
  }
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  void Exec(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    const ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) PgDie(sql, conn_);
  }
  std::string Value(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) PgDie(sql, conn_);
    std::string v = PQgetvalue(r, 0, 0);
    PQclear(r);
    return v;
  }

  // The floor's statements, prepared once per connection.
  void PrepareFloor() {
    Prepare("ins", kInsert, 4);
    Prepare("sel", kSelect, 1);
  }
  // One autocommit INSERT of a secret-sized row: "" or what failed. Prepared: PQexecPrepared of the
  // statement prepared once (as custauth's are); else PQexecParams of its text (parsed and planned
  // every time, as custauth's are with PostgresOptions::prepare_statements = false).
  std::string Insert(std::int64_t at, bool prepared) {
    static const char kHash[32] = {1, 2, 3};
    const std::string at_text = std::to_string(at);
    const char* values[4] = {"6", kHash, at_text.c_str(),
                             R"({"expires_at":"2026-01-01 00:00:30"})"};
    const int lengths[4] = {0, sizeof kHash, 0, 0};
    const int formats[4] = {0, 1, 0, 0};
    return Run(prepared ? PQexecPrepared(conn_, "ins", 4, values, lengths, formats, 0)
                        : PQexecParams(conn_, kInsert, 4, nullptr, values, lengths, formats, 0),
               PGRES_COMMAND_OK);
  }
  // One autocommit SELECT of a row by primary key: "" or what failed.
  std::string Select(std::int64_t id, bool prepared) {
    const std::string id_text = std::to_string(id);
    const char* values[1] = {id_text.c_str()};
    return Run(prepared ? PQexecPrepared(conn_, "sel", 1, values, nullptr, nullptr, 0)
                        : PQexecParams(conn_, kSelect, 1, nullptr, values, nullptr, nullptr, 0),
               PGRES_TUPLES_OK);
  }

 private:
  static constexpr char kInsert[] =
      "INSERT INTO floor_rows (customer_id, hash, at, detail) VALUES ($1, $2, $3, $4)";
  static constexpr char kSelect[] =
      "SELECT id, customer_id, hash, at, detail FROM floor_rows WHERE id = $1";

  void Prepare(const char* name, const char* sql, int n) {
    PGresult* r = PQprepare(conn_, name, sql, n, nullptr);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) PgDie(sql, conn_);
  }
  std::string Run(PGresult* r, ExecStatusType want) {
    const bool ok = PQresultStatus(r) == want && (want != PGRES_TUPLES_OK || PQntuples(r) == 1);
    PQclear(r);
    return ok ? std::string() : std::string("floor: ") + PQerrorMessage(conn_);
  }
  PGconn* conn_;
};

// What one operation costs custauth: Storage calls that read and that write, and libpq round trips.
struct OpCost {
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  std::int64_t round_trips = 0;

  std::string Json() const {
    return "{\"storage_reads\": " + std::to_string(reads) +
           ", \"storage_writes\": " + std::to_string(writes) +
           ", \"round_trips\": " + std::to_string(round_trips) + "}";
  }
};

// Runs `op` once and counts what it cost.
template <class Op>
OpCost Measure(const CountingStorage& storage, Op&& op) {
  const std::int64_t r0 = storage.reads();
  const std::int64_t w0 = storage.writes();
  const std::int64_t t0 = g_round_trips.load();
  if (const std::string failed = op(); !failed.empty()) {
    Die("first operation", custauth::Status(custauth::Code::kInternal, failed));
  }
  return {storage.reads() - r0, storage.writes() - w0, g_round_trips.load() - t0};
}

// The URI of `schema` on the server of `base_uri`.
std::string SchemaUri(const std::string& base_uri, const std::string& schema) {
  return base_uri + (base_uri.find('?') != std::string::npos ? "&" : "?") +
         "options=-csearch_path%3D" + schema;
}

struct Bench {
  std::string base_uri;
  std::unique_ptr<RawPg> admin;      // makes and drops the schemas
  std::vector<std::string> schemas;  // custauth_bench_<pid>_<n>
  double seconds = 1.0;
  int rounds = 3;
  std::vector<std::unique_ptr<RawPg>> floor;  // one connection per thread
  std::vector<Series> series;
  std::string ops_json;

  // The URI of a new, empty schema of this run.
  std::string NewSchema() {
    schemas.push_back("custauth_bench_" + std::to_string(getpid()) + "_" +
                      std::to_string(schemas.size()));
    admin->Exec(("DROP SCHEMA IF EXISTS " + schemas.back() + " CASCADE").c_str());
    admin->Exec(("CREATE SCHEMA " + schemas.back()).c_str());
    return SchemaUri(base_uri, schemas.back());
  }
  void DropSchemas() {
    floor.clear();
    for (const std::string& s : schemas) admin->Exec(("DROP SCHEMA " + s + " CASCADE").c_str());
  }

  // A PostgresStorage (default options: a pool of 4) on a schema of its own.
  std::shared_ptr<custauth::Storage> Storage() {
    auto s = custauth::OpenPostgresStorage(NewSchema());
    if (!s.ok()) Die("OpenPostgresStorage", s.status());
    return std::shared_ptr<custauth::Storage>(std::move(s).value());
  }

  // The floor's table, in a schema of its own, and a connection to it per thread.
  void OpenFloor() {
    const std::string uri = NewSchema();
    RawPg setup(uri);
    setup.Exec(
        "CREATE TABLE floor_rows (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, hash "
        "bytea "
        "NOT NULL, at bigint NOT NULL, detail text NOT NULL)");
    setup.Exec(
        "INSERT INTO floor_rows (customer_id, hash, at, detail) SELECT 6, '\\x0102', g, "
        "'{\"expires_at\":\"2026-01-01 00:00:30\"}' FROM generate_series(1, 64) g");
    for (int t = 0; t < kMaxThreads; ++t) {
      floor.push_back(std::make_unique<RawPg>(uri));
      floor.back()->PrepareFloor();
    }
  }

  // The floor of an operation that costs `cost`: its reads and writes as single statements.
  std::string FloorOp(int t, std::int64_t i, const OpCost& cost, bool prepared) {
    RawPg& pg = *floor[static_cast<std::size_t>(t)];
    for (std::int64_t k = 0; k < cost.reads; ++k) {
      if (std::string failed = pg.Select(1 + (i + k) % 64, prepared); !failed.empty())
        return failed;
    }
    for (std::int64_t k = 0; k < cost.writes; ++k) {
      if (std::string failed = pg.Insert(i, prepared); !failed.empty()) return failed;
    }
    return "";
  }

  // Measures `custauth` against the floor of `cost` (prepared statements) and, to show what
  // parsing and planning every statement costs, the same floor unprepared. `floor_first`, when
  // given, runs before each floor operation (the login's hash verification).
  void Record(const std::string& name, const OpCost& cost, std::function<RateRun(int)> custauth,
              std::function<std::string(int)> floor_first = nullptr) {
    auto floor_run = [&](bool prepared) {
      return [&, prepared](int n) {
        return RunThreads(n, {seconds}, [&, prepared](int t, std::int64_t i) {
          if (floor_first) {
            if (std::string failed = floor_first(t); !failed.empty()) return failed;
          }
          return FloorOp(t, i, cost, prepared);
        });
      };
    };
    const std::size_t first = series.size();
    Interleave(name,
               {{"custauth", std::move(custauth)},
                {"floor", floor_run(true)},
                {"floor_unprepared", floor_run(false)}},
               kThreadCounts, rounds, &series);
    for (std::size_t i = first; i < series.size(); ++i) {
      series[i].extra_json = "\"cost\": " + cost.Json();
    }
    ops_json += std::string(ops_json.empty() ? "" : ", ") + "\"" + name + "\": " + cost.Json();
  }

  void Login() {
    custauth::AuthOptions options;
    options.argon2 = custauth::CheapArgon2ForTests();
    AuthWorld w = MakeAuthWorld(Storage(), options, kMaxThreads);
    auto login = [&](int t, std::int64_t) -> std::string {
      auto token = w.auth->generate_customer_token(ShopperEmail(t), kPassword);
      return token.ok() ? std::string() : token.status().to_string();
    };
    const OpCost cost = Measure(*w.storage, [&] { return login(0, 0); });
    auto verify = [&](int t) -> std::string {
      const std::string& hash = w.stored_hashes[static_cast<std::size_t>(t)];
      return crypto_pwhash_str_verify(hash.c_str(), kPassword, std::strlen(kPassword)) == 0
                 ? ""
                 : "crypto_pwhash_str_verify failed";
    };
    Record(
        "login", cost, [&](int n) { return RunThreads(n, {seconds}, login); }, verify);
  }

  void Otc() {
    AuthWorld w = MakeAuthWorld(Storage(), {}, kMaxThreads);
    auto trip = [&](int t, std::int64_t) { return OtcRoundTrip(*w.auth, ShopperEmail(t)); };
    const OpCost cost = Measure(*w.storage, [&] { return trip(0, 0); });
    Record("otc", cost, [&](int n) { return RunThreads(n, {seconds}, trip); });
  }

  // What each operation costs alone (no timed runs): libpq round trips and Storage calls of an
  // admin code's issue, its exchange, a right and a wrong password (--costs).
  void Costs() {
    custauth::AuthOptions options;
    options.argon2 = custauth::CheapArgon2ForTests();
    AuthWorld w = MakeAuthWorld(Storage(), options, 1);
    const std::string email = ShopperEmail(0);
    std::string code;
    auto add = [&](const char* name, const OpCost& cost) {
      ops_json += std::string(ops_json.empty() ? "" : ", ") + "\"" + name + "\": " + cost.Json();
    };
    // Warm: the pool's connections opened and set up, the statements prepared (not per operation).
    for (int k = 0; k < 3; ++k) {
      auto issued = w.auth->issue_otc(email, 7, "bench: warm-up");
      if (!issued.ok() || !w.auth->exchange_otc(email, *issued).ok() ||
          !w.auth->generate_customer_token(email, kPassword).ok()) {
        Die("warm-up", custauth::Status(custauth::Code::kInternal, "an operation failed"));
      }
      (void)w.auth->generate_customer_token(email, "wrong password");
    }
    add("otc_issue", Measure(*w.storage, [&] {
          auto issued = w.auth->issue_otc(email, 7, "bench: customer on the phone");
          if (!issued.ok()) return issued.status().to_string();
          code = *issued;
          return std::string();
        }));
    add("otc_exchange", Measure(*w.storage, [&] {
          auto token = w.auth->exchange_otc(email, code);
          return token.ok() ? std::string() : token.status().to_string();
        }));
    add("login", Measure(*w.storage, [&] {
          auto token = w.auth->generate_customer_token(email, kPassword);
          return token.ok() ? std::string() : token.status().to_string();
        }));
    add("login_wrong_password", Measure(*w.storage, [&] {
          auto token = w.auth->generate_customer_token(email, "wrong password");
          return token.code() == custauth::Code::kAuthenticationFailed
                     ? std::string()
                     : "a wrong password: " + token.status().to_string();
        }));
  }

  void Exchange(std::int64_t per_thread) {
    ExchangeWorld w = MakeExchangeWorld(Storage());
    const std::int64_t now_s = w.auth->clock().now() / 1000;
    if (const std::string broken = ExchangeWorks(w, now_s); !broken.empty()) {
      Die("exchange", custauth::Status(custauth::Code::kInternal, broken));
    }
    std::int64_t next_nonce = 1;
    const OpCost cost = Measure(*w.storage, [&] {
      return ExchangeExisting(*w.auth, SignedRequest(w.creds, next_nonce++, now_s));
    });
    auto run = [&](int n) { return RunExchanges(w, now_s, &next_nonce, n, {seconds, per_thread}); };
    Record("exchange", cost, run);
  }
};

}  // namespace
}  // namespace custauth_bench

int main(int argc, char** argv) {
  using namespace custauth_bench;
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool costs = argc > 1 && std::strcmp(argv[1], "--costs") == 0;
  const char* base_uri = std::getenv("CUSTAUTH_BENCH_POSTGRES_URI");
  if (base_uri == nullptr || *base_uri == '\0') {
    std::printf("{\"skipped\": \"CUSTAUTH_BENCH_POSTGRES_URI is not set\"}\n");
    return 0;
  }
  if (sodium_init() < 0) return 1;
  Bench b;
  b.base_uri = base_uri;
  b.admin = std::make_unique<RawPg>(b.base_uri);
  b.admin->Exec("SET client_min_messages = warning");  // no NOTICE of every DROP ... CASCADE
  const std::string server_version = b.admin->Value("SHOW server_version");
  b.seconds = quick ? 0.2 : 0.6;
  b.rounds = quick ? 1 : 3;
  if (costs) {
    b.Costs();
    b.DropSchemas();
    std::printf("{\"ops\": {%s}, \"server_version\": \"%s\"}\n", b.ops_json.c_str(),
                server_version.c_str());
    return 0;
  }
  b.OpenFloor();
  b.Login();
  b.Otc();
  b.Exchange(quick ? 500 : 8000);
  b.DropSchemas();
  PrintSeries(b.series, "\"ops\": {" + b.ops_json + "}, \"server_version\": \"" + server_version +
                            "\", \"rounds\": " + std::to_string(b.rounds) +
                            ", \"seconds\": " + std::to_string(b.seconds));
  return 0;
}
