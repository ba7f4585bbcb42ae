// Provider 1: keys given by the operator, each directly (AWS_ACCESS_KEY_ID) or as a mounted
// file (AWS_ACCESS_KEY_ID_FILE). Kubernetes rotates a mounted Secret in place (it swaps the
// ..data symlink, so every file of the Secret changes at once): before every request the
// files are stat()ed (cheap) and, when any changed (device, inode, size or mtime), all of
// them are read again, until two stat rounds around the read agree, so the key id and the
// secret always come from the same version of the Secret.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "s3/credentials/provider.h"

namespace erp::s3 {

// The files the keys came from; "" for a part given directly (it never changes).
struct StaticKeyFiles {
  std::string access_key_id;      // AWS_ACCESS_KEY_ID_FILE
  std::string secret_access_key;  // AWS_SECRET_ACCESS_KEY_FILE
  std::string session_token;      // AWS_SESSION_TOKEN_FILE
};

class StaticKeysProvider final : public CredentialsProvider {
 public:
  // `initial` as the configuration read them (s3_config.cc already reported unreadable files).
  StaticKeysProvider(Credentials initial, StaticKeyFiles files);
  Result<CredentialsPtr> current() override;
  std::string_view name() const override { return name_; }

 private:
  struct Stamp {
    unsigned long long device = 0, inode = 0, size = 0;
    long long mtime_ns = 0;
    bool exists = false;
    bool operator==(const Stamp&) const = default;
  };
  std::vector<Stamp> stamps() const;
  Result<Credentials> read_files(const Credentials& previous) const;

  StaticKeyFiles files_;
  std::string name_;
  std::mutex mutex_;
  CredentialsPtr cached_;
  std::vector<Stamp> stamps_;  // of the files cached_ was read from; empty before the first read
};

}  // namespace erp::s3
