// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage: Storage over libpq.
//
// Connections. Each PGconn is used by one thread at a time: a Pool hands them out (checkout and
// checkin under a mutex and condition variable) and opens up to PostgresOptions::pool_size of
// them lazily. A connection found closed by the server when it is checked out (a restart, a
// failover, an idle timeout) is replaced before use; one that breaks during a call is discarded.
//
// Statements. Parameters travel apart from the SQL text (no quoting anywhere), integers and text
// in text format, BYTEA in binary format (keyed hashes contain NUL bytes). Results come back in
// text format; BYTEA through PQunescapeBytea. The Storage operations' statements (all of them
// constants) are prepared on each connection the first time it runs them (PQprepare, under a name
// of that connection's, "ca1", "ca2", ...) and executed with PQexecPrepared after, so the server
// parses and plans each once per connection instead of once per call; the cache is keyed by the
// SQL text. What runs once per handle or per connection (reading the schema version, the
// migrations, the advisory lock) and BEGIN/COMMIT go through PQexecParams unprepared.
// PostgresOptions::prepare_statements = false sends everything through PQexecParams.
// A prepared statement the server no longer has (26000, after DISCARD ALL) or whose result type
// changed (0A000, after another server migrated the schema) fails before it runs: the connection
// forgets its statements (and deallocates them once the transaction has rolled back), and the
// call is run again from its beginning (Transact).
//
// Transactions. Each Storage method is one of:
// - Tx::kRead: one autocommit statement that only reads;
// - Tx::kStatement: one autocommit statement that writes, atomic by itself (consume_secret's
//   UPDATE ... RETURNING, insert_nonce's INSERT ... ON CONFLICT, put_secret's upsert, ...);
// - Tx::kTransaction: BEGIN ISOLATION LEVEL READ COMMITTED ... COMMIT, for read-modify-write
//   sequences, which lock the rows they change first (SELECT ... FOR NO KEY UPDATE, or the row
//   lock of customer_ids / rate_buckets) so that concurrent callers on any server queue up
//   instead of losing updates.
// Any failure rolls the transaction back, so a failed call changes nothing.
//
// Retries. A serialization failure (40001) or deadlock (40P01) rolls back the whole statement or
// transaction, which is then run again, with a short jittered backoff, up to max_retries times;
// one that met a stale prepared statement is run again at once, up to pool_size + 1 times.
// A call whose connection turns out to be broken is run once more on a fresh connection when
// nothing can have been applied: a read, or a transaction whose BEGIN failed.

#include "custauth/postgres_storage.h"

#include "postgres/schema.h"

#if CUSTAUTH_WITH_POSTGRES

#include <libpq-fe.h>
#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "internal.h"
#include "postgres/postgres_internal.h"
#include "storage_internal.h"

