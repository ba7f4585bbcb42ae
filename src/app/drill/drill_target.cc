#include "app/drill/drill_target.h"

#include <charconv>

#include "pg/cluster_leftovers.h"

namespace erp::app {
namespace {

// 15 for "15.10 (Debian 15.10-1)", 9 for "9.6.24"; nullopt when unreadable.
std::optional<int> major_of(std::string_view version) {
  int major = 0;
  const auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), major);
  if (ec != std::errc() || end == version.data()) return std::nullopt;
  return major;
}

}  // namespace

DrillTarget::~DrillTarget() = default;

Result<std::unique_ptr<DrillTarget>> DrillTarget::open(const DrillTargetRequest& request,
                                                       const catalog::Manifest& manifest,
                                                       Logger& log,
                                                       const Cancellation& cancellation) {
  std::unique_ptr<DrillTarget> target(new DrillTarget());
  if (!request.embedded) {
    // No cluster here, but the documents are still extracted into DRILL_WORK_DIR: a killed
    // run's extracted documents (personal data) go now, not never.
    pg::sweep_drill_leftovers(request.work_dir, log);
    target->rules_ = request.rules;
    return target;
  }
  pg::EmbeddedClusterOptions options{.work_dir = request.work_dir,
                                     .bin_dir = request.bin_dir,
                                     .base_environment = request.base_environment};
  auto cluster = pg::EmbeddedCluster::start(options, log, cancellation);
  if (!cluster) return std::unexpected(cluster.error());
  const std::string source_version =
      manifest.database ? manifest.database->server_version : std::string();
  if (const auto source_major = major_of(source_version);
      source_major && *source_major > (*cluster)->server_major()) {
    return make_error(ErrorKind::config,
                      "the drill's PostgreSQL is " + (*cluster)->server_version() +
                          ", older than the backup's server " + source_version +
                          ": pg_restore into an older server fails (hint: DRILL_PG_BINDIR naming "
                          "the bin directory of PostgreSQL " +
                          std::to_string(*source_major) + " or newer)");
  }
  config::RestoreTargetConfig& config = target->config_;
  config.target = (*cluster)->settings();
  if (request.rules != nullptr) {
    config.min_tables = request.rules->min_tables;
    config.exclude = request.rules->exclude;
  }
  // A cluster of its own, made a moment ago: empty, and nobody else can reach its socket.
  config.drop_owned = false;
  config.require_exclusive = true;
  log.info("drill: PostgreSQL started", {{"version", (*cluster)->server_version()},
                                         {"directory", (*cluster)->directory().string()}});
  target->cluster_ = std::move(*cluster);
  return target;
}

Result<void> DrillTarget::stop() {
  if (!cluster_) return {};
  return cluster_->stop();
}

}  // namespace erp::app
