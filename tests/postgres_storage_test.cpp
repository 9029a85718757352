// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What is particular to PostgresStorage: migrations (from empty, concurrent, refusals), describe(),
// failures that must be quick and clear (bad URI, no server, a silent server, a lock held too
// long, a server that stops and comes back), the retry of serialization failures and deadlocks,
// and atomicity across servers: two handles on one database stand for two nodes of a fleet, and
// 8 threads on each race every operation whose atomicity matters. The general contracts of
// storage.h are pinned by storage_conformance_test.cpp, which runs against this backend too.
//
// Each test case gets a database of its own on the test server (storage_conformance.h); ctest
// starts that server first (tests/postgres/). Without a server the tests FAIL, never skip.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/customer.h"
#include "custauth/password.h"
#include "custauth/postgres_storage.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "storage_conformance.h"

#if CUSTAUTH_WITH_POSTGRES

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "postgres/postgres_internal.h"
#include "postgres/schema.h"

namespace custauth::postgres_storage_test {
namespace {

using conformance::kT0;
using conformance::Person;
using conformance::PostgresExec;
using conformance::TempPostgresDatabase;
using SteadyClock = std::chrono::steady_clock;

constexpr int kThreadsPerNode = 8;

std::unique_ptr<Storage> MustOpen(const std::string& uri, const PostgresOptions& options = {}) {
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(uri, options);
  INFO(opened.status().to_string());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

Customer MustCreate(Storage& s, const NewCustomer& c, TimeMs now = kT0) {
  Result<Customer> r = s.create_customer(c, now);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

// A session of its own on a database, for what a test does behind custauth's back: holding
// locks, changing the schema, reading system views.
class Session {
 public:
  explicit Session(const std::string& uri) : pg_(PQconnectdb(uri.c_str())) {
    if (PQstatus(pg_) != CONNECTION_OK) FAIL("cannot connect to " << uri << ": " << error());
  }
  ~Session() { PQfinish(pg_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs `sql`; returns the first column of the first row ("" when none). FAILs on an error.
  std::string Exec(const std::string& sql) {
    std::string value;
    const bool ok = TryExec(sql, &value);
    if (!ok) FAIL(sql << ": " << error());
    return value;
  }
  // Like Exec, but reports failure instead of failing the test.
  bool TryExec(const std::string& sql, std::string* value = nullptr) {
    PGresult* r = PQexec(pg_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (ok && value != nullptr) {
      *value = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    }
    last_error_ = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    return ok;
  }
  std::string error() const { return last_error_.empty() ? PQerrorMessage(pg_) : last_error_; }

 private:
  PGconn* pg_;
  std::string last_error_;
};

// Waits (at most 20 s) until `count` sessions of database `db` wait for a lock.
bool AwaitLockWaiters(Session& watcher, const std::string& db, int count) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (SteadyClock::now() < deadline) {
    const std::string n = watcher.Exec("SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                       db + "' AND wait_event_type = 'Lock'");
    if (std::stoi(n) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

internal::PostgresCounters Counters(Storage& s) {
  Result<internal::PostgresCounters> c = internal::PostgresCountersForTesting(s);
  REQUIRE(c.ok());
  return c.value();
}

// Two handles on one fresh database: two nodes of a fleet.
struct TwoNodes {
  // `prepare` runs on the fresh database before the nodes open it.
  explicit TwoNodes(const PostgresOptions& options = {},
                    const std::function<void(TempPostgresDatabase&)>& prepare = {}) {
    if (prepare) prepare(db);
    a = MustOpen(db.uri(), options);
    b = MustOpen(db.uri(), options);
  }
  ~TwoNodes() {
    a.reset();
    b.reset();
  }
  Storage& node(int k) { return k % 2 == 0 ? *a : *b; }

  // Runs fn(storage, thread) on 8 threads per node, all released at once.
  void Race(const std::function<void(Storage&, int)>& fn) {
    constexpr int kAll = 2 * kThreadsPerNode;
    std::barrier start(kAll);
    std::vector<std::thread> threads;
    for (int t = 0; t < kAll; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        fn(node(t), t);
      });
    }
    for (std::thread& th : threads) th.join();
  }

  TempPostgresDatabase db;  // declared first: destroyed last
  std::unique_ptr<Storage> a;
  std::unique_ptr<Storage> b;
};

// ---------------------------------------------------------------------------------------------
// Opening and migrations

TEST_CASE("postgres: an empty database is migrated to the current version, once", "[postgres]") {
  TempPostgresDatabase db;
  Session session(db.uri());
  CHECK(session.Exec("SELECT to_regclass('custauth_schema') IS NULL") == "t");

  std::unique_ptr<Storage> s = MustOpen(db.uri());
  CHECK(session.Exec("SELECT version FROM custauth_schema") ==
        std::to_string(PostgresSchemaVersion()));
  CHECK(PostgresSchemaVersion() == postgres_schema::kSchemaVersion);
  CHECK(PostgresSchemaVersion() >= 1);
  for (const char* table :
       {"customers", "customer_ids", "secrets", "rate_events", "rate_buckets", "nonces",
        "revocation_epoch", "opaque_tokens", "integrations", "audit"}) {
    INFO(table);
    CHECK(session.Exec(std::string("SELECT to_regclass('") + table + "') IS NOT NULL") == "t");
  }
  const Customer c = MustCreate(*s, Person("Roni_Cost@Example.com"));
  s.reset();

  // Reopening migrates nothing and keeps the data.
  std::unique_ptr<Storage> again = MustOpen(db.uri());
  Result<Customer> found =
      again->find_customer_by_email(kDefaultWebsiteId, "roni_cost@example.com");
  REQUIRE(found.ok());
  CHECK(found->id == c.id);
  CHECK(found->email == "Roni_Cost@Example.com");
  CHECK(session.Exec("SELECT count(*) FROM custauth_schema") == "1");
}

TEST_CASE("postgres: the database enforces email uniqueness the way EmailKey does", "[postgres]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = MustOpen(db.uri());
  MustCreate(*s, Person("Roni_Cost@Example.com"));
  Session session(db.uri());
  // A writer that bypasses custauth still cannot store a second spelling of the email ...
  CHECK_FALSE(session.TryExec(
      "INSERT INTO customers (id, website_id, email, email_key, created_at, updated_at) "
      "VALUES (100, 1, 'RONI_COST@example.com', 'roni_cost@example.com', 0, 0)"));
  // ... nor a key that is not the ASCII lower case of the email.
  CHECK_FALSE(session.TryExec(
      "INSERT INTO customers (id, website_id, email, email_key, created_at, updated_at) "
      "VALUES (101, 1, 'Other@example.com', 'Other@example.com', 0, 0)"));
  CHECK(session.TryExec(
      "INSERT INTO customers (id, website_id, email, email_key, created_at, updated_at) "
      "VALUES (102, 1, 'Other@example.com', 'other@example.com', 0, 0)"));
  CHECK(EmailKey("Other@Example.COM") == "other@example.com");
  CHECK(s->find_customer_by_email(kDefaultWebsiteId, "OTHER@EXAMPLE.COM")->id == 102);
}

TEST_CASE("postgres: a consumer key that is not UTF-8 names no integration", "[postgres]") {
  // The server would refuse the bytes with a decoding error ("invalid byte sequence for encoding
  // UTF8"); no stored key can hold them, so the lookup answers kNotFound, as for any unknown key,
  // and the exchange its permission message.
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = MustOpen(db.uri());
  for (const std::string& key :
       {std::string(31, 'a') + "\xff", std::string("\xc3\x28") + std::string(30, 'b')}) {
    Result<Integration> found = s->find_integration(key);
    CHECK(found.code() == Code::kNotFound);
    CHECK(found.status().message().find("postgresql") == std::string::npos);
  }
  AuthOptions o;
  o.test_mode = true;
  o.argon2 = CheapArgon2ForTests();
  auto auth = CustomerAuth::Open(MustOpen(db.uri()), o);
  REQUIRE(auth.ok());
  HttpRequest req;
  req.method = "POST";
  req.url = "https://shop.example/graphql";
  req.authorization =
      "OAuth oauth_consumer_key=\"%FF" + std::string(31, 'a') + "\", oauth_token=\"" +
      std::string(32, 't') + "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" +
      std::to_string((*auth)->clock().now() / 1000) +
      "\", oauth_nonce=\"n1\", oauth_version=\"1.0\", oauth_signature=\"c2lnbmF0dXJl\"";
  auto r = (*auth)->exchange_external_customer_token(
      req, R"({"customer":{"email":"x@example.com","firstname":"X","lastname":"Y"}})");
  CHECK(r.status().message() == msg::kNoPermission);
}

TEST_CASE("postgres: servers opening a new database at once migrate it once", "[postgres]") {
  TempPostgresDatabase db;
  constexpr int kOpeners = 8;
  std::vector<std::unique_ptr<Storage>> handles(kOpeners);
  std::vector<Status> outcomes(kOpeners);
  std::barrier start(kOpeners);
  std::vector<std::thread> threads;
  for (int k = 0; k < kOpeners; ++k) {
    threads.emplace_back([&, k] {
      start.arrive_and_wait();
      Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(db.uri());
      outcomes[k] = opened.status();
      if (opened.ok()) handles[k] = std::move(opened).value();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& st : outcomes) {
    INFO(st.to_string());
    CHECK(st.ok());
  }
  Session session(db.uri());
  CHECK(session.Exec("SELECT version FROM custauth_schema") ==
        std::to_string(PostgresSchemaVersion()));
  // Every handle works on the same tables: ids are shared and dense.
  std::set<std::int64_t> ids;
  for (int k = 0; k < kOpeners; ++k) {
    REQUIRE(handles[k] != nullptr);
    ids.insert(MustCreate(*handles[k], Person("p" + std::to_string(k) + "@example.com")).id);
  }
  CHECK(ids.size() == kOpeners);
  CHECK(*ids.begin() == 1);
  CHECK(*ids.rbegin() == kOpeners);
}

TEST_CASE("postgres: a database with a newer schema is refused and left alone", "[postgres]") {
  TempPostgresDatabase db;
  MustOpen(db.uri()).reset();
  Session session(db.uri());
  session.Exec("UPDATE custauth_schema SET version = " +
               std::to_string(PostgresSchemaVersion() + 1));
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(db.uri());
  CHECK(opened.code() == Code::kStorage);
  CHECK_THAT(opened.status().message(), Catch::Contains("newer than this custauth"));
  CHECK(session.Exec("SELECT version FROM custauth_schema") ==
        std::to_string(PostgresSchemaVersion() + 1));
}

TEST_CASE("postgres: a database whose customers table is not custauth's is refused", "[postgres]") {
  TempPostgresDatabase db;
  Session session(db.uri());
  session.Exec("CREATE TABLE customers (entity_id INTEGER PRIMARY KEY, email TEXT)");
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(db.uri());
  CHECK(opened.code() == Code::kStorage);
  CHECK_THAT(opened.status().message(), Catch::Contains("not a custauth database"));
  // Nothing was created.
  CHECK(session.Exec("SELECT to_regclass('custauth_schema') IS NULL") == "t");
  CHECK(session.Exec("SELECT to_regclass('secrets') IS NULL") == "t");
}

TEST_CASE("postgres: create_if_missing = false refuses an empty database and creates nothing",
          "[postgres]") {
  TempPostgresDatabase db;
  PostgresOptions options;
  options.create_if_missing = false;
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(db.uri(), options);
  CHECK(opened.code() == Code::kStorage);
  CHECK_THAT(opened.status().message(), Catch::Contains("create_if_missing"));
  Session session(db.uri());
  CHECK(session.Exec("SELECT to_regclass('custauth_schema') IS NULL") == "t");
  // A migrated database opens with it.
  MustOpen(db.uri()).reset();
  CHECK(OpenPostgresStorage(db.uri(), options).ok());
}

TEST_CASE("postgres: custauth may live in a schema of its own", "[postgres]") {
  TempPostgresDatabase db;
  Session session(db.uri());
  session.Exec("CREATE SCHEMA shop_auth");
  session.Exec("CREATE TABLE public.customers (entity_id INTEGER)");  // the host's own table
  const std::string uri = db.uri() + "&options=-csearch_path%3Dshop_auth";
  std::unique_ptr<Storage> s = MustOpen(uri);
  MustCreate(*s, Person("roni@example.com"));
  CHECK(session.Exec("SELECT count(*) FROM shop_auth.customers") == "1");
  CHECK(session.Exec("SELECT count(*) FROM public.customers") == "0");
}

TEST_CASE("postgres: describe() names host and database, never the password", "[postgres]") {
  TempPostgresDatabase db;
  const std::string uri = db.uri() + "&password=s3cr3t-pw";
  std::unique_ptr<Storage> s = MustOpen(uri);
  const std::string d = s->describe();
  CHECK_THAT(d, Catch::StartsWith("postgresql://"));
  CHECK_THAT(d, Catch::EndsWith("/" + db.name()));
  CHECK(d.find("s3cr3t") == std::string::npos);
  CHECK(d.find("password") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Failures: quick, clear, kStorage

TEST_CASE("postgres: an empty or malformed URI is kInvalidInput", "[postgres][failure]") {
  CHECK(OpenPostgresStorage("").code() == Code::kInvalidInput);
  for (const char* uri : {"postgresql://host/db?nonsense_option=1", "host=x port", "dbname"}) {
    INFO(uri);
    Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(uri);
    CHECK(opened.code() == Code::kInvalidInput);
    CHECK_THAT(opened.status().message(), Catch::Contains("malformed"));
  }
}

TEST_CASE("postgres: no server at the address is kStorage at once, with libpq's reason",
          "[postgres][failure]") {
  const auto start = SteadyClock::now();
  SECTION("TCP, nothing listening") {
    Result<std::unique_ptr<Storage>> opened =
        OpenPostgresStorage("postgresql://custauth:pw@127.0.0.1:1/shop");
    CHECK(opened.code() == Code::kStorage);
    CHECK_THAT(opened.status().message(), Catch::Contains("cannot connect to"));
    CHECK_THAT(opened.status().message(), Catch::Contains("127.0.0.1"));
    CHECK(opened.status().message().find("pw@") == std::string::npos);
  }
  SECTION("a unix socket directory without a server") {
    Result<std::unique_ptr<Storage>> opened =
        OpenPostgresStorage("postgresql:///shop?host=/nonexistent-custauth-dir");
    CHECK(opened.code() == Code::kStorage);
    CHECK_THAT(opened.status().message(), Catch::Contains("nonexistent-custauth-dir"));
  }
  CHECK(SteadyClock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("postgres: a server that accepts but never answers fails within connect_timeout",
          "[postgres][failure]") {
  // A listening socket nobody accepts on: the kernel completes the handshake, then silence.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);

  PostgresOptions options;
  options.connect_timeout_ms = 2000;
  const auto start = SteadyClock::now();
  Result<std::unique_ptr<Storage>> opened =
      OpenPostgresStorage("postgresql://127.0.0.1:" + std::to_string(port) + "/shop", options);
  const auto elapsed = SteadyClock::now() - start;
  close(fd);
  CHECK(opened.code() == Code::kStorage);
  CHECK_THAT(opened.status().message(), Catch::Contains("cannot connect to"));
  CHECK(elapsed >= std::chrono::milliseconds(1500));
  CHECK(elapsed < std::chrono::seconds(8));
}

TEST_CASE("postgres: a row lock held past lock_timeout_ms is kStorage and changes nothing",
          "[postgres][failure]") {
  TempPostgresDatabase db;
  PostgresOptions options;
  options.lock_timeout_ms = 300;
  std::unique_ptr<Storage> s = MustOpen(db.uri(), options);
  const Customer c = MustCreate(*s, Person("roni@example.com"));

  Session holder(db.uri());
  holder.Exec("BEGIN");
  holder.Exec("SELECT 1 FROM customers WHERE id = " + std::to_string(c.id) + " FOR UPDATE");
  const auto start = SteadyClock::now();
  Result<LockState> st = s->record_login_failure(c.id, kT0 + 1, LockoutPolicy{});
  const auto elapsed = SteadyClock::now() - start;
  CHECK(st.code() == Code::kStorage);
  CHECK_THAT(st.status().message(), Catch::Contains("lock_timeout_ms (300 ms)"));
  CHECK(elapsed < std::chrono::seconds(3));
  // Reads do not wait for row locks.
  CHECK(s->find_customer_by_id(c.id)->failures_num == 0);
  holder.Exec("ROLLBACK");
  // The handle is fine afterwards.
  Result<LockState> after = s->record_login_failure(c.id, kT0 + 2, LockoutPolicy{});
  REQUIRE(after.ok());
  CHECK(after->failures_num == 1);
}

TEST_CASE("postgres: connections the server drops are replaced", "[postgres][failure]") {
  TempPostgresDatabase db;
  PostgresOptions options;
  options.pool_size = 2;
  std::unique_ptr<Storage> s = MustOpen(db.uri(), options);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  const std::uint64_t opened_before = Counters(*s).connections_opened;

  // Kill every session of the database but the killer's own (a restart or failover looks so).
  Session killer(db.server_uri());
  killer.Exec("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
              db.name() + "' AND pid <> pg_backend_pid()");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  // Idle connections found dead are replaced before use: no call fails.
  for (int k = 0; k < 4; ++k) {
    Result<Customer> found = s->find_customer_by_id(c.id);
    INFO(found.status().to_string());
    CHECK(found.ok());
    CustomerPatch patch;
    patch.firstname = "Round " + std::to_string(k);
    CHECK(s->update_customer(c.id, patch, kT0 + k).ok());
    CHECK(s->insert_nonce(std::string(32, 'k'), "n" + std::to_string(k), kT0 + kHour, kT0).ok());
  }
  CHECK(Counters(*s).connections_opened > opened_before);
}

// Reads the first line of a file ("" when it cannot be read).
std::string FirstLine(const std::string& path) {
  std::string line;
  std::ifstream in(path);
  std::getline(in, line);
  return line;
}

TEST_CASE("postgres: a server that stops fails calls quickly; when it is back they work",
          "[postgres][failure]") {
  // A cluster of this test's own (tests/postgres/), so that stopping it disturbs nobody.
  const std::string scripts = std::string(CUSTAUTH_SOURCE_DIR) + "/tests/postgres/";
  conformance::TempDir state;
  const auto sh = [&](const std::string& command) {
    return std::system((scripts + command + " " + state.path() + " > /dev/null").c_str());
  };
  REQUIRE(sh("start_server.sh") == 0);
  struct Stop {
    std::function<void()> fn;
    ~Stop() { fn(); }
  } stop{[&] { sh("stop_server.sh"); }};
  const std::string uri = FirstLine(state.path() + "/uri");
  REQUIRE_FALSE(uri.empty());

  PostgresOptions options;
  options.connect_timeout_ms = 2000;
  std::unique_ptr<Storage> s = MustOpen(uri, options);
  const Customer c = MustCreate(*s, Person("roni@example.com"));

  REQUIRE(std::system((scripts + "server_ctl.sh " + state.path() + " stop").c_str()) == 0);
  const auto start = SteadyClock::now();
  for (int k = 0; k < 3; ++k) {
    Result<Customer> found = s->find_customer_by_id(c.id);
    CHECK(found.code() == Code::kStorage);
    CHECK_THAT(found.status().message(), Catch::StartsWith("postgresql: "));
    CustomerPatch patch;
    patch.firstname = "Lost";
    CHECK(s->update_customer(c.id, patch, kT0).code() == Code::kStorage);
  }
  CHECK(SteadyClock::now() - start < std::chrono::seconds(10));

  REQUIRE(std::system((scripts + "server_ctl.sh " + state.path() + " start").c_str()) == 0);
  Result<Customer> found = s->find_customer_by_id(c.id);
  INFO(found.status().to_string());
  REQUIRE(found.ok());
  CHECK(found->firstname == c.firstname);  // the failed updates changed nothing
  CustomerPatch patch;
  patch.firstname = "Back";
  CHECK(s->update_customer(c.id, patch, kT0).ok());
}

// A cluster of its own (tests/postgres/), stopped at the end, so that a test may stop and start it
// without disturbing the others.
class OwnCluster {
 public:
  OwnCluster() {
    REQUIRE(Sh("start_server.sh") == 0);
    started_ = true;
    uri_ = FirstLine(state_.path() + "/uri");
    REQUIRE_FALSE(uri_.empty());
  }
  ~OwnCluster() {
    if (started_) Sh("stop_server.sh");
  }
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;

  const std::string& uri() const { return uri_; }
  // What `pg_ctl restart -m fast` does: every session ends (FATAL, then the socket closes), and
  // the server accepts connections again when this returns.
  void Restart() {
    REQUIRE(Sh("server_ctl.sh", "stop") == 0);
    REQUIRE(Sh("server_ctl.sh", "start") == 0);
  }

 private:
  int Sh(const std::string& script, const std::string& arg = "") {
    const std::string scripts = std::string(CUSTAUTH_SOURCE_DIR) + "/tests/postgres/";
    return std::system(
        (scripts + script + " " + state_.path() + " " + arg + " > /dev/null").c_str());
  }
  conformance::TempDir state_;
  std::string uri_;
  bool started_ = false;
};

// The number of connections idle in the pool of `s`.
std::size_t IdleConnections(Storage& s) {
  Result<std::vector<std::string>> idle =
      internal::PostgresExecOnIdleConnectionsForTesting(s, "SELECT 1");
  REQUIRE(idle.ok());
  return idle->size();
}

TEST_CASE("postgres: after a restart, a pool full of idle connections fails no call",
          "[postgres][failure][restart]") {
  OwnCluster cluster;
  PostgresOptions options;
  options.pool_size = 4;
  std::unique_ptr<Storage> s = MustOpen(cluster.uri(), options);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  SecretRecord secret;
  secret.kind = SecretKind::kPasswordReset;
  secret.customer_id = c.id;
  secret.created_at = kT0;
  secret.expires_at = kT0 + kHour;

  for (int round = 0; round < 2; ++round) {
    // Fill the pool: threads calling at once until all four connections are open and idle.
    for (int k = 0; k < 200 && IdleConnections(*s) < 4; ++k) {
      std::barrier start(4);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
          start.arrive_and_wait();
          for (int n = 0; n < 20; ++n) (void)s->find_customer_by_id(c.id);
        });
      }
      for (std::thread& th : threads) th.join();
    }
    REQUIRE(IdleConnections(*s) == 4);
    const internal::PostgresCounters before = Counters(*s);

    cluster.Restart();

    // Every call after the server is back succeeds: reads, transactions and single statements.
    int failures = 0;
    const auto count = [&](const Status& st) {
      if (!st.ok()) {
        ++failures;
        UNSCOPED_INFO(st.to_string());
      }
    };
    const std::string r = std::to_string(round);
    count(s->find_customer_by_id(c.id).status());
    CustomerPatch patch;
    patch.firstname = "After restart " + r;
    count(s->update_customer(c.id, patch, kT0 + 1).status());
    count(s->insert_nonce(std::string(32, 'k'), "restart-" + r, kT0 + kHour, kT0));
    secret.hash = "hash-" + r;
    count(s->put_secret(secret));
    count(s->consume_secret(secret.kind, c.id, secret.hash, kT0 + 2).status());
    count(s->record_login_failure(c.id, kT0 + 3, LockoutPolicy{}).status());
    count(s->find_or_create_customer(Person("new-" + r + "@example.com"), kT0).status());
    count(s->find_customer_by_email(kDefaultWebsiteId, "roni@example.com").status());
    CHECK(failures == 0);
    // The pool saw each dead connection before handing it out: no call was even tried on one.
    const internal::PostgresCounters after = Counters(*s);
    CHECK(after.broken_reruns == before.broken_reruns);
    CHECK(after.resolutions == before.resolutions);
    CHECK(after.connections_opened > before.connections_opened);
  }
}

// A proxy between custauth and the server (unix sockets) that cuts the connection of the first
// message containing an armed text: before forwarding it (the server never sees it), or after
// forwarding it and letting the server answer it whole (its reply, up to ReadyForQuery, is
// swallowed): the server has run and, outside a transaction block, committed it. Messages are
// the protocol's: a type byte and a length, after the untyped startup packet.
class CuttingProxy {
 public:
  enum class Cut { kBeforeSending, kAfterAnswered };

  // Listens in `dir` (for a URI whose host is `dir`), forwards to the server socket `upstream`.
  CuttingProxy(std::string dir, std::string upstream)
      : dir_(std::move(dir)), upstream_(std::move(upstream)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    const sockaddr_un addr = Address(dir_ + "/.s.PGSQL.5432");
    REQUIRE(::bind(listener_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 64) == 0);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : pipes_) t.join();
    ::close(listener_);
  }
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;

  void Arm(std::string text, Cut how) {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = std::move(text);
    how_ = how;
  }
  int cuts() const { return cuts_.load(); }

 private:
  static sockaddr_un Address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
  }

  void Accept() {
    while (!stop_) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
      const sockaddr_un addr = Address(upstream_);
      if (stop_ || ::connect(server, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(client);
      fds_.push_back(server);
      pipes_.emplace_back([this, client, server] { Pipe(client, server); });
    }
  }

  // Whole messages at the front of `buf` (the first one untyped when `startup`): their sizes.
  static std::vector<std::size_t> Split(const std::string& buf, bool startup) {
    std::vector<std::size_t> out;
    std::size_t at = 0;
    for (;;) {
      const std::size_t head = (startup && out.empty()) ? 0 : 1;
      if (buf.size() < at + head + 4) break;
      std::uint32_t len = 0;
      std::memcpy(&len, buf.data() + at + head, 4);
      len = ntohl(len);
      if (buf.size() < at + head + len) break;
      out.push_back(head + len);
      at += head + len;
    }
    return out;
  }

  static bool SendAll(int fd, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  void Pipe(int client, int server) {
    std::string from_client;
    std::string from_server;
    bool startup = true;
    bool swallowing = false;  // cut once the server's reply is complete
    char chunk[65536];
    for (;;) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) break;
      if (fds[0].revents != 0) {
        const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        from_client.append(chunk, static_cast<std::size_t>(n));
        bool cut = false;
        for (std::size_t size : Split(from_client, startup)) {
          const std::string message = from_client.substr(0, size);
          from_client.erase(0, size);
          startup = false;
          bool hit = false;
          Cut how = Cut::kAfterAnswered;
          {
            std::lock_guard<std::mutex> lock(mu_);
            if (!armed_.empty() && message.find(armed_) != std::string::npos) {
              hit = true;
              how = how_;
              armed_.clear();
            }
          }
          if (hit && how == Cut::kBeforeSending) {
            cut = true;
            break;
          }
          if (hit) swallowing = true;
          if (!SendAll(server, message.data(), message.size())) cut = true;
        }
        if (cut) break;
      }
      if (fds[1].revents != 0) {
        const ssize_t n = ::recv(server, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        if (!swallowing) {
          if (!SendAll(client, chunk, static_cast<std::size_t>(n))) break;
          continue;
        }
        from_server.append(chunk, static_cast<std::size_t>(n));
        bool answered = false;
        for (std::size_t size : Split(from_server, false)) {
          answered = answered || from_server[0] == 'Z';  // ReadyForQuery: the reply is whole
          from_server.erase(0, size);
        }
        if (answered) break;
      }
    }
    cuts_.fetch_add(1);
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
  }

  const std::string dir_;
  const std::string upstream_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> pipes_;
  std::string armed_;
  Cut how_ = Cut::kAfterAnswered;
  std::atomic<int> cuts_{0};
};

// A database on the test server reached through a CuttingProxy, and a handle on it that sends
// every statement's text (prepare_statements off: the proxy finds the statement it cuts by its
// text), plus a handle that reaches the server directly.
struct Proxied {
  Proxied() {
    const std::string uri = db.uri();
    const std::size_t host = uri.find("host=");
    REQUIRE(host != std::string::npos);
    const std::size_t end = std::min(uri.find('&', host), uri.size());
    const std::string server_dir = uri.substr(host + 5, end - host - 5);
    proxy = std::make_unique<CuttingProxy>(dir.path(), server_dir + "/.s.PGSQL.5432");
    PostgresOptions options;
    options.pool_size = 2;
    options.prepare_statements = false;
    direct = MustOpen(uri, options);
    s = MustOpen(uri.substr(0, host + 5) + dir.path() + uri.substr(end), options);
  }
  ~Proxied() {
    s.reset();
    proxy.reset();
  }
  TempPostgresDatabase db;
  conformance::TempDir dir;
  std::unique_ptr<CuttingProxy> proxy;
  std::unique_ptr<Storage> direct;
  std::unique_ptr<Storage> s;
};

TEST_CASE("postgres: a write whose reply is lost with the connection answers its real outcome",
          "[postgres][failure][outcome]") {
  Proxied p;
  Storage& s = *p.s;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const auto how = GENERATE(CuttingProxy::Cut::kAfterAnswered, CuttingProxy::Cut::kBeforeSending);
  // Applied by the server, its reply lost (kAfterAnswered); or never seen by it: either way the
  // caller gets the one outcome of one application.
  const bool applied = how == CuttingProxy::Cut::kAfterAnswered;
  CAPTURE(applied);
  const std::uint64_t resolutions_before = Counters(s).resolutions;

  SECTION("consume_secret") {
    SecretRecord secret;
    secret.kind = SecretKind::kAdminOtc;
    secret.customer_id = c.id;
    secret.hash = std::string("h\0sh", 4);
    secret.created_at = kT0;
    secret.expires_at = kT0 + kHour;
    secret.admin_id = 7;
    secret.reason = "support";
    REQUIRE(s.put_secret(secret).ok());
    p.proxy->Arm("UPDATE secrets SET used_at", how);
    Result<SecretRecord> consumed = s.consume_secret(secret.kind, c.id, secret.hash, kT0 + 5);
    INFO(consumed.status().to_string());
    REQUIRE(consumed.ok());
    CHECK(consumed->created_at == kT0);
    CHECK(consumed->expires_at == kT0 + kHour);
    CHECK(consumed->admin_id == std::optional<std::int64_t>(7));
    CHECK(consumed->reason == "support");
    CHECK(consumed->used_at == std::optional<TimeMs>(kT0 + 5));
    // Consumed once: the next try finds nothing.
    CHECK(s.consume_secret(secret.kind, c.id, secret.hash, kT0 + 6).code() == Code::kNotFound);
  }
  SECTION("insert_nonce") {
    p.proxy->Arm("INSERT INTO nonces", how);
    Status inserted = s.insert_nonce("consumer", "nonce-1", kT0 + kHour, kT0);
    INFO(inserted.to_string());
    CHECK(inserted.ok());
    CHECK(s.insert_nonce("consumer", "nonce-1", kT0 + kHour, kT0).code() == Code::kAlreadyExists);
  }
  SECTION("find_or_create_customer") {
    p.proxy->Arm("; COMMIT", how);
    Result<FindOrCreateResult> made = s.find_or_create_customer(Person("new@example.com"), kT0);
    INFO(made.status().to_string());
    REQUIRE(made.ok());
    CHECK(made->created);
    Result<Customer> found = p.direct->find_customer_by_email(kDefaultWebsiteId, "new@example.com");
    REQUIRE(found.ok());
    CHECK(found->id == made->customer.id);
    // Created once: the id after it is the next one.
    CHECK(MustCreate(s, Person("third@example.com")).id == made->customer.id + 1);
  }
  SECTION("record_login_failure") {
    p.proxy->Arm("; COMMIT", how);
    Result<LockState> state = s.record_login_failure(c.id, kT0 + 1, LockoutPolicy{});
    INFO(state.status().to_string());
    REQUIRE(state.ok());
    CHECK(state->failures_num == 1);
    Result<Customer> after = p.direct->find_customer_by_id(c.id);
    REQUIRE(after.ok());
    CHECK(after->failures_num == 1);  // counted once, not once per run
  }
  SECTION("update_customer (a revocation)") {
    const std::uint64_t epoch = p.direct->revocation_epoch().value();
    CustomerPatch patch;
    patch.revoke_tokens_at = kT0 + 9;
    p.proxy->Arm("; COMMIT", how);
    Result<Customer> updated = s.update_customer(c.id, patch, kT0 + 9);
    INFO(updated.status().to_string());
    REQUIRE(updated.ok());
    CHECK(updated->tokens_revoked_at == kT0 + 9);
    CHECK(p.direct->find_customer_by_id(c.id)->tokens_revoked_at == kT0 + 9);
    CHECK(p.direct->revocation_epoch().value() == epoch + 1);  // bumped once
  }
  CHECK(p.proxy->cuts() >= 1);
  // A write whose reply was lost is looked up by its marker. One the proxy took but never
  // forwarded looks the same to libpq (the bytes left; the connection closed), so it may be.
  if (applied) {
    CHECK(Counters(s).resolutions == resolutions_before + 1);
  } else {
    CHECK(Counters(s).resolutions <= resolutions_before + 1);
  }
}

TEST_CASE("postgres: text with a NUL byte is refused before it reaches the server", "[postgres]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = MustOpen(db.uri());
  AuditRecord r;
  r.at = kT0;
  r.event = std::string("otc.use\0evil", 12);
  CHECK(s->append_audit(r).code() == Code::kInvalidInput);
  CHECK(s->list_audit(AuditQuery{})->empty());
  Integration i;
  i.name = "x";
  i.consumer_key = std::string(32, 'k');
  i.access_token = std::string(32, 't');
  REQUIRE(s->create_integration(i).ok());
  // A key with a NUL never matches a stored one (text comparison would stop at the NUL).
  CHECK(s->find_integration(std::string(32, 'k') + std::string("\0x", 2)).code() ==
        Code::kNotFound);
  CHECK(s->find_customer_by_email(kDefaultWebsiteId, std::string("a@b.co\0m", 8)).code() ==
        Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Prepared statements

// A handle on `db` with a pool of `pool_size` connections that prepare statements or not.
std::unique_ptr<Storage> OpenPool(TempPostgresDatabase& db, std::size_t pool_size,
                                  bool prepare = true) {
  PostgresOptions options;
  options.pool_size = pool_size;
  options.prepare_statements = prepare;
  return MustOpen(db.uri(), options);
}

// Runs `sql` on every idle pooled connection of `s`: the first column of each one's first row.
std::vector<std::string> OnIdleConnections(Storage& s, const std::string& sql) {
  Result<std::vector<std::string>> r = internal::PostgresExecOnIdleConnectionsForTesting(s, sql);
  INFO(sql << ": " << r.status().to_string());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// What the server says of the statement prepared for find_customer_by_id on the one idle
// connection: "<how many are prepared> <executions of that one>".
std::string PreparedLookups(Storage& s) {
  const std::vector<std::string> seen = OnIdleConnections(
      s,
      "SELECT count(*) || ' ' || coalesce(sum(generic_plans + custom_plans) FILTER (WHERE "
      "statement LIKE '%FROM customers WHERE id = $1'), 0) FROM pg_prepared_statements");
  REQUIRE(seen.size() == 1);
  return seen.front();
}

TEST_CASE("postgres: each connection prepares a statement once and runs it prepared after",
          "[postgres][prepared]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = OpenPool(db, 1);
  // Opening prepared nothing: the bootstrap's statements run unprepared.
  CHECK(Counters(*s).statements_prepared == 0);
  CHECK(PreparedLookups(*s) == "0 0");
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  const std::uint64_t before = Counters(*s).statements_prepared;
  CHECK(before == 2);  // the lock of customer_ids, the INSERT (BEGIN/COMMIT are not prepared)

  for (int k = 0; k < 50; ++k) REQUIRE(s->find_customer_by_id(c.id).ok());
  CHECK(Counters(*s).statements_prepared == before + 1);
  // The server has each statement once, and ran the lookup 50 times through it.
  CHECK(PreparedLookups(*s) == std::to_string(before + 1) + " 50");

  // A multi-statement transaction prepares what it has not seen yet, once.
  for (int k = 0; k < 5; ++k) {
    CustomerPatch patch;
    patch.firstname = "Round " + std::to_string(k);
    REQUIRE(s->update_customer(c.id, patch, kT0 + k).ok());
  }
  const std::uint64_t after_updates = Counters(*s).statements_prepared;
  CHECK(after_updates == before + 3);  // + the locking SELECT and the UPDATE
  CHECK(Counters(*s).statements_forgotten == 0);
  CHECK(Counters(*s).stale_reruns == 0);
}

TEST_CASE("postgres: with many threads each pooled connection prepares a statement at most once",
          "[postgres][prepared]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = OpenPool(db, 2);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  const std::uint64_t before = Counters(*s).statements_prepared;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < 100; ++k) {
        if (!s->find_customer_by_id(c.id).ok()) ++failed;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failed == 0);
  CHECK(Counters(*s).statements_prepared - before <= 2);
  CHECK(Counters(*s).connections_opened <= 2);
}

TEST_CASE("postgres: statements the server forgot are prepared again; each call applies once",
          "[postgres][prepared]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = OpenPool(db, 3);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  LockoutPolicy policy;
  policy.max_failures = 100;
  policy.lock_duration = kHour;
  policy.window = kHour;
  const auto warm = [&] {
    REQUIRE(s->find_customer_by_id(c.id).ok());
    REQUIRE(s->record_login_failure(c.id, kT0, policy).ok());
  };
  warm();
  const int failures_before = s->find_customer_by_id(c.id)->failures_num;

  SECTION("DISCARD ALL on every idle connection") {
    // Open every connection of the pool and prepare the statements on each.
    {
      std::barrier start(3);
      std::atomic<int> failed{0};  // Catch2's assertions are not for other threads
      std::vector<std::thread> threads;
      for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
          start.arrive_and_wait();
          for (int k = 0; k < 20; ++k) {
            if (!s->find_customer_by_id(c.id).ok()) ++failed;
          }
        });
      }
      for (std::thread& th : threads) th.join();
      CHECK(failed == 0);
    }
    const std::vector<std::string> discarded = OnIdleConnections(*s, "DISCARD ALL");
    CHECK(discarded.size() == Counters(*s).connections_opened);
    const internal::PostgresCounters before = Counters(*s);

    // A read, an autocommit write, and a transaction: each succeeds and applies once.
    Result<Customer> found = s->find_customer_by_id(c.id);
    INFO(found.status().to_string());
    REQUIRE(found.ok());
    REQUIRE(s->record_login_failure(c.id, kT0, policy).ok());
    SecretRecord secret;
    secret.kind = SecretKind::kPasswordReset;
    secret.customer_id = c.id;
    secret.hash = std::string("h\0sh", 4);
    secret.created_at = kT0;
    secret.expires_at = kT0 + kHour;
    REQUIRE(s->put_secret(secret).ok());
    REQUIRE(s->consume_secret(SecretKind::kPasswordReset, c.id, secret.hash, kT0 + 1).ok());
    CHECK(s->consume_secret(SecretKind::kPasswordReset, c.id, secret.hash, kT0 + 2).code() ==
          Code::kNotFound);
    CHECK(s->find_customer_by_id(c.id)->failures_num == failures_before + 1);

    const internal::PostgresCounters after = Counters(*s);
    CHECK(after.stale_reruns > before.stale_reruns);
    CHECK(after.statements_forgotten > before.statements_forgotten);
    CHECK(after.connections_opened == before.connections_opened);  // none was dropped
  }

  SECTION("DEALLOCATE of a statement a transaction runs after its first") {
    // On the connection the transaction will use (LIFO pool: the last one used), remove only the
    // UPDATE that follows the row lock: the transaction fails in its second statement, and must
    // be run again from BEGIN, not from the failed statement of an aborted transaction.
    REQUIRE(Counters(*s).connections_opened == 1);  // every call so far ran on one thread
    const std::vector<std::string> names =
        OnIdleConnections(*s,
                          "SELECT coalesce(string_agg(name, ','), '') FROM pg_prepared_statements "
                          "WHERE statement LIKE 'UPDATE customers SET failures_num%'");
    REQUIRE(names.size() == 1);
    REQUIRE_FALSE(names.front().empty());
    OnIdleConnections(*s, "DEALLOCATE " + names.front());
    const internal::PostgresCounters before = Counters(*s);
    Result<LockState> state = s->record_login_failure(c.id, kT0, policy);
    INFO(state.status().to_string());
    REQUIRE(state.ok());
    CHECK(state->failures_num == failures_before + 1);
    const internal::PostgresCounters after = Counters(*s);
    CHECK(after.stale_reruns == before.stale_reruns + 1);
    CHECK(after.statements_forgotten == before.statements_forgotten + 1);
    // What the server still had was deallocated: only the rerun's two statements are prepared.
    CHECK(OnIdleConnections(*s, "SELECT count(*) FROM pg_prepared_statements") ==
          std::vector<std::string>{"2"});
    CHECK(s->find_customer_by_id(c.id)->failures_num == failures_before + 1);
  }
}

TEST_CASE("postgres: a result type changed by another server's migration costs a rerun",
          "[postgres][prepared]") {
  TempPostgresDatabase db;
  Session other(db.uri());  // another server's session
  std::unique_ptr<Storage> s = OpenPool(db, 1);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  CustomerPatch patch;
  patch.revoke_tokens_at = kT0;
  REQUIRE(s->update_customer(c.id, patch, kT0).ok());
  REQUIRE(s->revocation_epoch().ok());
  const std::uint64_t epoch = s->revocation_epoch().value();
  CHECK(epoch >= 1);

  // Another server changes the type of the column the prepared SELECT returns, and back.
  for (const char* type : {"numeric", "bigint"}) {
    INFO(type);
    other.Exec(std::string("ALTER TABLE revocation_epoch ALTER COLUMN epoch TYPE ") + type);
    const std::uint64_t reruns = Counters(*s).stale_reruns;
    Result<std::uint64_t> read = s->revocation_epoch();
    INFO(read.status().to_string());
    REQUIRE(read.ok());
    CHECK(*read == epoch);
    CHECK(Counters(*s).stale_reruns == reruns + 1);
  }
}

TEST_CASE("postgres: a statement that fails to prepare is the same error as unprepared",
          "[postgres][prepared]") {
  for (const bool prepare : {true, false}) {
    INFO("prepare_statements = " << prepare);
    TempPostgresDatabase db;
    PostgresOptions options;
    options.prepare_statements = prepare;
    std::unique_ptr<Storage> s = MustOpen(db.uri(), options);
    Session other(db.uri());
    other.Exec("DROP TABLE nonces");
    const Status st = s->insert_nonce(std::string(32, 'k'), "n", kT0 + kHour, kT0);
    CHECK(st.code() == Code::kStorage);
    CHECK(st.message() == "postgresql: relation \"nonces\" does not exist");
    // Bytes that are not UTF-8 in a text parameter: kInvalidInput either way.
    AuditRecord r;
    r.at = kT0;
    r.event = "bad\xff";
    CHECK(s->append_audit(r).code() == Code::kInvalidInput);
    CHECK(Counters(*s).statements_prepared == (prepare ? 1u : 0u));  // the audit INSERT
  }
}

TEST_CASE("postgres: prepare_statements = false prepares nothing on the server",
          "[postgres][prepared]") {
  TempPostgresDatabase db;
  std::unique_ptr<Storage> s = OpenPool(db, 1, /*prepare=*/false);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  for (int k = 0; k < 5; ++k) REQUIRE(s->find_customer_by_id(c.id).ok());
  CustomerPatch patch;
  patch.firstname = "Unprepared";
  REQUIRE(s->update_customer(c.id, patch, kT0).ok());
  CHECK(s->find_customer_by_id(c.id)->firstname == "Unprepared");
  CHECK(Counters(*s).statements_prepared == 0);
  CHECK(OnIdleConnections(*s, "SELECT count(*) FROM pg_prepared_statements") ==
        std::vector<std::string>{"0"});
}

// ---------------------------------------------------------------------------------------------
// Retries

TEST_CASE("postgres: a deadlock is retried within max_retries", "[postgres][retry]") {
  TempPostgresDatabase db;
  PostgresOptions options;
  bool retried = true;
  SECTION("the default bound: the caller never sees it") {}
  SECTION("max_retries = 0: kStorage with the server's reason, nothing changed") {
    options.max_retries = 0;
    retried = false;
  }
  std::unique_ptr<Storage> s = MustOpen(db.uri(), options);
  const Customer c = MustCreate(*s, Person("roni@example.com"));
  const std::uint64_t epoch = s->revocation_epoch().value();

  // The other session takes the epoch row first; custauth's revocation then locks the customer
  // and waits for the epoch row; the other session then asks for the customer row: a cycle.
  Session other(db.uri());
  other.TryExec("SET deadlock_timeout = '20s'");  // so that custauth's side is the victim
  other.Exec("BEGIN");
  other.Exec("UPDATE revocation_epoch SET epoch = epoch WHERE id = 1");

  Result<Customer> revoked = Status(Code::kInternal, "not run");
  std::jthread revoker([&] {
    CustomerPatch patch;
    patch.revoke_tokens_at = kT0 + 5;
    revoked = s->update_customer(c.id, patch, kT0 + 5);
  });
  Session watcher(db.server_uri());
  REQUIRE(AwaitLockWaiters(watcher, db.name(), 1));
  // Blocks until the server breaks the deadlock by failing custauth's transaction (40P01).
  other.Exec("SELECT 1 FROM customers WHERE id = " + std::to_string(c.id) + " FOR UPDATE");
  // When custauth runs it again, it waits for this session to finish.
  if (retried) REQUIRE(AwaitLockWaiters(watcher, db.name(), 1));
  other.Exec("COMMIT");
  revoker.join();

  INFO(revoked.status().to_string());
  if (retried) {
    REQUIRE(revoked.ok());
    CHECK(revoked->tokens_revoked_at == kT0 + 5);
    CHECK(s->revocation_epoch().value() == epoch + 1);
    CHECK(Counters(*s).retries >= 1);
  } else {
    CHECK(revoked.code() == Code::kStorage);
    CHECK_THAT(revoked.status().message(), Catch::Contains("deadlock"));
    CHECK_THAT(revoked.status().message(), Catch::Contains("after 0 retries"));
    CHECK(s->revocation_epoch().value() == epoch);
    CHECK(s->find_customer_by_id(c.id)->tokens_revoked_at == 0);
    CHECK(Counters(*s).retries == 0);
  }
}

TEST_CASE("postgres: serialization failures are retried: races stay exactly-once",
          "[postgres][retry]") {
  // Under SERIALIZABLE by default, the single-statement writes (consume_secret, insert_nonce)
  // meet 40001 "could not serialize access due to concurrent update" when they race.
  PostgresOptions options;
  options.max_retries = 50;
  TwoNodes nodes(options, [](TempPostgresDatabase& db) {
    REQUIRE(PostgresExec(db.server_uri(), "ALTER DATABASE " + db.name() +
                                              " SET default_transaction_isolation = "
                                              "'serializable'") == "");
  });
  CHECK(Session(nodes.db.uri()).Exec("SHOW default_transaction_isolation") == "serializable");
  const Customer c = MustCreate(*nodes.a, Person("roni@example.com"));
  constexpr int kRounds = 20;

  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    const std::string code = "code-" + std::to_string(r);
    SecretRecord secret;
    secret.kind = SecretKind::kAdminOtc;
    secret.customer_id = c.id;
    secret.hash = code;
    secret.created_at = kT0;
    secret.expires_at = kT0 + kHour;
    REQUIRE(nodes.a->put_secret(secret).ok());
    std::vector<Code> consumed(2 * kThreadsPerNode, Code::kInternal);
    std::vector<Code> nonces(2 * kThreadsPerNode, Code::kInternal);
    nodes.Race([&](Storage& s, int t) {
      consumed[t] = s.consume_secret(SecretKind::kAdminOtc, c.id, code, kT0 + 1).code();
      nonces[t] = s.insert_nonce(std::string(32, 'k'), code, kT0 + kHour, kT0).code();
    });
    if (std::count(consumed.begin(), consumed.end(), Code::kOk) != 1 ||
        std::count(consumed.begin(), consumed.end(), Code::kNotFound) != 2 * kThreadsPerNode - 1 ||
        std::count(nonces.begin(), nonces.end(), Code::kOk) != 1 ||
        std::count(nonces.begin(), nonces.end(), Code::kAlreadyExists) != 2 * kThreadsPerNode - 1) {
      ++bad_rounds;
    }
  }
  CHECK(bad_rounds == 0);
  CHECK(Counters(*nodes.a).retries + Counters(*nodes.b).retries > 0);
}

// ---------------------------------------------------------------------------------------------
// Two nodes, 8 threads each

TEST_CASE("postgres: a revocation on one node moves the epoch the other node reads",
          "[postgres][nodes]") {
  TwoNodes nodes;
  const Customer c = MustCreate(*nodes.a, Person("roni@example.com"));
  const std::uint64_t seen_by_b = nodes.b->revocation_epoch().value();
  CHECK(nodes.a->revocation_epoch().value() == seen_by_b);

  CustomerPatch revoke;
  revoke.revoke_tokens_at = kT0 + 1000;
  REQUIRE(nodes.a->update_customer(c.id, revoke, kT0 + 1000).ok());
  const std::uint64_t after = nodes.b->revocation_epoch().value();
  CHECK(after != seen_by_b);
  CHECK(nodes.b->find_customer_by_id(c.id)->tokens_revoked_at == kT0 + 1000);

  // Patches that do not raise the revocation time leave the epoch alone.
  CustomerPatch other;
  other.firstname = "Ronnie";
  other.revoke_tokens_at = kT0 + 10;  // lower: ignored
  REQUIRE(nodes.b->update_customer(c.id, other, kT0 + 2000).ok());
  CHECK(nodes.a->revocation_epoch().value() == after);

  // Racing revocations on both nodes: every raise is counted.
  std::atomic<int> raised{0};
  nodes.Race([&](Storage& s, int t) {
    CustomerPatch p;
    p.revoke_tokens_at = kT0 + 5000 + t;
    if (s.update_customer(c.id, p, kT0 + 5000 + t).ok()) ++raised;
  });
  CHECK(raised == 2 * kThreadsPerNode);
  CHECK(nodes.a->find_customer_by_id(c.id)->tokens_revoked_at ==
        kT0 + 5000 + 2 * kThreadsPerNode - 1);
  CHECK(nodes.b->revocation_epoch().value() > after);
}

TEST_CASE("postgres: two nodes racing consume_secret: exactly one winner per code",
          "[postgres][nodes]") {
  TwoNodes nodes;
  const Customer c = MustCreate(*nodes.a, Person("roni@example.com"));
  constexpr int kRounds = 50;
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    SecretRecord secret;
    secret.kind = r % 2 == 0 ? SecretKind::kAdminOtc : SecretKind::kPasswordReset;
    secret.customer_id = c.id;
    secret.hash = std::string("\0code-", 6) + std::to_string(r);
    secret.created_at = kT0 + r;
    secret.expires_at = kT0 + r + kHour;
    REQUIRE(nodes.node(r).put_secret(secret).ok());
    std::vector<Code> codes(2 * kThreadsPerNode, Code::kInternal);
    nodes.Race([&](Storage& s, int t) {
      codes[t] = s.consume_secret(secret.kind, c.id, secret.hash, kT0 + r + 1).code();
    });
    if (std::count(codes.begin(), codes.end(), Code::kOk) != 1 ||
        std::count(codes.begin(), codes.end(), Code::kNotFound) != 2 * kThreadsPerNode - 1) {
      ++bad_rounds;
    }
  }
  CHECK(bad_rounds == 0);
}

TEST_CASE("postgres: two nodes racing find_or_create_customer create each customer once",
          "[postgres][nodes]") {
  TwoNodes nodes;
  constexpr int kRounds = 20;
  std::set<std::int64_t> all_ids;
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    std::vector<Code> codes(2 * kThreadsPerNode, Code::kInternal);
    std::vector<std::int64_t> ids(2 * kThreadsPerNode, 0);
    std::vector<char> created(2 * kThreadsPerNode, 0);
    nodes.Race([&](Storage& s, int t) {
      std::string email = "new-" + std::to_string(r) + "@example.com";
      if (t % 3 == 0) email = "NEW-" + std::to_string(r) + "@Example.COM";
      NewCustomer c = Person(email);
      c.password_hash.clear();
      Result<FindOrCreateResult> res = s.find_or_create_customer(c, kT0 + r);
      codes[t] = res.code();
      if (res.ok()) {
        ids[t] = res->customer.id;
        created[t] = res->created ? 1 : 0;
      }
    });
    const bool same =
        std::all_of(ids.begin(), ids.end(), [&](std::int64_t id) { return id == ids[0]; });
    if (std::count(codes.begin(), codes.end(), Code::kOk) != 2 * kThreadsPerNode || !same ||
        std::count(created.begin(), created.end(), 1) != 1) {
      ++bad_rounds;
    }
    all_ids.insert(ids[0]);
  }
  CHECK(bad_rounds == 0);
  CHECK(all_ids.size() == kRounds);
  // Exactly kRounds customers exist, with dense ids: the next one follows them.
  CHECK(MustCreate(*nodes.b, Person("after@example.com")).id == kRounds + 1);
}

TEST_CASE("postgres: two nodes racing insert_nonce: exactly one is accepted", "[postgres][nodes]") {
  TwoNodes nodes;
  constexpr int kRounds = 50;
  const std::string key(32, 'k');
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    // Odd rounds race on a nonce whose earlier record has expired: exactly one renews it.
    const std::string nonce = "nonce-" + std::to_string(r / 2);
    const TimeMs now = kT0 + (r % 2) * kHour;
    std::vector<Code> codes(2 * kThreadsPerNode, Code::kInternal);
    nodes.Race([&](Storage& s, int t) {
      codes[t] = s.insert_nonce(key, nonce, now + 10 * kMinute, now).code();
    });
    if (std::count(codes.begin(), codes.end(), Code::kOk) != 1 ||
        std::count(codes.begin(), codes.end(), Code::kAlreadyExists) != 2 * kThreadsPerNode - 1) {
      ++bad_rounds;
    }
  }
  CHECK(bad_rounds == 0);
}

TEST_CASE("postgres: two nodes recording failures lose none and lock once", "[postgres][nodes]") {
  TwoNodes nodes;
  const Customer counted = MustCreate(*nodes.a, Person("counted@example.com"));
  const Customer locked = MustCreate(*nodes.a, Person("locked@example.com"));
  constexpr int kPerThread = 25;
  LockoutPolicy never;
  never.max_failures = 0;
  std::atomic<int> ok{0};
  std::vector<int> newly(2 * kThreadsPerNode, 0);
  std::vector<int> lock_counts(2 * kThreadsPerNode, 0);
  nodes.Race([&](Storage& s, int t) {
    for (int k = 0; k < kPerThread; ++k) {
      if (s.record_login_failure(counted.id, kT0 + 1, never).ok()) ++ok;
    }
    Result<LockState> st = s.record_login_failure(locked.id, kT0 + 1, LockoutPolicy{});
    if (st.ok()) {
      newly[t] = st->newly_locked ? 1 : 0;
      lock_counts[t] = st->failures_num;
    }
  });
  CHECK(ok == 2 * kThreadsPerNode * kPerThread);
  CHECK(nodes.b->find_customer_by_id(counted.id)->failures_num == 2 * kThreadsPerNode * kPerThread);
  std::sort(lock_counts.begin(), lock_counts.end());
  for (int k = 0; k < 2 * kThreadsPerNode; ++k) CHECK(lock_counts[k] == k + 1);
  CHECK(std::count(newly.begin(), newly.end(), 1) == 1);
  CHECK(nodes.a->find_customer_by_id(locked.id)->locked_at(kT0 + 1));
}

TEST_CASE("postgres: two nodes racing take_rate_slots: exactly the limit succeeds",
          "[postgres][nodes]") {
  PostgresOptions small;
  small.pool_size = 2;  // 8 threads per node queue for 2 connections
  TwoNodes nodes(small);
  constexpr int kRounds = 15;
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    std::vector<Code> codes(2 * kThreadsPerNode, Code::kInternal);
    nodes.Race([&](Storage& s, int t) {
      // Two buckets, named in either order, so that lock ordering is raced too.
      std::vector<RateRule> rules(2);
      rules[0].bucket = "race:" + std::to_string(r);
      rules[0].max_in_window = 5;
      rules[1].bucket = "race:shared";
      rules[1].max_in_window = 1000000;
      if (t % 2 == 1) std::swap(rules[0], rules[1]);
      codes[t] = s.take_rate_slots(rules, kT0 + r).code();
    });
    if (std::count(codes.begin(), codes.end(), Code::kOk) != 5 ||
        std::count(codes.begin(), codes.end(), Code::kRateLimited) != 2 * kThreadsPerNode - 5) {
      ++bad_rounds;
    }
  }
  CHECK(bad_rounds == 0);
  // The shared bucket holds exactly the accepted requests.
  RateRule shared;
  shared.bucket = "race:shared";
  shared.max_in_window = kRounds * 5 + 1;
  const std::vector<RateRule> one = {shared};
  CHECK(nodes.a->take_rate_slots(one, kT0 + kRounds).ok());
  CHECK(nodes.b->take_rate_slots(one, kT0 + kRounds).code() == Code::kRateLimited);
  CHECK(Counters(*nodes.a).connections_opened <= 2);
}

}  // namespace
}  // namespace custauth::postgres_storage_test

#else  // !CUSTAUTH_WITH_POSTGRES

TEST_CASE("postgres: without PostgreSQL support OpenPostgresStorage is kUnsupported",
          "[postgres]") {
  CHECK(custauth::OpenPostgresStorage("postgresql:///x").code() == custauth::Code::kUnsupported);
}

#endif  // CUSTAUTH_WITH_POSTGRES