namespace custauth {
namespace {

using internal::CustomerIdTaken;
using internal::CustomerIdTooLarge;
using internal::kMaxCustomerId;
using internal::NoCustomerIdLeft;
using internal::NoSuchCustomerId;
using internal::NoSuchEmail;
using internal::NoSuchIntegration;
using internal::PermissionsFromJson;
using internal::PermissionsToJson;
using internal::RateLimited;
using internal::SortedUnique;

// Type OIDs of the parameters custauth binds (from PostgreSQL's pg_type.dat; stable).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The server's clock in milliseconds since the Unix epoch, as SQL: the time of a call marker.
#define CUSTAUTH_PG_SERVER_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
constexpr const char* kServerNowMs = CUSTAUTH_PG_SERVER_NOW_MS;

// libpq's messages end in a newline and may span lines; a Status message is one line.
std::string OneLine(const char* text) {
  std::string out;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    const char ch = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
    if (ch == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(ch);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Params: the parameters of one statement, $1, $2, ... in the order added.

// The text input syntax of a one-dimensional array: {1,NULL,"a \\"b\\""}.
class ArrayLiteral {
 public:
  ArrayLiteral() { text_ = "{"; }
  void Int(std::int64_t v) { Next().append(std::to_string(v)); }
  void OptInt(const std::optional<std::int64_t>& v) {
    if (v) {
      Int(*v);
    } else {
      Next().append("NULL");
    }
  }
  void Bool(bool v) { Next().push_back(v ? 't' : 'f'); }
  void Text(std::string_view v) {
    std::string& out = Next();
    out.push_back('"');
    for (char ch : v) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    out.push_back('"');
  }
  std::string Finish() {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  std::string& Next() {
    if (text_.size() > 1) text_.push_back(',');
    return text_;
  }
  std::string text_;
};

// Parallel arrays, one per column: each row's values, written in column order after NextRow().
class ArrayColumns {
 public:
  explicit ArrayColumns(std::size_t n) : columns_(n) {}
  void NextRow() { next_ = 0; }
  ArrayColumns& Int(std::int64_t v) {
    return Next([&](ArrayLiteral& a) { a.Int(v); });
  }
  ArrayColumns& OptInt(const std::optional<std::int64_t>& v) {
    return Next([&](ArrayLiteral& a) { a.OptInt(v); });
  }
  ArrayColumns& Bool(bool v) {
    return Next([&](ArrayLiteral& a) { a.Bool(v); });
  }
  ArrayColumns& Text(std::string_view v) {
    return Next([&](ArrayLiteral& a) { a.Text(v); });
  }
  // The array literals, one per column.
  std::vector<std::string> Finish() {
    std::vector<std::string> out;
    for (ArrayLiteral& a : columns_) out.push_back(a.Finish());
    return out;
  }

 private:
  template <class Fn>
  ArrayColumns& Next(Fn fn) {
    fn(columns_.at(next_++));
    return *this;
  }
  std::vector<ArrayLiteral> columns_;
  std::size_t next_ = 0;
};

class Params {
 public:
  Params& Int(std::int64_t v) { return Add(kInt8Oid, std::to_string(v), /*binary=*/false); }
  Params& Bool(bool v) { return Add(kBoolOid, v ? "t" : "f", false); }
  Params& OptInt(const std::optional<std::int64_t>& v) {
    if (v) return Int(*v);
    return AddNull(kInt8Oid);
  }
  // Text travels as a C string, so it cannot hold NUL bytes: such a value fails the statement
  // with kInvalidInput before anything is sent.
  Params& Text(std::string_view v) {
    if (HasNul(v) && error_.ok()) {
      error_ = Status(Code::kInvalidInput, "postgresql: a text value contains a NUL byte");
    }
    return Add(kTextOid, std::string(v), false);
  }
  // Any bytes, in binary format.
  Params& Bytes(std::string_view v) { return Add(kByteaOid, std::string(v), true); }
  // A value in PostgreSQL's text input syntax whose type the statement gives with a cast
  // ($1::bigint[]): an array literal built by ArrayLiteral.
  Params& Literal(std::string v) {
    if (HasNul(v) && error_.ok()) {
      error_ = Status(Code::kInvalidInput, "postgresql: a text value contains a NUL byte");
    }
    return Add(0, std::move(v), false);
  }

  const Status& error() const { return error_; }
  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  // Pointers into the values; valid while this Params is alive and unchanged.
  std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (std::size_t k = 0; k < values_.size(); ++k) {
      out.push_back(nulls_[k] ? nullptr : values_[k].c_str());
    }
    return out;
  }

 private:
  Params& Add(Oid type, std::string value, bool binary) {
    lengths_.push_back(static_cast<int>(value.size()));
    values_.push_back(std::move(value));
    types_.push_back(type);
    formats_.push_back(binary ? 1 : 0);
    nulls_.push_back(false);
    return *this;
  }
  Params& AddNull(Oid type) {
    Add(type, std::string(), false);
    nulls_.back() = true;
    return *this;
  }

  std::vector<std::string> values_;
  std::vector<Oid> types_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<bool> nulls_;
  Status error_;
};

// ---------------------------------------------------------------------------------------------
// Rows: a successful PGresult, owned; text-format columns read by type.

class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  Rows(Rows&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
  Rows& operator=(Rows&& other) noexcept {
    if (this != &other) {
      if (r_ != nullptr) PQclear(r_);
      r_ = std::exchange(other.r_, nullptr);
    }
    return *this;
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() {
    if (r_ != nullptr) PQclear(r_);
  }

  int size() const { return PQntuples(r_); }
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const {
    const char* n = PQcmdTuples(r_);
    std::int64_t v = 0;
    if (n != nullptr) std::from_chars(n, n + std::char_traits<char>::length(n), v);
    return v;
  }

  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::int64_t Int(int row, int col) const {
    const char* p = PQgetvalue(r_, row, col);
    std::int64_t v = 0;
    std::from_chars(p, p + PQgetlength(r_, row, col), v);
    return v;
  }
  std::optional<std::int64_t> OptInt(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Int(row, col);
  }
  bool Bool(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }
  // A BYTEA column (text format: hex, or escape when the server is set so).
  std::string Bytes(int row, int col) const {
    std::size_t n = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
    if (raw == nullptr) return std::string();
    std::string out(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
    return out;
  }

 private:
  PGresult* r_;
};

// ---------------------------------------------------------------------------------------------
// Connection: one PGconn, the statements prepared on it, and the SQLSTATE of its last failure.

// What the connections of one PostgresStorage count together (see PostgresCounters).
struct StatementCounters {
  std::atomic<std::uint64_t> prepared{0};
  std::atomic<std::uint64_t> forgotten{0};
};

// Hashes std::string and std::string_view alike, so that a lookup by a statement's text copies
// nothing.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

class Connection {
 public:
  // `counters` outlives the connection; `prepare`: whether Exec prepares its statements.
  Connection(PGconn* pg, StatementCounters* counters, bool prepare)
      : pg_(pg), counters_(counters), prepare_(prepare) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(pg_); }

  PGconn* pg() const { return pg_; }

  // The SQLSTATE of the last failed statement ("" when none, or when the failure was not the
  // server's, e.g. a broken connection).
  const std::string& sqlstate() const { return sqlstate_; }
  // Whether the last failure was a prepared statement the server no longer has (26000: after
  // DISCARD ALL, or behind a pooler that moved this session to another server connection) or
  // whose result type changed (0A000 "cached plan must not change result type": another server
  // migrated the schema). Nothing of such a statement was applied; this connection has forgotten
  // its statements, and the call may be run again from its beginning.
  bool stale_statement() const { return stale_statement_; }
  void ClearError() {
    sqlstate_.clear();
    stale_statement_ = false;
    unsent_ = false;
  }

  // The lock_timeout this connection runs with, for messages.
  int lock_timeout_ms = 0;

  // Runs one of the Storage operations' statements: prepared on this connection the first time
  // (PQprepare, named "ca1", "ca2", ...), executed with PQexecPrepared after, so that the server
  // parses and plans it once per connection rather than on every call. `sql` is a constant: the
  // statements prepared are the program's, bounded in number. Unprepared when preparing is off.
  // kStorage with the server's message on failure, the same Status whether the PQprepare or the
  // execution failed.
  Result<Rows> Exec(const char* sql, const Params& params = Params()) {
    if (!params.error().ok()) return params.error();
    if (!prepare_) return ExecUnprepared(sql, params);
    const std::string_view text(sql);
    auto it = prepared_.find(text);
    if (it == prepared_.end()) {
      // A bound that the constant statements never reach (about 40): past it, unprepared.
      if (prepared_.size() >= kMaxPrepared) return ExecUnprepared(sql, params);
      std::string name = "ca" + std::to_string(++last_name_);
      PGresult* r = Collect(PQsendPrepare(pg_, name.c_str(), sql, params.size(), params.types()));
      Result<Rows> prepared = Check(r);
      if (!prepared.ok()) return prepared.status();
      counters_->prepared.fetch_add(1, std::memory_order_relaxed);
      std::vector<Oid> types(params.types(), params.types() + params.size());
      it = prepared_.emplace(std::string(text), Statement{std::move(name), std::move(types)}).first;
    }
    const Statement& s = it->second;
    if (!std::equal(s.types.begin(), s.types.end(), params.types(),
                    params.types() + params.size())) {
      return ExecUnprepared(sql, params);  // prepared for other parameter types
    }
    const std::vector<const char*> values = params.pointers();
    PGresult* r = Collect(PQsendQueryPrepared(pg_, s.name.c_str(), params.size(), values.data(),
                                              params.lengths(), params.formats(),
                                              /*resultFormat=*/0));
    Result<Rows> out = Check(r);
    if (!out.ok() && (sqlstate_ == "26000" || sqlstate_ == "0A000")) Forget();
    return out;
  }
  Status Run(const char* sql, const Params& params = Params()) {
    return Exec(sql, params).status();
  }

  // Runs one statement with PQexecParams: parsed and planned by the server on every call. For
  // what runs once per connection or per handle (bootstrap, migrations), and for BEGIN and
  // COMMIT, which have neither parameters nor a plan: preparing them would save the server
  // nothing worth a cache entry.
  Result<Rows> ExecUnprepared(const char* sql, const Params& params = Params()) {
    if (!params.error().ok()) return params.error();
    const std::vector<const char*> values = params.pointers();
    PGresult* r = Collect(PQsendQueryParams(pg_, sql, params.size(), params.types(), values.data(),
                                            params.lengths(), params.formats(),
                                            /*resultFormat=*/0));
    return Check(r);
  }
  Status RunUnprepared(const char* sql, const Params& params = Params()) {
    return ExecUnprepared(sql, params).status();
  }

  // Runs SQL without parameters; may hold several statements (migrations).
  Status Script(const char* sql) { return Check(Collect(PQsendQuery(pg_, sql))).status(); }

  // Ends the transaction: writes this call's marker (see NewMarker) and commits, both in one
  // round trip. A broken connection here leaves the outcome unknown unless unsent(): the caller
  // then learns it from the marker (PostgresStorage::Resolve).
  Status CommitMarked() {
    const std::string sql = fmt::format(
        "INSERT INTO custauth_call_outcomes (marker, at) VALUES (decode('{}', 'hex'), {}); COMMIT",
        MarkerHex(), kServerNowMs);
    return Script(sql.c_str());
  }

  // A fresh random marker for the next call: 16 bytes that the call's write stores in
  // custauth_call_outcomes in its own transaction, so that its commit can be learnt on another
  // connection when this one breaks before the reply.
  void NewMarker() {
    // From the kernel each time: a generator's state would be copied by fork(), and two
    // processes would then write the same markers.
    marker_.resize(16);
    std::size_t got = 0;
    while (got < marker_.size()) {
      const ssize_t n = getrandom(marker_.data() + got, marker_.size() - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EINTR) {
        std::random_device rd;  // no getrandom(2): the device, opened anew
        for (char& ch : marker_) ch = static_cast<char>(rd());
        break;
      }
    }
  }
  const std::string& marker() const { return marker_; }

  // Whether the last statement never reached the server: libpq could not hand it over (the
  // connection was already closed, or writing to it failed and the server had gone). Nothing of
  // it can have been applied.
  bool unsent() const { return unsent_; }

  // Ends whatever transaction a failed call left open, and deallocates the prepared statements
  // this connection forgot. False when the connection is broken or left in an unknown state, and
  // must be closed rather than reused.
  bool Reset() {
    if (PQstatus(pg_) != CONNECTION_OK) return false;
    switch (PQtransactionStatus(pg_)) {
      case PQTRANS_IDLE:
        break;
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR: {
        PGresult* r = Collect(PQsendQuery(pg_, "ROLLBACK"));
        PQclear(r);
        if (PQstatus(pg_) != CONNECTION_OK || PQtransactionStatus(pg_) != PQTRANS_IDLE) {
          return false;
        }
        break;
      }
      default:
        return false;
    }
    if (deallocate_) {
      // The server may still hold some of them (after 0A000 all of them): a name is never
      // reused, but what is left would be dead weight on the server for the session's life.
      deallocate_ = false;
      if (!Check(Collect(PQsendQuery(pg_, "DEALLOCATE ALL"))).ok()) return false;
    }
    return true;
  }

  // Whether an idle connection is still open: reads what the server may have sent meanwhile
  // without waiting, and parses it. A server that ends a session (a shutdown or restart, an
  // administrator's pg_terminate_backend, idle_session_timeout) sends a FATAL message before it
  // closes the socket; libpq hands a message that arrives while idle to the notice receiver
  // (NoteReceived), and sees the close itself only on the read after the one that got the data.
  bool StillOpen() {
    for (int read = 0; read < 2; ++read) {
      if (terminated_ || PQstatus(pg_) != CONNECTION_OK) return false;
      if (PQconsumeInput(pg_) == 0) return false;
      if (PQisBusy(pg_) != 0) return false;  // parses what arrived; busy while idle: unknown
    }
    return !terminated_ && PQstatus(pg_) == CONNECTION_OK &&
           PQtransactionStatus(pg_) == PQTRANS_IDLE;
  }

  // The notice receiver of the connection (set by OpenConnection): notes a FATAL or PANIC message,
  // the server's word that it ends the session; drops every other notice.
  static void NoteReceived(void* self, const PGresult* r) {
    const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr &&
        (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
      static_cast<Connection*>(self)->terminated_ = true;
    }
  }

 private:
  struct Statement {
    std::string name;
    std::vector<Oid> types;  // as prepared; a call with others runs unprepared
  };
  static constexpr std::size_t kMaxPrepared = 64;

  // The result of a statement handed to the server with PQsend* (`sent`: what that returned): the
  // first failed result if any, else the last one; nullptr when there is none. Unlike PQexec*,
  // tells a statement that never reached the server (unsent_) from one whose reply was lost.
  PGresult* Collect(int sent) {
    if (sent == 0) {
      unsent_ = true;
      return nullptr;
    }
    PGresult* kept = nullptr;
    while (PGresult* r = PQgetResult(pg_)) {
      const ExecStatusType st = PQresultStatus(r);
      const bool failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
      if (kept != nullptr && !failed) {
        const ExecStatusType kept_st = PQresultStatus(kept);
        if (kept_st != PGRES_COMMAND_OK && kept_st != PGRES_TUPLES_OK) {
          PQclear(r);  // keep the earlier failure
          continue;
        }
      }
      if (kept != nullptr) PQclear(kept);
      kept = r;
    }
    return kept;
  }

  std::string MarkerHex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char ch : marker_) {
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
    return out;
  }

  // Forgets every statement prepared here, to prepare them again under new names when next run;
  // Reset deallocates them on the server once the transaction has ended.
  void Forget() {
    prepared_.clear();
    stale_statement_ = true;
    deallocate_ = true;
    counters_->forgotten.fetch_add(1, std::memory_order_relaxed);
  }

  Result<Rows> Check(PGresult* r) {
    const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Rows(r);
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    sqlstate_ = state != nullptr ? state : "";
    std::string text;
    const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary != nullptr) {
      text = OneLine(primary);
    } else {
      text = OneLine(PQerrorMessage(pg_));
      if (text.empty()) text = fmt::format("unexpected result {}", PQresStatus(st));
    }
    if (r != nullptr) PQclear(r);
    if (sqlstate_ == "55P03") {  // lock_not_available: lock_timeout expired
      return Status(Code::kStorage,
                    fmt::format("postgresql: a row stayed locked by another session for longer "
                                "than lock_timeout_ms ({} ms): {}",
                                lock_timeout_ms, text));
    }
    if (sqlstate_ == "22021" || sqlstate_ == "22P05") {  // bytes not valid in the encoding
      return Status(Code::kInvalidInput, fmt::format("postgresql: {}", text));
    }
    return Status(Code::kStorage, fmt::format("postgresql: {}", text));
  }

  PGconn* pg_;
  StatementCounters* counters_;
  const bool prepare_;
  std::unordered_map<std::string, Statement, TextHash, std::equal_to<>> prepared_;
  std::uint64_t last_name_ = 0;  // names are never reused on a connection
  bool deallocate_ = false;
  bool stale_statement_ = false;
  bool unsent_ = false;
  bool terminated_ = false;  // the server sent FATAL: it ends this session
  std::string marker_;
  std::string sqlstate_;
};

bool IsRetryable(const std::string& sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// ---------------------------------------------------------------------------------------------
// Pool: up to `max` connections, each checked out by one thread at a time.

class Pool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;

  Pool(std::size_t max, Opener opener)
      : max_(std::max<std::size_t>(max, 1)), opener_(std::move(opener)) {}

  // Adds an already opened connection (the first one, opened by OpenPostgresStorage).
  void Adopt(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

  // Waits for an idle connection that is still open, or opens one when fewer than `max` are.
  Status Acquire(std::unique_ptr<Connection>* out) {
    for (;;) {
      std::unique_ptr<Connection> idle;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
        if (!idle_.empty()) {
          idle = std::move(idle_.back());
          idle_.pop_back();
        } else {
          ++open_;  // reserve the slot; open outside the lock
        }
      }
      if (idle == nullptr) break;
      if (idle->StillOpen()) {
        *out = std::move(idle);
        return Status::Ok();
      }
      // Closed by the server while idle: drop it and take or open another.
      idle.reset();
      Discard();
    }
    Result<std::unique_ptr<Connection>> opened = opener_();
    if (!opened.ok()) {
      Discard();
      return opened.status();
    }
    *out = std::move(opened).value();
    return Status::Ok();
  }

  // Returns a healthy connection to the pool.
  void Release(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  // Calls fn(connection) for each idle connection, holding the pool's lock (for tests).
  template <class Fn>
  void ForEachIdle(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::unique_ptr<Connection>& conn : idle_) fn(*conn);
  }

  // Forgets a connection that was closed (or never opened), freeing its slot.
  void Discard() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
    }
    cv_.notify_one();
  }

