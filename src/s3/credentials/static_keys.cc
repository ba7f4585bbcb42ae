#include "s3/credentials/static_keys.h"

#include <sys/stat.h>

#include "core/secret_file.h"

namespace erp::s3 {
namespace {

Secret copy_of(const Secret& secret) {
  return Secret(std::string(secret.reveal()));
}

}  // namespace

StaticKeysProvider::StaticKeysProvider(Credentials initial, StaticKeyFiles files)
    : files_(std::move(files)) {
  const auto part = [](std::string_view variable, const std::string& file) {
    return std::string(variable) + (file.empty() ? "" : "_FILE");
  };
  name_ = "static keys (" + part("AWS_ACCESS_KEY_ID", files_.access_key_id) + ", " +
          part("AWS_SECRET_ACCESS_KEY", files_.secret_access_key);
  if (!initial.session_token.empty() || !files_.session_token.empty()) {
    name_ += ", " + part("AWS_SESSION_TOKEN", files_.session_token);
  }
  name_ += ")";
  cached_ = std::make_shared<const Credentials>(std::move(initial));
  // stamps_ starts empty: the first request reads the files again, so a rotation between the
  // configuration's read and this constructor is not missed.
}

std::vector<StaticKeysProvider::Stamp> StaticKeysProvider::stamps() const {
  std::vector<Stamp> out;
  for (const std::string* path :
       {&files_.access_key_id, &files_.secret_access_key, &files_.session_token}) {
    Stamp stamp;
    struct stat info {};
    // stat follows symlinks: a Kubernetes swap of ..data shows as a new inode.
    if (!path->empty() && ::stat(path->c_str(), &info) == 0) {
      stamp = {static_cast<unsigned long long>(info.st_dev),
               static_cast<unsigned long long>(info.st_ino),
               static_cast<unsigned long long>(info.st_size),
               static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec,
               true};
    }
    out.push_back(stamp);
  }
  return out;
}

Result<Credentials> StaticKeysProvider::read_files(const Credentials& previous) const {
  Credentials next{previous.access_key_id, copy_of(previous.secret_access_key),
                   copy_of(previous.session_token)};
  if (!files_.access_key_id.empty()) {
    auto value = read_secret_file(files_.access_key_id, "AWS_ACCESS_KEY_ID_FILE");
    if (!value) return std::unexpected(value.error());
    next.access_key_id = std::move(*value);
  }
  if (!files_.secret_access_key.empty()) {
    auto value = read_secret_file(files_.secret_access_key, "AWS_SECRET_ACCESS_KEY_FILE");
    if (!value) return std::unexpected(value.error());
    next.secret_access_key = Secret(std::move(*value));
  }
  if (!files_.session_token.empty()) {
    auto value = read_secret_file(files_.session_token, "AWS_SESSION_TOKEN_FILE");
    if (!value) return std::unexpected(value.error());
    next.session_token = Secret(std::move(*value));
  }
  return next;
}

Result<CredentialsPtr> StaticKeysProvider::current() {
  std::lock_guard lock(mutex_);
  if (files_.access_key_id.empty() && files_.secret_access_key.empty() &&
      files_.session_token.empty()) {
    return cached_;
  }
  auto before = stamps();
  if (before == stamps_) return cached_;
  // Something changed: read until the files hold still across the read (a rotation that
  // lands between reading the key id and the secret would pair keys of two versions).
  for (int round = 0; round < 5; ++round) {
    auto next = read_files(*cached_);
    if (!next) return std::unexpected(next.error().with_context(name_));
    const auto after = stamps();
    if (after == before) {
      cached_ = std::make_shared<const Credentials>(std::move(*next));
      stamps_ = after;
      return cached_;
    }
    before = after;
  }
  return make_error(ErrorKind::transient,
                    name_ +
                        ": the key files keep changing while being read (hint: rotate the "
                        "Secret atomically, as Kubernetes does)");
}

}  // namespace erp::s3
