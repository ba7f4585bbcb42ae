#include "fakes/fake_object_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

namespace erp::testing {
namespace {

std::string md5_binary(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string unhex(std::string_view text) {
  auto value = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<char>(value(text[i]) * 16 + value(text[i + 1])));
  }
  return out;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Error access_denied(std::string_view what) {
  return Error{ErrorKind::permanent, std::string(what) + ": HTTP 403 AccessDenied: Access Denied",
               "AccessDenied"};
}

Error invalid_request(std::string_view what, std::string_view why) {
  return Error{ErrorKind::permanent,
               std::string(what) + ": HTTP 400 InvalidRequest: " + std::string(why),
               "InvalidRequest"};
}

// Whether `wanted` may replace `held` without bypassing governance: a later or equal date, and
// never compliance -> governance.
bool extends(const std::optional<s3::ObjectLock>& held, const s3::ObjectLock& wanted) {
  if (!held) return true;
  if (held->mode == s3::LockMode::compliance && wanted.mode != s3::LockMode::compliance) {
    return false;
  }
  return wanted.retain_until >= held->retain_until;
}

}  // namespace

std::string_view to_string(FakeObjectStore::Op op) {
  using Op = FakeObjectStore::Op;
  switch (op) {
    case Op::put_object:
      return "put_object";
    case Op::create_multipart_upload:
      return "create_multipart_upload";
    case Op::upload_part:
      return "upload_part";
    case Op::complete_multipart_upload:
      return "complete_multipart_upload";
    case Op::abort_multipart_upload:
      return "abort_multipart_upload";
    case Op::list_multipart_uploads:
      return "list_multipart_uploads";
    case Op::list_objects_v2:
      return "list_objects_v2";
    case Op::head_object:
      return "head_object";
    case Op::get_object:
      return "get_object";
    case Op::delete_object:
      return "delete_object";
    case Op::delete_objects:
      return "delete_objects";
    case Op::head_object_version:
      return "head_object_version";
    case Op::put_object_retention:
      return "put_object_retention";
    case Op::list_object_versions:
      return "list_object_versions";
    case Op::delete_object_version:
      return "delete_object_version";
    case Op::delete_object_version_bypassing_governance:
      return "delete_object_version_bypassing_governance";
    case Op::get_bucket_versioning:
      return "get_bucket_versioning";
    case Op::get_object_lock_configuration:
      return "get_object_lock_configuration";
  }
  return "unknown";
}

FakeObjectStore::FakeObjectStore(std::string bucket) : bucket_(std::move(bucket)) {}

const FakeObjectStore::Failure* FakeObjectStore::take_failure(const Call& call) {
  for (Failure& failure : failures_) {
    if (failure.times == 0 || failure.op != call.op) continue;
    if (failure.part_number != 0 && failure.part_number != call.part_number) continue;
    if (!failure.key.empty() && failure.key != call.key) continue;
    if (failure.times > 0) --failure.times;
    return &failure;
  }
  return nullptr;
}

Error FakeObjectStore::injected(const Failure& failure, const Call& call) {
  Error error = failure.error;
  error.message = std::string(to_string(call.op)) + " " + call.key + ": " + error.message;
  return error;
}

std::optional<Error> FakeObjectStore::write_conflict(const Call& call) const {
  if (!call.if_absent || ignore_conditions_ || !objects_.contains(call.key)) return std::nullopt;
  return Error{ErrorKind::permanent,
               std::string(to_string(call.op)) + " " + call.key +
                   ": HTTP 412 PreconditionFailed: At least one of the pre-conditions you "
                   "specified did not hold",
               "PreconditionFailed"};
}

std::optional<Error> FakeObjectStore::refusal(const Call& call) const {
  const std::string what = std::string(to_string(call.op)) + " " + call.key;
  if (std::ranges::find(denied_, call.op) != denied_.end()) return access_denied(what);
  if (call.op == Op::delete_object_version_bypassing_governance &&
      std::ranges::find(denied_, Op::delete_object_version) != denied_.end()) {
    return access_denied(what);
  }
  const bool lock_asked = call.op == Op::put_object_retention ||
                          ((call.op == Op::put_object || call.op == Op::create_multipart_upload) &&
                           call.lock.has_value());
  if (lock_asked && !object_lock_) {
    return invalid_request(what, "Bucket is missing Object Lock Configuration");
  }
  return std::nullopt;
}

std::string FakeObjectStore::next_version_id() {
  // Opaque to callers, as S3's are; zero-padded so they also sort by age in messages.
  std::string digits = std::to_string(next_version_++);
  return "v" + std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
}

std::string FakeObjectStore::store_object(std::string_view key, Object object) {
  if (!versioning_) {
    objects_.insert_or_assign(std::string(key), std::move(object));
    return "";
  }
  object.version_id = next_version_id();
  std::string id = object.version_id;
  versions_[std::string(key)].push_back(Version{object, false});
  objects_.insert_or_assign(std::string(key), std::move(object));
  return id;
}

std::string FakeObjectStore::remove_current(std::string_view key) {
  if (!versioning_) {
    if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
    return "";
  }
  Version marker;
  marker.delete_marker = true;
  marker.object.version_id = next_version_id();
  marker.object.last_modified = last_modified_;
  std::string id = marker.object.version_id;
  versions_[std::string(key)].push_back(std::move(marker));
  if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
  return id;
}

void FakeObjectStore::refresh_current(const std::string& key) {
  auto it = versions_.find(key);
  if (it == versions_.end() || it->second.empty() || it->second.back().delete_marker) {
    objects_.erase(key);
    if (it != versions_.end() && it->second.empty()) versions_.erase(it);
    return;
  }
  objects_.insert_or_assign(key, it->second.back().object);
}

FakeObjectStore::Version* FakeObjectStore::find_version(std::string_view key,
                                                        std::string_view version_id) {
  if (!versioning_) {
    // An unversioned object answers to version "null", as on S3: a copy (nothing that changes
    // a version applies to an unversioned store: put_object_retention needs Object Lock).
    static thread_local Version unversioned;
    auto it = objects_.find(key);
    if (version_id != "null" || it == objects_.end()) return nullptr;
    unversioned = Version{it->second, false};
    unversioned.object.version_id = "null";
    return &unversioned;
  }
  auto it = versions_.find(key);
  if (it == versions_.end()) return nullptr;
  for (Version& version : it->second) {
    if (version.object.version_id == version_id) return &version;
  }
  return nullptr;
}

Result<std::string> FakeObjectStore::put_object(std::string_view key, std::span<const char> body) {
  return put(key, body, s3::WriteCondition::none, std::nullopt);
}

Result<std::string> FakeObjectStore::put_object(std::string_view key, std::span<const char> body,
                                                s3::WriteCondition condition) {
  return put(key, body, condition, std::nullopt);
}

Result<std::string> FakeObjectStore::put_object(std::string_view key, std::span<const char> body,
                                                s3::WriteCondition condition,
                                                const s3::ObjectLock& lock) {
  return put(key, body, condition, lock);
}

Result<std::string> FakeObjectStore::put(std::string_view key, std::span<const char> body,
                                         s3::WriteCondition condition,
                                         std::optional<s3::ObjectLock> lock) {
  Object object{std::string(body.data(), body.size()), "", "", "", lock};
  object.etag = hex(md5_binary(object.data));
  std::lock_guard guard(mutex_);
  Call call{Op::put_object,
            std::string(key),
            "",
            0,
            body.size(),
            condition == s3::WriteCondition::if_absent};
  call.lock = lock;
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  if (auto conflict = write_conflict(call)) return std::unexpected(std::move(*conflict));
  object.last_modified = last_modified_;
  std::string etag = object.etag;
  store_object(key, std::move(object));
  if (failure) return std::unexpected(injected(*failure, call));
  return etag;
}

Result<std::string> FakeObjectStore::create_multipart_upload(std::string_view key) {
  return create_upload(key, std::nullopt);
}

Result<std::string> FakeObjectStore::create_multipart_upload(std::string_view key,
                                                             const s3::ObjectLock& lock) {
  return create_upload(key, lock);
}

Result<std::string> FakeObjectStore::create_upload(std::string_view key,
                                                   std::optional<s3::ObjectLock> lock) {
  std::lock_guard guard(mutex_);
  Call call{Op::create_multipart_upload, std::string(key)};
  call.lock = lock;
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  std::string id = "upload-" + std::to_string(next_upload_id_++);
  // RGW 16 and moto accept the headers and complete the object without them.
  if (drop_lock_on_multipart_) lock.reset();
  uploads_.emplace(id, Upload{std::string(key), {}, upload_initiated_, lock});
  if (failure) return std::unexpected(injected(*failure, call));
  return id;
}

Result<std::string> FakeObjectStore::upload_part(std::string_view key, std::string_view upload_id,
                                                 int part_number, std::span<const char> body) {
  // Copy and hash outside the lock, so parallel parts really run in parallel.
  Part part{std::string(body.data(), body.size()), ""};
  part.etag = hex(md5_binary(part.data));

  std::unique_lock lock(mutex_);
  const Call call{Op::upload_part, std::string(key), std::string(upload_id), part_number,
                  body.size()};
  calls_.push_back(call);
  ++active_upload_parts_;
  max_active_upload_parts_ = std::max(max_active_upload_parts_, active_upload_parts_);
  if (holding_) {
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !holding_; });
    --held_;
  }
  struct Leave {  // the call is no longer in flight however it returns
    int& active;
    ~Leave() { --active; }
  } leave{active_upload_parts_};

  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  auto upload = uploads_.find(upload_id);
  if (upload == uploads_.end() || upload->second.key != key) {
    return make_error(ErrorKind::not_found, "upload_part " + std::string(key) + ": NoSuchUpload " +
                                                std::string(upload_id));
  }
  if (part_number < 1 || part_number > 10'000) {
    return make_error(ErrorKind::permanent, "upload_part " + std::string(key) +
                                                ": InvalidArgument part number " +
                                                std::to_string(part_number));
  }
  std::string etag = part.etag;
  upload->second.parts.insert_or_assign(part_number, std::move(part));
  if (failure) return std::unexpected(injected(*failure, call));
  return etag;
}