 private:
  const std::size_t max_;
  const Opener opener_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// ---------------------------------------------------------------------------------------------
// SQL

#define CUSTAUTH_PG_CUSTOMER_COLUMNS                                                          \
  "id, website_id, email, firstname, lastname, is_subscribed, confirmed, "                    \
  "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, " \
  "lock_expires, tokens_revoked_at, created_at, updated_at"

constexpr const char* kSelectCustomerById =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS " FROM customers WHERE id = $1";

// Locks the row for the rest of the transaction. NO KEY UPDATE, not UPDATE: the key columns never
// change, so concurrent inserts of secrets for this customer (whose foreign key check takes a KEY
// SHARE lock) need not wait, and cannot deadlock with update_customer voiding a secret.
constexpr const char* kLockCustomerById =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS " FROM customers WHERE id = $1 FOR NO KEY UPDATE";

constexpr const char* kSelectCustomerByEmailKey =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS
    " FROM customers WHERE website_id = $1 AND email_key = $2";

#undef CUSTAUTH_PG_CUSTOMER_COLUMNS

// Serializes the creation of customers (see schema.h on ids).
constexpr const char* kLockCustomerIds = "SELECT 1 FROM customer_ids WHERE id = 1 FOR UPDATE";

// Inserts unless the id or the email on the website is taken; returns the id when it inserted,
// 0 when no id is left to assign. Run while holding kLockCustomerIds: customer_ids.last_id + 1 is
// free, no racing creator interleaves, and last_id moves past the id inserted.
#define CUSTAUTH_PG_MAX_CUSTOMER_ID "9007199254740991"
constexpr const char* kInsertCustomer =
    "WITH next AS (SELECT COALESCE($1, last_id + 1) AS id FROM customer_ids WHERE id = 1), "
    "ins AS (INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "created_at, updated_at) "
    "SELECT next.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12 FROM next "
    "WHERE next.id <= " CUSTAUTH_PG_MAX_CUSTOMER_ID
    " ON CONFLICT DO NOTHING RETURNING id), "
    "bump AS (UPDATE customer_ids SET last_id = greatest(last_id, (SELECT id FROM ins)) "
    "WHERE id = 1) "
    "SELECT id FROM ins UNION ALL "
    "SELECT 0 FROM next WHERE next.id > " CUSTAUTH_PG_MAX_CUSTOMER_ID;
#undef CUSTAUTH_PG_MAX_CUSTOMER_ID

// Imports a batch given as parallel arrays ($1..$17, one element per row): inserts every row
// whose id and email are free, returns the rows it inserted (id, website_id, email_key). Run while
// holding kLockCustomerIds; the caller moves customer_ids.last_id past them.
constexpr const char* kImportCustomers =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "failures_num, first_failure, lock_expires, created_at, updated_at, tokens_revoked_at) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::boolean[], $8::boolean[], $9::boolean[], $10::boolean[], $11::text[], "
    "$12::integer[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[]) "
    "ON CONFLICT DO NOTHING RETURNING id, website_id, email_key";

// The last id assigned or stored, locking the counter for the transaction.
constexpr const char* kLockLastCustomerId =
    "SELECT last_id FROM customer_ids WHERE id = 1 FOR UPDATE";
constexpr const char* kSetLastCustomerId =
    "UPDATE customer_ids SET last_id = $1 WHERE id = 1 AND last_id < $1";

constexpr const char* kImportUpdateCustomer =
    "UPDATE customers SET website_id = $2, email = $3, email_key = $4, firstname = $5, "
    "lastname = $6, is_subscribed = $7, confirmed = $8, allow_remote_shopping_assistance = $9, "
    "is_active = $10, password_hash = $11, failures_num = $12, first_failure = $13, "
    "lock_expires = $14, created_at = $15, updated_at = $16, "
    "tokens_revoked_at = GREATEST(tokens_revoked_at, $17) WHERE id = $1 AND NOT EXISTS "
    "(SELECT 1 FROM customers o WHERE o.website_id = $2 AND o.email_key = $4 AND o.id <> $1)";

constexpr const char* kCustomerIdExists = "SELECT 1 FROM customers WHERE id = $1";

constexpr const char* kUpdateCustomer =
    "UPDATE customers SET firstname = $1, lastname = $2, is_subscribed = $3, confirmed = $4, "
    "allow_remote_shopping_assistance = $5, is_active = $6, password_hash = $7, "
    "failures_num = $8, first_failure = $9, lock_expires = $10, tokens_revoked_at = $11, "
    "updated_at = $12 WHERE id = $13";

constexpr const char* kBumpEpoch = "UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1";

constexpr const char* kVoidSecret =
    "DELETE FROM secrets WHERE customer_id = $1 AND kind = $2 AND used_at IS NULL";

Customer CustomerFromRow(const Rows& rows, int row) {
  Customer c;
  c.id = rows.Int(row, 0);
  c.website_id = rows.Int(row, 1);
  c.email = rows.Text(row, 2);
  c.firstname = rows.Text(row, 3);
  c.lastname = rows.Text(row, 4);
  c.is_subscribed = rows.Bool(row, 5);
  c.confirmed = rows.Bool(row, 6);
  c.allow_remote_shopping_assistance = rows.Bool(row, 7);
  c.is_active = rows.Bool(row, 8);
  c.password_hash = rows.Text(row, 9);
  c.failures_num = static_cast<int>(rows.Int(row, 10));
  c.first_failure = rows.OptInt(row, 11);
  c.lock_expires = rows.OptInt(row, 12);
  c.tokens_revoked_at = rows.Int(row, 13);
  c.created_at = rows.Int(row, 14);
  c.updated_at = rows.Int(row, 15);
  return c;
}

Status StatusOf(const Status& s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// "postgresql://host[:port]/dbname" of an open connection; a socket directory as host is
// percent-encoded, as libpq's URIs spell it.
std::string DescribeConnection(PGconn* pg) {
  std::string host = PQhost(pg) != nullptr ? PQhost(pg) : "";
  const std::string port = PQport(pg) != nullptr ? PQport(pg) : "";
  const std::string db = PQdb(pg) != nullptr ? PQdb(pg) : "";
  std::string encoded;
  for (char ch : host) {
    if (ch == '/') {
      encoded += "%2F";
    } else {
      encoded += ch;
    }
  }
  if (host.find(':') != std::string::npos) encoded = "[" + encoded + "]";  // IPv6
  std::string out = "postgresql://" + encoded;
  if (!port.empty() && port != "5432") out += ":" + port;
  return out + "/" + db;
}

// ---------------------------------------------------------------------------------------------

enum class Tx {
  kRead,         // one autocommit statement that only reads
  kStatement,    // one autocommit statement that writes
  kTransaction,  // BEGIN ISOLATION LEVEL READ COMMITTED ... COMMIT
};

using SteadyClock = std::chrono::steady_clock;

// Audit records written by the write they record (storage_records.h, "Audit in the write"): one
// statement inserts up to kAuditRowsPerStatement records and removes expired ones as append_audit
// does, after `head` (other CTEs of the same statement, each ending with ", "; "" for none).
// Parameters from $first: at, event, customer_id, admin_id, actor, reason, client_ip, detail per
// record, then the audit cut-off and the prune limit. The texts are built once per (head, n) and
// kept: prepared statements are keyed by their text.
constexpr std::size_t kAuditRowsPerStatement = 4;

std::string BuildAuditInsert(std::string_view head, int first, std::size_t n) {
  const int cutoff = first + static_cast<int>(8 * n);
  std::string sql = fmt::format(
      "WITH {}audit_pruned AS (DELETE FROM audit WHERE id IN ("
      "  SELECT id FROM audit WHERE at <= ${} ORDER BY at LIMIT ${} FOR UPDATE SKIP LOCKED)) "
      "INSERT INTO audit (at, event, customer_id, admin_id, actor, reason, client_ip, detail) "
      "VALUES ",
      head, cutoff, cutoff + 1);
  for (std::size_t k = 0; k < n; ++k) {
    const int p = first + static_cast<int>(8 * k);
    sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", k == 0 ? "" : ", ", p, p + 1,
                       p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
  }
  return sql;
}

void AddAuditParams(Params& params, std::span<const AuditRecord> records,
                    const RetentionPolicy& policy) {
  for (const AuditRecord& r : records) {
    params.Int(r.at)
        .Text(r.event)
        .OptInt(r.customer_id)
        .OptInt(r.admin_id)
        .Text(r.actor)
        .Text(r.reason)
        .Text(r.client_ip)
        .Text(r.detail);
  }
  params.Int(internal::AuditCutoff(policy, records.empty() ? 0 : records.front().at))
      .Int(std::max(policy.per_write, 0));
}

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string uri, const PostgresOptions& options)
      : uri_(std::move(uri)),
        options_(options),
        pool_(options.pool_size, [this] { return OpenConnection(); }) {}

  // Opens the first connection and migrates the database.
  Status Init() {
    Result<std::unique_ptr<Connection>> first = OpenConnection();
    if (!first.ok()) return first.status();
    describe_ = DescribeConnection((*first)->pg());
    pool_.Adopt(std::move(first).value());
    return Bootstrap();
  }

  std::string describe() const override { return describe_; }

  internal::PostgresCounters counters() const {
    internal::PostgresCounters c;
    c.retries = retries_.load(std::memory_order_relaxed);
    c.connections_opened = connections_opened_.load(std::memory_order_relaxed);
    c.statements_prepared = statements_.prepared.load(std::memory_order_relaxed);
    c.statements_forgotten = statements_.forgotten.load(std::memory_order_relaxed);
    c.stale_reruns = stale_reruns_.load(std::memory_order_relaxed);
    c.resolutions = resolutions_.load(std::memory_order_relaxed);
    c.broken_reruns = broken_reruns_.load(std::memory_order_relaxed);
    return c;
  }

  // Runs `sql` on each idle connection (for tests): the first column of the first row of each.
  Result<std::vector<std::string>> ExecOnIdleConnections(const std::string& sql) {
    std::vector<std::string> out;
    Status failure;
    pool_.ForEachIdle([&](Connection& conn) {
      Result<Rows> rows = conn.ExecUnprepared(sql.c_str());
      if (!rows.ok()) {
        failure = rows.status();
      } else {
        out.push_back(rows->empty() ? std::string() : rows->Text(0, 0));
      }
    });
    if (!failure.ok()) return failure;
    return out;
  }

