// What an S3 ETag says about the bytes behind it, for telling whether an object is the one this
// process wrote when the store's answer to the write was lost or empty (upload/confirm_write.h).
// Pure.
//
// AWS S3 (without SSE-KMS/SSE-C), MinIO, moto and s3rver give a single PUT the MD5 of its body
// and a completed multipart upload the MD5 of its parts' binary MD5s, "-", and the part count:
//
//   parts with ETags 5d41402abc4b2a76b9719d911017c592 and 7d793037a0760186574b0282f2f435e7
//   → md5(0x5d41…c592 0x7d79…35e7) + "-2"
//
// Other stores (GCS composite objects, SSE-KMS, Ceph RGW's empty Complete answer) give ETags of
// another shape or none: callers then have the object's size alone to go by.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/object_store.h"

namespace erp::s3 {

// 32 lowercase or uppercase hex digits (quotes already removed).
bool is_md5_etag(std::string_view etag);
// 32 hex digits, "-", and a part count (1 to 5 digits, no leading zero).
bool is_multipart_etag(std::string_view etag);

// The ETag S3 gives the object completed from `parts`, lowercase; nullopt when a part's ETag is
// not an MD5 (is_md5_etag), or there are no parts.
std::optional<std::string> multipart_etag(const std::vector<CompletedPart>& parts);

// Whether two ETags of the same shape (both is_md5_etag, or both is_multipart_etag) are equal,
// ignoring the hex digits' case. nullopt when they are of different or unknown shapes: the ETags
// then say nothing about whether the bytes are the same.
std::optional<bool> same_etag(std::string_view a, std::string_view b);

}  // namespace erp::s3