Result<std::string> FakeObjectStore::complete_multipart_upload(
    std::string_view key, std::string_view upload_id, const std::vector<s3::CompletedPart>& parts) {
  return complete_multipart_upload(key, upload_id, parts, s3::WriteCondition::none);
}

Result<std::string> FakeObjectStore::complete_multipart_upload(
    std::string_view key, std::string_view upload_id, const std::vector<s3::CompletedPart>& parts,
    s3::WriteCondition condition) {
  std::lock_guard lock(mutex_);
  const Call call{Op::complete_multipart_upload,
                  std::string(key),
                  std::string(upload_id),
                  0,
                  parts.size(),
                  condition == s3::WriteCondition::if_absent};
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  const std::string where = "complete_multipart_upload " + std::string(key) + ": ";
  auto upload = uploads_.find(upload_id);
  if (upload == uploads_.end() || upload->second.key != key) {
    return make_error(ErrorKind::not_found, where + "NoSuchUpload " + std::string(upload_id));
  }
  if (parts.empty()) return make_error(ErrorKind::permanent, where + "MalformedXML (no parts)");
  // As AWS: the upload stays open after a refused precondition.
  if (auto conflict = write_conflict(call)) return std::unexpected(std::move(*conflict));
  Object object;
  std::string md5s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && parts[i].part_number <= parts[i - 1].part_number) {
      return make_error(ErrorKind::permanent, where + "InvalidPartOrder");
    }
    auto stored = upload->second.parts.find(parts[i].part_number);
    if (stored == upload->second.parts.end() || stored->second.etag != parts[i].etag) {
      return make_error(ErrorKind::permanent,
                        where + "InvalidPart " + std::to_string(parts[i].part_number));
    }
    if (i + 1 < parts.size() && stored->second.data.size() < min_part_size_) {
      return make_error(ErrorKind::permanent,
                        where + "EntityTooSmall part " + std::to_string(parts[i].part_number));
    }
    object.data += stored->second.data;
    md5s += unhex(stored->second.etag);
  }
  object.etag = hex(md5_binary(md5s)) + "-" + std::to_string(parts.size());
  object.last_modified = last_modified_;
  object.lock = upload->second.lock;
  std::string etag = object.etag;
  store_object(key, std::move(object));
  uploads_.erase(upload);
  if (failure) return std::unexpected(injected(*failure, call));
  return etag;
}

