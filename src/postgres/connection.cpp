// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's connections (connection.h): running statements, prepared or not, reading
// their failures, the call markers, and telling a healthy connection from a broken one.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include <sys/random.h>

#include <cerrno>
#include <random>

#include <fmt/format.h>

#include "postgres/connection.h"

namespace custauth::postgres_backend {

namespace {

constexpr const char* kServerNowMs = CUSTAUTH_PG_SERVER_NOW_MS;

}  // namespace

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

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

Result<Rows> Connection::Exec(const char* sql, const Params& params) {
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
  if (!std::equal(s.types.begin(), s.types.end(), params.types(), params.types() + params.size())) {
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

Result<Rows> Connection::ExecUnprepared(const char* sql, const Params& params) {
  if (!params.error().ok()) return params.error();
  const std::vector<const char*> values = params.pointers();
  PGresult* r = Collect(PQsendQueryParams(pg_, sql, params.size(), params.types(), values.data(),
                                          params.lengths(), params.formats(),
                                          /*resultFormat=*/0));
  return Check(r);
}

Status Connection::CommitMarked() {
  const std::string sql = fmt::format(
      "INSERT INTO custauth_call_outcomes (marker, at) VALUES (decode('{}', 'hex'), {}); COMMIT",
      MarkerHex(), kServerNowMs);
  return Script(sql.c_str());
}

void Connection::NewMarker() {
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

bool Connection::Reset() {
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

bool Connection::StillOpen() {
  for (int read = 0; read < 2; ++read) {
    if (terminated_ || PQstatus(pg_) != CONNECTION_OK) return false;
    if (PQconsumeInput(pg_) == 0) return false;
    if (PQisBusy(pg_) != 0) return false;  // parses what arrived; busy while idle: unknown
  }
  return !terminated_ && PQstatus(pg_) == CONNECTION_OK && PQtransactionStatus(pg_) == PQTRANS_IDLE;
}

void Connection::NoteReceived(void* self, const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
    static_cast<Connection*>(self)->terminated_ = true;
  }
}

PGresult* Connection::Collect(int sent) {
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

std::string Connection::MarkerHex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : marker_) {
    out.push_back(kHex[ch >> 4]);
    out.push_back(kHex[ch & 15]);
  }
  return out;
}

void Connection::Forget() {
  prepared_.clear();
  stale_statement_ = true;
  deallocate_ = true;
  counters_->forgotten.fetch_add(1, std::memory_order_relaxed);
}

Result<Rows> Connection::Check(PGresult* r) {
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

bool IsRetryable(const std::string& sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

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

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
