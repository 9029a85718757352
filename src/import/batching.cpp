// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The run of one import: progress, the report, customers written in batches, revocations.

#include "import/import_internal.h"

namespace custauth {
namespace import_detail {

bool Run::CheckWholeFile(std::istream& in, const std::vector<std::string_view>& columns,
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

void Run::Finish(const Reader* reader) {
  if (reader != nullptr) report_.unknown_columns = reader->unknown_columns();
  if (src_.failed()) Stop(Status(Code::kStorage, "Reading the file failed"), 0);
  report_.seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
}

std::unique_ptr<Reader> Run::MakeReader(const std::vector<std::string_view>& columns,
                                        const std::vector<std::string_view>& required) {
  return MakeReaderFor(src_, options_.format, columns, required);
}

void Run::Reject(std::int64_t line, std::string reason) {
  ++report_.rejected;
  ++report_.rows;
  if (report_.errors.size() < options_.max_listed_errors) {
    report_.errors.push_back({line, std::move(reason)});
  }
}

void Run::Stop(Status why, std::int64_t line) {
  if (!report_.status.ok()) return;
  report_.status = std::move(why);
  report_.stopped_at_line = line;
}

void Run::Tick() {
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

ImportReport& Run::report() { return report_; }

}  // namespace import_detail

// The import's internals (import_internal.h), by their short names.
using namespace import_detail;  // NOLINT(google-build-using-namespace)

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
  impl_->Audit("customer.import", nullptr, ctx,
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
  impl_->Audit("tokens.import_revocations", nullptr, ctx,
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