Result<void> FakeObjectStore::abort_multipart_upload(std::string_view key,
                                                     std::string_view upload_id) {
  std::lock_guard lock(mutex_);
  const Call call{Op::abort_multipart_upload, std::string(key), std::string(upload_id)};
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  auto upload = uploads_.find(upload_id);
  if (upload == uploads_.end() || upload->second.key != key) {
    return make_error(ErrorKind::not_found, "abort_multipart_upload " + std::string(key) +
                                                ": NoSuchUpload " + std::string(upload_id));
  }
  uploads_.erase(upload);
  if (failure) return std::unexpected(injected(*failure, call));
  return {};
}

Result<std::vector<s3::MultipartUpload>> FakeObjectStore::list_multipart_uploads(
    std::string_view prefix) {
  std::lock_guard lock(mutex_);
  const Call call{Op::list_multipart_uploads, std::string(prefix)};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  return uploads_under(prefix);
}

std::vector<s3::MultipartUpload> FakeObjectStore::uploads_under(std::string_view prefix) const {
  std::vector<s3::MultipartUpload> result;
  for (const auto& [id, upload] : uploads_) {
    if (starts_with(upload.key, prefix)) result.push_back({upload.key, id, upload.initiated});
  }
  // S3 lists by key, then by initiation; ids here grow with time when compared by length first.
  std::ranges::sort(result, [](const auto& a, const auto& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.upload_id.size() != b.upload_id.size()) return a.upload_id.size() < b.upload_id.size();
    return a.upload_id < b.upload_id;
  });
  return result;
}

