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

Result<std::string> FakeObjectStore::put_object(std::string_view key, std::span<const char> body) {
  return put_object(key, body, s3::WriteCondition::none);
}

Result<std::string> FakeObjectStore::put_object(std::string_view key, std::span<const char> body,
                                                s3::WriteCondition condition) {
  Object object{std::string(body.data(), body.size()), "", ""};
  object.etag = hex(md5_binary(object.data));
  std::lock_guard lock(mutex_);
  const Call call{Op::put_object,
                  std::string(key),
                  "",
                  0,
                  body.size(),
                  condition == s3::WriteCondition::if_absent};
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  if (auto conflict = write_conflict(call)) return std::unexpected(std::move(*conflict));
  object.last_modified = last_modified_;
  std::string etag = object.etag;
  objects_.insert_or_assign(std::string(key), std::move(object));
  if (failure) return std::unexpected(injected(*failure, call));
  return etag;
}

Result<std::string> FakeObjectStore::create_multipart_upload(std::string_view key) {
  std::lock_guard lock(mutex_);
  const Call call{Op::create_multipart_upload, std::string(key)};
  calls_.push_back(call);
  const Failure* failure = take_failure(call);
  if (failure && !failure->after_apply) return std::unexpected(injected(*failure, call));
  std::string id = "upload-" + std::to_string(next_upload_id_++);
  uploads_.emplace(id, Upload{std::string(key), {}, upload_initiated_});
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
  std::string etag = object.etag;
  objects_.insert_or_assign(std::string(key), std::move(object));
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
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return make_error(ErrorKind::not_found, "head_object " + std::string(key) + ": NoSuchKey");
  }
  return s3::ObjectInfo{it->first, it->second.data.size(), it->second.etag,
                        it->second.last_modified};
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
  if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
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
  std::vector<s3::DeleteFailure> refused;
  for (const std::string& key : keys) {
    const Call per_key{Op::delete_objects, key};
    if (const Failure* failure = take_failure(per_key)) {
      refused.push_back({key, "AccessDenied", failure->error.message});
      continue;
    }
    if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
  }
  return refused;
}

void FakeObjectStore::seed(std::string key, std::string data) {
  std::lock_guard lock(mutex_);
  Object object{std::move(data), "", last_modified_};
  object.etag = hex(md5_binary(object.data));
  objects_.insert_or_assign(std::move(key), std::move(object));
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

}  // namespace erp::testing
