// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Reading an import: the byte source, the reader's columns, and CSV records.

#include "import/import_internal.h"

namespace custauth::import_detail {

bool Source::Fill() {
  consumed_ += end_;
  pos_ = end_ = 0;
  if (!in_.good()) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  end_ = static_cast<std::size_t>(in_.gcount());
  return end_ > 0;
}

int Source::Get() {
  if (pos_ == end_ && !Fill()) return -1;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

int Source::Peek() {
  if (pos_ == end_ && !Fill()) return -1;
  return static_cast<unsigned char>(buffer_[pos_]);
}

std::uint64_t Source::bytes_read() const { return consumed_ + pos_; }

bool Source::failed() const { return in_.bad(); }

int Reader::ColumnIndex(std::string_view name) {
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    if (columns_[k] == name) return static_cast<int>(k);
  }
  if (std::find(unknown_.begin(), unknown_.end(), name) == unknown_.end() &&
      unknown_.size() < 100) {
    unknown_.emplace_back(name);
  }
  return -1;
}

const std::vector<std::string>& Reader::unknown_columns() const { return unknown_; }

ReadResult CsvReader::Next(Record& r, Status& stop) {
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

CsvReader::Split CsvReader::SplitRecord(Fields& fields, std::int64_t& line,
                                        bool& ended_without_newline) {
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

Status CsvReader::Start() {
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
      return Status(Code::kInvalidInput, fmt::format("Line {}: the header is longer than {} bytes",
                                                     line, kMaxRecordBytes));
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

}  // namespace custauth::import_detail