  // --- Customers ---

  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override {
    if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(kLockCustomerIds));
      Result<std::optional<Customer>> inserted = Insert(conn, c, now);
      if (!inserted.ok()) return inserted.status();
      if (inserted->has_value()) return std::move(**inserted);
      Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
      if (!found.ok()) return found.status();
      if (found->has_value()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
      return CustomerIdTaken(c.id);
    });
  }

  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override {
    // Most calls find a customer: one statement, no lock.
    {
      Result<std::optional<Customer>> found = Transact(
          Tx::kRead, [&](Connection& conn) { return FindByEmail(conn, c.website_id, c.email); });
      if (!found.ok()) return found.status();
      if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
    }
    if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<FindOrCreateResult> {
      // Racing creators queue on this lock; each statement after it sees what the ones before
      // committed, so the losers find the winner's customer below.
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(kLockCustomerIds));
      Result<std::optional<Customer>> inserted = Insert(conn, c, now);
      if (!inserted.ok()) return inserted.status();
      if (inserted->has_value()) return FindOrCreateResult{std::move(**inserted), true};
      Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
      if (!found.ok()) return found.status();
      if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
      return CustomerIdTaken(c.id);
    });
  }

  Result<std::vector<ImportOutcome>> import_customers(std::span<const ImportedCustomer> rows,
                                                      ImportConflict on_conflict) override {
    bool assigns = false;  // a row with id 0: a new customer, the next id assigned
    for (const ImportedCustomer& row : rows) {
      if (row.customer.id < 0) {
        return Status(Code::kInvalidInput, "An imported customer needs an id above 0, or 0");
      }
      if (row.customer.id > kMaxCustomerId) return CustomerIdTooLarge(row.customer.id);
      assigns = assigns || row.customer.id == 0;
    }
    const bool revokes = std::any_of(rows.begin(), rows.end(), [](const ImportedCustomer& r) {
      return r.tokens_revoked_at > 0;
    });
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<std::vector<ImportOutcome>> {
      Result<Rows> locked = conn.Exec(kLockLastCustomerId);
      if (!locked.ok()) return locked.status();
      if (locked->empty()) return Status(Code::kStorage, "postgresql: customer_ids has no row");
      const std::int64_t last_before = locked->Int(0, 0);
      std::int64_t last_id = last_before;
      if (revokes) CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
      std::vector<ImportOutcome> outcomes;
      outcomes.reserve(rows.size());
      // kSkip inserts the whole batch in one statement (unless ids are to be assigned one after
      // the other); the others go row by row, in order.
      if (on_conflict == ImportConflict::kSkip && !assigns) {
        Result<Rows> inserted = conn.Exec(kImportCustomers, ImportArrays(rows));
        if (!inserted.ok()) return inserted.status();
        // A row was inserted when its id, website and email key came back, and no earlier row of
        // the batch was that same inserted row (a duplicate in the batch is skipped).
        std::unordered_map<std::int64_t, std::pair<std::int64_t, std::string>> created;
        for (int k = 0; k < inserted->size(); ++k) {
          created.emplace(inserted->Int(k, 0),
                          std::make_pair(inserted->Int(k, 1), inserted->Text(k, 2)));
          last_id = std::max(last_id, inserted->Int(k, 0));
        }
        for (const ImportedCustomer& row : rows) {
          auto it = created.find(row.customer.id);
          const bool mine = it != created.end() && it->second.first == row.customer.website_id &&
                            it->second.second == EmailKey(row.customer.email);
          if (mine) created.erase(it);
          outcomes.push_back(mine ? ImportOutcome::kCreated : ImportOutcome::kSkipped);
        }
      } else {
        for (const ImportedCustomer& given : rows) {
          ImportedCustomer assigned;
          const ImportedCustomer* row = &given;
          if (given.customer.id == 0) {
            if (last_id >= kMaxCustomerId) return NoCustomerIdLeft("postgresql");
            assigned = given;
            assigned.customer.id = last_id + 1;
            row = &assigned;
          }
          Result<Rows> inserted = conn.Exec(kImportCustomers, ImportArrays(std::span(row, 1)));
          if (!inserted.ok()) return inserted.status();
          if (inserted->size() == 1) {
            last_id = std::max(last_id, row->customer.id);
            outcomes.push_back(ImportOutcome::kCreated);
            continue;
          }
          if (on_conflict == ImportConflict::kSkip) {
            outcomes.push_back(ImportOutcome::kSkipped);
            continue;
          }
          if (on_conflict == ImportConflict::kFail) {
            outcomes.push_back(ImportOutcome::kConflict);
            break;
          }
          if (given.customer.id == 0) {  // a new customer whose email is taken: never an update
            outcomes.push_back(ImportOutcome::kConflict);
            continue;
          }
          Result<Rows> updated =
              conn.Exec(kImportUpdateCustomer, ImportArrays(std::span(row, 1), /*scalars=*/true));
          if (!updated.ok()) return updated.status();
          if (updated->affected() != 1) {
            outcomes.push_back(ImportOutcome::kConflict);
            continue;
          }
          if (!row->customer.allow_remote_shopping_assistance) {
            CUSTAUTH_RETURN_IF_ERROR(conn.Run(
                kVoidSecret,
                Params().Int(row->customer.id).Int(static_cast<int>(SecretKind::kAdminOtc))));
          }
          outcomes.push_back(ImportOutcome::kUpdated);
        }
      }
      if (last_id > last_before) {
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(kSetLastCustomerId, Params().Int(last_id)));
      }
      return outcomes;
    });
  }

  Result<Customer> find_customer_by_email(std::int64_t website_id,
                                          std::string_view email) override {
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<Customer> {
      Result<std::optional<Customer>> found = FindByEmail(conn, website_id, email);
      if (!found.ok()) return found.status();
      if (!found->has_value()) return NoSuchEmail(email);
      return std::move(**found);
    });
  }

  Result<Customer> find_customer_by_id(std::int64_t id) override {
    return Transact(Tx::kRead,
                    [&](Connection& conn) { return FindById(conn, kSelectCustomerById, id); });
  }

  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
      Result<Customer> found = FindById(conn, kLockCustomerById, id);
      if (!found.ok()) return found.status();
      Customer c = std::move(found).value();
      if (patch.expect_password_hash && *patch.expect_password_hash != c.password_hash) {
        return Status(Code::kConflict,
                      fmt::format("The password of customerId = {} changed concurrently", id));
      }
      if (patch.refuse_when_locked && c.locked_at(now)) return internal::LockedCustomer();
      if (patch.firstname) c.firstname = *patch.firstname;
      if (patch.lastname) c.lastname = *patch.lastname;
      if (patch.is_subscribed) c.is_subscribed = *patch.is_subscribed;
      if (patch.confirmed) c.confirmed = *patch.confirmed;
      if (patch.is_active) c.is_active = *patch.is_active;
      if (patch.allow_remote_shopping_assistance) {
        c.allow_remote_shopping_assistance = *patch.allow_remote_shopping_assistance;
        if (!c.allow_remote_shopping_assistance) {
          CUSTAUTH_RETURN_IF_ERROR(
              conn.Run(kVoidSecret, Params().Int(id).Int(static_cast<int>(SecretKind::kAdminOtc))));
        }
      }
      if (patch.password_hash) c.password_hash = *patch.password_hash;
      if (patch.revoke_tokens_at && *patch.revoke_tokens_at > c.tokens_revoked_at) {
        c.tokens_revoked_at = *patch.revoke_tokens_at;
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
      }
      if (patch.revoke_clock != nullptr) {  // read once the row is locked: inside the write
        c.tokens_revoked_at = RevocationTime(c.tokens_revoked_at, patch.revoke_clock->now());
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
      }
      if (patch.clear_lock) {
        c.failures_num = 0;
        c.first_failure.reset();
        c.lock_expires.reset();
      }
      c.updated_at = now;
      CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
      return c;
    });
  }

  // Dead row versions stay in the table files until VACUUM reclaims them (autovacuum, or the
  // host's VACUUM after an erasure): PostgreSQL has no secure_delete.
  Result<Customer> delete_customer(std::int64_t id, TimeMs /*now*/,
                                   std::span<const AuditRecord> audit) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
      // The row lock first: a concurrent update or failure count of the customer queues behind.
      Result<Customer> found = FindById(conn, kLockCustomerById, id);
      if (!found.ok()) return found.status();
      const Customer& c = *found;
      // The records that name the customer: by id, or (a superset, narrowed below) by the email
      // in their detail.
      Result<Rows> rows = conn.Exec(
          "SELECT id, customer_id, actor, reason, client_ip, detail FROM audit "
          "WHERE customer_id = $1 OR strpos(lower(detail COLLATE \"C\"), $2) > 0",
          Params().Int(id).Text(EmailKey(c.email)));
      if (!rows.ok()) return rows.status();
      std::vector<std::string> client_ips;
      for (int row = 0; row < rows->size(); ++row) {
        AuditRecord r;
        r.id = rows->Int(row, 0);
        r.customer_id = rows->OptInt(row, 1);
        r.actor = rows->Text(row, 2);
        r.reason = rows->Text(row, 3);
        r.client_ip = rows->Text(row, 4);
        r.detail = rows->Text(row, 5);
        if (!AuditRecordNamesCustomer(r, c)) continue;
        client_ips.push_back(r.client_ip);
        if (!EraseCustomerFromAuditRecord(r, c)) continue;
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(
            "UPDATE audit SET actor = $1, reason = $2, client_ip = $3, detail = $4 WHERE id = $5",
            Params().Text(r.actor).Text(r.reason).Text(r.client_ip).Text(r.detail).Int(r.id)));
      }
      for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(
            "WITH events AS (DELETE FROM rate_events WHERE right(bucket, length($1)) = $1) "
            "DELETE FROM rate_buckets WHERE right(bucket, length($1)) = $1",
            Params().Text(suffix)));
      }
      CUSTAUTH_RETURN_IF_ERROR(conn.Run("DELETE FROM login_counters WHERE key = $1",
                                        Params().Text(internal::AccountCounterKey(id))));
      for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(
            "DELETE FROM login_counters WHERE right(key, length($1)) = $1", Params().Text(suffix)));
      }
      for (const char* sql : {"DELETE FROM secrets WHERE customer_id = $1",
                              "DELETE FROM opaque_tokens WHERE customer_id = $1",
                              "DELETE FROM customers WHERE id = $1"}) {
        CUSTAUTH_RETURN_IF_ERROR(conn.Run(sql, Params().Int(id)));
      }
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
      return std::move(found).value();
    });
  }

  // --- Lockout ---

  Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,
                                         const LockoutPolicy& policy) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<LockState> {
      // The row lock makes concurrent failures on every server count one after the other.
      Result<Customer> found = FindById(conn, kLockCustomerById, customer_id);
      if (!found.ok()) return found.status();
      Customer c = std::move(found).value();
      const LockState state = ApplyLoginFailure(c, now, policy);
      CUSTAUTH_RETURN_IF_ERROR(
          conn.Run("UPDATE customers SET failures_num = $1, first_failure = $2, "
                   "lock_expires = $3, updated_at = $4 WHERE id = $5",
                   Params()
                       .Int(c.failures_num)
                       .OptInt(c.first_failure)
                       .OptInt(c.lock_expires)
                       .Int(now)
                       .Int(customer_id)));
      return state;
    });
  }

  // --- Login attempts: each one transaction (storage_internal.h). The customer's row lock, then
  // a transaction-scoped advisory lock per counter key, serialize them across servers.

  Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
      Txn tx(conn, /*lock=*/true);
      return internal::AdmitLoginAttempt(tx, attempt, now);
    });
  }

  Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                      const Clock& clock) override {
    return internal::SignInAnswer(
        Transact(Tx::kTransaction, [&](Connection& conn) -> Result<internal::SignInCommit> {
          Txn tx(conn, /*lock=*/true, retention_.get());
          return internal::RecordSignIn(tx, attempt, sign_in, clock);
        }));
  }

  Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                           const AuditOf<LockState>& audit) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<LockState> {
      Txn tx(conn, /*lock=*/true, retention_.get());
      return internal::RecordAttemptFailure(tx, attempt, now, audit);
    });
  }

  Status release_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Status {
      Txn tx(conn, /*lock=*/true);
      return internal::ReleaseLoginAttempt(tx, attempt, now);
    });
  }

  Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                       TimeMs now) override {
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<ThrottleState> {
      Txn tx(conn, /*lock=*/false);
      return internal::ReadThrottleState(tx, website_id, email_key, now);
    });
  }

  // --- One-time secrets ---

  // One statement, its audit records included (up to kAuditRowsPerStatement; more, rarely: one
  // transaction): a customer that does not exist fails it whole (the foreign key).
  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) override {
    static constexpr std::string_view kPruneAndPut =
        "pruned AS (DELETE FROM secrets WHERE (customer_id, kind) IN ("
        "  SELECT customer_id, kind FROM secrets WHERE expires_at <= $8 AND "
        "  NOT (customer_id = $1 AND kind = $2) ORDER BY expires_at LIMIT $9 "
        "  FOR UPDATE SKIP LOCKED)), "
        "put AS (INSERT INTO secrets (customer_id, kind, hash, created_at, expires_at, admin_id, "
        "reason, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) "
        "ON CONFLICT (customer_id, kind) DO UPDATE SET hash = excluded.hash, "
        "created_at = excluded.created_at, expires_at = excluded.expires_at, "
        "admin_id = excluded.admin_id, reason = excluded.reason, used_at = NULL)";
    static const std::string kPutOnly =
        std::string("WITH ") + std::string(kPruneAndPut) + " SELECT 1";
    static const std::vector<std::string> kPutAndAudit = [] {
      std::vector<std::string> v;
      for (std::size_t n = 1; n <= kAuditRowsPerStatement; ++n) {
        v.push_back(BuildAuditInsert(std::string(kPruneAndPut) + ", ", 10, n));
      }
      return v;
    }();
    const bool one_statement = audit.size() <= kAuditRowsPerStatement;
    return Transact(
        one_statement ? Tx::kStatement : Tx::kTransaction, [&](Connection& conn) -> Status {
          const RetentionPolicy policy = retention_.get();
          Params params;
          params.Int(s.customer_id)
              .Int(static_cast<int>(s.kind))
              .Bytes(s.hash)
              .Int(s.created_at)
              .Int(s.expires_at)
              .OptInt(s.admin_id)
              .Text(s.reason)
              .Int(internal::GraceCutoff(policy, s.created_at))
              .Int(std::max(policy.per_write, 0));
          const bool with_audit = one_statement && !audit.empty();
          if (with_audit) AddAuditParams(params, audit, policy);
          Status st = conn.Run(
              with_audit ? kPutAndAudit[audit.size() - 1].c_str() : kPutOnly.c_str(), params);
          if (conn.sqlstate() == "23503") return NoSuchCustomerId(s.customer_id);
          CUSTAUTH_RETURN_IF_ERROR(st);
          if (!one_statement) return InsertAudit(conn, audit, policy);
          return Status::Ok();
        });
  }

  Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                      std::string_view hash, TimeMs now) override {
    // One statement: the UPDATE consumes the secret when it is live (racing consumers queue on
    // the row lock; those after the winner find used_at set and update nothing), and the second
    // branch, evaluated on the statement's snapshot, tells an expired secret from none at all.
    // It writes the call's marker with what it consumed, so that a reply lost with the
    // connection is learnt on another one (Transact, Resolve).
    static constexpr const char* kConsume =
        "WITH consumed AS ("
        "  UPDATE secrets SET used_at = $1 WHERE customer_id = $2 AND kind = $3 AND hash = $4 "
        "  AND used_at IS NULL AND expires_at > $1 "
        "  RETURNING created_at, expires_at, admin_id, reason), "
        "marked AS ("
        "  INSERT INTO custauth_call_outcomes (marker, at, result) SELECT "
        "$5, " CUSTAUTH_PG_SERVER_NOW_MS
        ", (SELECT json_build_array(created_at, expires_at, admin_id, "
        "  reason)::text FROM consumed)) "
        "SELECT true, created_at, expires_at, admin_id, reason FROM consumed "
        "UNION ALL "
        "SELECT false, created_at, expires_at, admin_id, reason FROM secrets "
        "WHERE customer_id = $2 AND kind = $3 AND hash = $4 AND used_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM consumed)";
    SecretRecord r;
    r.kind = kind;
    r.customer_id = customer_id;
    r.hash = std::string(hash);
    r.used_at = now;
    // The stored result of a call that committed and consumed the secret.
    const auto decode = [&](const std::string& stored) -> Result<SecretRecord> {
      const nlohmann::json a = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
      if (!a.is_array() || a.size() != 4 || !a[0].is_number_integer() ||
          !a[1].is_number_integer() || !a[3].is_string()) {
        return Status(Code::kStorage, "postgresql: a call outcome that is not a consumed secret");
      }
      r.created_at = a[0].get<std::int64_t>();
      r.expires_at = a[1].get<std::int64_t>();
      if (a[2].is_number_integer()) r.admin_id = a[2].get<std::int64_t>();
      r.reason = a[3].get<std::string>();
      return r;
    };
    return Transact(
        Tx::kStatement,
        [&](Connection& conn) -> Result<SecretRecord> {
          Result<Rows> rows = conn.Exec(kConsume, Params()
                                                      .Int(now)
                                                      .Int(customer_id)
                                                      .Int(static_cast<int>(kind))
                                                      .Bytes(hash)
                                                      .Bytes(conn.marker()));
          if (!rows.ok()) return rows.status();
          if (rows->empty()) return Status(Code::kNotFound, "No such secret");
          if (!rows->Bool(0, 0)) {
            // Unused when the statement began: expired, or consumed by a racer meanwhile.
            if (rows->Int(0, 2) <= now) return Status(Code::kExpired, "The secret is expired");
            return Status(Code::kNotFound, "No such secret");
          }
          r.created_at = rows->Int(0, 1);
          r.expires_at = rows->Int(0, 2);
          r.admin_id = rows->OptInt(0, 3);
          r.reason = rows->Text(0, 4);
          return r;
        },
        decode);
  }

  Status void_secrets(SecretKind kind, std::int64_t customer_id) override {
    return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
      return conn.Run(kVoidSecret, Params().Int(customer_id).Int(static_cast<int>(kind)));
    });
  }

  // --- Rate limits ---

  Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) override {
    for (const RateRule& rule : rules) {
      if (rule.max_in_window <= 0) return RateLimited();
    }
    if (rules.empty()) return Status::Ok();
    // One event per bucket per request, however many rules name it; buckets in sorted order.
    std::map<std::string_view, TimeMs> widest;
    std::map<std::string_view, TimeMs> keep_until;  // retention: when the bucket expires
    for (const RateRule& rule : rules) {
      auto [it, inserted] = widest.emplace(rule.bucket, rule.window);
      if (!inserted) it->second = std::max(it->second, rule.window);
      TimeMs& until = keep_until[rule.bucket];
      until = std::max(until, now + std::max(rule.window, rule.min_interval));
    }
    const int prune_buckets = retention_.get().per_write;
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Status {
      // Lock every bucket's row, in bucket order (so that requests naming several buckets never
      // deadlock), creating it when new, and learn the widest window seen on it. A refusal rolls
      // this back with the rest.
      std::map<std::string_view, TimeMs> keep_window;
      for (const auto& [bucket, window] : widest) {
        Result<Rows> rows = conn.Exec(
            "INSERT INTO rate_buckets (bucket, widest_window, expires_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (bucket) DO UPDATE SET "
            "widest_window = greatest(rate_buckets.widest_window, excluded.widest_window), "
            "expires_at = greatest(rate_buckets.expires_at, excluded.expires_at) "
            "RETURNING widest_window",
            Params().Text(bucket).Int(window).Int(keep_until[bucket]));
        if (!rows.ok()) return rows.status();
        keep_window[bucket] = rows->empty() ? window : rows->Int(0, 0);
      }
      // Check every rule; record only when all of them allow the request.
      for (const RateRule& rule : rules) {
        Result<Rows> rows = conn.Exec(
            "SELECT count(*) FILTER (WHERE at > $2 AND at <= $3), max(at) FROM rate_events "
            "WHERE bucket = $1",
            Params().Text(rule.bucket).Int(now - rule.window).Int(now));
        if (!rows.ok()) return rows.status();
        if (rows->Int(0, 0) >= rule.max_in_window) return RateLimited();
        if (rule.min_interval > 0 && !rows->IsNull(0, 1) &&
            now - rows->Int(0, 1) < rule.min_interval) {
          return RateLimited();
        }
      }
      for (const auto& [bucket, keep] : keep_window) {
        // Record the event, and prune what no window seen on this bucket can count any more,
        // keeping the newest event for min_interval. (The DELETE does not see the row the
        // INSERT adds: both run on the statement's snapshot.)
        CUSTAUTH_RETURN_IF_ERROR(
            conn.Run("WITH added AS (INSERT INTO rate_events (bucket, at) VALUES ($1, $2)) "
                     "DELETE FROM rate_events WHERE bucket = $1 AND at <= $3 AND "
                     "at < greatest($2, (SELECT max(at) FROM rate_events WHERE bucket = $1))",
                     Params().Text(bucket).Int(now).Int(now - keep)));
      }
      return StatusOf(PruneBuckets(conn, now, prune_buckets));
    });
  }

  // --- OAuth nonces ---

  Status insert_nonce(std::string_view consumer_key, std::string_view nonce, TimeMs expires_at,
                      TimeMs now) override {
    // Inserts, or replaces an expired record; a live record makes the upsert do nothing. Racing
    // inserters queue on the unique key; after the winner commits the others see its live record.
    // The call's marker records whether it inserted (Transact, Resolve).
    static constexpr const char* kInsertNonce =
        "WITH pruned AS (DELETE FROM nonces WHERE (consumer_key, nonce) IN ("
        "  SELECT consumer_key, nonce FROM nonces WHERE expires_at <= $4 AND "
        "  NOT (consumer_key = $1 AND nonce = $2) ORDER BY expires_at LIMIT $6 "
        "  FOR UPDATE SKIP LOCKED)), "
        "added AS ("
        "  INSERT INTO nonces (consumer_key, nonce, expires_at) VALUES ($1, $2, $3) "
        "  ON CONFLICT (consumer_key, nonce) DO UPDATE SET expires_at = excluded.expires_at "
        "  WHERE nonces.expires_at <= $4 RETURNING 1), "
        "marked AS ("
        "  INSERT INTO custauth_call_outcomes (marker, at, result) SELECT "
        "$5, " CUSTAUTH_PG_SERVER_NOW_MS
        ", (SELECT 'inserted' FROM added)) "
        "SELECT 1 FROM added";
    const int per_write = retention_.get().per_write;
    return Transact(
        Tx::kStatement,
        [&](Connection& conn) -> Status {
          Result<Rows> rows = conn.Exec(kInsertNonce, Params()
                                                          .Text(consumer_key)
                                                          .Text(nonce)
                                                          .Int(expires_at)
                                                          .Int(now)
                                                          .Bytes(conn.marker())
                                                          .Int(std::max(per_write, 0)));
          if (!rows.ok()) return rows.status();
          if (rows->empty()) {
            return Status(Code::kAlreadyExists, "The nonce is already being used by the consumer");
          }
          return Status::Ok();
        },
        [](const std::string&) { return Status::Ok(); });
  }

  Result<std::int64_t> prune_nonces(TimeMs now) override {
    return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
      Result<Rows> rows = conn.Exec("DELETE FROM nonces WHERE expires_at <= $1", Params().Int(now));
      if (!rows.ok()) return rows.status();
      return rows->affected();
    });
  }

  // --- Revocation ---

  Result<std::uint64_t> revocation_epoch() override {
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::uint64_t> {
      Result<Rows> rows = conn.Exec("SELECT epoch FROM revocation_epoch WHERE id = 1");
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return Status(Code::kStorage, "postgresql: revocation_epoch has no row");
      return static_cast<std::uint64_t>(rows->Int(0, 0));
    });
  }

  // --- Opaque tokens ---

  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
      const RetentionPolicy policy = retention_.get();
      Result<Rows> rows = conn.Exec(
          "WITH pruned AS (DELETE FROM opaque_tokens WHERE hash IN ("
          "  SELECT hash FROM opaque_tokens WHERE expires_at <= $5 AND hash <> $1 "
          "  ORDER BY expires_at LIMIT $6 FOR UPDATE SKIP LOCKED)) "
          "INSERT INTO opaque_tokens (hash, customer_id, issued_at, expires_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING RETURNING 1",
          Params()
              .Bytes(t.hash)
              .Int(t.customer_id)
              .Int(t.issued_at)
              .Int(t.expires_at)
              .Int(internal::GraceCutoff(policy, t.issued_at))
              .Int(std::max(policy.per_write, 0)));
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return Status(Code::kAlreadyExists, "The token already exists");
      return Status::Ok();
    });
  }

  Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) override {
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<OpaqueTokenRecord> {
      Result<Rows> rows =
          conn.Exec("SELECT customer_id, issued_at, expires_at FROM opaque_tokens WHERE hash = $1",
                    Params().Bytes(hash));
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return Status(Code::kNotFound, "No such token");
      OpaqueTokenRecord t;
      t.hash = std::string(hash);
      t.customer_id = rows->Int(0, 0);
      t.issued_at = rows->Int(0, 1);
      t.expires_at = rows->Int(0, 2);
      return t;
    });
  }

  Result<std::int64_t> prune_opaque_tokens(TimeMs before) override {
    return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
      Result<Rows> rows =
          conn.Exec("DELETE FROM opaque_tokens WHERE expires_at <= $1", Params().Int(before));
      if (!rows.ok()) return rows.status();
      return rows->affected();
    });
  }

  // --- Integrations ---

  Result<Integration> create_integration(const Integration& i) override {
    return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Integration> {
      Integration stored = i;
      stored.permissions = SortedUnique(i.permissions);
      Result<Rows> rows = conn.Exec(
          "INSERT INTO integrations (name, consumer_key, access_token, consumer_secret_sealed, "
          "token_secret_sealed, permissions, active, created_at, revoked_at) "
          "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
          Params()
              .Text(i.name)
              .Text(i.consumer_key)
              .Text(i.access_token)
              .Bytes(i.consumer_secret_sealed)
              .Bytes(i.token_secret_sealed)
              .Text(PermissionsToJson(stored.permissions))
              .Bool(i.active)
              .Int(i.created_at)
              .OptInt(i.revoked_at));
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) {
        stored.id = rows->Int(0, 0);
        return stored;
      }
      Result<Rows> key = conn.Exec("SELECT 1 FROM integrations WHERE consumer_key = $1",
                                   Params().Text(i.consumer_key));
      if (!key.ok()) return key.status();
      if (!key->empty()) {
        return Status(Code::kAlreadyExists, "An integration with this consumer key already exists");
      }
      return Status(Code::kAlreadyExists, "An integration with this access token already exists");
    });
  }

  Result<Integration> find_integration(std::string_view consumer_key) override {
    // Stored keys are text in the database's encoding (UTF-8): bytes that are not UTF-8 name no
    // integration, and must not reach the server (which would answer with a decoding error).
    if (HasNul(consumer_key) || !internal::IsValidUtf8(consumer_key)) {
      return NoSuchIntegration(consumer_key);
    }
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<Integration> {
      Result<Rows> rows = conn.Exec(
          "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
          "token_secret_sealed, permissions, active, created_at, revoked_at "
          "FROM integrations WHERE consumer_key = $1",
          Params().Text(consumer_key));
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return NoSuchIntegration(consumer_key);
      return IntegrationFromRow(*rows, 0);
    });
  }

  Result<std::vector<Integration>> list_integrations() override {
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::vector<Integration>> {
      Result<Rows> rows = conn.Exec(
          "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
          "token_secret_sealed, permissions, active, created_at, revoked_at "
          "FROM integrations ORDER BY id");
      if (!rows.ok()) return rows.status();
      std::vector<Integration> all;
      all.reserve(static_cast<std::size_t>(rows->size()));
      for (int row = 0; row < rows->size(); ++row) {
        Result<Integration> i = IntegrationFromRow(*rows, row);
        if (!i.ok()) return i.status();
        all.push_back(std::move(i).value());
      }
      return all;
    });
  }

  Status set_integration_permissions(std::string_view consumer_key,
                                     const std::vector<std::string>& permissions) override {
    if (HasNul(consumer_key)) return NoSuchIntegration(consumer_key);
    return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
      Result<Rows> rows =
          conn.Exec("UPDATE integrations SET permissions = $1::jsonb WHERE consumer_key = $2",
                    Params().Text(PermissionsToJson(permissions)).Text(consumer_key));
      if (!rows.ok()) return rows.status();
      if (rows->affected() == 0) return NoSuchIntegration(consumer_key);
      return Status::Ok();
    });
  }

  Status revoke_integration(std::string_view consumer_key, TimeMs now) override {
    if (HasNul(consumer_key)) return NoSuchIntegration(consumer_key);
    return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
      Result<Rows> rows = conn.Exec(
          "UPDATE integrations SET active = false, revoked_at = $1 WHERE consumer_key = $2",
          Params().Int(now).Text(consumer_key));
      if (!rows.ok()) return rows.status();
      if (rows->affected() == 0) return NoSuchIntegration(consumer_key);
      return Status::Ok();
    });
  }

  // --- Audit ---

  Result<std::int64_t> append_audit(const AuditRecord& r) override {
    static const std::string kAppend = BuildAuditInsert("", 1, 1) + " RETURNING id";
    return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
      Params params;
      AddAuditParams(params, std::span<const AuditRecord>(&r, 1), retention_.get());
      Result<Rows> rows = conn.Exec(kAppend.c_str(), params);
      if (!rows.ok()) return rows.status();
      return rows->Int(0, 0);
    });
  }

  // Inside a transaction: inserts the records, kAuditRowsPerStatement per statement (one round
  // trip for the records of any one custauth operation).
  static Status InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                            const RetentionPolicy& policy) {
    static const std::vector<std::string> kInsert = [] {
      std::vector<std::string> v;
      for (std::size_t n = 1; n <= kAuditRowsPerStatement; ++n) {
        v.push_back(BuildAuditInsert("", 1, n));
      }
      return v;
    }();
    while (!records.empty()) {
      const std::size_t n = std::min(records.size(), kAuditRowsPerStatement);
      Params params;
      AddAuditParams(params, records.first(n), policy);
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(kInsert[n - 1].c_str(), params));
      records = records.subspan(n);
    }
    return Status::Ok();
  }

  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) override {
    static constexpr const char* kAll =
        "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
        "FROM audit WHERE id > $1 ORDER BY id LIMIT $2";
    static constexpr const char* kOfCustomer =
        "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
        "FROM audit WHERE id > $1 AND customer_id = $3 ORDER BY id LIMIT $2";
    const auto limit = static_cast<std::int64_t>(
        std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max()));
    return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::vector<AuditRecord>> {
      Params params;
      params.Int(q.after_id).Int(limit);
      if (q.customer_id) params.Int(*q.customer_id);
      Result<Rows> rows = conn.Exec(q.customer_id ? kOfCustomer : kAll, params);
      if (!rows.ok()) return rows.status();
      std::vector<AuditRecord> out;
      out.reserve(static_cast<std::size_t>(rows->size()));
      for (int row = 0; row < rows->size(); ++row) {
        AuditRecord r;
        r.id = rows->Int(row, 0);
        r.at = rows->Int(row, 1);
        r.event = rows->Text(row, 2);
        r.customer_id = rows->OptInt(row, 3);
        r.admin_id = rows->OptInt(row, 4);
        r.actor = rows->Text(row, 5);
        r.reason = rows->Text(row, 6);
        r.client_ip = rows->Text(row, 7);
        r.detail = rows->Text(row, 8);
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  // --- Retention ---

  void set_retention(const RetentionPolicy& policy) override { retention_.set(policy); }

  // Each table in batches of kPruneBatch rows, one statement per batch.
  Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy) override {
    PruneCounts counts;
    const auto batch = static_cast<int>(internal::kPruneBatch);
    for (;;) {
      Result<std::pair<std::int64_t, std::int64_t>> part = Transact(
          Tx::kStatement, [&](Connection& conn) { return PruneBuckets(conn, now, batch); });
      if (!part.ok()) return part.status();
      counts.rate_buckets += part->first;
      counts.rate_events += part->second;
      if (part->first < batch) break;
    }
    const TimeMs grace_cutoff = internal::GraceCutoff(policy, now);
    static constexpr const char* kNonces =
        "DELETE FROM nonces WHERE (consumer_key, nonce) IN (SELECT consumer_key, nonce FROM "
        "nonces WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)";
    static constexpr const char* kExpiredSecrets =
        "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
        "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)";
    static constexpr const char* kUsedSecrets =
        "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
        "WHERE used_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";
    static constexpr const char* kOpaqueTokens =
        "DELETE FROM opaque_tokens WHERE hash IN (SELECT hash FROM opaque_tokens "
        "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)";
    static constexpr const char* kAudit =
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at <= $1 ORDER BY at "
        "LIMIT $2 FOR UPDATE SKIP LOCKED)";
    const std::pair<const char*, TimeMs> tables[] = {{kNonces, now},
                                                     {kExpiredSecrets, grace_cutoff},
                                                     {kUsedSecrets, grace_cutoff},
                                                     {kOpaqueTokens, grace_cutoff},
                                                     {kAudit, internal::AuditCutoff(policy, now)}};
    std::int64_t* const into[] = {&counts.nonces, &counts.secrets, &counts.secrets,
                                  &counts.opaque_tokens, &counts.audit};
    for (std::size_t k = 0; k < std::size(tables); ++k) {
      for (;;) {
        Result<std::int64_t> n =
            Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
              Result<Rows> rows =
                  conn.Exec(tables[k].first, Params().Int(tables[k].second).Int(batch));
              if (!rows.ok()) return rows.status();
              return rows->affected();
            });
        if (!n.ok()) return n.status();
        *into[k] += *n;
        if (*n < batch) break;
      }
    }
    return counts;
  }

 private:
  // --- Retention (the per-write pruning; RetentionPolicy) ---

  // Removes up to `limit` expired rate-limit buckets, each with its events, in one statement;
  // returns (buckets, events) removed. Buckets another transaction holds are skipped.
  static Result<std::pair<std::int64_t, std::int64_t>> PruneBuckets(Connection& conn, TimeMs now,
                                                                    int limit) {
    if (limit <= 0) return std::pair<std::int64_t, std::int64_t>(0, 0);
    Result<Rows> rows = conn.Exec(
        "WITH gone AS (DELETE FROM rate_buckets WHERE bucket IN ("
        "  SELECT bucket FROM rate_buckets WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 "
        "  FOR UPDATE SKIP LOCKED) RETURNING bucket), "
        "events AS (DELETE FROM rate_events WHERE bucket IN (SELECT bucket FROM gone) "
        "  RETURNING 1) "
        "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM events)",
        Params().Int(now).Int(limit));
    if (!rows.ok()) return rows.status();
    return std::pair<std::int64_t, std::int64_t>(rows->Int(0, 0), rows->Int(0, 1));
  }

  internal::RetentionHolder retention_;

  // Runs fn(connection) as `tx` on a pooled connection: commits when fn succeeds, rolls back
  // otherwise. Runs it again after a serialization failure or deadlock (up to max_retries times),
  // on a fresh connection when the connection broke before anything could apply (up to
  // pool_size + 1 times), and at once (up to pool_size + 1 times) when a prepared statement had
  // gone stale on the server: each run is the whole of fn from BEGIN, never one statement inside a
  // transaction the failure aborted.
  //
  // A connection that breaks once the write may have reached the server leaves the outcome
  // unknown: the COMMIT of a transaction, or the statement of a Tx::kStatement call that takes
  // `decode` (a marked statement: it writes the connection's marker() into custauth_call_outcomes
  // with its result, see consume_secret; a result only when it changed something). Such a call is
  // resolved on another connection (Resolve): when the marker is there the call committed, and
  // answers with fn's result (a transaction) or decode(the stored result) (a marked statement
  // that changed something); otherwise (Resolve has fenced the marker, so the lost call can never
  // commit; or the statement changed nothing) the call runs again.
  template <class Fn, class R = std::invoke_result_t<Fn&, Connection&>>
  R Transact(Tx tx, Fn&& fn,
             const std::function<std::type_identity_t<R>(const std::string&)>& decode = {}) {
    const bool marked_statement = tx == Tx::kStatement && decode;
    // Every pooled connection may have lost its statements at once (a DISCARD ALL on each), and
    // each forgets them on its first failure: pool_size + 1 runs get past them all. The same
    // bound holds for connections found broken: every idle one may have been.
    const std::size_t max_reruns = std::max<std::size_t>(options_.pool_size, 1) + 1;
    std::size_t stale_reruns = 0;
    std::size_t fresh_reruns = 0;
    for (int attempt = 0;;) {
      std::unique_ptr<Connection> conn;
      CUSTAUTH_RETURN_IF_ERROR(pool_.Acquire(&conn));
      Connection& c = *conn;
      c.ClearError();
      if (tx == Tx::kTransaction || marked_statement) c.NewMarker();
      Status failure;
      bool outcome_unknown = false;  // the write may have committed; the reply was lost
      std::optional<R> committed;    // fn's result, kept while the COMMIT's outcome is unknown
      if (tx == Tx::kTransaction) failure = c.RunUnprepared("BEGIN ISOLATION LEVEL READ COMMITTED");
      if (failure.ok()) {
        R r = fn(c);
        if (r.ok()) {
          if (tx == Tx::kTransaction) {
            failure = c.CommitMarked();
            outcome_unknown = !failure.ok() && !c.unsent();
          }
          if (failure.ok()) {
            pool_.Release(std::move(conn));
            if (tx == Tx::kTransaction || marked_statement) MaybePruneOutcomes();
            return r;
          }
          committed.emplace(std::move(r));
        } else {
          failure = StatusOf(r);
          outcome_unknown = marked_statement && !c.unsent();
        }
      }
      const std::string sqlstate = c.sqlstate();
      const bool stale = c.stale_statement();
      const bool unsent = c.unsent();
      const std::string marker = c.marker();
      const bool usable = c.Reset();
      if (usable) {
        pool_.Release(std::move(conn));
      } else {
        conn.reset();
        pool_.Discard();
      }
      if (!usable) {
        // The connection broke. A transaction that did not reach its COMMIT was rolled back by
        // the server; a statement that was never sent, or a read, applied nothing.
        if (outcome_unknown) {
          Result<std::optional<std::optional<std::string>>> outcome = Resolve(marker);
          if (!outcome.ok()) return outcome.status();
          if (committed) {
            if (outcome->has_value()) return std::move(*committed);
          } else if (outcome->has_value() && outcome->value().has_value()) {
            return decode(*outcome->value());
          }
          // Not committed, or a marked statement that committed having changed nothing (it
          // stores a result only when it changes something): as if it had not run.
        } else if (tx == Tx::kStatement && !marked_statement && !unsent) {
          return failure;  // a write whose outcome custauth cannot learn
        }
        if (fresh_reruns < max_reruns) {
          ++fresh_reruns;
          broken_reruns_.fetch_add(1, std::memory_order_relaxed);
          continue;  // nothing was applied: again, on a fresh connection
        }
        return failure;
      }
      if (stale) {
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
      if (!IsRetryable(sqlstate)) return failure;
      if (attempt >= std::max(options_.max_retries, 0)) {
        return Status(Code::kStorage, fmt::format("{} (still failing after {} retries)",
                                                  failure.message(), attempt));
      }
      retries_.fetch_add(1, std::memory_order_relaxed);
      Backoff(attempt);
      ++attempt;
    }
  }

  // Learns, on another connection, whether the call that wrote `marker` committed: its stored
  // result (nullopt inside when it stored none) when it did; nullopt when it did not, and never
  // will. The fence: inserting the marker here either finds it committed (after waiting for the
  // lost call's transaction, should it still run on the server), or takes it first, and then the
  // lost call's own insert of the marker fails and rolls it back. Tries for connect_timeout_ms
  // at least 2 s (the server may be restarting); kStorage, saying the outcome is unknown, when
  // it cannot learn it.
  Result<std::optional<std::optional<std::string>>> Resolve(const std::string& marker) {
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

  // Every 1024th call that committed a marker deletes the markers older than an hour: none is
  // looked up after the call that wrote it has returned.
  void MaybePruneOutcomes() {
    if (marked_calls_.fetch_add(1, std::memory_order_relaxed) % 1024 != 1023) return;
    (void)Transact(Tx::kStatement, [](Connection& conn) {
      return conn.Run("DELETE FROM custauth_call_outcomes WHERE at < " CUSTAUTH_PG_SERVER_NOW_MS
                      " - 3600000");
    });
  }

  // Sleeps a little before a retry: grows with the attempt, jittered so that racing servers
  // spread out.
  static void Backoff(int attempt) {
    thread_local std::minstd_rand rng(static_cast<unsigned>(
        std::hash<std::thread::id>()(std::this_thread::get_id()) ^
        static_cast<std::size_t>(SteadyClock::now().time_since_epoch().count())));
    const int cap_us = 1000 << std::min(attempt, 5);  // 1 ms .. 32 ms
    std::this_thread::sleep_for(std::chrono::microseconds(100 + static_cast<int>(rng() % cap_us)));
  }

  // Opens a connection with custauth's settings.
  Result<std::unique_ptr<Connection>> OpenConnection() {
    const int timeout_s = std::max(2, (std::max(options_.connect_timeout_ms, 0) + 999) / 1000);
    const std::string timeout = std::to_string(timeout_s);
    // Keywords after "dbname" (the URI, expanded) override what the URI says.
    const char* const keys[] = {"fallback_application_name", "dbname", "connect_timeout",
                                "client_encoding", nullptr};
    const char* const values[] = {"custauth", uri_.c_str(), timeout.c_str(), "UTF8", nullptr};
    PGconn* pg = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (pg == nullptr) return Status(Code::kStorage, "postgresql: out of memory");
    auto conn = std::make_unique<Connection>(pg, &statements_, options_.prepare_statements);
    if (PQstatus(pg) != CONNECTION_OK) {
      return Status(Code::kStorage,
                    fmt::format("postgresql: cannot connect to {}: {}", DescribeConnection(pg),
                                OneLine(PQerrorMessage(pg))));
    }
    connections_opened_.fetch_add(1, std::memory_order_relaxed);
    PQsetNoticeReceiver(pg, &Connection::NoteReceived, conn.get());
    conn->lock_timeout_ms = std::max(options_.lock_timeout_ms, 0);
    CUSTAUTH_RETURN_IF_ERROR(
        conn->Script(fmt::format("SET lock_timeout = {}", conn->lock_timeout_ms).c_str()));
    return conn;
  }

  // The schema version of the database; -1 when it has no custauth_schema table.
  static Result<int> ReadVersion(Connection& conn) {
    Result<Rows> exists = conn.ExecUnprepared("SELECT to_regclass('custauth_schema') IS NOT NULL");
    if (!exists.ok()) return exists.status();
    if (!exists->Bool(0, 0)) return -1;
    Result<Rows> rows = conn.ExecUnprepared("SELECT version FROM custauth_schema WHERE id = 1");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status(Code::kStorage, "postgresql: custauth_schema has no row");
    return static_cast<int>(rows->Int(0, 0));
  }

  Status CheckVersion(int version) const {
    if (version > postgres_schema::kSchemaVersion) {
      return Status(Code::kStorage,
                    fmt::format("database schema version {} is newer than this custauth ({})",
                                version, postgres_schema::kSchemaVersion));
    }
    if (version < 0 && !options_.create_if_missing) {
      return Status(Code::kStorage, fmt::format("{} has no custauth tables (custauth_schema) and "
                                                "create_if_missing is false",
                                                describe_));
    }
    return Status::Ok();
  }

  // Checks the schema version and runs the missing migrations under the advisory lock.
  Status Bootstrap() {
    Result<int> version = Transact(Tx::kRead, [](Connection& c) { return ReadVersion(c); });
    if (!version.ok()) return version.status();
    CUSTAUTH_RETURN_IF_ERROR(CheckVersion(*version));
    if (*version == postgres_schema::kSchemaVersion) return Status::Ok();

    std::unique_ptr<Connection> conn;
    CUSTAUTH_RETURN_IF_ERROR(pool_.Acquire(&conn));
    Status migrated = Migrate(*conn);
    // Roll back what failed, release the lock and restore lock_timeout; a connection where any of
    // that fails is closed, which releases the session lock too.
    const bool healthy =
        conn->Reset() &&
        conn->RunUnprepared("SELECT pg_advisory_unlock($1)",
                            Params().Int(postgres_schema::kMigrationLockKey))
            .ok() &&
        conn->Script(fmt::format("SET lock_timeout = {}", conn->lock_timeout_ms).c_str()).ok();
    if (healthy) {
      pool_.Release(std::move(conn));
    } else {
      conn.reset();
      pool_.Discard();
    }
    return migrated;
  }

  // Takes the migration lock for the session (waiting as long as another server migrates), then
  // migrates in one transaction. The lock is a session lock taken BEFORE the transaction begins,
  // not a transaction lock: a transaction that began before another server's migration committed
  // could still see the catalog as it was (to_regclass does not re-read it).
  Status Migrate(Connection& c) {
    CUSTAUTH_RETURN_IF_ERROR(c.Script("SET lock_timeout = 0"));
    CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("SELECT pg_advisory_lock($1)",
                                             Params().Int(postgres_schema::kMigrationLockKey)));
    CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("BEGIN ISOLATION LEVEL READ COMMITTED"));
    // Another server may have migrated the database while this one waited for the lock.
    Result<int> now = ReadVersion(c);
    if (!now.ok()) return now.status();
    CUSTAUTH_RETURN_IF_ERROR(CheckVersion(*now));
    int v = *now;
    if (v < 0) {
      Result<Rows> taken = c.ExecUnprepared("SELECT to_regclass('customers') IS NOT NULL");
      if (!taken.ok()) return taken.status();
      if (taken->Bool(0, 0)) {
        return Status(Code::kStorage,
                      fmt::format("{} has a table customers but no custauth_schema: it is not "
                                  "a custauth database (give custauth a database or a schema "
                                  "of its own)",
                                  describe_));
      }
      CUSTAUTH_RETURN_IF_ERROR(c.Script(postgres_schema::kCreateVersionTable));
      v = 0;
    }
    for (; v < postgres_schema::kSchemaVersion; ++v) {
      CUSTAUTH_RETURN_IF_ERROR(c.Script(postgres_schema::kMigrations[v]));
    }
    CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("UPDATE custauth_schema SET version = $1 WHERE id = 1",
                                             Params().Int(postgres_schema::kSchemaVersion)));
    return c.RunUnprepared("COMMIT");
  }

  // --- Helpers that run inside a transaction ---

  static Result<Customer> FindById(Connection& conn, const char* sql, std::int64_t id) {
    Result<Rows> rows = conn.Exec(sql, Params().Int(id));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NoSuchCustomerId(id);
    return CustomerFromRow(*rows, 0);
  }

  static Result<std::optional<Customer>> FindByEmail(Connection& conn, std::int64_t website_id,
                                                     std::string_view email) {
    if (HasNul(email)) return std::optional<Customer>();  // never stored
    Result<Rows> rows =
        conn.Exec(kSelectCustomerByEmailKey, Params().Int(website_id).Text(EmailKey(email)));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return std::optional<Customer>();
    return std::optional<Customer>(CustomerFromRow(*rows, 0));
  }

  // Inserts `c` unless its id or email is taken (then nullopt). REQUIRES: kLockCustomerIds held.
  static Result<std::optional<Customer>> Insert(Connection& conn, const NewCustomer& c,
                                                TimeMs now) {
    if (c.id > kMaxCustomerId) return CustomerIdTooLarge(c.id);
    Params params;
    params.OptInt(c.id > 0 ? std::optional<std::int64_t>(c.id) : std::nullopt)
        .Int(c.website_id)
        .Text(c.email)
        .Text(EmailKey(c.email))
        .Text(c.firstname)
        .Text(c.lastname)
        .Bool(c.is_subscribed)
        .Bool(c.confirmed)
        .Bool(c.allow_remote_shopping_assistance)
        .Bool(c.is_active)
        .Text(c.password_hash)
        .Int(now);
    Result<Rows> rows = conn.Exec(kInsertCustomer, params);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return std::optional<Customer>();
    if (rows->Int(0, 0) == 0) return NoCustomerIdLeft("postgresql");
    Customer stored = c.to_customer(rows->Int(0, 0), now);
    return std::optional<Customer>(std::move(stored));
  }

  // The 17 values of an imported row, in the order of kImportCustomers' and
  // kImportUpdateCustomer's parameters, written to `out` (Params, or ArrayColumns).
  template <class Out>
  static void ImportValues(Out& out, const ImportedCustomer& row) {
    const NewCustomer& c = row.customer;
    out.Int(c.id).Int(c.website_id).Text(c.email).Text(EmailKey(c.email)).Text(c.firstname);
    out.Text(c.lastname).Bool(c.is_subscribed).Bool(c.confirmed);
    out.Bool(c.allow_remote_shopping_assistance).Bool(c.is_active).Text(c.password_hash);
    out.Int(row.failures_num).OptInt(row.first_failure).OptInt(row.lock_expires);
    out.Int(row.created_at).Int(row.updated_at).Int(row.tokens_revoked_at);
  }

  // The parameters of kImportCustomers (one array per column, one element per row) or, with
  // `scalars`, of kImportUpdateCustomer (the values of the one row).
  static Params ImportArrays(std::span<const ImportedCustomer> rows, bool scalars = false) {
    Params p;
    if (scalars) {
      ImportValues(p, rows.front());
      return p;
    }
    ArrayColumns columns(17);
    for (const ImportedCustomer& row : rows) {
      columns.NextRow();
      ImportValues(columns, row);
    }
    for (std::string& literal : columns.Finish()) p.Literal(std::move(literal));
    return p;
  }

  // The login operations inside one transaction: the customer's row lock, and an advisory lock
  // per counter key (a counter row may not exist yet, or be deleted by the holder).
  class Txn final : public internal::LoginTxn {
   public:
    Txn(Connection& conn, bool lock, RetentionPolicy retention = {})
        : conn_(conn), lock_(lock), retention_(retention) {}
    Result<std::optional<Customer>> customer(std::int64_t id) override {
      Result<Rows> rows =
          conn_.Exec(lock_ ? kLockCustomerById : kSelectCustomerById, Params().Int(id));
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return std::optional<Customer>();
      return std::optional<Customer>(CustomerFromRow(*rows, 0));
    }
    Status write_customer(const Customer& c) override { return WriteCustomer(conn_, c); }
    Result<internal::LoginCounter> counter(const std::string& key) override {
      if (lock_) {
        CUSTAUTH_RETURN_IF_ERROR(
            conn_.Run("SELECT pg_advisory_xact_lock(7411, hashtext($1))", Params().Text(key)));
      }
      Result<Rows> rows = conn_.Exec(
          "SELECT failures, expires_at, in_flight, in_flight_expires FROM login_counters "
          "WHERE key = $1",
          Params().Text(key));
      if (!rows.ok()) return rows.status();
      internal::LoginCounter c;
      if (rows->empty()) return c;
      c.failures = static_cast<int>(rows->Int(0, 0));
      c.expires_at = rows->Int(0, 1);
      c.in_flight = static_cast<int>(rows->Int(0, 2));
      c.in_flight_expires = rows->Int(0, 3);
      return c;
    }
    Status write_counter(const std::string& key, const internal::LoginCounter& c,
                         TimeMs now) override {
      if (c.empty_at(now)) {
        return conn_.Run("DELETE FROM login_counters WHERE key = $1", Params().Text(key));
      }
      return conn_.Run(
          "INSERT INTO login_counters (key, failures, expires_at, in_flight, in_flight_expires) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET "
          "failures = excluded.failures, expires_at = excluded.expires_at, "
          "in_flight = excluded.in_flight, in_flight_expires = excluded.in_flight_expires",
          Params()
              .Text(key)
              .Int(c.failures)
              .Int(c.expires_at)
              .Int(c.in_flight)
              .Int(c.in_flight_expires));
    }
    Result<std::optional<SecretRecord>> unused_secret(SecretKind kind, std::int64_t customer_id,
                                                      std::string_view hash) override {
      Result<Rows> rows = conn_.Exec(
          "SELECT created_at, expires_at, admin_id, reason FROM secrets WHERE customer_id = $1 "
          "AND kind = $2 AND hash = $3 AND used_at IS NULL FOR UPDATE",
          Params().Int(customer_id).Int(static_cast<int>(kind)).Bytes(hash));
      if (!rows.ok()) return rows.status();
      if (rows->empty()) return std::optional<SecretRecord>();
      SecretRecord r;
      r.kind = kind;
      r.customer_id = customer_id;
      r.hash = std::string(hash);
      r.created_at = rows->Int(0, 0);
      r.expires_at = rows->Int(0, 1);
      r.admin_id = rows->OptInt(0, 2);
      r.reason = rows->Text(0, 3);
      return std::optional<SecretRecord>(std::move(r));
    }
    Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) override {
      return conn_.Run("UPDATE secrets SET used_at = $1 WHERE customer_id = $2 AND kind = $3",
                       Params().Int(at).Int(customer_id).Int(static_cast<int>(kind)));
    }
    Status append_audit(std::span<const AuditRecord> records) override {
      return InsertAudit(conn_, records, retention_);
    }

   private:
    Connection& conn_;
    bool lock_;
    RetentionPolicy retention_;
  };

  static Status WriteCustomer(Connection& conn, const Customer& c) {
    return conn.Run(kUpdateCustomer, Params()
                                         .Text(c.firstname)
                                         .Text(c.lastname)
                                         .Bool(c.is_subscribed)
                                         .Bool(c.confirmed)
                                         .Bool(c.allow_remote_shopping_assistance)
                                         .Bool(c.is_active)
                                         .Text(c.password_hash)
                                         .Int(c.failures_num)
                                         .OptInt(c.first_failure)
                                         .OptInt(c.lock_expires)
                                         .Int(c.tokens_revoked_at)
                                         .Int(c.updated_at)
                                         .Int(c.id));
  }

  static Result<Integration> IntegrationFromRow(const Rows& rows, int row) {
    Integration i;
    i.id = rows.Int(row, 0);
    i.name = rows.Text(row, 1);
    i.consumer_key = rows.Text(row, 2);
    i.access_token = rows.Text(row, 3);
    i.consumer_secret_sealed = rows.Bytes(row, 4);
    i.token_secret_sealed = rows.Bytes(row, 5);
    Result<std::vector<std::string>> permissions =
        PermissionsFromJson(rows.Text(row, 6), "postgresql");
    if (!permissions.ok()) return permissions.status();
    i.permissions = std::move(permissions).value();
    i.active = rows.Bool(row, 7);
    i.created_at = rows.Int(row, 8);
    i.revoked_at = rows.OptInt(row, 9);
    return i;
  }

  const std::string uri_;
  const PostgresOptions options_;
  std::string describe_;  // set once by Init, before any other thread sees this
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> stale_reruns_{0};
  std::atomic<std::uint64_t> resolutions_{0};
  std::atomic<std::uint64_t> broken_reruns_{0};
  std::atomic<std::uint64_t> marked_calls_{0};
  StatementCounters statements_;
  Pool pool_;
};

}  // namespace

