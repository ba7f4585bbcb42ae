// What `erp-backup doctor` prints: a table for people (the default) or one JSON document
// (--json), built from the checks and the verdict. Pure: no I/O but the stream given.
//
// The table, one line per check and a line "fix: ..." under each degraded or failed one:
//
//   erp-backup doctor: s3://erp-backups at https://s3.eu-west-3.amazonaws.com
//   probe prefix erp/prod/.doctor/5f0c.../ (removed afterwards)
//
//   CHECK              RESULT    DETAIL
//   endpoint           ok        https://...: TLS, certificate verified against the system CA store
//   delete_objects     degraded  DeleteObjects is not implemented (NotImplemented): ...
//                                fix: none needed: the tool falls back to one DELETE per key ...
//   ...
//   store              ok        Google Cloud Storage (XML API) (x-guploader-uploadid: ...)
//   cleanup            ok        removed erp/prod/.doctor/5f0c.../: ...
//
//   backup can run: yes (degraded: delete_objects)
//   failed, not needed by a backup: ...        (only when there are such checks)
//
// The JSON document:
//   {"bucket", "endpoint", "region", "run_prefix", "credentials_provider",
//    "store": {"kind", "name", "evidence"},
//    "checks": [{"check", "title", "result", "needed_for_backup", "detail", "fix"}],
//    "backup_can_run", "blocking": [...], "unchecked": [...], "degraded": [...],
//    "failed": [...],
//    "stopped", "exit_code"}
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "doctor/check.h"
#include "doctor/store_detection.h"
#include "doctor/verdict.h"

namespace erp::doctor {

struct DoctorReport {
  std::string bucket;
  std::string endpoint;
  std::string region;
  std::string run_prefix;
  std::string credentials_provider;
  StoreGuess store;
  std::vector<Check> checks;  // report order
  Verdict verdict;
  int stopped_by_signal = 0;  // SIGTERM/SIGINT number when the run was stopped, else 0
  int exit_code = 0;
};

void print_table(std::ostream& out, const DoctorReport& report);
nlohmann::ordered_json report_json(const DoctorReport& report);

}  // namespace erp::doctor
