// Composition root: command line (read against the command table, app/commands/
// command_table.h) and environment → configuration → concrete objects → one command → exit code
// (SPEC §2). Nothing else in the program reads the environment.
#include <iostream>
#include <string>
#include <vector>

#include "app/commands/command_table.h"
#include "app/report/run_metrics.h"
#include "config/log_config.h"
#include "config/metrics_config.h"
#include "config/s3_config.h"
#include "config/settings.h"
#include "core/cancellation.h"
#include "core/clock.h"
#include "core/logger.h"
#include "http/curl_transport.h"
#include "http/transport_pool.h"
#include "s3/credentials/container.h"
#include "s3/credentials/static_keys.h"
#include "s3/credentials/web_identity.h"
#include "s3/s3_client.h"

namespace {

// The provider the configuration chose (config::load_s3_config picks the first configured in
// the AWS SDKs' order).
std::shared_ptr<erp::s3::CredentialsProvider> make_credentials_provider(
    erp::config::S3Config& config, erp::s3::CredentialsHttp http) {
  using Source = erp::config::S3Config::CredentialSource;
  switch (config.credential_source) {
    case Source::web_identity:
      return std::make_shared<erp::s3::WebIdentityProvider>(config.web_identity, std::move(http),
                                                            erp::system_clock());
    case Source::container:
      return std::make_shared<erp::s3::ContainerCredentialsProvider>(
          std::move(config.container), std::move(http), erp::system_clock());
    case Source::static_keys:
      break;
  }
  return std::make_shared<erp::s3::StaticKeysProvider>(
      erp::s3::Credentials{.access_key_id = config.access_key_id,
                           .secret_access_key = std::move(config.secret_access_key),
                           .session_token = std::move(config.session_token)},
      config.key_files);
}

// Parses the command's arguments, loads its settings, builds the S3 client and runs the
// command; returns its exit code. When `last_success` is given, last-success.json is read
// after the command for the metrics (app/report/run_metrics.h).
erp::app::ExitCode run_command(const erp::config::Environment& environment,
                               const erp::app::Command& command,
                               const std::vector<std::string>& words, erp::Logger& log,
                               erp::Cancellation& cancellation, const erp::Clock& clock,
                               erp::app::RunReport& report,
                               std::optional<erp::catalog::LastSuccess>* last_success) {
  using namespace erp;
  using app::ExitCode;
  // Usage errors first: a misspelt flag is named before any setting is judged.
  auto args = command.parse(words);
  if (!args) {
    log.error(args.error().message);
    return ExitCode::usage;
  }
  auto settings = config::load_settings(environment, command.needs);
  if (!settings) {
    log.error(settings.error().message);
    return ExitCode::usage;
  }
  for (const std::string& warning : settings->warnings) log.warn(warning);
  // Every command today talks to the bucket; the S3 group is in all their needs.
  config::S3Config& s3_config = *settings->s3;

  http::TransportPool transports([&] {
    return std::make_unique<http::CurlTransport>(
        http::TransportOptions{.stall_timeout = s3_config.stall_timeout,
                               .ca_bundle = s3_config.ca_bundle,
                               .ca_setting = std::string(config::kCaBundleVariable)});
  });
  const http::RetryPolicy retry{.max_attempts = s3_config.max_attempts};
  std::shared_ptr<s3::CredentialsProvider> credentials = make_credentials_provider(
      s3_config,
      s3::CredentialsHttp{.transports = transports, .retry = retry, .stop = cancellation.token()});
  // Which identity signs, once (never a secret): an operator debugging AccessDenied needs it.
  log.info("credentials", {{"provider", std::string(credentials->name())}});
  s3::S3Client client(
      s3::S3ClientOptions{
          .endpoint = s3_config.endpoint,
          .bucket = s3_config.bucket,
          .addressing = s3_config.addressing,
          .scope = {.region = s3_config.region},
          .payload_signing = s3_config.payload_signing,
          .retry = retry,
          .stop = cancellation.token(),
          .on_clock_corrected =
              [&log](std::chrono::seconds offset) {
                log.warn("the server called this host's clock skewed; signing with its clock",
                         {{"clock_offset_s", std::to_string(offset.count())}});
              },
          .on_region_corrected =
              [&log](const std::string& region) {
                log.warn("the server named another region for the bucket; signing for it",
                         {{"region", region}});
              },
          // S3 refuses an upload to a bucket where a retention applies without Content-MD5 (or
          // a checksum header, which this client never sends).
          .content_md5_on_uploads =
              settings->object_lock.has_value() && settings->object_lock->enabled()},
      credentials, transports);

  app::Context context{log,
                       s3_config,
                       client,
                       cancellation,
                       *settings,
                       clock,
                       report,
                       app::Signing{.presign =
                                        [&client](std::string_view method, std::string_view key,
                                                  std::chrono::seconds expires) {
                                          return client.presign(method, key, expires);
                                        },
                                    .credentials = client.credentials_provider()}};
  const ExitCode exit_code = command.run(context, *args);
  if (last_success != nullptr) *last_success = app::observe_last_success(context);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace erp;
  // First, before any thread exists: every thread inherits the blocked signal mask.
  Cancellation cancellation;
  SignalWatcher signal_watcher(cancellation);

  const std::vector<std::string> argv_words(argv + 1, argv + argc);
  // Help, version and usage errors: decided from the command table alone, before any setting
  // is read or anything contacted.
  const app::Invocation invocation = app::read_command_line(argv_words);
  if (invocation.kind != app::Invocation::Kind::run) {
    (invocation.kind == app::Invocation::Kind::print ? std::cout : std::cerr) << invocation.text;
    return app::to_int(invocation.code);
  }
  const app::Command& command = *invocation.command;

  config::ProcessEnvironment environment;
  auto log_config = config::load_log_config(environment);
  if (!log_config) {
    std::cerr << "erp-backup: " << log_config.error().message << '\n';
    return app::to_int(app::ExitCode::usage);
  }
  Logger log(log_config->format, log_config->level);
  // Loaded for every command and before its own settings, so a run that stops on a broken
  // setting still reports its exit code 2.
  auto metrics_config = config::load_metrics_config(environment);
  if (!metrics_config) {
    log.error(metrics_config.error().message);
    return app::to_int(app::ExitCode::usage);
  }

  http::global_init();
  const SystemClock clock;
  app::RunFacts facts{.command = std::string(command.name), .started = clock.now()};
  std::optional<catalog::LastSuccess> last_success;
  facts.exit_code = run_command(environment, command, invocation.words, log, cancellation, clock,
                                facts.report, metrics_config->enabled() ? &last_success : nullptr);
  facts.finished = clock.now();
  facts.stopped = cancellation.cancelled();
  if (!metrics_config->enabled()) return app::to_int(facts.exit_code);

  std::unique_ptr<http::CurlTransport> push_transport;
  if (!metrics_config->pushgateway_url.empty()) {
    push_transport = std::make_unique<http::CurlTransport>(
        http::TransportOptions{.connect_timeout = std::chrono::seconds(5),
                               .stall_timeout = std::chrono::seconds(10),
                               .ca_bundle = metrics_config->ca_bundle,
                               .ca_setting = "PUSHGATEWAY_CA_BUNDLE"});
  }
  return app::to_int(
      app::publish_metrics(*metrics_config, facts, last_success, log, push_transport.get()));
}
