// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Reading an import: JSON Lines records, and choosing the reader for a file.

#include "import/import_internal.h"

namespace custauth::import_detail {

ReadResult JsonLinesReader::Next(Record& r, Status& stop) {
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

Status JsonLinesReader::Start() {
  for (;;) {
    const int c = src_.Peek();
    if (c < 0) return Status(Code::kInvalidInput, "The file is empty: JSON objects are expected");
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return Status::Ok();
    if (src_.Get() == '\n') ++line_;
  }
}

std::unique_ptr<Reader> MakeReaderFor(Source& src, ImportFormat format,
                                      const std::vector<std::string_view>& columns,
                                      const std::vector<std::string_view>& required) {
  if (format == ImportFormat::kAuto) {
    format = src.Peek() == '{' ? ImportFormat::kJsonLines : ImportFormat::kCsv;
  }
  if (format == ImportFormat::kJsonLines) return std::make_unique<JsonLinesReader>(src, columns);
  return std::make_unique<CsvReader>(src, columns, required);
}

}  // namespace custauth::import_detail
