#include "upload/confirm_write.h"

#include "codec/digest.h"
#include "s3/etag.h"
#include "s3/xml_replies.h"

namespace erp::upload {

bool is_ambiguous(const Error& error) {
  switch (error.kind) {
    case ErrorKind::transient:  // the retries ran out: an earlier attempt may have taken effect
    case ErrorKind::not_found:  // NoSuchUpload: completed (or aborted) already
    case ErrorKind::corrupt:    // an answer that could not be read
      return true;
    case ErrorKind::permanent:
      return s3::is_write_conflict_code(error.code);  // the key is taken: by whom?
    case ErrorKind::config:
    case ErrorKind::cancelled:
      return false;
  }
  return false;
}

std::string Finding::describe(const ExpectedObject& expected) const {
  if (found == Found::absent) return "nothing is at " + info.key;
  std::string text =
      info.key +
      (found == Found::ours ? " holds this writer's object (" : " holds another object (") +
      std::to_string(info.size) + " bytes, ETag " + (info.etag.empty() ? "none" : info.etag);
  if (found == Found::other) {
    text += "; expected " + std::to_string(expected.size) + " bytes, ETag " +
            expected.etag.value_or("unknown") + "); it was left untouched";
  } else {
    text += ")";
  }
  return text;
}

Result<Finding> find_written(s3::ObjectStore& store, const std::string& key,
                             const ExpectedObject& expected) {
  auto head = store.head_object(key);
  if (!head) {
    if (head.error().kind != ErrorKind::not_found) {
      return std::unexpected(head.error().with_context(
          "reading " + key + " back to tell whether the write took effect"));
    }
    Finding finding{.found = Found::absent};
    finding.info.key = key;
    return finding;
  }
  Finding finding{.found = Found::other, .info = std::move(*head)};
  finding.info.key = key;
  // Same size, and the ETags agree wherever they can be compared: S3's ETags are MD5s of the
  // bytes (or of the parts), so an object of another writer differs unless its bytes are these.
  const std::optional<bool> same =
      expected.etag ? s3::same_etag(finding.info.etag, *expected.etag) : std::nullopt;
  if (finding.info.size == expected.size && same.value_or(true)) finding.found = Found::ours;
  return finding;
}

Result<Settled> settle_write(s3::ObjectStore& store, const std::string& key,
                             Result<std::string> answer, const std::string& context,
                             const std::function<ExpectedObject()>& expected) {
  if (answer && !answer->empty()) return Settled{.etag = std::move(*answer)};
  // A stop commits nothing, even if the store acted before it noticed; a plain refusal (the
  // store said no: AccessDenied, InvalidPart, or the keys could not even be had) wrote nothing.
  if (!answer && !is_ambiguous(answer.error())) {
    return std::unexpected(answer.error().with_context(context));
  }
  // Lost, empty or refused: what is at the key now decides.
  const Error ambiguous = answer ? Error{ErrorKind::corrupt, context + ": the answer had no ETag"}
                                 : answer.error().with_context(context);
  const ExpectedObject wanted = expected();
  auto found = find_written(store, key, wanted);
  if (!found) {
    Error error = ambiguous;
    error.message += "; and " + found.error().message;
    return std::unexpected(std::move(error));
  }
  if (found->found != Found::ours) {
    Error error = ambiguous;
    error.message += "; " + found->describe(wanted);
    return std::unexpected(std::move(error));
  }
  return Settled{.etag = found->info.etag, .confirmed_by_reading = ambiguous};
}

Result<std::string> put_new_object(s3::ObjectStore& store, const std::string& key,
                                   std::span<const char> body,
                                   const std::optional<s3::ObjectLock>& lock) {
  auto answer = lock ? store.put_object(key, body, s3::WriteCondition::if_absent, *lock)
                     : store.put_object(key, body, s3::WriteCondition::if_absent);
  auto settled = settle_write(store, key, std::move(answer), key, [&] {
    return ExpectedObject{body.size(), codec::md5_hex(body)};
  });
  if (!settled) return std::unexpected(settled.error());
  return std::move(settled->etag);
}

}  // namespace erp::upload
