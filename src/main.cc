// Composition root: command line and environment → configuration → concrete
// objects → one command → exit code (SPEC §2). Nothing else in the program reads
// the environment or decides exit codes.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/backup_command.h"
#include "app/doctor_command.h"
#include "app/object_commands.h"
#include "app/refresh_sandbox_command.h"
#include "app/restore_db.h"
#include "app/restore_docs_command.h"
#include "app/retention_commands.h"
#include "app/run_metrics.h"
#include "app/status.h"
#include "app/verify_command.h"
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

constexpr std::string_view kUsage = R"(erp-backup — streaming PostgreSQL + documents backups to S3

usage: erp-backup COMMAND [ARGS]

backup:
  backup [--only db|docs]       stream pg_dump and the documents tree into a new backup set,
                                manifest last (BACKUP_ENV, S3_PREFIX, PG*, DOCUMENTS_DIR),
                                then prunes (PRUNE_AFTER_BACKUP, default true)

retention:
  prune [--dry-run] [--as-of YYYY-MM-DD] [--json]
                                apply the retention plan (RETENTION_DAILY_DAYS,
                                RETENTION_MONTHLY_MONTHS, RETENTION_YEARLY_YEARS,
                                RETENTION_MIN_KEEP): delete expired sets, manifest last
  list [--json]                 backup sets, newest first, with sizes and the tier keeping each

restore:
  restore db [ID|latest] [--i-know-this-is-the-source]
                                stream the set's dump into pg_restore on the RESTORE_PG* target
                                (never the source's PG*): checks the dump first, refuses a
                                non-empty target (unless RESTORE_DROP_OWNED) and while other
                                sessions are connected, keeps new ones out, RESTORE_EXCLUDE;
                                judged by every pg_restore error and the restored tables
                                (RESTORE_MIN_TABLES)
  restore docs [ID|latest] [--target-dir DIR] [--subtree PATH] [--force]
               [--absolute-links-under PATH]... [--keep-links-outside] [--keep-setid]
                                extract the documents archive into DIR (RESTORE_DOCUMENTS_DIR)
                                with its own checks: no absolute names, no '..', no links out of
                                DIR, nothing through a symlink, no devices or FIFOs; staged inside
                                DIR and moved into place only once the whole object matched its
                                manifest; DIR must be empty unless --force

  refresh-sandbox --from-env ENV
                                ENV's newest complete set into the RESTORE_PG* database
                                (drop-owned, exclusions, guards) and its REFRESH_DOCS_SUBTREE
                                into RESTORE_DOCUMENTS_DIR; reads only the bucket

checks:
  doctor [--json]               probe the store and credentials (run it first on a new bucket):
                                each capability ok, degraded or failed with the fix; writes only
                                under S3_PREFIX/BACKUP_ENV/.doctor/ and removes it; exit 1 when a
                                backup cannot run
  status [--max-age 26h] [--only db|docs] [--json]
                                each stream's last success from last-success.json; exit 1 when
                                one is older than max-age or never succeeded (for alerting)
  verify [ID|latest|--all] [--json]
                                read every object of the set back: size and SHA-256 against the
                                manifest, the dump's table of contents (pg_restore --list, PG_RESTORE),
                                the documents archive's entry counts

object commands (operator primitives):
  put KEY                       stream stdin into object KEY (multipart when large)
  cat KEY                       stream object KEY to stdout
  ls [PREFIX]                   list keys: SIZE<TAB>LAST_MODIFIED<TAB>KEY
  rm KEY...                     delete objects
  presign KEY [--expires S]     print a presigned GET URL (default 3600 s)

  version                       print the version
  --help                        this text

Configuration is read from the environment (see README): S3_BUCKET,
AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
(each credential also as NAME_FILE) or AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
(EKS IRSA) or AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity/ECS),
S3_PART_SIZE, S3_UPLOAD_CONCURRENCY,
S3_BUFFER_BUDGET, LOG_FORMAT, LOG_LEVEL, ...
Metrics at the end of every command: METRICS_TEXTFILE (node-exporter textfile),
PUSHGATEWAY_URL (+ PUSHGATEWAY_JOB, PUSHGATEWAY_INSTANCE, PUSHGATEWAY_CA_BUNDLE)

exit codes: 0 ok, 1 failed, 2 usage/configuration, 3 partial, 130/143 stopped by signal
)";

using CommandFunction = int (*)(erp::app::Context&, const std::vector<std::string>&);

// Each command and the settings it reads; nothing else is loaded for it (config/settings.h).
struct Command {
  CommandFunction run;
  erp::config::Needs needs;
  // `COMMAND --help`, printed before any setting is read; empty: the command has none yet.
  std::string_view help = {};
};

