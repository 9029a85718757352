// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The import's internals (custauth/import.h): reading CSV and JSON Lines records, checking rows,
// and the run of one import. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_IMPORT_IMPORT_INTERNAL_H_
#define CUSTAUTH_SRC_IMPORT_IMPORT_INTERNAL_H_

#include "custauth/import.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth_impl.h"
#include "custauth/auth.h"
#include "custauth/password.h"
#include "foreign_hashes.h"
#include "internal.h"
#include "json.h"

namespace custauth::import_detail {

using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Reading: bytes from a stream through a buffer, counting lines.

class Source {
 public:
  explicit Source(std::istream& in) : in_(in), buffer_(64 << 10) {}

  // The next byte, or -1 at the end (or on a read error: see failed()).
  int Get();
  int Peek();
  std::uint64_t bytes_read() const;
  bool failed() const;

 private:
  bool Fill();

  std::istream& in_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t consumed_ = 0;
};

// One record of the file: its values by known column (nullopt: NULL or absent), and where it is.
struct Record {
  std::int64_t line = 0;
  std::vector<std::optional<std::string>> values;
  std::string error;  // non-empty: the record is malformed (the reason)
};

enum class ReadResult { kRecord, kEnd, kStop };

inline bool MeansNull(std::string_view v) { return v.empty() || v == "NULL" || v == "\\N"; }

// The longest record (a CSV record with its quoted line breaks, or a JSON Lines line) read into
// memory; a longer one is skipped to its end and reported as a malformed record.
inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;
inline constexpr std::string_view kRecordTooLong = "the record is longer than 65536 bytes";

// The reader of one format. Next() fills `r` with a record, reports the end, or stops the import
// (`stop` then says why: a truncated file, a read error).
class Reader {
 public:
  Reader(Source& src, const std::vector<std::string_view>& columns)
      : src_(src), columns_(columns) {}
  virtual ~Reader() = default;
  // Reads what comes before the first record (the CSV header). OK or why the file is unusable.
  virtual Status Start() = 0;
  virtual ReadResult Next(Record& r, Status& stop) = 0;
  const std::vector<std::string>& unknown_columns() const;

 protected:
  // The index of a known column, or -1 (noting an unknown one once).
  int ColumnIndex(std::string_view name);

  Source& src_;
  const std::vector<std::string_view>& columns_;
  std::vector<std::string> unknown_;
  std::int64_t line_ = 1;
};

class CsvReader final : public Reader {
 public:
  CsvReader(Source& src, const std::vector<std::string_view>& columns,
            const std::vector<std::string_view>& required)
      : Reader(src, columns), required_(required) {}

  Status Start() override;

  ReadResult Next(Record& r, Status& stop) override;

 private:
  using Fields = std::vector<std::string>;
  enum class Split { kRecord, kEnd, kOpenQuote };

  // Splits the next record into `fields` (RFC 4180). `line` is the line it starts on. A record
  // over kMaxRecordBytes sets too_long_ and is read to its end without being kept (each field
  // keeps at most its first byte, so that an empty field still reads as empty).
  Split SplitRecord(Fields& fields, std::int64_t& line, bool& ended_without_newline);

  const std::vector<std::string_view>& required_;
  std::vector<int> map_;
  std::size_t width_ = 0;
  Fields fields_;
  bool too_long_ = false;  // the last record split was over kMaxRecordBytes
};

class JsonLinesReader final : public Reader {
 public:
  using Reader::Reader;

  Status Start() override;

  ReadResult Next(Record& r, Status& stop) override;

