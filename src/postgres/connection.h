// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's connections: Params and Rows (one statement's parameters and result),
// Connection (one PGconn and the statements prepared on it), Pool (the connections a storage
// shares between threads).
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
#ifndef CUSTAUTH_SRC_POSTGRES_CONNECTION_H_
#define CUSTAUTH_SRC_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "internal.h"
#include "storage_internal.h"

namespace custauth::postgres_backend {

// The refusals and helpers every backend shares (storage_internal.h).
using namespace internal;  // NOLINT(google-build-using-namespace)

using SteadyClock = std::chrono::steady_clock;

// Type OIDs of the parameters custauth binds (from PostgreSQL's pg_type.dat; stable).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

// Whether `s` holds a NUL byte: text travels as a C string, and cannot.
bool HasNul(std::string_view s);

// The server's clock in milliseconds since the Unix epoch, as SQL: the time of a call marker.
#define CUSTAUTH_PG_SERVER_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

// libpq's messages end in a newline and may span lines; a Status message is one line.
std::string OneLine(const char* text);

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

// One row of Rows, read by column as storage_internal.h's row readers take it.
class Row {
 public:
  Row(const Rows& rows, int row) : rows_(rows), row_(row) {}
  std::int64_t Int(int col) const { return rows_.Int(row_, col); }
  std::optional<std::int64_t> OptInt(int col) const { return rows_.OptInt(row_, col); }
  bool Bool(int col) const { return rows_.Bool(row_, col); }
  std::string Text(int col) const { return rows_.Text(row_, col); }

 private:
  const Rows& rows_;
  const int row_;
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
  Result<Rows> Exec(const char* sql, const Params& params = Params());
  Status Run(const char* sql, const Params& params = Params()) {
    return Exec(sql, params).status();
  }

  // Runs one statement with PQexecParams: parsed and planned by the server on every call. For
  // what runs once per connection or per handle (bootstrap, migrations), and for BEGIN and
  // COMMIT, which have neither parameters nor a plan: preparing them would save the server
  // nothing worth a cache entry.
  Result<Rows> ExecUnprepared(const char* sql, const Params& params = Params());
  Status RunUnprepared(const char* sql, const Params& params = Params()) {
    return ExecUnprepared(sql, params).status();
  }

  // Runs SQL without parameters; may hold several statements (migrations).
  Status Script(const char* sql) { return Check(Collect(PQsendQuery(pg_, sql))).status(); }

  // Ends the transaction: writes this call's marker (see NewMarker) and commits, both in one
  // round trip. A broken connection here leaves the outcome unknown unless unsent(): the caller
  // then learns it from the marker (PostgresStorage::Resolve).
  Status CommitMarked();

  // A fresh random marker for the next call: 16 bytes that the call's write stores in
  // custauth_call_outcomes in its own transaction, so that its commit can be learnt on another
  // connection when this one breaks before the reply.
  void NewMarker();
  const std::string& marker() const { return marker_; }

  // Whether the last statement never reached the server: libpq could not hand it over (the
  // connection was already closed, or writing to it failed and the server had gone). Nothing of
  // it can have been applied.
  bool unsent() const { return unsent_; }

  // Ends whatever transaction a failed call left open, and deallocates the prepared statements
  // this connection forgot. False when the connection is broken or left in an unknown state, and
  // must be closed rather than reused.
  bool Reset();

  // Whether an idle connection is still open: reads what the server may have sent meanwhile
  // without waiting, and parses it. A server that ends a session (a shutdown or restart, an
  // administrator's pg_terminate_backend, idle_session_timeout) sends a FATAL message before it
  // closes the socket; libpq hands a message that arrives while idle to the notice receiver
  // (NoteReceived), and sees the close itself only on the read after the one that got the data.
  bool StillOpen();

  // The notice receiver of the connection (set by OpenConnection): notes a FATAL or PANIC message,
  // the server's word that it ends the session; drops every other notice.
  static void NoteReceived(void* self, const PGresult* r);

 private:
  struct Statement {
    std::string name;
    std::vector<Oid> types;  // as prepared; a call with others runs unprepared
  };
  static constexpr std::size_t kMaxPrepared = 64;

  // The result of a statement handed to the server with PQsend* (`sent`: what that returned): the
  // first failed result if any, else the last one; nullptr when there is none. Unlike PQexec*,
  // tells a statement that never reached the server (unsent_) from one whose reply was lost.
  PGresult* Collect(int sent);

  std::string MarkerHex() const;

  // Forgets every statement prepared here, to prepare them again under new names when next run;
  // Reset deallocates them on the server once the transaction has ended.
  void Forget();

  // A successful `r` as Rows; else the failure as a Status (noting its SQLSTATE), and `r` freed.
  Result<Rows> Check(PGresult* r);

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

// Whether `sqlstate` is a serialization failure (40001) or a deadlock (40P01): the whole statement
// or transaction was rolled back, and may run again.
bool IsRetryable(const std::string& sqlstate);

// ---------------------------------------------------------------------------------------------
// Pool: up to PostgresOptions::pool_size connections, each checked out by one thread at a time;
// an idle one the server closed is replaced before use (Connection::StillOpen;
// storage_internal.h).

using Pool = ConnectionPool<Connection>;

// "postgresql://host[:port]/dbname" of an open connection; a socket directory as host is
// percent-encoded, as libpq's URIs spell it.
std::string DescribeConnection(PGconn* pg);

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_SRC_POSTGRES_CONNECTION_H_