int PostgresSchemaVersion() noexcept { return postgres_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& uri,
                                                     const PostgresOptions& options) {
  if (uri.empty()) return Status(Code::kInvalidInput, "The PostgreSQL connection URI is empty");
  {
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &error);
    if (parsed == nullptr) {
      std::string why = error != nullptr ? OneLine(error) : "out of memory";
      if (error != nullptr) PQfreemem(error);
      return Status(Code::kInvalidInput,
                    fmt::format("The PostgreSQL connection URI is malformed: {}", why));
    }
    PQconninfoFree(parsed);
  }
  auto storage = std::make_unique<PostgresStorage>(uri, options);
  CUSTAUTH_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

namespace internal {

Result<PostgresCounters> PostgresCountersForTesting(Storage& storage) {
  auto* pg = dynamic_cast<PostgresStorage*>(&storage);
  if (pg == nullptr) return Status(Code::kInvalidInput, "not a PostgresStorage");
  return pg->counters();
}

Result<std::vector<std::string>> PostgresExecOnIdleConnectionsForTesting(Storage& storage,
                                                                         const std::string& sql) {
  auto* pg = dynamic_cast<PostgresStorage*>(&storage);
  if (pg == nullptr) return Status(Code::kInvalidInput, "not a PostgresStorage");
  return pg->ExecOnIdleConnections(sql);
}

}  // namespace internal

}  // namespace custauth

#else  // !CUSTAUTH_WITH_POSTGRES

#include "postgres/postgres_internal.h"

namespace custauth {

int PostgresSchemaVersion() noexcept { return postgres_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& /*uri*/,
                                                     const PostgresOptions& /*options*/) {
  return Status(Code::kUnsupported,
                "custauth was built without PostgreSQL support (CUSTAUTH_WITH_POSTGRES is OFF)");
}

namespace internal {

Result<PostgresCounters> PostgresCountersForTesting(Storage& /*storage*/) {
  return Status(Code::kInvalidInput, "not a PostgresStorage");
}

Result<std::vector<std::string>> PostgresExecOnIdleConnectionsForTesting(
    Storage& /*storage*/, const std::string& /*sql*/) {
  return Status(Code::kInvalidInput, "not a PostgresStorage");
}

}  // namespace internal

}  // namespace custauth

#endif  // CUSTAUTH_WITH_POSTGRES
