// The S3 clients doctor probes with: the same S3Client every command uses, built from the same
// settings and credential provider, with two things added that only doctor needs:
//   - every exchange recorded in a ReplyLog (doctor/reply_log.h) for the checks that judge the
//     wire (headers, Date, a refused batch delete);
//   - the client's self-corrections (a clock offset or a region named by a refusal) kept in
//     Corrections instead of only logged, for the region_clock check.
// Retries: at most kDoctorAttempts per request (S3_MAX_ATTEMPTS when lower). Doctor reports what
// the store does; a minute of back-off per request against a dead endpoint would only hide it.
//
// Lifetimes: the S3 settings, the ReplyLog and Corrections are borrowed and must outlive the
// client (transports are made on demand from the settings); the credential provider is shared.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "config/s3_config.h"
#include "doctor/reply_log.h"
#include "http/curl_transport.h"
#include "http/transport_pool.h"
#include "s3/s3_client.h"

namespace erp::doctor {

inline constexpr int kDoctorAttempts = 3;

// What the client corrected by itself during the run. Thread-safe.
class Corrections {
 public:
  void clock_corrected(std::chrono::seconds offset);
  void region_corrected(std::string region);
  std::optional<std::chrono::seconds> clock_offset() const;
  std::optional<std::string> region() const;

 private:
  mutable std::mutex mutex_;
  std::optional<std::chrono::seconds> clock_offset_;
  std::optional<std::string> region_;
};

class ProbeClient {
 public:
  // `stop`: the calls' stop signal (the job's for the probes; a deadline for the cleanup).
  ProbeClient(const config::S3Config& config, std::shared_ptr<s3::CredentialsProvider> credentials,
              std::stop_token stop, ReplyLog& replies, Corrections& corrections);
  ProbeClient(const ProbeClient&) = delete;
  ProbeClient& operator=(const ProbeClient&) = delete;

  s3::S3Client& store() { return client_; }

 private:
  http::TransportPool pool_;
  s3::S3Client client_;
};

}  // namespace erp::doctor