Result<s3::ListPage> FakeObjectStore::list_objects_v2(std::string_view prefix,
                                                      std::string_view continuation_token,
                                                      std::string_view delimiter, int max_keys) {
  std::lock_guard lock(mutex_);
  const Call call{Op::list_objects_v2, std::string(prefix)};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  const std::size_t limit = max_keys <= 0 ? 1000 : static_cast<std::size_t>(max_keys);
  // The token is the last key or common prefix returned; a page resumes after it, and after
  // every key under it when it is a common prefix.
  const std::string after(continuation_token);
  const bool after_prefix = !after.empty() && !delimiter.empty() && after.ends_with(delimiter);

  s3::ListPage page;
  std::string last;
  std::size_t count = 0;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    const std::string& key = it->first;
    if (!starts_with(key, prefix)) break;
    if (!after.empty() && (key <= after || (after_prefix && starts_with(key, after)))) continue;
    std::optional<std::string> common;
    if (!delimiter.empty()) {
      const std::size_t at = key.find(delimiter, prefix.size());
      if (at != std::string::npos) common = key.substr(0, at + delimiter.size());
    }
    if (common && !page.common_prefixes.empty() && page.common_prefixes.back() == *common) {
      continue;
    }
    if (count == limit) {
      page.next_continuation_token = last;
      break;
    }
    if (common) {
      page.common_prefixes.push_back(*common);
      last = *common;
    } else {
      page.objects.push_back(
          {key, it->second.data.size(), it->second.etag, it->second.last_modified});
      last = key;
    }
    ++count;
  }
  return page;
}

Result<s3::ObjectInfo> FakeObjectStore::head_object(std::string_view key) {
  std::lock_guard lock(mutex_);
  const Call call{Op::head_object, std::string(key)};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return make_error(ErrorKind::not_found, "head_object " + std::string(key) + ": NoSuchKey");
  }
  return s3::ObjectInfo{it->first,
                        it->second.data.size(),
                        it->second.etag,
                        it->second.last_modified,
                        it->second.version_id,
                        it->second.lock};
}

