#include "doctor/probe_client.h"

#include <algorithm>

namespace erp::doctor {

void Corrections::clock_corrected(std::chrono::seconds offset) {
  std::lock_guard lock(mutex_);
  clock_offset_ = offset;
}

void Corrections::region_corrected(std::string region) {
  std::lock_guard lock(mutex_);
  region_ = std::move(region);
}

std::optional<std::chrono::seconds> Corrections::clock_offset() const {
  std::lock_guard lock(mutex_);
  return clock_offset_;
}

std::optional<std::string> Corrections::region() const {
  std::lock_guard lock(mutex_);
  return region_;
}

ProbeClient::ProbeClient(const config::S3Config& config,
                         std::shared_ptr<s3::CredentialsProvider> credentials, std::stop_token stop,
                         ReplyLog& replies, Corrections& corrections)
    : pool_([&config, &replies] {
        // The same transport options as every command's (main.cc), recorded.
        return std::make_unique<RecordingTransport>(
            std::make_unique<http::CurlTransport>(
                http::TransportOptions{.stall_timeout = config.stall_timeout,
                                       .ca_bundle = config.ca_bundle,
                                       .ca_setting = std::string(config::kCaBundleVariable)}),
            replies);
      }),
      client_(s3::S3ClientOptions{
                  .endpoint = config.endpoint,
                  .bucket = config.bucket,
                  .addressing = config.addressing,
                  .scope = {.region = config.region},
                  .payload_signing = config.payload_signing,
                  .retry = {.max_attempts = std::min(config.max_attempts, kDoctorAttempts)},
                  .stop = std::move(stop),
                  .on_clock_corrected =
                      [&corrections](std::chrono::seconds offset) {
                        corrections.clock_corrected(offset);
                      },
                  .on_region_corrected =
                      [&corrections](const std::string& region) {
                        corrections.region_corrected(region);
                      }},
              std::move(credentials), pool_) {}

}  // namespace erp::doctor
