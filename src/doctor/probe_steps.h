// The probes one by one (doctor/probes.h describes each), shared by probes.cc, which runs them
// in order, and the three files that hold them: probe_contact.cc (first contact),
// probe_writes.cc (objects and uploads written), probe_bucket.cc (listing uploads, deleting,
// the bucket's settings). Internal to src/doctor.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "doctor/probes.h"

namespace erp::doctor {

// Builders for a check's outcome.
Check ok(CheckId id, std::string detail);
Check degraded(CheckId id, std::string detail, std::string fix);
Check failed(CheckId id, std::string detail, std::string fix);
// The run was stopped while this check was under way: skipped, saying so.
Check stopped(CheckId id);

// What to change when the store refused an operation with `error`: the permission `action`
// (e.g. "s3:PutObject") for AccessDenied, else the error's own hint (in its message).
std::string fix_for(const Error& error, std::string_view action, const Ledger& ledger);

// `size` bytes whose value depends on their offset and `seed`: a Range or a part boundary that
// went wrong shows up as a mismatch.
std::vector<char> pattern(std::size_t size, unsigned seed);

// Fills endpoint, credentials, region_clock and bucket in `checks`; false when any of them
// failed or the run was stopped (nothing is written then).
bool probe_first_contact(ProbeEnvironment& env, std::vector<Check>& checks);

Check probe_put_object(ProbeEnvironment& env);
Check probe_list_pagination(ProbeEnvironment& env);
Check probe_get_range(ProbeEnvironment& env);
Check probe_multipart(ProbeEnvironment& env);
Check probe_conditional_put(ProbeEnvironment& env);

Check probe_uploads(ProbeEnvironment& env);
Check probe_versioning(ProbeEnvironment& env);
Check probe_object_lock(ProbeEnvironment& env);
Check probe_delete_objects(ProbeEnvironment& env);
Check probe_delete_permission(ProbeEnvironment& env);

// The probe objects' names under the run prefix.
inline constexpr std::string_view kProbeObject = "probe";
inline constexpr std::size_t kProbeBytes = 1024;
inline constexpr std::string_view kListPrefix = "list-";
inline constexpr int kListObjects = 3;

}  // namespace erp::doctor