Result<void> FakeObjectStore::get_object(std::string_view key, ByteSink& sink,
                                         std::optional<s3::ByteRange> range) {
  std::string body;
  std::size_t chunk = 0;
  {
    std::lock_guard lock(mutex_);
    const Call call{Op::get_object, std::string(key)};
    calls_.push_back(call);
    if (const Failure* failure = take_failure(call)) {
      return std::unexpected(injected(*failure, call));
    }
    if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      return make_error(ErrorKind::not_found, "get_object " + std::string(key) + ": NoSuchKey");
    }
    const std::string& data = it->second.data;
    if (range) {
      const std::uint64_t size = data.size();
      const std::uint64_t last = std::min(range->last.value_or(size - 1), size - 1);
      if (range->first >= size || (range->last && *range->last < range->first)) {
        return make_error(ErrorKind::permanent,
                          "get_object " + std::string(key) + ": InvalidRange");
      }
      body = data.substr(range->first, last - range->first + 1);
    } else {
      body = data;
    }
    chunk = get_chunk_size_;
  }
  // The sink is called without the lock, as the real client streams without holding anything.
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const std::size_t n = std::min(chunk, body.size() - at);
    if (auto written = sink.write(std::span<const char>(body.data() + at, n)); !written) {
      return written;
    }
  }
  return {};
}

Result<void> FakeObjectStore::delete_object(std::string_view key) {
  std::lock_guard lock(mutex_);
  const Call call{Op::delete_object, std::string(key)};
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  remove_current(key);
  if (failure) return std::unexpected(injected(*failure, call));
  return {};
}

Result<std::vector<s3::DeleteFailure>> FakeObjectStore::delete_objects(
    const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  const Call call{Op::delete_objects, "", "", 0, keys.size()};
  calls_.push_back(call);
  // A failure without a key fails the whole request; one with a key refuses just that key.
  for (Failure& failure : failures_) {
    if (failure.op == Op::delete_objects && failure.key.empty() && failure.times != 0) {
      if (failure.times > 0) --failure.times;
      return std::unexpected(injected(failure, call));
    }
  }
  // A credential without s3:DeleteObject: S3 answers 200 with an <Error> per key.
  const bool denied = std::ranges::find(denied_, Op::delete_objects) != denied_.end();
  std::vector<s3::DeleteFailure> refused;
  for (const std::string& key : keys) {
    const Call per_key{Op::delete_objects, key};
    if (denied) {
      refused.push_back({key, "AccessDenied", "Access Denied"});
      continue;
    }
    if (const Failure* failure = take_failure(per_key)) {
      refused.push_back({key, "AccessDenied", failure->error.message});
      continue;
    }
    remove_current(key);
  }
  return refused;
}

Result<s3::ObjectInfo> FakeObjectStore::head_object_version(std::string_view key,
                                                            std::string_view version_id) {
  std::lock_guard guard(mutex_);
  Call call{Op::head_object_version, std::string(key)};
  call.version_id = version_id;
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  const Version* version = find_version(key, version_id);
  if (version == nullptr || version->delete_marker) {
    return make_error(ErrorKind::not_found, "head_object_version " + std::string(key) + " " +
                                                std::string(version_id) + ": NoSuchVersion");
  }
  const Object& object = version->object;
  return s3::ObjectInfo{std::string(key),     object.data.size(), object.etag,
                        object.last_modified, object.version_id,  object.lock};
}

Result<void> FakeObjectStore::put_object_retention(std::string_view key,
                                                   std::string_view version_id,
                                                   const s3::ObjectLock& lock) {
  std::lock_guard guard(mutex_);
  Call call{Op::put_object_retention, std::string(key)};
  call.version_id = version_id;
  call.lock = lock;
  calls_.push_back(call);
  const std::string what =
      "put_object_retention " + std::string(key) + " " + std::string(version_id);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  Version* version = find_version(key, version_id);
  if (version == nullptr || version->delete_marker) {
    return make_error(ErrorKind::not_found, what + ": NoSuchVersion");
  }
  if (lock.retain_until <= now_) {
    return std::unexpected(invalid_request(what, "the retain until date must be in the future"));
  }
  if (!extends(version->object.lock, lock)) return std::unexpected(access_denied(what));
  version->object.lock = lock;
  refresh_current(std::string(key));
  if (failure) return std::unexpected(injected(*failure, call));
  return {};
}