const std::map<std::string, Command, std::less<>>& commands() {
  using erp::config::Needs;
  // `.writes`: the command changes the bucket or a database, so an unknown variable stops it.
  constexpr Needs kObjects{.s3 = true};
  constexpr Needs kObjectWrites{.s3 = true, .writes = true};
  constexpr Needs kSets{.s3 = true, .layout = true, .retention = true};
  static const std::map<std::string, Command, std::less<>> kCommands = {
      {"put", {erp::app::run_put, kObjectWrites}},
      {"cat", {erp::app::run_cat, kObjects}},
      {"ls", {erp::app::run_ls, kObjects}},
      {"rm", {erp::app::run_rm, kObjectWrites}},
      {"presign", {erp::app::run_presign, kObjects}},
      {"backup",
       {erp::app::run_backup,
        {.s3 = true, .layout = true, .backup = true, .retention = true, .writes = true}}},
      {"prune",
       {erp::app::run_prune, {.s3 = true, .layout = true, .retention = true, .writes = true}}},
      {"list", {erp::app::run_list, kSets}},
      {"status", {erp::app::run_status, {.s3 = true, .layout = true}}},
      {"doctor",
       {erp::app::run_doctor, {.s3 = true, .layout = true, .writes = true}, erp::app::kDoctorHelp}},
      {"verify", {erp::app::run_verify, {.s3 = true, .layout = true, .tools = true}}},
      {"restore db",
       {erp::app::run_restore_db,
        {.s3 = true, .layout = true, .tools = true, .restore_target = true, .writes = true}}},
      {"refresh-sandbox",
       {erp::app::run_refresh_sandbox,
        {.s3 = true,
         .prefix = true,
         .tools = true,
         .restore_target = true,
         .restore_docs = true,
         .writes = true}}},
      {"restore docs",
       {erp::app::run_restore_docs,
        {.s3 = true, .layout = true, .restore_docs = true, .writes = true}}}};
  return kCommands;
}

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

// Loads the command's settings, builds the S3 client and runs the command; returns its exit
// code. When `last_success` is given, last-success.json is read after the command for the
// metrics (app/run_metrics.h).
int run_command(const erp::config::Environment& environment, const Command& command,
                const std::vector<std::string>& args, erp::Logger& log,
                erp::Cancellation& cancellation, const erp::Clock& clock,
                erp::app::RunReport& report,
                std::optional<erp::catalog::LastSuccess>* last_success) {
  using namespace erp;
  auto settings = config::load_settings(environment, command.needs);
  if (!settings) {
    log.error(settings.error().message);
    return 2;
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
              }},
      credentials, transports);

  app::Context context{log, s3_config, client, cancellation, *settings, clock, report};
  const int exit_code = command.run(context, args);
  if (last_success != nullptr) *last_success = app::observe_last_success(context);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace erp;
  // First, before any thread exists: every thread inherits the blocked signal mask.
  Cancellation cancellation;
  SignalWatcher signal_watcher(cancellation);

  const std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << kUsage;
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "version" || words[0] == "--version") {
    std::cout << "erp-backup " << ERP_BACKUP_VERSION << '\n';
    return 0;
  }
  // "restore db" and "restore docs" are two commands with different settings.
  const bool two_words = words[0] == "restore" && words.size() > 1;
  const std::string name = two_words ? words[0] + " " + words[1] : words[0];
  const auto command = commands().find(name);
  if (command == commands().end()) {
    std::cerr << "erp-backup: unknown command '" << name << "' (hint: erp-backup --help)\n";
    return 2;
  }
  const std::vector<std::string> args(words.begin() + (two_words ? 2 : 1), words.end());
  if (!command->second.help.empty() && std::ranges::any_of(args, [](const std::string& arg) {
        return arg == "--help" || arg == "-h";
      })) {
    std::cout << command->second.help;
    return 0;
  }

  config::ProcessEnvironment environment;
  auto log_config = config::load_log_config(environment);
  if (!log_config) {
    std::cerr << "erp-backup: " << log_config.error().message << '\n';
    return 2;
  }
  Logger log(log_config->format, log_config->level);
  // Loaded for every command and before its own settings, so a run that stops on a broken
  // setting still reports its exit code 2.
  auto metrics_config = config::load_metrics_config(environment);
  if (!metrics_config) {
    log.error(metrics_config.error().message);
    return 2;
  }

  http::global_init();
  const SystemClock clock;
  app::RunFacts facts{.command = name, .started = clock.now()};
  std::optional<catalog::LastSuccess> last_success;
  facts.exit_code = run_command(environment, command->second, args, log, cancellation, clock,
                                facts.report, metrics_config->enabled() ? &last_success : nullptr);
  facts.finished = clock.now();
  facts.stopped = cancellation.cancelled();
  if (!metrics_config->enabled()) return facts.exit_code;

  std::unique_ptr<http::CurlTransport> push_transport;
  if (!metrics_config->pushgateway_url.empty()) {
    push_transport = std::make_unique<http::CurlTransport>(
        http::TransportOptions{.connect_timeout = std::chrono::seconds(5),
                               .stall_timeout = std::chrono::seconds(10),
                               .ca_bundle = metrics_config->ca_bundle,
                               .ca_setting = "PUSHGATEWAY_CA_BUNDLE"});
  }
  return app::publish_metrics(*metrics_config, facts, last_success, log, push_transport.get());
}
