// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Imports of the platform's exports (custauth/import.h): a streaming CSV / JSON Lines reader, the
// checks of each row, and the batches handed to Storage::import_customers.
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

namespace custauth {
namespace {

using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Reading: bytes from a stream through a buffer, counting lines.

class Source {
 public:
  explicit Source(std::istream& in) : in_(in), buffer_(64 << 10) {}

  // The next byte, or -1 at the end (or on a read error: see failed()).
  int Get() {
    if (pos_ == end_ && !Fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int Peek() {
    if (pos_ == end_ && !Fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  std::uint64_t bytes_read() const { return consumed_ + pos_; }
  bool failed() const { return in_.bad(); }

 private:
  bool Fill() {
    consumed_ += end_;
    pos_ = end_ = 0;
    if (!in_.good()) return false;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    end_ = static_cast<std::size_t>(in_.gcount());
    return end_ > 0;
  }

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

bool MeansNull(std::string_view v) { return v.empty() || v == "NULL" || v == "\\N"; }

// The longest record (a CSV record with its quoted line breaks, or a JSON Lines line) read into
// memory; a longer one is skipped to its end and reported as a malformed record.
constexpr std::size_t kMaxRecordBytes = 64 * 1024;
constexpr std::string_view kRecordTooLong = "the record is longer than 65536 bytes";

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
  const std::vector<std::string>& unknown_columns() const { return unknown_; }

 protected:
  // The index of a known column, or -1 (noting an unknown one once).
  int ColumnIndex(std::string_view name) {
    for (std::size_t k = 0; k < columns_.size(); ++k) {
      if (columns_[k] == name) return static_cast<int>(k);
    }
    if (std::find(unknown_.begin(), unknown_.end(), name) == unknown_.end() &&
        unknown_.size() < 100) {
      unknown_.emplace_back(name);
    }
    return -1;
  }

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

  Status Start() override {
    if (src_.Peek() == 0xEF) {  // a UTF-8 byte order mark
      src_.Get();
      if (src_.Get() != 0xBB || src_.Get() != 0xBF) {
        return Status(Code::kInvalidInput, "Line 1: the file does not start with a CSV header");
      }
    }
    std::vector<std::string> header;
    for (;;) {
      Fields fields;
      std::int64_t line = 0;
      bool ended_without_newline = false;
      const Split split = SplitRecord(fields, line, ended_without_newline);
      if (split == Split::kEnd) {
        return Status(Code::kInvalidInput, "The file is empty: a header row is expected");
      }
      if (split == Split::kOpenQuote) {
        return Status(Code::kInvalidInput,
                      fmt::format("Line {}: the header ends inside a quoted field", line));
      }
      if (too_long_) {
        return Status(
            Code::kInvalidInput,
            fmt::format("Line {}: the header is longer than {} bytes", line, kMaxRecordBytes));
      }
      if (fields.size() == 1 && fields[0].empty()) continue;  // blank lines before the header
      header = std::move(fields);
      break;
    }
    for (std::string& name : header) {
      name = std::string(internal::Trim(name));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    }
    for (const std::string& name : header) {
      if (!name.empty() && std::count(header.begin(), header.end(), name) > 1) {
        return Status(Code::kInvalidInput,
                      fmt::format("Line 1: the header names the column \"{}\" twice", name));
      }
    }
    for (const std::string& name : header) map_.push_back(name.empty() ? -1 : ColumnIndex(name));
    width_ = header.size();
    for (std::string_view req : required_) {
      if (std::find(header.begin(), header.end(), req) != header.end()) continue;
      if (header.size() == 1) {
        for (char sep : {';', '\t', '|'}) {
          if (header[0].find(sep) != std::string::npos) {
            return Status(Code::kInvalidInput,
                          fmt::format("Line 1: the header has no \"{}\" column: the file seems to "
                                      "be separated by '{}'; custauth reads comma-separated CSV",
                                      req, sep == '\t' ? std::string("\\t") : std::string(1, sep)));
          }
        }
      }
      return Status(Code::kInvalidInput,
                    fmt::format("Line 1: the header has no \"{}\" column (it needs {})", req,
                                fmt::join(required_, ", ")));
    }
    return Status::Ok();
  }

  ReadResult Next(Record& r, Status& stop) override {
    for (;;) {
      bool ended_without_newline = false;
      const Split split = SplitRecord(fields_, r.line, ended_without_newline);
      if (split == Split::kEnd) return ReadResult::kEnd;
      if (split == Split::kOpenQuote) {
        stop = Status(
            Code::kInvalidInput,
            fmt::format("Line {}: the file ends inside a quoted field (is it truncated?)", r.line));
        return ReadResult::kStop;
      }
      if (fields_.size() == 1 && fields_[0].empty() && !too_long_) continue;  // a blank line
      if (fields_.size() < width_ && ended_without_newline) {
        stop = Status(Code::kInvalidInput,
                      fmt::format("Line {}: the last line has {} of the header's {} fields and no "
                                  "line end (is the file truncated?)",
                                  r.line, fields_.size(), width_));
        return ReadResult::kStop;
      }
      r.values.assign(columns_.size(), std::nullopt);
      r.error.clear();
      if (too_long_) {
        r.error = kRecordTooLong;
        return ReadResult::kRecord;
      }
      if (fields_.size() != width_) {
        r.error = fmt::format("{} fields where the header has {}", fields_.size(), width_);
        return ReadResult::kRecord;
      }
      for (std::size_t k = 0; k < width_; ++k) {
        if (map_[k] >= 0 && !MeansNull(fields_[k])) r.values[map_[k]] = std::move(fields_[k]);
      }
      return ReadResult::kRecord;
    }
  }

 private:
  using Fields = std::vector<std::string>;
  enum class Split { kRecord, kEnd, kOpenQuote };

  // Splits the next record into `fields` (RFC 4180). `line` is the line it starts on. A record
  // over kMaxRecordBytes sets too_long_ and is read to its end without being kept (each field
  // keeps at most its first byte, so that an empty field still reads as empty).
  Split SplitRecord(Fields& fields, std::int64_t& line, bool& ended_without_newline) {
    fields.clear();
    too_long_ = false;
    line = line_;
    int c = src_.Get();
    if (c < 0) return Split::kEnd;
    std::string field;
    bool quoted = false;     // the current field started with a quote
    bool in_quotes = false;  // inside its quotes
    std::size_t bytes = 0;
    for (;; c = src_.Get()) {
      if (++bytes > kMaxRecordBytes && !too_long_) {
        too_long_ = true;
        fields.clear();
        field.resize(std::min<std::size_t>(field.size(), 1));
      }
      if (in_quotes) {
        if (c < 0) return Split::kOpenQuote;
        if (c == '"') {
          if (src_.Peek() == '"') {
            src_.Get();
            if (!too_long_ || field.empty()) field.push_back('"');
          } else {
            in_quotes = false;
          }
          continue;
        }
        if (c == '\n') ++line_;
        if (!too_long_ || field.empty()) field.push_back(static_cast<char>(c));
        continue;
      }
      if (c == ',') {
        if (!too_long_) fields.push_back(std::move(field));
        field.clear();
        quoted = false;
        continue;
      }
      if (c == '\r' && src_.Peek() == '\n') continue;
      if (c == '\n' || c < 0) {
        ended_without_newline = c < 0;
        if (c == '\n') ++line_;
        fields.push_back(std::move(field));
        return Split::kRecord;
      }
      if (c == '"' && field.empty() && !quoted) {
        quoted = in_quotes = true;
        continue;
      }
      if (!too_long_ || field.empty()) field.push_back(static_cast<char>(c));
    }
  }

  const std::vector<std::string_view>& required_;
  std::vector<int> map_;
  std::size_t width_ = 0;
  Fields fields_;
  bool too_long_ = false;  // the last record split was over kMaxRecordBytes
};

class JsonLinesReader final : public Reader {
 public:
  using Reader::Reader;

  Status Start() override {
    for (;;) {
      const int c = src_.Peek();
      if (c < 0) return Status(Code::kInvalidInput, "The file is empty: JSON objects are expected");
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return Status::Ok();
      if (src_.Get() == '\n') ++line_;
    }
  }

  ReadResult Next(Record& r, Status& stop) override {
    for (;;) {
      line_text_.clear();
      r.line = line_;
      int c = src_.Get();
      if (c < 0) return ReadResult::kEnd;
      // A line over kMaxRecordBytes is read to its end, not kept.
      bool too_long = false;
      for (; c >= 0 && c != '\n'; c = src_.Get()) {
        if (line_text_.size() == kMaxRecordBytes) {
          too_long = true;
        } else {
          line_text_.push_back(static_cast<char>(c));
        }
      }
      const bool ended_without_newline = c < 0;
      if (c == '\n') ++line_;
      if (!too_long && internal::Trim(line_text_).empty()) continue;
      r.values.assign(columns_.size(), std::nullopt);
      r.error.clear();
      if (too_long) {
        r.error = kRecordTooLong;
        return ReadResult::kRecord;
      }
      // Nested at most kMaxJsonDepth deep, no member twice (checked before the document is built).
      auto parsed = internal::ParseJsonChecked(line_text_, "the line");
      if (!parsed.ok() && parsed.status().message() != "the line is not valid JSON") {
        r.error = parsed.status().message();
        return ReadResult::kRecord;
      }
      const nlohmann::json j = parsed.ok() ? std::move(parsed).value() : nlohmann::json();
      if (!parsed.ok() || !j.is_object()) {
        if (ended_without_newline) {
          stop = Status(Code::kInvalidInput,
                        fmt::format("Line {}: the last line is not a complete JSON object and has "
                                    "no line end (is the file truncated?)",
                                    r.line));
          return ReadResult::kStop;
        }
        r.error = "not a JSON object";
        return ReadResult::kRecord;
      }
      for (auto it = j.begin(); it != j.end(); ++it) {
        const int k = ColumnIndex(it.key());
        if (k < 0) continue;
        const nlohmann::json& v = it.value();
        if (v.is_null()) continue;
        if (v.is_string()) {
          std::string s = v.get<std::string>();
          if (!MeansNull(s)) r.values[k] = std::move(s);
        } else if (v.is_number_integer()) {
          r.values[k] = v.dump();
        } else if (v.is_boolean()) {
          r.values[k] = v.get<bool>() ? "1" : "0";
        } else if (r.error.empty()) {
          r.error = fmt::format("\"{}\" must be a string, an integer or null", it.key());
        }
      }
      return ReadResult::kRecord;
    }
  }

 private:
  std::string line_text_;
};

// ---------------------------------------------------------------------------------------------
// Values

// A decimal integer (a leading '-' allowed), surrounding blanks ignored; nullopt when it is not
// one or does not fit in 64 bits.
std::optional<std::int64_t> ParseInt(std::string_view s) {
  s = internal::Trim(s);
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  const auto [stop, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return v;
}

// "YYYY-MM-DD HH:MM:SS[.fraction]" (or with 'T', optionally ending in 'Z' or "+00:00"), a date
// alone, or Unix seconds: ms since the epoch. nullopt when malformed. MySQL's zero date is NULL.
struct ParsedTime {
  bool ok = false;
  std::optional<TimeMs> value;
};

ParsedTime ParseTime(std::string_view s) {
  s = internal::Trim(s);
  if (s.empty() || s.starts_with("0000-00-00")) return {true, std::nullopt};
  if (auto secs = ParseInt(s)) {
    if (*secs < 0 || *secs > 253402300799) return {};  // up to 9999-12-31
    return {true, *secs * 1000};
  }
  if (s.ends_with('Z')) s.remove_suffix(1);
  if (s.ends_with("+00:00")) s.remove_suffix(6);
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
    if (at + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[k] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (!year || !month || !day || s[4] != '-' || s[7] != '-') return {};
  unsigned hour = 0, minute = 0, second = 0;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return {};
    auto h = digits(11, 2), mi = digits(14, 2), se = digits(17, 2);
    if (!h || !mi || !se || s[13] != ':' || s[16] != ':') return {};
    hour = *h;
    minute = *mi;
    second = *se;
    std::string_view rest = s.substr(19);
    if (!rest.empty()) {
      if (rest.front() != '.' || rest.size() < 2) return {};
      for (char ch : rest.substr(1)) {
        if (ch < '0' || ch > '9') return {};
      }
    }
  }
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1] || hour > 23 ||
      minute > 59 || second > 60) {
    return {};
  }
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month == 2 && *day == 29 && !leap) return {};
  std::tm tm{};
  tm.tm_year = static_cast<int>(*year) - 1900;
  tm.tm_mon = static_cast<int>(*month) - 1;
  tm.tm_mday = static_cast<int>(*day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  const std::int64_t secs = timegm(&tm);  // UTC, as the platform stores its times
  if (secs < 0) return {};
  return {true, secs * 1000};
}

// A flag column: 0/1 (also true/false). nullopt when malformed.
std::optional<bool> ParseFlag(std::string_view s) {
  s = internal::Trim(s);
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return std::nullopt;
}

bool IsArgon2idString(const std::string& s) {
  if (!s.starts_with("$argon2id$") && !s.starts_with("$argon2i$")) return false;
  EnsureSodium();
  // -1 only when the string is not a valid Argon2id hash string.
  return crypto_pwhash_str_needs_rehash(s.c_str(), crypto_pwhash_OPSLIMIT_MIN,
                                        crypto_pwhash_MEMLIMIT_MIN) != -1;
}

// A set of 64-bit keys, open addressing: 8 bytes a slot, at most half full.
class KeySet {
 public:
  bool Contains(std::uint64_t key) const {
    if (key == 0) key = 1;
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t k = Mix(key) & mask;; k = (k + 1) & mask) {
      if (slots_[k] == key) return true;
      if (slots_[k] == 0) return false;
    }
  }

  // Inserts `key`; false when it was there.
  bool Insert(std::uint64_t key) {
    if (key == 0) key = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t k = Mix(key) & mask;; k = (k + 1) & mask) {
      if (slots_[k] == key) return false;
      if (slots_[k] == 0) {
        slots_[k] = key;
        ++size_;
        return true;
      }
    }
  }

 private:
  static std::size_t Mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<std::size_t>(x);
  }
  void Grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(1024, old.size() * 2), 0);
    size_ = 0;
    for (std::uint64_t key : old) {
      if (key != 0) Insert(key);
    }
  }
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

// The entity ids seen so far. Exports list them mostly in increasing order, so those are kept as
// ranges of consecutive ids (a few bytes for a whole file); the others go to a KeySet.
class IdSet {
 public:
  bool Contains(std::int64_t id) const {
    if (ranges_.empty() || id > ranges_.back().second) return false;
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                               [](std::int64_t v, const auto& r) { return v < r.first; });
    if (it != ranges_.begin() && id <= std::prev(it)->second) return true;
    return others_.Contains(static_cast<std::uint64_t>(id));
  }