 private:
  std::string line_text_;
};

// ---------------------------------------------------------------------------------------------
// Values

// A decimal integer (a leading '-' allowed), surrounding blanks ignored; nullopt when it is not
// one or does not fit in 64 bits.
std::optional<std::int64_t> ParseInt(std::string_view s);

// "YYYY-MM-DD HH:MM:SS[.fraction]" (or with 'T', optionally ending in 'Z' or "+00:00"), a date
// alone, or Unix seconds: ms since the epoch. nullopt when malformed. MySQL's zero date is NULL.
struct ParsedTime {
  bool ok = false;
  std::optional<TimeMs> value;
};

ParsedTime ParseTime(std::string_view s);

// A flag column: 0/1 (also true/false). nullopt when malformed.
std::optional<bool> ParseFlag(std::string_view s);

bool IsArgon2idString(const std::string& s);

// A set of 64-bit keys, open addressing: 8 bytes a slot, at most half full.
class KeySet {
 public:
  bool Contains(std::uint64_t key) const;

  // Inserts `key`; false when it was there.
  bool Insert(std::uint64_t key);

 private:
  static std::size_t Mix(std::uint64_t x);
  void Grow();
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

// The entity ids seen so far. Exports list them mostly in increasing order, so those are kept as
// ranges of consecutive ids (a few bytes for a whole file); the others go to a KeySet.
class IdSet {
 public:
  bool Contains(std::int64_t id) const;

  // REQUIRES: !Contains(id).
  void Insert(std::int64_t id);

 private:
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges_;
  KeySet others_;
};

// FNV-1a of `seed`'s 8 bytes and then `s`'s, mixed further by KeySet.
std::uint64_t Hash64(std::string_view s, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------
// The run of one import: the reader, progress, the report.

std::unique_ptr<Reader> MakeReaderFor(Source& src, ImportFormat format,
                                      const std::vector<std::string_view>& columns,
                                      const std::vector<std::string_view>& required);

class Run {
 public:
  Run(std::istream& in, std::uint64_t total_bytes, const ImportOptions& options)
      : src_(in), total_(total_bytes), options_(options), started_(SteadyClock::now()) {}

  ImportReport& report();

  std::unique_ptr<Reader> MakeReader(const std::vector<std::string_view>& columns,
                                     const std::vector<std::string_view>& required);

  // Reads the whole file once, writing nothing, so that a truncated or unreadable file is refused
  // before any row is written; then rewinds it. Streams that cannot seek are not read twice
  // (they are imported as they are read). False when the import must stop (the report says why).
  bool CheckWholeFile(std::istream& in, const std::vector<std::string_view>& columns,
                      const std::vector<std::string_view>& required);

  void Reject(std::int64_t line, std::string reason);

  void Stop(Status why, std::int64_t line);

  void Tick();

  void Finish(const Reader* reader);

 private:
  Source src_;
  std::uint64_t total_;
  const ImportOptions& options_;
  ImportReport report_;
  SteadyClock::time_point started_;
  SteadyClock::time_point last_progress_ = SteadyClock::now();
  std::uint64_t ticks_ = 0;
};

// Column indexes of a customer export.
enum CustomerColumn {
  kEntityId,
  kWebsiteId,
  kEmail,
  kFirstname,
  kLastname,
  kPasswordHash,
  kConfirmation,
  kIsActive,
  kCreatedAt,
  kUpdatedAt,
  kFailuresNum,
  kFirstFailure,
  kLockExpires,
  kIsSubscribed,
  kAllowRemoteShoppingAssistance,
};
inline const std::vector<std::string_view> kCustomerColumns = {
    "entity_id",    "website_id",    "email",
    "firstname",    "lastname",      "password_hash",
    "confirmation", "is_active",     "created_at",
    "updated_at",   "failures_num",  "first_failure",
    "lock_expires", "is_subscribed", "allow_remote_shopping_assistance"};
inline const std::vector<std::string_view> kCustomerRequired = {"email", "firstname", "lastname"};

enum RevocationColumn { kUserTypeId, kUserId, kRevokeBefore };
inline const std::vector<std::string_view> kRevocationColumns = {"user_type_id", "user_id",
                                                                 "revoke_before"};

// Checks the customer of one record and fills `out`; the reason when the record is refused.
std::optional<std::string> ToImported(const Record& r, TimeMs now, ImportedCustomer& out);

}  // namespace custauth::import_detail

#endif  // CUSTAUTH_SRC_IMPORT_IMPORT_INTERNAL_H_
