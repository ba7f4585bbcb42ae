// Ambiguous writes resolved by reading the store, never by deleting (SPEC §1, §4).
//
// A write's outcome is ambiguous when
//   - its answer was lost: the store acted, the connection broke before the reply, and the
//     retry met the result (a CompleteMultipartUpload retried into NoSuchUpload, a conditional
//     PUT or Complete retried into 412 PreconditionFailed), or the retries ran out;
//   - it succeeded without an ETag (Ceph RGW 16 answers CompleteMultipartUpload so);
//   - a conditional write (WriteCondition::if_absent) was refused: the key is taken, by this
//     writer's own earlier attempt or by someone else.
// find_written() HEADs the key and says whether the object there is the one the writer meant to
// write. Whatever it finds, nothing is deleted: an object that is not this writer's belongs to
// someone else, and one that is this writer's is exactly what was asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "core/error.h"
#include "s3/object_store.h"

namespace erp::upload {

// Whether a write that failed with `error` may still have taken effect: transient (the retries
// ran out; an earlier attempt's answer may have been lost), not_found (NoSuchUpload: the upload
// was completed already), corrupt (an answer that could not be read), and a write conflict
// (s3::is_write_conflict_code: the key is taken, perhaps by this writer's earlier attempt). Not
// a stop (cancelled), and not a plain refusal (AccessDenied, InvalidPart, no credentials): the
// store said no, and nothing was written.
bool is_ambiguous(const Error& error);

// What the writer's own bytes give.
struct ExpectedObject {
  std::uint64_t size = 0;
  // The ETag the store gives these bytes (MD5 of a single PUT's body, the multipart ETag of the
  // parts: s3/etag.h); nullopt when unknown.
  std::optional<std::string> etag;
};

enum class Found {
  ours,    // present, with the expected size and (where the ETags can tell) the expected ETag
  absent,  // nothing at the key: the write did not happen
  other,   // another object is there: not this writer's, left untouched
};

struct Finding {
  Found found = Found::absent;
  s3::ObjectInfo info;  // what HEAD answered (when found is ours or other)
  // For messages: "nothing is at KEY", "KEY holds another object (N bytes, ETag E; expected
  // M bytes, ETag F); it was left untouched".
  std::string describe(const ExpectedObject& expected) const;
};

// HEADs `key` and judges what is there. `ours` needs the expected size, and the expected ETag
// whenever the store's ETag and `expected.etag` have the same shape (s3::same_etag); a store
// whose ETags have another shape (GCS composite objects, SSE-KMS, an RGW answer without one) is
// judged by size alone. Errors: the HEAD's own, other than not_found (the outcome is then still
// unknown: the caller fails loudly and deletes nothing). One HEAD request.
Result<Finding> find_written(s3::ObjectStore& store, const std::string& key,
                             const ExpectedObject& expected);

// What a write came to, once settle_write() has looked.
struct Settled {
  std::string etag;  // the object's ETag: the answer's, or HEAD's when the answer was ambiguous
  // Set when the answer was ambiguous and HEAD showed the writer's object: that answer.
  std::optional<Error> confirmed_by_reading;
};

// The outcome of a write to `key` whose store answer was `answer`: success with its ETag when it
// carried one; an error that is not ambiguous (is_ambiguous: a stop, a refusal) as it came; an
// ambiguous one, or success without an ETag, resolved with find_written() against `expected()`
// (called only then: it may hash a body): the writer's object is success, else `answer`'s error
// (or "the answer had no ETag", corrupt) with what HEAD found added. `context` ("s3://b/k:
// put_object") begins the messages. Never deletes anything. At most one HEAD.
Result<Settled> settle_write(s3::ObjectStore& store, const std::string& key,
                             Result<std::string> answer, const std::string& context,
                             const std::function<ExpectedObject()>& expected);

// A single PUT of `body` that never replaces an object (WriteCondition::if_absent) and resolves
// an ambiguous outcome with find_written(): a lost answer, an answer without an ETag, or a
// refusal because the key is taken all end in success when the object at `key` is this body.
// Returns the object's ETag (HEAD's, when the PUT's answer had none). Errors: the PUT's
// (cancelled as it came; any other with what HEAD found added: "…; KEY holds another object
// (…); it was left untouched"); the HEAD's, when it could not tell. Never deletes anything.
// With `lock`, the PUT carries it (ObjectStore::put_object's lock overload; reading it back is
// the caller's: upload/lock_check.h).
Result<std::string> put_new_object(s3::ObjectStore& store, const std::string& key,
                                   std::span<const char> body,
                                   const std::optional<s3::ObjectLock>& lock = std::nullopt);

}  // namespace erp::upload