  // REQUIRES: !Contains(id).
  void Insert(std::int64_t id) {
    if (!ranges_.empty() && id < ranges_.back().second) {
      others_.Insert(static_cast<std::uint64_t>(id));  // out of order
    } else if (!ranges_.empty() && id == ranges_.back().second + 1) {
      ranges_.back().second = id;
    } else {
      ranges_.emplace_back(id, id);
    }
  }

 private:
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges_;
  KeySet others_;
};

// FNV-1a of `seed`'s 8 bytes and then `s`'s, mixed further by KeySet.
std::uint64_t Hash64(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL;
  for (int k = 0; k < 8; ++k) {
    h ^= (seed >> (8 * k)) & 0xFF;
    h *= 1099511628211ULL;
  }
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// The run of one import: the reader, progress, the report.

std::unique_ptr<Reader> MakeReaderFor(Source& src, ImportFormat format,
                                      const std::vector<std::string_view>& columns,
                                      const std::vector<std::string_view>& required) {
  if (format == ImportFormat::kAuto) {
    format = src.Peek() == '{' ? ImportFormat::kJsonLines : ImportFormat::kCsv;
  }
  if (format == ImportFormat::kJsonLines) return std::make_unique<JsonLinesReader>(src, columns);
  return std::make_unique<CsvReader>(src, columns, required);
}

class Run {
 public:
  Run(std::istream& in, std::uint64_t total_bytes, const ImportOptions& options)
      : src_(in), total_(total_bytes), options_(options), started_(SteadyClock::now()) {}

  ImportReport& report() { return report_; }

  std::unique_ptr<Reader> MakeReader(const std::vector<std::string_view>& columns,
                                     const std::vector<std::string_view>& required) {
    return MakeReaderFor(src_, options_.format, columns, required);
  }

  // Reads the whole file once, writing nothing, so that a truncated or unreadable file is refused
  // before any row is written; then rewinds it. Streams that cannot seek are not read twice
  // (they are imported as they are read). False when the import must stop (the report says why).
  bool CheckWholeFile(std::istream& in, const std::vector<std::string_view>& columns,
                      const std::vector<std::string_view>& required) {
    const auto start = in.tellg();
    if (start < 0) return true;
    Source src(in);
    auto reader = MakeReaderFor(src, options_.format, columns, required);
    Status started = reader->Start();
    if (!started.ok()) {
      Stop(started, 0);
      return false;
    }
    Record record;
    for (;;) {
      Status stop;
      const ReadResult got = reader->Next(record, stop);
      if (got == ReadResult::kEnd) break;
      if (got == ReadResult::kStop) {
        Stop(stop, record.line);
        return false;
      }
    }
    if (in.bad()) {
      Stop(Status(Code::kStorage, "Reading the file failed"), 0);
      return false;
    }
    in.clear();
    in.seekg(start);
    return true;
  }

  void Reject(std::int64_t line, std::string reason) {
    ++report_.rejected;
    ++report_.rows;
    if (report_.errors.size() < options_.max_listed_errors) {
      report_.errors.push_back({line, std::move(reason)});
    }
  }

  void Stop(Status why, std::int64_t line) {
    if (!report_.status.ok()) return;
    report_.status = std::move(why);
    report_.stopped_at_line = line;
  }

  void Tick() {
    if (!options_.progress || (++ticks_ & 1023) != 0) return;
    const auto now = SteadyClock::now();
    if (now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    ImportProgress p;
    p.rows = report_.rows;
    p.bytes_read = src_.bytes_read();
    p.bytes_total = total_;
    p.seconds = std::chrono::duration<double>(now - started_).count();
    options_.progress(p);
  }

  void Finish(const Reader* reader) {
    if (reader != nullptr) report_.unknown_columns = reader->unknown_columns();
    if (src_.failed()) Stop(Status(Code::kStorage, "Reading the file failed"), 0);
    report_.seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
  }

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
const std::vector<std::string_view> kCustomerColumns = {
    "entity_id",    "website_id",    "email",
    "firstname",    "lastname",      "password_hash",
    "confirmation", "is_active",     "created_at",
    "updated_at",   "failures_num",  "first_failure",
    "lock_expires", "is_subscribed", "allow_remote_shopping_assistance"};
const std::vector<std::string_view> kCustomerRequired = {"email", "firstname", "lastname"};

enum RevocationColumn { kUserTypeId, kUserId, kRevokeBefore };
const std::vector<std::string_view> kRevocationColumns = {"user_type_id", "user_id",
                                                          "revoke_before"};

// Checks one record of a customer export and makes the row; the reason when it is bad.
std::optional<std::string> ToImported(const Record& r, TimeMs now, ImportedCustomer& out) {
  if (!r.error.empty()) return r.error;
  const auto& v = r.values;
  out = ImportedCustomer();
  NewCustomer& c = out.customer;
  auto number = [&](int col, std::int64_t min, std::int64_t max, std::int64_t fallback,
                    std::int64_t& dest) -> std::optional<std::string> {
    if (!v[col]) {
      dest = fallback;
      return std::nullopt;
    }
    auto n = ParseInt(*v[col]);
    if (!n || *n < min || *n > max) {
      return fmt::format("{} \"{}\" is not a number from {} to {}", kCustomerColumns[col], *v[col],
                         min, max);
    }
    dest = *n;
    return std::nullopt;
  };
  auto flag = [&](int col, bool fallback, bool& dest) -> std::optional<std::string> {
    if (!v[col]) {
      dest = fallback;
      return std::nullopt;
    }
    auto f = ParseFlag(*v[col]);
    if (!f) return fmt::format("{} \"{}\" is not 0 or 1", kCustomerColumns[col], *v[col]);
    dest = *f;
    return std::nullopt;
  };
  auto time = [&](int col, std::optional<TimeMs>& dest) -> std::optional<std::string> {
    if (!v[col]) return std::nullopt;
    ParsedTime t = ParseTime(*v[col]);
    if (!t.ok) {
      return fmt::format("{} \"{}\" is not a time (YYYY-MM-DD HH:MM:SS)", kCustomerColumns[col],
                         *v[col]);
    }
    dest = t.value;
    return std::nullopt;
  };
  if (!v[kEmail]) return std::string("email is required");
  c.email = *v[kEmail];
  if (!IsValidEmail(c.email)) return std::string(msg::kInvalidEmail);
  if (Status s = ValidateName(v[kFirstname].value_or(""), "firstname"); !s.ok()) {
    return s.message();
  }
  if (Status s = ValidateName(v[kLastname].value_or(""), "lastname"); !s.ok()) return s.message();
  c.firstname = *v[kFirstname];
  c.lastname = *v[kLastname];
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  // Ids stay within JSON's exact integers, so a token's uid reads back exactly everywhere (the
  // platform's entity_id is an unsigned 32-bit integer).
  constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;
  if (auto e = number(kEntityId, 1, kMaxId, 0, c.id)) return e;
  if (auto e = number(kWebsiteId, 0, kMax, kDefaultWebsiteId, c.website_id)) return e;
  std::int64_t failures = 0;
  if (auto e = number(kFailuresNum, 0, 32767, 0, failures)) return e;
  out.failures_num = static_cast<int>(failures);
  if (v[kPasswordHash]) {
    c.password_hash = *v[kPasswordHash];
    if (HasForeignPrefix(c.password_hash)) {
      // Another platform's bcrypt or phpass hash: upgraded at the first successful login.
      if (Status s = CheckForeignHash(c.password_hash); !s.ok()) {
        return "password_hash: " + s.message();
      }
    } else if (!PasswordHasher::IsLegacyFormat(c.password_hash) &&
               !IsArgon2idString(c.password_hash)) {
      return std::string(
          "password_hash is in no known format (the platform's HASH:SALT:VERSIONS, $argon2id$, "
          "$argon2i$, bcrypt $2a$/$2b$/$2y$, phpass $P$/$H$ or WordPress $wp$2y$)");
    }
  }
  c.confirmed = !v[kConfirmation].has_value();
  if (auto e = flag(kIsActive, true, c.is_active)) return e;
  if (auto e = flag(kIsSubscribed, false, c.is_subscribed)) return e;
  if (auto e = flag(kAllowRemoteShoppingAssistance, false, c.allow_remote_shopping_assistance)) {
    return e;
  }
  std::optional<TimeMs> created, updated;
  if (auto e = time(kCreatedAt, created)) return e;
  if (auto e = time(kUpdatedAt, updated)) return e;
  if (auto e = time(kFirstFailure, out.first_failure)) return e;
  if (auto e = time(kLockExpires, out.lock_expires)) return e;
  // An inactive customer's tokens are revoked, as deactivating one does here: tokens the platform
  // issued before it deactivated the customer must not verify.
  if (!c.is_active) out.tokens_revoked_at = now;
  out.created_at = created.value_or(now);
  out.updated_at = updated.value_or(out.created_at);
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Customers

struct CustomerAuth::Impl::CustomerImport {
  CustomerAuth::Impl& impl;
  const ImportOptions& options;
  Run& run;
  std::vector<ImportedCustomer> batch;
  std::vector<std::int64_t> lines;
  KeySet emails;
  IdSet ids;

  // Writes the batch; false when the import must stop.
  bool Flush() {
    if (batch.empty()) return true;
    ImportReport& rep = run.report();
    auto outcomes = impl.storage->import_customers(batch, options.on_conflict);
    if (!outcomes.ok()) {
      run.Stop(outcomes.status(), lines.front());
      batch.clear();
      lines.clear();
      return false;
    }
    bool go_on = true;
    for (std::size_t k = 0; k < outcomes->size(); ++k) {
      const ImportOutcome outcome = (*outcomes)[k];
      if (outcome == ImportOutcome::kCreated || outcome == ImportOutcome::kUpdated) {
        NoteRevocation(batch[k]);
      }
      switch (outcome) {
        case ImportOutcome::kCreated:
          ++rep.created;
          ++rep.rows;
          break;
        case ImportOutcome::kUpdated:
          ++rep.updated;
          ++rep.rows;
          break;
        case ImportOutcome::kSkipped:
          ++rep.skipped;
          ++rep.rows;
          break;
        case ImportOutcome::kConflict:
          if (batch[k].customer.id == 0) {
            // A row without entity_id whose email was stored meanwhile (by another writer).
            run.Stop(Status(Code::kAlreadyExists,
                            fmt::format("Line {}: the email {} was stored while importing",
                                        lines[k], batch[k].customer.email)),
                     lines[k]);
            go_on = false;
          } else if (options.on_conflict == ImportConflict::kFail) {
            run.Stop(Status(Code::kAlreadyExists,
                            fmt::format("Line {}: customer {} or its email is already stored "
                                        "(--on-conflict fail)",
                                        lines[k], batch[k].customer.id)),
                     lines[k]);
            go_on = false;
          } else {
            run.Reject(lines[k], fmt::format("the email belongs to another stored customer than "
                                             "entity_id {}",
                                             batch[k].customer.id));
          }
          break;
      }
    }
    batch.clear();
    lines.clear();
    return go_on;
  }

  // Tells this handle's token cache about the revocation an inactive row carries (storage bumped
  // the revocation epoch for the other handles).
  void NoteRevocation(const ImportedCustomer& row) {
    // (A row with id 0 created a new customer: it has no tokens yet.)
    if (row.tokens_revoked_at > 0 && row.customer.id > 0) {
      impl.tokens->note_revocation(row.customer.id, row.tokens_revoked_at);
    }
  }

  // A row without entity_id: matched by email alone, created with a new id when absent.
  bool ImportWithoutId(ImportedCustomer row, std::int64_t line) {
    if (!Flush()) return false;
    auto found = impl.storage->find_customer_by_email(row.customer.website_id, row.customer.email);
    if (found.ok()) {
      row.customer.id = found->id;
      batch.push_back(std::move(row));
      lines.push_back(line);
      return Flush();
    }
    if (found.code() != Code::kNotFound) {
      run.Stop(found.status(), line);
      return false;
    }
    // A new customer: created with the next id and every column of the row (lock state, times,
    // revocation) in one storage call, so no interruption can leave it half written.
    row.customer.id = 0;
    batch.push_back(std::move(row));
    lines.push_back(line);
    return Flush();
  }

  void Go(std::istream& in) {
    if (!run.CheckWholeFile(in, kCustomerColumns, kCustomerRequired)) {
      run.Finish(nullptr);
      return;
    }
    auto reader = run.MakeReader(kCustomerColumns, kCustomerRequired);
    if (Status s = reader->Start(); !s.ok()) {
      run.Stop(s, 0);
      run.Finish(reader.get());
      return;
    }
    const TimeMs now = impl.now();
    const std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
    Record record;
    ImportedCustomer row;
    for (;;) {
      Status stop;
      const ReadResult got = reader->Next(record, stop);
      if (got == ReadResult::kEnd) break;
      if (got == ReadResult::kStop) {
        if (Flush()) run.Stop(stop, record.line);
        break;
      }
      run.Tick();
      std::optional<std::string> bad = ToImported(record, now, row);
      if (!bad) {
        // A row claims its entity_id and email only when it is accepted.
        const std::uint64_t email_hash = Hash64(
            EmailKey(row.customer.email), static_cast<std::uint64_t>(row.customer.website_id));
        if (row.customer.id > 0 && ids.Contains(row.customer.id)) {
          bad = fmt::format("entity_id {} appears earlier in the file", row.customer.id);
        } else if (emails.Contains(email_hash)) {
          bad = fmt::format("the email {} appears earlier in the file (website {})",
                            row.customer.email, row.customer.website_id);
        } else {
          if (row.customer.id > 0) ids.Insert(row.customer.id);
          emails.Insert(email_hash);
        }
      }
      if (bad) {
        if (options.strict) {
          if (Flush()) {
            run.Stop(Status(Code::kInvalidInput,
                            fmt::format("Line {}: {} (--strict)", record.line, *bad)),
                     record.line);
          }
          break;
        }
        run.Reject(record.line, std::move(*bad));
        continue;
      }
      if (row.customer.id == 0) {
        if (!ImportWithoutId(std::move(row), record.line)) break;
        continue;
      }
      batch.push_back(std::move(row));
      lines.push_back(record.line);
      if (batch.size() >= batch_size && !Flush()) break;
    }
    if (run.report().completed()) Flush();
    run.Finish(reader.get());
  }
};

namespace {

std::uint64_t FileSize(std::istream& in) {
  const auto here = in.tellg();
  if (here < 0) return 0;
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  in.seekg(here);
  return end > here ? static_cast<std::uint64_t>(end - here) : 0;
}

// Opens `path` for an import; the report's status says why when it cannot.
// The report of an import refused before reading anything.
ImportReport Refused(Status why) {
  ImportReport report;
  report.status = std::move(why);
  return report;
}

bool OpenImportFile(const std::string& path, std::ifstream& file, ImportReport& report) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    report.status = Status(Code::kInvalidInput, fmt::format("{} is a directory, not a file", path));
    return false;
  }
  file.open(path, std::ios::binary);
  if (!file) {
    const int err = errno;
    report.status = Status(err == ENOENT ? Code::kNotFound : Code::kInvalidInput,
                           fmt::format("Cannot read {}: {}", path, std::strerror(err)));
    return false;
  }
  return true;
}

}  // namespace

ImportReport CustomerAuth::import_customers(std::istream& in, const ImportOptions& options,
                                            const RequestContext& ctx) {
  if (Status s = internal::CheckRequestContext(ctx); !s.ok()) return Refused(std::move(s));
  Run run(in, FileSize(in), options);
  Impl::CustomerImport job{*impl_, options, run, {}, {}, {}, {}};
  job.Go(in);
  ImportReport& rep = run.report();
  impl_->audit("customer.import", nullptr, ctx,
               nlohmann::json({{"rows", rep.rows},
                               {"created", rep.created},
                               {"updated", rep.updated},
                               {"skipped", rep.skipped},
                               {"rejected", rep.rejected},
                               {"completed", rep.completed()}})
                   .dump());
  return std::move(rep);
}

ImportReport CustomerAuth::import_customers(const std::string& path, const ImportOptions& options,
                                            const RequestContext& ctx) {
  std::ifstream file;
  ImportReport report;
  if (!OpenImportFile(path, file, report)) return report;
  return import_customers(file, options, ctx);
}

// ---------------------------------------------------------------------------------------------
// Revocations

ImportReport CustomerAuth::import_revocations(std::istream& in, const ImportOptions& options,
                                              const RequestContext& ctx) {
  if (Status s = internal::CheckRequestContext(ctx); !s.ok()) return Refused(std::move(s));
  Run run(in, FileSize(in), options);
  ImportReport& rep = run.report();
  const bool whole = run.CheckWholeFile(in, kRevocationColumns, kRevocationColumns);
  auto reader = run.MakeReader(kRevocationColumns, kRevocationColumns);
  Status started = whole ? reader->Start() : rep.status;
  if (!started.ok()) run.Stop(started, 0);
  Record record;
  while (started.ok()) {
    Status stop;
    const ReadResult got = reader->Next(record, stop);
    if (got == ReadResult::kEnd) break;
    if (got == ReadResult::kStop) {
      run.Stop(stop, record.line);
      break;
    }
    run.Tick();
    std::string bad = record.error;
    std::optional<std::int64_t> type, user;
    ParsedTime before;
    if (bad.empty()) {
      const auto& v = record.values;
      type = v[kUserTypeId] ? ParseInt(*v[kUserTypeId]) : std::nullopt;
      user = v[kUserId] ? ParseInt(*v[kUserId]) : std::nullopt;
      before = v[kRevokeBefore] ? ParseTime(*v[kRevokeBefore]) : ParsedTime();
      if (!type) {
        bad = "user_type_id is not a number";
      } else if (!user || *user <= 0) {
        bad = "user_id is not a number above 0";
      } else if (!before.ok || !before.value) {
        bad = "revoke_before is not a time (Unix seconds or YYYY-MM-DD HH:MM:SS)";
      }
    }
    if (!bad.empty()) {
      if (options.strict) {
        run.Stop(
            Status(Code::kInvalidInput, fmt::format("Line {}: {} (--strict)", record.line, bad)),
            record.line);
        break;
      }
      run.Reject(record.line, std::move(bad));
      continue;
    }
    ++rep.rows;
    if (*type != kUserTypeCustomer) {
      ++rep.skipped_user_types;
      continue;
    }
    CustomerPatch patch;
    patch.revoke_tokens_at = *before.value;
    auto updated = impl_->storage->update_customer(*user, patch, impl_->now());
    if (updated.code() == Code::kNotFound) {
      ++rep.not_found;
      continue;
    }
    if (!updated.ok()) {
      --rep.rows;
      run.Stop(updated.status(), record.line);
      break;
    }
    impl_->tokens->note_revocation(updated->id, updated->tokens_revoked_at);
    ++rep.revoked;
  }
  run.Finish(reader.get());
  impl_->audit("tokens.import_revocations", nullptr, ctx,
               nlohmann::json({{"rows", rep.rows},
                               {"revoked", rep.revoked},
                               {"skipped_user_types", rep.skipped_user_types},
                               {"not_found", rep.not_found},
                               {"rejected", rep.rejected},
                               {"completed", rep.completed()}})
                   .dump());
  return std::move(rep);
}

ImportReport CustomerAuth::import_revocations(const std::string& path, const ImportOptions& options,
                                              const RequestContext& ctx) {
  std::ifstream file;
  ImportReport report;
  if (!OpenImportFile(path, file, report)) return report;
  return import_revocations(file, options, ctx);
}

// ---------------------------------------------------------------------------------------------

std::optional<ImportFormat> ImportFormatFromName(std::string_view name) {
  if (name == "auto") return ImportFormat::kAuto;
  if (name == "csv") return ImportFormat::kCsv;
  if (name == "jsonl") return ImportFormat::kJsonLines;
  return std::nullopt;
}

std::optional<ImportConflict> ImportConflictFromName(std::string_view name) {
  if (name == "skip") return ImportConflict::kSkip;
  if (name == "update") return ImportConflict::kUpdate;
  if (name == "fail") return ImportConflict::kFail;
  return std::nullopt;
}

std::string ImportReport::ToJson(bool revocations) const {
  nlohmann::json j;
  j["rows"] = rows;
  if (revocations) {
    j["revoked"] = revoked;
    j["skipped_user_types"] = skipped_user_types;
    j["not_found"] = not_found;
  } else {
    j["created"] = created;
    j["updated"] = updated;
    j["skipped"] = skipped;
  }
  j["rejected"] = rejected;
  j["unknown_columns"] = unknown_columns;
  nlohmann::json errs = nlohmann::json::array();
  for (const ImportRowError& e : errors) errs.push_back({{"line", e.line}, {"reason", e.reason}});
  j["errors"] = std::move(errs);
  j["completed"] = completed();
  if (!completed()) {
    j["error"] = {{"message", status.message()}, {"code", code_name(status.code())}};
    j["stopped_at_line"] = stopped_at_line;
  }
  j["seconds"] = seconds;
  j["rows_per_second"] = seconds > 0 ? static_cast<double>(rows) / seconds : 0.0;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace custauth
