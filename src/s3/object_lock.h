// S3 Object Lock as the tool uses it (SPEC §5 rule 7, issue 20): a retention mode and a
// retain-until date on one object version, written with the object (PutObject,
// CreateMultipartUpload headers) or afterwards (PutObjectRetention), read back by HEAD.
//
// Wire forms (AWS S3, MinIO, Ceph RGW, moto):
//   headers   x-amz-object-lock-mode: GOVERNANCE | COMPLIANCE
//             x-amz-object-lock-retain-until-date: 2026-12-09T22:15:00Z   (ISO 8601, UTC)
//   body      <Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>…</RetainUntilDate></Retention>
// A retention may only be extended, never shortened, by a caller without
// s3:BypassGovernanceRetention (and never in COMPLIANCE mode); the tool never asks to bypass.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace erp::s3 {

enum class LockMode {
  governance,  // a principal with s3:BypassGovernanceRetention may still delete or shorten
  compliance,  // nobody, the root account included, until retain-until has passed
};

// "GOVERNANCE" / "COMPLIANCE": the wire spelling.
std::string_view wire_name(LockMode mode);
// The wire spelling back (exact, upper case); nullopt for anything else.
std::optional<LockMode> lock_mode_from_wire(std::string_view text);

struct ObjectLock {
  LockMode mode = LockMode::governance;
  std::chrono::sys_seconds retain_until{};  // whole seconds, UTC

  friend bool operator==(const ObjectLock&, const ObjectLock&) = default;
};

// "2026-12-09T22:15:00Z": the form sent in headers and in <RetainUntilDate>.
std::string format_retain_until(std::chrono::sys_seconds when);
// What stores send back: "2026-12-09T22:15:00Z", "2026-12-09T22:15:00.000Z" (fractions are
// truncated to the second). Errors: corrupt naming the text.
Result<std::chrono::sys_seconds> parse_retain_until(std::string_view text);

}  // namespace erp::s3
