#include "upload/confirm_write.h"

#include "codec/digest.h"
#include "s3/etag.h"

namespace erp::upload {

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

Result<std::string> put_new_object(s3::ObjectStore& store, const std::string& key,
                                   std::span<const char> body) {
  auto put = store.put_object(key, body, s3::WriteCondition::if_absent);
  if (put && !put->empty()) return put;
  if (!put && put.error().kind == ErrorKind::cancelled) return put;
  // Lost, empty or refused: what is at the key now decides.
  const ExpectedObject expected{body.size(), codec::md5_hex(body)};
  auto found = find_written(store, key, expected);
  if (!found) {
    if (!put) {
      Error error = put.error();
      error.message += "; and " + found.error().message;
      return std::unexpected(std::move(error));
    }
    return std::unexpected(found.error());
  }
  if (found->found == Found::ours) return found->info.etag;
  if (!put) {
    Error error = put.error();
    error.message += "; " + found->describe(expected);
    return std::unexpected(std::move(error));
  }
  return make_error(ErrorKind::corrupt, "PutObject " + key + " answered without an ETag, and " +
                                            found->describe(expected));
}

}  // namespace erp::upload
