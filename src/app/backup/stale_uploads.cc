#include "app/backup/stale_uploads.h"

#include <algorithm>
#include <ctime>

#include "app/backup/run_lease.h"
#include "catalog/backup_id.h"
#include "core/time_format.h"
#include "s3/list_all_objects.h"
#include "s3/xml_replies.h"

namespace erp::app {
namespace {

constexpr std::string_view kLifecycleHint =
    "hint: configure a bucket lifecycle rule that aborts incomplete multipart uploads "
    "(AbortIncompleteMultipartUpload) instead";

long long whole_seconds(std::chrono::milliseconds age) {
  return std::chrono::duration_cast<std::chrono::seconds>(age).count();
}

// What the upload's line says it did, would do, or is.
std::string action_of(const OpenUpload& upload, UploadPass pass) {
  switch (upload.state) {
    case UploadState::foreign:
      return "foreign (never aborted)";
    case UploadState::in_progress:
      return upload.held ? "in progress (its run holds a fresh lease)" : "in progress";
    case UploadState::unknown_age:
      return std::string(to_string(upload.state));
    case UploadState::stale:
      break;
  }
  switch (pass) {
    case UploadPass::survey:
      return "stale (the next prune aborts it)";
    case UploadPass::dry_run:
      return "would abort";
    case UploadPass::abort:
      break;
  }
  if (upload.abort_error) return "abort failed: " + upload.abort_error->message;
  return upload.aborted ? "aborted" : "stale";
}

// What a doctor probe object's line says was, would be, or will be done with it.
std::string action_of(const DoctorProbe& probe, UploadPass pass) {
  if (!probe.leftover) return "a doctor run's, younger than STALE_UPLOAD_AGE";
  switch (pass) {
    case UploadPass::survey:
      return "left by a stopped doctor run (the next prune removes it)";
    case UploadPass::dry_run:
      return "would remove";
    case UploadPass::abort:
      break;
  }
  if (probe.remove_error) return "remove failed: " + probe.remove_error->message;
  return probe.removed ? "removed" : "left by a stopped doctor run";
}

std::string_view to_string(UploadPass pass) {
  switch (pass) {
    case UploadPass::survey:
      return "survey";
    case UploadPass::dry_run:
      return "dry_run";
    case UploadPass::abort:
      break;
  }
  return "abort";
}

}  // namespace

std::string_view to_string(UploadState state) {
  switch (state) {
    case UploadState::in_progress:
      return "in progress";
    case UploadState::stale:
      return "stale";
    case UploadState::unknown_age:
      return "unknown age";
    case UploadState::foreign:
      return "foreign";
  }
  return "unknown";
}

std::vector<LeaseEntry> classify_leases(const std::vector<s3::ObjectInfo>& objects,
                                        const catalog::KeyLayout& layout,
                                        const StaleUploadOptions& options) {
  // A leftover must be older than the age operators chose for uploads, and in any case stale.
  const auto leftover_age = std::max<std::chrono::milliseconds>(options.max_age, kLeaseStaleAfter);
  std::vector<LeaseEntry> result;
  for (const s3::ObjectInfo& object : objects) {
    const auto parsed = layout.parse(object.key);
    if (!parsed || parsed->kind != catalog::ObjectKind::lease) continue;
    LeaseEntry entry{.key = object.key, .id = parsed->id};
    if (auto written = s3::parse_timestamp(object.last_modified)) {
      entry.written = *written;
      entry.fresh = lease_is_fresh(*written, options.now);
      entry.leftover = options.now - *written > leftover_age;
    }
    result.push_back(std::move(entry));
  }
  return result;
}

std::vector<DoctorProbe> classify_doctor_probes(const std::vector<s3::ObjectInfo>& objects,
                                                const catalog::KeyLayout& layout,
                                                const StaleUploadOptions& options) {
  const auto leftover_age =
      std::max<std::chrono::milliseconds>(options.max_age, kDoctorProbeStaleAfter);
  std::vector<DoctorProbe> result;
  for (const s3::ObjectInfo& object : objects) {
    const auto parsed = layout.parse(object.key);
    if (!parsed || parsed->kind != catalog::ObjectKind::doctor_probe) continue;
    DoctorProbe probe{.key = object.key};
    if (auto written = s3::parse_timestamp(object.last_modified)) {
      probe.written = *written;
      probe.age = std::chrono::duration_cast<std::chrono::milliseconds>(options.now - *written);
      probe.leftover = *probe.age > leftover_age;
    }
    result.push_back(std::move(probe));
  }
  return result;
}

std::vector<OpenUpload> classify_uploads(const std::vector<s3::MultipartUpload>& uploads,
                                         const catalog::KeyLayout& layout,
                                         const StaleUploadOptions& options,
                                         const std::vector<LeaseEntry>& leases) {
  std::vector<OpenUpload> result;
  for (const s3::MultipartUpload& upload : uploads) {
    // The store was asked for this prefix; a store that ignores it must still not make us
    // touch another env's uploads.
    if (!upload.key.starts_with(layout.env_prefix())) continue;
    OpenUpload entry{.upload = upload};
    const auto parsed = layout.parse(upload.key);
    if (upload.initiated) {
      entry.age =
          std::chrono::duration_cast<std::chrono::milliseconds>(options.now - *upload.initiated);
      // An upload is no older than its set, whose ID is its run's start: a store that claims
      // otherwise is believed no further than that (moto answers every upload with
      // <Initiated>2010-11-10T20:48:33.000Z</Initiated>), so a wrong date never makes the upload
      // of a young set stale. An ID in the future (a wrong clock, a forged key) caps nothing:
      // otherwise its upload would never age.
      if (parsed) {
        const auto start = catalog::parse_backup_id(parsed->id);
        if (start && *upload.initiated < *start && *start <= options.now) {
          entry.age = std::chrono::duration_cast<std::chrono::milliseconds>(options.now - *start);
        }
      }
    }
    if (!parsed) {
      entry.state = UploadState::foreign;
    } else if (std::ranges::any_of(leases, [&](const LeaseEntry& lease) {
                 return lease.fresh && lease.id == parsed->id;
               })) {
      // Its run is alive (it renewed its lease within kLeaseStaleAfter): whatever its age and
      // STALE_UPLOAD_AGE, aborting the upload would fail a running backup.
      entry.state = UploadState::in_progress;
      entry.held = true;
    } else if (!entry.age) {
      entry.state = UploadState::unknown_age;
    } else if (*entry.age > options.max_age) {
      entry.state = UploadState::stale;
    } else {
      entry.state = UploadState::in_progress;
    }
    result.push_back(std::move(entry));
  }
  return result;
}

std::size_t StaleUploadReport::count(UploadState state) const {
  std::size_t n = 0;
  for (const OpenUpload& upload : uploads) n += upload.state == state ? 1 : 0;
  return n;
}

std::vector<AbortFailure> StaleUploadReport::failures() const {
  std::vector<AbortFailure> result;
  for (const OpenUpload& upload : uploads) {
    if (upload.abort_error) {
      result.push_back({upload.upload.key, upload.upload.upload_id, *upload.abort_error});
    }
  }
  return result;
}

StaleUploadReport survey_uploads(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                 const StaleUploadOptions& options) {
  StaleUploadReport report;
  report.max_age = options.max_age;
  // Leases first: without them no upload can be shown to be stale rather than a live run's.
  auto lease_objects = s3::list_all_objects(store, layout.lease_prefix());
  if (!lease_objects) {
    report.listing_error =
        lease_objects.error().with_context("listing the run leases under " + layout.lease_prefix());
    return report;
  }
  report.leases = classify_leases(*lease_objects, layout, options);
  auto probe_objects = s3::list_all_objects(store, layout.doctor_prefix());
  if (!probe_objects) {
    report.listing_error = probe_objects.error().with_context(
        "listing the doctor probe objects under " + layout.doctor_prefix());
    return report;
  }
  report.doctor_probes = classify_doctor_probes(*probe_objects, layout, options);
  auto listed = store.list_multipart_uploads(layout.env_prefix());
  if (!listed) {
    if (s3::is_unsupported_operation_code(listed.error().code)) {
      report.listable = false;
      report.unlistable_reason = listed.error().message;
    } else {
      report.listing_error =
          listed.error().with_context("listing the open uploads under " + layout.env_prefix());
    }
    return report;
  }
  report.uploads = classify_uploads(*listed, layout, options, report.leases);
  return report;
}

namespace {

// Deletes each leftover entry (a run lease, a doctor probe object) not removed yet, counting the
// ones removed; an entry that fails keeps its error for the report and the next pass.
template <typename Entry>
void remove_leftovers(s3::ObjectStore& store, std::vector<Entry>& entries,
                      std::size_t& removed_count) {
  for (Entry& entry : entries) {
    if (!entry.leftover || entry.removed) continue;
    if (auto deleted = store.delete_object(entry.key); deleted) {
      entry.removed = true;
      entry.remove_error.reset();
      ++removed_count;
    } else {
      entry.remove_error = deleted.error();
    }
  }
}

}  // namespace

void abort_stale_uploads(s3::ObjectStore& store, StaleUploadReport& report) {
  report.pass = UploadPass::abort;
  for (OpenUpload& upload : report.uploads) {
    if (upload.state != UploadState::stale || upload.aborted) continue;
    auto done = store.abort_multipart_upload(upload.upload.key, upload.upload.upload_id);
    // Gone already: completed or aborted since the listing. Either way it no longer costs.
    if (done || done.error().kind == ErrorKind::not_found) {
      upload.aborted = true;
      upload.abort_error.reset();
      ++report.aborted;
    } else {
      upload.abort_error = done.error();
    }
  }
  remove_leftovers(store, report.leases, report.leases_removed);
  remove_leftovers(store, report.doctor_probes, report.doctor_probes_removed);
}

StaleUploadReport prune_stale_uploads(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                      const StaleUploadOptions& options, bool dry_run) {
  StaleUploadReport report = survey_uploads(store, layout, options);
  if (dry_run) {
    report.pass = UploadPass::dry_run;
  } else if (!report.listing_error) {
    abort_stale_uploads(store, report);  // on a store that cannot list uploads: leases only
  }
  return report;
}

void log_stale_uploads(Logger& log, const StaleUploadReport& report) {
  if (report.max_age < config::kShortStaleUploadAge) {
    log.warn(
        "STALE_UPLOAD_AGE is below 1h: an upload that young may belong to a backup still "
        "running, and aborting it fails that backup; uploads of a run that holds a fresh lease "
        "are never aborted, but runs of older erp-backup versions and `erp-backup put` hold "
        "none (hint: set STALE_UPLOAD_AGE longer than the longest backup, e.g. 24h)",
        {{"max_age", format_age(report.max_age)}});
  }
  for (const LeaseEntry& lease : report.leases) {
    if (lease.removed) {
      log.info("removed a leftover lease of a run that ended without releasing it",
               {{"key", lease.key},
                {"written", lease.written ? format_iso8601_utc(*lease.written) : "unknown"}});
    } else if (lease.remove_error) {
      log.warn("removing a leftover lease failed; the next prune tries again",
               {{"key", lease.key}, {"error", lease.remove_error->message}});
    }
  }
  for (const DoctorProbe& probe : report.doctor_probes) {
    if (probe.removed) {
      log.info("removed an object a stopped doctor run left behind",
               {{"key", probe.key},
                {"written", probe.written ? format_iso8601_utc(*probe.written) : "unknown"}});
    } else if (probe.remove_error) {
      log.warn("removing an object a doctor run left behind failed; the next prune tries again",
               {{"key", probe.key}, {"error", probe.remove_error->message}});
    }
  }
  if (!report.listable) {
    log.warn("stale multipart uploads cannot be listed on this store, so none are aborted (" +
                 std::string(kLifecycleHint) + ")",
             {{"answer", report.unlistable_reason}});
    return;
  }
  if (report.listing_error) {
    log.error("listing open multipart uploads failed; none were aborted",
              {{"error", report.listing_error->message}});
    return;
  }
  for (const OpenUpload& upload : report.uploads) {
    const std::vector<LogField> where = {
        {"key", upload.upload.key},
        {"upload_id", upload.upload.upload_id},
        {"initiated",
         upload.upload.initiated ? format_iso8601_utc(*upload.upload.initiated) : "unknown"}};
    if (upload.state == UploadState::foreign) {
      log.warn("foreign multipart upload under the env prefix (never aborted)", where);
    } else if (upload.held && upload.age && *upload.age > report.max_age) {
      log.info("multipart upload older than STALE_UPLOAD_AGE kept: its run holds a fresh lease",
               where);
    } else if (upload.abort_error) {
      auto fields = where;
      fields.emplace_back("error", upload.abort_error->message);
      log.error("aborting a stale multipart upload failed; it stays open", std::move(fields));
    } else if (upload.aborted) {
      log.info("aborted a stale multipart upload", where);
    }
  }
  const std::size_t stale = report.count(UploadState::stale);
  if (stale > 0 && report.pass != UploadPass::survey) {
    log.info(report.pass == UploadPass::dry_run ? "stale multipart uploads (dry run: none aborted)"
                                                : "stale multipart uploads handled",
             {{"stale", std::to_string(stale)},
              {"aborted", std::to_string(report.aborted)},
              {"failed", std::to_string(report.failures().size())},
              {"max_age", format_age(report.max_age)}});
  }
}

void print_uploads_text(std::ostream& out, const StaleUploadReport& report) {
  for (const OpenUpload& upload : report.uploads) {
    out << upload.upload.key << "\tupload " << upload.upload.upload_id << '\t'
        << action_of(upload, report.pass) << "\tinitiated "
        << (upload.upload.initiated ? format_iso8601_utc(*upload.upload.initiated) : "unknown")
        << ", age " << (upload.age ? format_age(*upload.age) : "unknown") << '\n';
  }
  for (const DoctorProbe& probe : report.doctor_probes) {
    out << probe.key << "\tdoctor probe\t" << action_of(probe, report.pass) << "\twritten "
        << (probe.written ? format_iso8601_utc(*probe.written) : "unknown") << ", age "
        << (probe.age ? format_age(*probe.age) : "unknown") << '\n';
  }
}

nlohmann::ordered_json uploads_json(const StaleUploadReport& report) {
  nlohmann::ordered_json doc;
  doc["listable"] = report.listable;
  doc["unlistable_reason"] = report.listable ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(report.unlistable_reason);
  doc["error"] = report.listing_error ? nlohmann::ordered_json(report.listing_error->message)
                                      : nlohmann::ordered_json(nullptr);
  doc["max_age_seconds"] = whole_seconds(report.max_age);
  doc["pass"] = to_string(report.pass);
  doc["stale"] = report.count(UploadState::stale);
  doc["aborted"] = report.aborted;
  doc["failed"] = report.failures().size();
  auto rows = nlohmann::ordered_json::array();
  for (const OpenUpload& upload : report.uploads) {
    nlohmann::ordered_json row;
    row["key"] = upload.upload.key;
    row["upload_id"] = upload.upload.upload_id;
    row["initiated"] = upload.upload.initiated
                           ? nlohmann::ordered_json(format_iso8601_utc(*upload.upload.initiated))
                           : nlohmann::ordered_json(nullptr);
    row["age_seconds"] =
        upload.age ? nlohmann::ordered_json(whole_seconds(*upload.age)) : nlohmann::ordered_json();
    row["state"] = to_string(upload.state);
    row["held_by_lease"] = upload.held;
    row["action"] = action_of(upload, report.pass);
    row["error"] = upload.abort_error ? nlohmann::ordered_json(upload.abort_error->message)
                                      : nlohmann::ordered_json(nullptr);
    rows.push_back(std::move(row));
  }
  doc["uploads"] = std::move(rows);
  auto leases = nlohmann::ordered_json::array();
  for (const LeaseEntry& lease : report.leases) {
    nlohmann::ordered_json row;
    row["key"] = lease.key;
    row["id"] = lease.id;
    row["written"] = lease.written ? nlohmann::ordered_json(format_iso8601_utc(*lease.written))
                                   : nlohmann::ordered_json(nullptr);
    row["fresh"] = lease.fresh;
    row["leftover"] = lease.leftover;
    row["removed"] = lease.removed;
    row["error"] = lease.remove_error ? nlohmann::ordered_json(lease.remove_error->message)
                                      : nlohmann::ordered_json(nullptr);
    leases.push_back(std::move(row));
  }
  doc["leases"] = std::move(leases);
  doc["leases_removed"] = report.leases_removed;
  auto probes = nlohmann::ordered_json::array();
  for (const DoctorProbe& probe : report.doctor_probes) {
    nlohmann::ordered_json row;
    row["key"] = probe.key;
    row["written"] = probe.written ? nlohmann::ordered_json(format_iso8601_utc(*probe.written))
                                   : nlohmann::ordered_json(nullptr);
    row["leftover"] = probe.leftover;
    row["removed"] = probe.removed;
    row["error"] = probe.remove_error ? nlohmann::ordered_json(probe.remove_error->message)
                                      : nlohmann::ordered_json(nullptr);
    probes.push_back(std::move(row));
  }
  doc["doctor_probes"] = std::move(probes);
  doc["doctor_probes_removed"] = report.doctor_probes_removed;
  return doc;
}

std::string format_age(std::chrono::milliseconds age) {
  if (age < std::chrono::milliseconds{0}) return "-" + format_age(-age);
  long long seconds = whole_seconds(age);
  const long long days = seconds / 86'400;
  const long long hours = seconds % 86'400 / 3'600;
  const long long minutes = seconds % 3'600 / 60;
  seconds %= 60;
  if (days > 0) return std::to_string(days) + "d" + std::to_string(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h" + std::to_string(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m" + std::to_string(seconds) + "s";
  return std::to_string(seconds) + "s";
}

}  // namespace erp::app
