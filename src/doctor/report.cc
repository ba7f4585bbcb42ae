#include "doctor/report.h"

#include <algorithm>
#include <csignal>
#include <iomanip>

namespace erp::doctor {
namespace {

std::string names(const std::vector<CheckId>& ids) {
  std::string out;
  for (const CheckId id : ids) out += (out.empty() ? "" : ", ") + std::string(spec_of(id).name);
  return out;
}

nlohmann::ordered_json names_json(const std::vector<CheckId>& ids) {
  auto out = nlohmann::ordered_json::array();
  for (const CheckId id : ids) out.push_back(spec_of(id).name);
  return out;
}

}  // namespace

void print_table(std::ostream& out, const DoctorReport& report) {
  constexpr int kCheckWidth = 19;
  constexpr int kResultWidth = 10;
  out << "erp-backup doctor: s3://" << report.bucket << " at " << report.endpoint << " (region "
      << report.region << ")\n"
      << "probe prefix " << report.run_prefix << " (removed afterwards)\n\n"
      << std::left << std::setw(kCheckWidth) << "CHECK" << std::setw(kResultWidth) << "RESULT"
      << "DETAIL\n";
  for (const Check& check : report.checks) {
    out << std::left << std::setw(kCheckWidth) << spec_of(check.id).name << std::setw(kResultWidth)
        << to_string(check.result) << (check.detail.empty() ? std::string("-") : check.detail)
        << '\n';
    if (!check.fix.empty() && check.result != CheckResult::ok) {
      out << std::string(kCheckWidth + kResultWidth, ' ') << "fix: " << check.fix << '\n';
    }
  }
  out << '\n';
  if (report.stopped_by_signal != 0) {
    out << "stopped by " << (report.stopped_by_signal == SIGINT ? "SIGINT" : "SIGTERM")
        << ": the probes did not finish\n";
  }
  const Verdict& verdict = report.verdict;
  if (verdict.backup_can_run) {
    out << "backup can run: yes";
    if (!verdict.degraded.empty()) out << " (degraded: " << names(verdict.degraded) << ")";
  } else {
    out << "backup can run: NO (";
    if (!verdict.blocking.empty()) out << "failed: " << names(verdict.blocking);
    if (!verdict.blocking.empty() && !verdict.unchecked.empty()) out << "; ";
    if (!verdict.unchecked.empty()) out << "not checked: " << names(verdict.unchecked);
    out << ")";
  }
  out << '\n';
  if (!verdict.failed.empty()) {
    out << "failed, not needed by a backup: " << names(verdict.failed) << '\n';
  }
}

nlohmann::ordered_json report_json(const DoctorReport& report) {
  nlohmann::ordered_json doc;
  doc["bucket"] = report.bucket;
  doc["endpoint"] = report.endpoint;
  doc["region"] = report.region;
  doc["run_prefix"] = report.run_prefix;
  doc["credentials_provider"] = report.credentials_provider;
  doc["store"] = {{"kind", to_string(report.store.kind)},
                  {"name", display_name(report.store.kind)},
                  {"evidence", report.store.evidence}};
  auto checks = nlohmann::ordered_json::array();
  for (const Check& check : report.checks) {
    const CheckSpec& spec = spec_of(check.id);
    checks.push_back({{"check", spec.name},
                      {"title", spec.title},
                      {"result", to_string(check.result)},
                      {"needed_for_backup", spec.needed_for_backup},
                      {"detail", check.detail},
                      {"fix", check.fix}});
  }
  doc["checks"] = std::move(checks);
  doc["backup_can_run"] = report.verdict.backup_can_run;
  doc["blocking"] = names_json(report.verdict.blocking);
  doc["unchecked"] = names_json(report.verdict.unchecked);
  doc["degraded"] = names_json(report.verdict.degraded);
  doc["failed"] = names_json(report.verdict.failed);
  doc["stopped"] = report.stopped_by_signal != 0;
  doc["exit_code"] = report.exit_code;
  return doc;
}

}  // namespace erp::doctor