Result<std::vector<s3::ObjectVersion>> FakeObjectStore::list_object_versions(
    std::string_view prefix) {
  std::lock_guard guard(mutex_);
  const Call call{Op::list_object_versions, std::string(prefix)};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  std::vector<s3::ObjectVersion> result;
  if (!versioning_) {
    for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
      if (!starts_with(it->first, prefix)) break;
      result.push_back(
          {it->first, "null", false, true, it->second.data.size(), it->second.last_modified});
    }
    return result;
  }
  // S3's order: by key, the newest version of each first.
  for (auto it = versions_.lower_bound(prefix); it != versions_.end(); ++it) {
    if (!starts_with(it->first, prefix)) break;
    const auto& versions = it->second;
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      result.push_back({it->first, v->object.version_id, v->delete_marker, v == versions.rbegin(),
                        v->object.data.size(), v->object.last_modified});
    }
  }
  return result;
}

Result<void> FakeObjectStore::delete_object_version(std::string_view key,
                                                    std::string_view version_id) {
  Call call{Op::delete_object_version, std::string(key)};
  call.version_id = version_id;
  return delete_version(std::move(call));
}

Result<void> FakeObjectStore::delete_object_version_bypassing_governance(
    std::string_view key, std::string_view version_id) {
  Call call{Op::delete_object_version_bypassing_governance, std::string(key)};
  call.version_id = version_id;
  return delete_version(std::move(call));
}

Result<void> FakeObjectStore::delete_version(Call call) {
  std::lock_guard guard(mutex_);
  const std::string& key = call.key;
  const std::string& version_id = call.version_id;
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  const Version* version = find_version(key, version_id);
  if (version != nullptr) {
    const auto& lock = version->object.lock;
    const bool bypassed = call.op == Op::delete_object_version_bypassing_governance &&
                          governance_bypass_ && lock && lock->mode == s3::LockMode::governance;
    if (lock && lock->retain_until > now_ && !bypassed) {
      return std::unexpected(
          access_denied(std::string(to_string(call.op)) + " " + key + " " + version_id));
    }
    if (!versioning_) {
      objects_.erase(objects_.find(key));
    } else {
      auto& versions = versions_.find(key)->second;
      std::erase_if(versions, [&](const Version& v) { return v.object.version_id == version_id; });
      refresh_current(std::string(key));
    }
  }
  if (failure) return std::unexpected(injected(*failure, call));
  return {};
}

Result<s3::BucketVersioning> FakeObjectStore::get_bucket_versioning() {
  std::lock_guard guard(mutex_);
  const Call call{Op::get_bucket_versioning};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  return s3::BucketVersioning{versioning_ ? s3::VersioningStatus::enabled
                                          : s3::VersioningStatus::unversioned};
}

Result<s3::ObjectLockConfiguration> FakeObjectStore::get_object_lock_configuration() {
  std::lock_guard guard(mutex_);
  const Call call{Op::get_object_lock_configuration};
  calls_.push_back(call);
  if (const Failure* failure = take_failure(call)) {
    return std::unexpected(injected(*failure, call));
  }
  if (auto refused = refusal(call)) return std::unexpected(std::move(*refused));
  return s3::ObjectLockConfiguration{.enabled = object_lock_};
}

void FakeObjectStore::seed(std::string key, std::string data) {
  seed_version(std::move(key), std::move(data));
}

std::string FakeObjectStore::seed_version(std::string key, std::string data,
                                          std::optional<s3::ObjectLock> lock) {
  std::lock_guard guard(mutex_);
  Object object{std::move(data), "", last_modified_, "", lock};
  object.etag = hex(md5_binary(object.data));
  return store_object(key, std::move(object));
}

std::string FakeObjectStore::seed_lock(std::string key, s3::ObjectLock lock) {
  std::string data;
  {
    std::lock_guard guard(mutex_);
    if (auto it = objects_.find(key); it != objects_.end()) data = it->second.data;
  }
  return seed_version(std::move(key), std::move(data), lock);
}

std::string FakeObjectStore::seed_delete_marker(std::string key) {
  std::lock_guard guard(mutex_);
  return remove_current(key);
}

void FakeObjectStore::enable_versioning() {
  std::lock_guard guard(mutex_);
  versioning_ = true;
}

void FakeObjectStore::enable_object_lock() {
  std::lock_guard guard(mutex_);
  versioning_ = true;
  object_lock_ = true;
}

void FakeObjectStore::drop_lock_on_multipart() {
  std::lock_guard guard(mutex_);
  drop_lock_on_multipart_ = true;
}

void FakeObjectStore::deny(Op op) {
  std::lock_guard guard(mutex_);
  denied_.push_back(op);
}

void FakeObjectStore::grant_governance_bypass() {
  std::lock_guard guard(mutex_);
  governance_bypass_ = true;
}

void FakeObjectStore::set_now(std::chrono::sys_seconds now) {
  std::lock_guard guard(mutex_);
  now_ = now;
}

void FakeObjectStore::set_last_modified(std::string iso8601) {
  std::lock_guard lock(mutex_);
  last_modified_ = std::move(iso8601);
}

void FakeObjectStore::set_upload_initiated(std::chrono::system_clock::time_point initiated) {
  std::lock_guard lock(mutex_);
  upload_initiated_ = initiated;
}

std::string FakeObjectStore::seed_upload(std::string key,
                                         std::chrono::system_clock::time_point initiated) {
  std::lock_guard lock(mutex_);
  std::string id = "upload-" + std::to_string(next_upload_id_++);
  uploads_.emplace(id, Upload{std::move(key), {}, initiated});
  return id;
}

void FakeObjectStore::set_min_part_size(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  min_part_size_ = bytes;
}

void FakeObjectStore::set_get_chunk_size(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  get_chunk_size_ = std::max<std::size_t>(1, bytes);
}

void FakeObjectStore::inject_failure(Failure failure) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(failure));
}

void FakeObjectStore::ignore_write_conditions() {
  std::lock_guard lock(mutex_);
  ignore_conditions_ = true;
}

void FakeObjectStore::hold_upload_parts() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}

void FakeObjectStore::release_upload_parts() {
  {
    std::lock_guard lock(mutex_);
    holding_ = false;
  }
  changed_.notify_all();
}

void FakeObjectStore::wait_until_held(int count) const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return held_ >= count; });
}

std::vector<FakeObjectStore::Call> FakeObjectStore::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

int FakeObjectStore::count(Op op) const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(
      std::ranges::count_if(calls_, [op](const Call& call) { return call.op == op; }));
}

std::optional<std::string> FakeObjectStore::object(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.data;
}

std::optional<std::string> FakeObjectStore::etag(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.etag;
}

std::vector<std::string> FakeObjectStore::keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> result;
  for (const auto& [key, object] : objects_) result.push_back(key);
  return result;
}

std::size_t FakeObjectStore::pending_uploads() const {
  std::lock_guard lock(mutex_);
  return uploads_.size();
}

std::vector<s3::MultipartUpload> FakeObjectStore::open_uploads() const {
  std::lock_guard lock(mutex_);
  return uploads_under("");
}

int FakeObjectStore::max_concurrent_upload_parts() const {
  std::lock_guard lock(mutex_);
  return max_active_upload_parts_;
}

std::vector<FakeObjectStore::StoredVersion> FakeObjectStore::versions(std::string_view key) const {
  std::lock_guard lock(mutex_);
  std::vector<StoredVersion> result;
  if (auto it = versions_.find(key); it != versions_.end()) {
    for (const Version& v : it->second) {
      result.push_back({v.object.version_id, v.delete_marker, v.object.lock, v.object.data});
    }
  }
  return result;
}

std::vector<std::string> FakeObjectStore::versioned_keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> result;
  if (!versioning_) {
    for (const auto& [key, object] : objects_) result.push_back(key);
    return result;
  }
  for (const auto& [key, versions] : versions_) result.push_back(key);
  return result;
}

}  // namespace erp::testing
